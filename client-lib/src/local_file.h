// Mail attachments a client names are opened here, with the rights of the
// user running the client: the co-process never opens a user's path.
// POSIX (local_file_posix.cc): the open descriptor travels with the request
// (SCM_RIGHTS) and the co-process reads through it. Windows
// (local_file_win32.cc): named pipes carry no descriptors, so the bytes are
// read here and travel in the request. (Files to save a body into:
// output_file.h.)
#pragma once

#include <string>

namespace coproc::local {

/// An attachment opened for a call: a descriptor to pass (fd >= 0), or the
/// bytes themselves.
struct OpenedFile {
  int fd = -1;
  std::string bytes;
};

/// Opens `path` for reading. False with the reason in `*error` (the
/// system's text, or "it is a directory") when it cannot be read.
bool open_attachment(const std::string& path, OpenedFile* out, std::string* error);

/// Moves a descriptor back to the start (a resent call reads it again).
void rewind(int fd) noexcept;

/// Closes a descriptor; -1 is ignored.
void close(int fd) noexcept;

/// The last part of a path (the attachment's file name).
std::string base_name(const std::string& path);

}  // namespace coproc::local
