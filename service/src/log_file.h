// The service's log file where there is no journal (Windows): the same
// lines as on stderr, appended to `path`; when the file reaches `max_bytes`
// it becomes path.1 (path.1 becomes path.2, ... up to `keep` old files) and
// a new one starts. Thread-safe; every line is flushed, so an administrator
// tailing the file sees it at once and a crash loses nothing written.
#pragma once

#include <cstdint>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>

namespace coproc {

class RotatingLogFile {
 public:
  RotatingLogFile(std::string path, std::uint64_t max_bytes, int keep);

  /// Creates the folder if needed and opens the file for appending. False
  /// with a sentence in `error`.
  bool open(std::string* error);
  /// Appends one line (with its newline); rotates first when it would not fit.
  void write(std::string_view line);
  const std::string& path() const { return path_; }

 private:
  void rotate();

  const std::string path_;
  const std::uint64_t max_bytes_;
  const int keep_;
  std::mutex mu_;
  std::ofstream out_;
  std::uint64_t size_ = 0;
};

}  // namespace coproc
