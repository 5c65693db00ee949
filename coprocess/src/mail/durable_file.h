// Writing files so that a crash (even a power cut) leaves either the old or
// the new content, never half of it.
#pragma once

#include <string>
#include <string_view>

namespace coproc::mail {

/// Writes dir/name through dir/.name.tmp: write, fsync, rename. Calls
/// fsync_directory(dir) afterwards when `sync_dir`. Throws std::system_error.
void write_file_durably(const std::string& dir, const std::string& name, std::string_view content,
                        bool sync_dir);

/// Makes the renames and unlinks done in `dir` durable. Throws std::system_error.
void fsync_directory(const std::string& dir);

/// The whole file. Throws std::system_error when it cannot be read.
std::string read_whole_file(const std::string& path);

}  // namespace coproc::mail
