#include "ordered_response.h"

#include <string>

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>

#include "http_session_io.h"

namespace coproc::http {
namespace {

using Poco::Net::MessageException;

constexpr int kEof = std::char_traits<char>::eof();
// Poco's limits (HTTPResponse, MessageHeader).
constexpr std::size_t kMaxVersion = 8;
constexpr std::size_t kMaxStatus = 3;
constexpr std::size_t kMaxReason = 512;
constexpr std::size_t kMaxName = 256;
constexpr std::size_t kMaxValue = 8192;
constexpr std::size_t kMaxFields = 100;
// No line of a valid head is longer (name, colon, blanks, value).
constexpr std::size_t kMaxLine = kMaxName + kMaxValue + 1024;
// Empty lines tolerated before the status line.
constexpr int kMaxLeadingEmptyLines = 8;

bool blank(char c) { return c == ' ' || c == '\t'; }

// One line without its CR LF; false at the end of the stream (nothing read).
bool read_line(Poco::Net::HTTPSession& session, std::string* line, const char* too_long) {
  line->clear();
  int c = SessionIo::next_byte(session);
  if (c == kEof) return false;
  while (c != '\n') {
    if (line->size() >= kMaxLine) throw MessageException(too_long);
    line->push_back(static_cast<char>(c));
    c = SessionIo::next_byte(session);
    if (c == kEof) throw MessageException("the connection closed inside the response head");
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && Poco::icompare(a, b) == 0;
}

}  // namespace

void OrderedResponse::receive(Poco::Net::HTTPSession& session) {
  do {
    read_head(session);
  } while (status_ == 100);
}

void OrderedResponse::read_head(Poco::Net::HTTPSession& session) {
  status_ = 0;
  version_.clear();
  reason_.clear();
  fields_.clear();
  thread_local std::string line;

  // Status line: version, status code, reason (Poco's HTTPResponse::read).
  if (!read_line(session, &line, "HTTP reason string too long")) {
    throw Poco::Net::NoMessageException();
  }
  for (int skipped = 0; Poco::trim(line).empty(); ++skipped) {
    if (skipped == kMaxLeadingEmptyLines || !read_line(session, &line, "HTTP reason string too long")) {
      throw MessageException("No HTTP response header");
    }
  }
  std::size_t at = 0;
  while (at < line.size() && blank(line[at])) ++at;
  const std::size_t version_end = std::min(line.find_first_of(" \t", at), line.size());
  if (version_end - at > kMaxVersion || version_end == line.size()) {
    throw MessageException("Invalid HTTP version string");
  }
  version_.assign(line, at, version_end - at);
  at = version_end;
  while (at < line.size() && blank(line[at])) ++at;
  const std::size_t status_end = std::min(line.find_first_of(" \t", at), line.size());
  const std::string status(line, at, status_end - at);
  if (status.empty() || status.size() > kMaxStatus) throw MessageException("Invalid HTTP status code");
  if (status.find_first_not_of("0123456789") != std::string::npos) {
    throw Poco::SyntaxException("Not a valid integer", status);  // as Poco's setStatus
  }
  status_ = std::stoi(status);
  at = status_end;
  while (at < line.size() && blank(line[at])) ++at;
  if (line.size() - at > kMaxReason) throw MessageException("HTTP reason string too long");
  reason_.assign(line, at, std::string::npos);

  // Fields up to the empty line (Poco's MessageHeader::read).
  for (;;) {
    if (!read_line(session, &line, "Field value too long/no CRLF found")) {
      throw MessageException("the connection closed inside the response head");
    }
    if (line.empty()) return;
    if (blank(line[0]) && !fields_.empty()) {  // obsolete line folding
      std::string& value = fields_.back().second;
      const std::string more = Poco::trim(line);
      if (value.size() + 1 + more.size() > kMaxValue) {
        throw MessageException("Folded field value too long/no CRLF found");
      }
      value.append(" ").append(more);
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) {
      if (line.size() > kMaxName) throw MessageException("Field name too long/no colon found");
      continue;  // a line without a colon is ignored
    }
    if (colon > kMaxName) throw MessageException("Field name too long/no colon found");
    if (fields_.size() == kMaxFields) throw MessageException("Too many header fields");
    std::string value = Poco::trim(line.substr(colon + 1));
    if (value.size() > kMaxValue) throw MessageException("Field value too long/no CRLF found");
    fields_.emplace_back(Poco::trim(line.substr(0, colon)), std::move(value));
  }
}

const std::string& OrderedResponse::get(const std::string& name,
                                        const std::string& fallback) const {
  for (const auto& field : fields_) {
    if (iequals(field.first, name)) return field.second;
  }
  return fallback;
}

bool OrderedResponse::has(const std::string& name) const {
  for (const auto& field : fields_) {
    if (iequals(field.first, name)) return true;
  }
  return false;
}

bool OrderedResponse::keep_alive() const {
  static const std::string none;
  const std::string& connection = get("Connection", none);
  if (!connection.empty()) return Poco::icompare(connection, std::string("close")) != 0;
  return version_ == "HTTP/1.1";
}

}  // namespace coproc::http
