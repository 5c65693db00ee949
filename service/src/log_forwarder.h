// Forwards the co-process's stdout/stderr into the service's log, one event
// per line, prefixed with the co-process's pid. The co-process logs in the
// same format (log.h), so its level is kept and its time stamp (or journal
// priority) dropped.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "log.h"

namespace coproc {

struct ChildLogLine {
  LogLevel level = LogLevel::info;
  std::string text;  // without time stamp / priority and level
};

/// Splits one line the co-process wrote into its level and text; lines in
/// another format are taken whole at level info.
ChildLogLine parse_child_log_line(std::string_view line);

/// Collects bytes from the pipe and logs each complete line. Not thread-safe.
class LogForwarder {
 public:
  static constexpr std::size_t kMaxLine = 16384;  // longer lines are split

  explicit LogForwarder(pid_t pid) : pid_(pid) {}
  void feed(std::string_view bytes);
  /// Logs an unterminated last line (at EOF).
  void flush();

 private:
  void emit(std::string_view line);
  pid_t pid_;
  std::string pending_;
};

}  // namespace coproc
