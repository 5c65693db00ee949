// glibc: messages up to the largest read buffer (a 16 MiB message grows
// its buffer to 32 MiB) come from the heap instead of their own mmap, and a
// heap keeps up to 64 MiB of freed memory before trimming. The memory
// budget (limits.memory_budget) still bounds what connections hold; this
// only decides whether freed pages are returned at once. flood_bench: 232
// -> 13-22 minor faults and ~2.2 -> ~1.2 ms of CPU per 1 MiB request.
#include "allocator_tuning.h"

#include <cstdlib>  // defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace coproc {

void tune_allocator() {
#if defined(__GLIBC__)
  constexpr int kMmapThreshold = 32 << 20;  // glibc's maximum on 64-bit
  constexpr int kTrimThreshold = 64 << 20;
  ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  ::mallopt(M_TRIM_THRESHOLD, kTrimThreshold);
#endif
}

}  // namespace coproc
