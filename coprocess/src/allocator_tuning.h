// How the co-process asks its C allocator to treat the large buffers of
// big requests (per platform: allocator_tuning_posix.cc, _win32.cc).
#pragma once

namespace coproc {

/// Call once at start-up, before any thread starts. With glibc's defaults
/// every buffer of a large message (the read buffer doubling towards the
/// message size, the copy of a long string) came from fresh pages: freed
/// memory at the top of a heap was given back at once and taken again by
/// the next request (brk/munmap, then a page fault per 4 KiB, ~230 faults
/// per 1 MiB request in flood_bench). Keeping up to kTrimThreshold free per
/// heap lets the next message reuse those pages.
void tune_allocator();

}  // namespace coproc
