// One line per event on stderr: time, level, component, then key=value
// pairs and text. Under systemd (JOURNAL_STREAM set) the time is left to the
// journal and the level becomes a "<N>" priority prefix. Thread-safe: each
// line is a single write().
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace coproc {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

/// Parses "debug" | "info" | "warn" | "error"; false on anything else.
bool parse_log_level(std::string_view text, LogLevel* out);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, std::string_view component, std::string_view text);

/// Receives every line (time stamp and newline included) where stderr is
/// not where the logs are read, e.g. the Windows service's log file. Called
/// from the logging thread; must be thread-safe.
using LogSink = void (*)(std::string_view line);
/// Installs `sink` (nullptr: none); `also_stderr` false leaves stderr out.
/// Call before other threads log.
void set_log_sink(LogSink sink, bool also_stderr);

}  // namespace coproc

/// COPROC_LOG(info, "rpc", "uid=" << uid << " accepted");
#define COPROC_LOG(level, component, stream_expr)                         \
  do {                                                                    \
    if (::coproc::log_enabled(::coproc::LogLevel::level)) {               \
      std::ostringstream coproc_log_os_;                                  \
      coproc_log_os_ << stream_expr; /* NOLINT(bugprone-macro-parentheses) */ \
      ::coproc::log_line(::coproc::LogLevel::level, component, coproc_log_os_.str()); \
    }                                                                     \
  } while (0)
