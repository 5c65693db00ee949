#include "log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace coproc {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::info)};
LogSink g_sink = nullptr;
bool g_stderr = true;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "?";
}

int syslog_priority(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return 7;
    case LogLevel::info: return 6;
    case LogLevel::warn: return 4;
    case LogLevel::error: return 3;
  }
  return 6;
}

bool to_journal() {
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  return journal;
}

}  // namespace

bool parse_log_level(std::string_view text, LogLevel* out) {
  for (LogLevel l : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
    if (text == level_name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void set_log_sink(LogSink sink, bool also_stderr) {
  g_sink = sink;
  g_stderr = also_stderr || !sink;
}

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool log_enabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

void log_line(LogLevel level, std::string_view component, std::string_view text) {
  std::string line;
  line.reserve(64 + text.size());
  if (to_journal()) {
    line += '<';
    line += std::to_string(syslog_priority(level));
    line += '>';
  } else {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t secs = system_clock::to_time_t(now);
    const int millis = static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    line += stamp;
  }
  line += level_name(level);
  line += ' ';
  line += component;
  line += ": ";
  // One event, one line; other control bytes (an ESC sequence in a URL a
  // client sent) are shown escaped, never passed to a terminal or journal.
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r') {
      line += ' ';
    } else if ((u < 0x20 && c != '\t') || u == 0x7f) {
      static const char* const hex = "0123456789abcdef";
      line += "\\x";
      line += hex[u >> 4];
      line += hex[u & 15];
    } else {
      line += c;
    }
  }
  line += '\n';
  if (g_sink) g_sink(line);
  if (!g_stderr) return;
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace coproc
