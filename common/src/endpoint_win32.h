// The listening endpoint on Windows: a named pipe (\\.\pipe\coproc by
// default) instead of a Unix socket. The first instance is created with
// FILE_FLAG_FIRST_PIPE_INSTANCE, which is the single-instance rule here: a
// second server of the same name fails at start-up, and the kernel frees
// the name when the holder dies (no lock file to go stale).
#pragma once

#include <string>

namespace coproc {

constexpr const char* kPipePrefix = R"(\\.\pipe\)";

/// A bare name ("coproc") gets the \\.\pipe\ prefix; a full pipe path stays
/// as it is. False with a sentence when the name is empty, longer than the
/// 256 characters Windows allows or holds a backslash after the prefix.
bool pipe_path(const std::string& name, std::string* out, std::string* error);

/// The server side of one named pipe: its name, its security descriptor and
/// instance creation (overlapped, byte mode, local clients only). Not
/// thread-safe to open; create_instance() may be called from any thread.
class PipeEndpoint {
 public:
  PipeEndpoint() = default;
  PipeEndpoint(const PipeEndpoint&) = delete;
  PipeEndpoint& operator=(const PipeEndpoint&) = delete;
  ~PipeEndpoint();

  /// Parses `sddl` (the pipe's DACL) and creates the first instance with
  /// FILE_FLAG_FIRST_PIPE_INSTANCE. False with a sentence, e.g. when another
  /// process already serves `path`.
  bool open(const std::string& path, const std::string& sddl, std::string* error);

  /// Hands out the instance open() created (once), then nullptr. The caller
  /// owns it (CloseHandle).
  void* take_first();

  /// A further instance of the pipe for the next client, or nullptr with a
  /// sentence. The caller owns it.
  void* create_instance(std::string* error) const;

  const std::string& path() const { return path_; }

 private:
  void* create(bool first, std::string* error) const;

  std::string path_;
  std::wstring wide_path_;
  void* security_descriptor_ = nullptr;  // LocalAlloc'ed by the SDDL parser
  void* first_ = nullptr;
};

}  // namespace coproc
