// Writing files so that a crash (even a power cut) leaves either the old or
// the new content, never half of it, and the few other file operations of
// the outbox and the maildir transport. Platform code by file suffix:
// durable_file_posix.cc (write, fsync, rename, fsync of the directory) and
// durable_file_win32.cc (WriteFile, FlushFileBuffers, then
// MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH), which
// returns only once the rename is on disk). Paths are UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coproc {

/// Writes dir/name through dir/.name.tmp: write, flush to disk, rename. Calls
/// fsync_directory(dir) afterwards when `sync_dir`. Throws std::system_error.
void write_file_durably(const std::string& dir, const std::string& name, std::string_view content,
                        bool sync_dir);

/// Writes dir/name through dir/.name.tmp and a rename, without flushing it
/// to disk: a crash of the process leaves the whole file or none, a power
/// cut may leave neither. For files whose content is durable elsewhere (the
/// outbox's accepted.log) until flush_files() is called. Throws
/// std::system_error.
void write_file_unflushed(const std::string& dir, const std::string& name, std::string_view content);

/// Makes the files `names` in `dir` durable, content and names (after
/// write_file_unflushed()); a file that is gone is skipped. Linux: one
/// syncfs() of dir's file system, which writes back every file of it in one
/// go (per-file fsyncs cost a disk cache flush each, about as much as the
/// writes they save); other POSIX systems: fsync of each, then of dir;
/// Windows: FlushFileBuffers of each (renames are written through). Throws
/// std::system_error.
void flush_files(const std::string& dir, const std::vector<std::string>& names);

/// Renames `from` to `to` (same volume), replacing `to`. Durable once
/// fsync_directory() of the target's folder returned. Throws std::system_error.
void rename_file(const std::string& from, const std::string& to);

/// Makes the renames and unlinks done in `dir` durable (a no-op on Windows,
/// where the rename itself is written through). Throws std::system_error.
void fsync_directory(const std::string& dir);

/// The whole file. Throws std::system_error when it cannot be read.
std::string read_whole_file(const std::string& path);

/// Exactly `size` bytes of `path` from `offset`. Throws std::system_error
/// when the file cannot be read, std::runtime_error when it is shorter.
std::string read_file_range(const std::string& path, std::uint64_t offset, std::size_t size);

/// The names in `dir`, without "." and "..". Throws std::system_error.
std::vector<std::string> list_directory(const std::string& dir);

/// Removes a file; a file that is already gone is no error. False, with
/// *error set ("cannot remove PATH: reason") when given, when it could not
/// be removed. Never throws.
bool remove_file(const std::string& path, std::string* error = nullptr) noexcept;

/// Removes a file; a file that is already gone is no error, any other
/// failure throws std::system_error. Durable once fsync_directory() returned.
void remove_file_checked(const std::string& path);

/// Creates `dir` readable by its owner only (0700; on Windows it inherits
/// the ACL of its parent, which the installer sets). An existing folder is
/// kept. Throws std::system_error.
void make_private_directory(const std::string& dir);

/// A file written only at its end (the outbox's states.log): each append()
/// is one write, so entries never interleave. Not thread-safe.
class AppendFile {
 public:
  AppendFile() = default;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile() { close(); }

  /// Opens `path` (creating it, private to the owner, when `create`), closing
  /// what was open before. Throws std::system_error.
  void open(const std::string& path, bool create);
  /// Throws std::system_error.
  void append(std::string_view data);
  /// Flushes what was appended to the disk (fdatasync / FlushFileBuffers).
  /// Throws std::system_error.
  void sync();
  /// Cuts the file to its first `size` bytes; appends go on from there.
  /// Throws std::system_error.
  void truncate(std::uint64_t size);
  void close() noexcept;

 private:
  std::string path_;
  std::intptr_t handle_ = -1;  // a file descriptor, or a Windows HANDLE
};

}  // namespace coproc
