#include "message_input.h"

namespace coproc::sendmail {
namespace {

// Where the line "." starts, searching lines that begin at or after `from`
// (a line start); npos when there is none yet.
std::size_t lone_dot(const std::string& text, std::size_t from) {
  for (std::size_t pos = from; pos < text.size();) {
    const std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) return std::string::npos;  // incomplete last line
    const std::size_t len = eol - pos;
    if ((len == 1 && text[pos] == '.') || (len == 2 && text[pos] == '.' && text[pos + 1] == '\r')) {
      return pos;
    }
    pos = eol + 1;
  }
  return std::string::npos;
}

}  // namespace

InputResult read_message(std::FILE* in, bool dot_ends_input, std::uint64_t max_bytes,
                         std::string* message) {
  std::string text;
  std::size_t scanned = 0;  // start of the first line not yet checked for "."
  char buf[65536];
  for (;;) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, in);
    text.append(buf, n);
    if (dot_ends_input) {
      const std::size_t dot = lone_dot(text, scanned);
      if (dot != std::string::npos) {
        text.resize(dot);
        break;
      }
      const std::size_t last_line = text.rfind('\n');
      scanned = last_line == std::string::npos ? 0 : last_line + 1;
    }
    if (text.size() > max_bytes) return InputResult::too_large;
    if (n < sizeof buf) {  // fread stops short only at the end or on an error
      if (std::ferror(in)) return InputResult::io_error;
      break;
    }
  }
  // A "." that is the last line without a newline also ends the input.
  if (dot_ends_input && (text == "." || (text.size() >= 2 && text.compare(text.size() - 2, 2, "\n.") == 0))) {
    text.resize(text.size() - 1);
  }
  *message = std::move(text);
  return InputResult::ok;
}

}  // namespace coproc::sendmail
