// Where a download goes (coproc_http_request_set_output_file, coprocctl
// http -o): opened in the caller's process with the caller's rights, its
// descriptor passed to the co-process. A regular file (or a new one) is
// written under a temporary name beside it and renamed over it only when the
// request succeeded, so a failed request never deletes or truncates an
// existing file and leaves no partial one; anything else (/dev/null, a FIFO,
// a terminal) is written directly. Not thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace coproc {

class OutputFile {
 public:
  OutputFile() = default;
  ~OutputFile() { finish(false); }
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  /// Opens for `path`; false with *error set ("cannot open output file
  /// 'PATH': reason") when it cannot.
  bool open(const std::string& path, std::string* error);
  /// The descriptor to pass, or -1 (always on Windows, whose pipes carry no
  /// descriptors: output_file_win32.cc).
  int fd() const { return fd_; }
  /// Where no descriptor could travel, the body that came back in the reply,
  /// written to the temporary file before finish(true). False with *error
  /// set ("cannot write output file 'PATH': reason").
  bool write(std::string_view body, std::string* error);
  /// Keeps the body (the temporary file replaces the target) when `ok`,
  /// discards it otherwise; closes the descriptor. Idempotent.
  void finish(bool ok);

 private:
  std::string path_;
  std::string temp_;
  int fd_ = -1;
};

}  // namespace coproc
