#include "log_forwarder.h"

#include <cctype>

namespace coproc {
namespace {

// "2024-01-02T03:04:05.678Z " as written by log.cc.
bool starts_with_time_stamp(std::string_view s, std::size_t* length) {
  if (s.size() < 21 || !std::isdigit(static_cast<unsigned char>(s[0])) || s[4] != '-' ||
      s[10] != 'T') {
    return false;
  }
  const std::size_t end = s.find("Z ");
  if (end == std::string_view::npos || end > 40) return false;
  *length = end + 2;
  return true;
}

}  // namespace

ChildLogLine parse_child_log_line(std::string_view line) {
  ChildLogLine out;
  std::string_view rest = line;
  std::size_t skip = 0;
  if (rest.size() >= 3 && rest[0] == '<' && std::isdigit(static_cast<unsigned char>(rest[1])) &&
      rest[2] == '>') {
    rest.remove_prefix(3);
  } else if (starts_with_time_stamp(rest, &skip)) {
    rest.remove_prefix(skip);
  }
  const std::size_t space = rest.find(' ');
  LogLevel level;
  if (space != std::string_view::npos && parse_log_level(rest.substr(0, space), &level)) {
    out.level = level;
    out.text = std::string(rest.substr(space + 1));
  } else {
    out.text = std::string(line);
  }
  return out;
}

void LogForwarder::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (c == '\n') {
      emit(pending_);
      pending_.clear();
    } else {
      pending_ += c;
      if (pending_.size() >= kMaxLine) {
        emit(pending_);
        pending_.clear();
      }
    }
  }
}

void LogForwarder::flush() {
  if (!pending_.empty()) emit(pending_);
  pending_.clear();
}

void LogForwarder::emit(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // Windows text-mode stderr
  if (line.empty()) return;
  ChildLogLine parsed = parse_child_log_line(line);
  if (!log_enabled(parsed.level)) return;
  log_line(parsed.level, "coprocess", "[pid " + std::to_string(pid_) + "] " + parsed.text);
}

}  // namespace coproc
