#include "ordered_response.h"

#include <string>

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>

namespace coproc::http {
namespace {

using Poco::Net::MessageException;

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
// Bytes asked of the session at a time (it buffers 4 KiB).
constexpr std::size_t kBlock = 4096;

bool blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (blank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && Poco::icompare(a, b) == 0;
}

}  // namespace

void OrderedResponse::receive(Poco::Net::HTTPSession& session, ReadAhead& ahead) {
  do {
    read_head(session, ahead);
  } while (status_ == 100);
}

void OrderedResponse::read_head(Poco::Net::HTTPSession& session, ReadAhead& ahead) {
  status_ = 0;
  version_.clear();
  reason_.clear();
  fields_.clear();
  fields_.reserve(16);
  if (ahead.empty()) {
    ahead.data.clear();
    ahead.at = 0;
  }
  std::string& data = ahead.data;
  bool status_seen = false;
  bool any_byte = !ahead.empty();
  int empty_lines = 0;
  std::size_t scanned = ahead.at;  // no line feed in data[ahead.at, scanned)
  for (;;) {
    const std::size_t feed = data.find('\n', scanned);
    if (feed == std::string::npos) {
      if (data.size() - ahead.at > kMaxLine) {
        throw MessageException(status_seen ? "Field value too long/no CRLF found"
                                           : "HTTP reason string too long");
      }
      scanned = data.size();
      char block[kBlock];
      const int n = SessionIo::read_some(session, block, kBlock);
      if (n > 0) data.append(block, static_cast<std::size_t>(n));
      if (n <= 0) {
        // A kept-alive connection the server closed says nothing at all.
        if (!any_byte) throw Poco::Net::NoMessageException();
        throw MessageException("the connection closed inside the response head");
      }
      any_byte = true;
      continue;
    }
    std::string_view line(data.data() + ahead.at, feed - ahead.at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ahead.at = feed + 1;
    scanned = ahead.at;
    if (!status_seen) {
      if (trim(line).empty()) {
        if (++empty_lines > kMaxLeadingEmptyLines) throw MessageException("No HTTP response header");
        continue;
      }
      parse_status_line(line);
      status_seen = true;
    } else if (line.empty()) {
      return;
    } else {
      parse_field_line(line);
    }
  }
}

// As Poco's HTTPResponse::read: version, status code, reason.
void OrderedResponse::parse_status_line(std::string_view line) {
  std::size_t at = 0;
  while (at < line.size() && blank(line[at])) ++at;
  const std::size_t version_end = std::min(line.find_first_of(" \t", at), line.size());
  if (version_end - at > kMaxVersion || version_end == line.size()) {
    throw MessageException("Invalid HTTP version string");
  }
  version_.assign(line.substr(at, version_end - at));
  at = version_end;
  while (at < line.size() && blank(line[at])) ++at;
  const std::size_t status_end = std::min(line.find_first_of(" \t", at), line.size());
  const std::string status(line.substr(at, status_end - at));
  if (status.empty() || status.size() > kMaxStatus) throw MessageException("Invalid HTTP status code");
  if (status.find_first_not_of("0123456789") != std::string::npos) {
    throw Poco::SyntaxException("Not a valid integer", status);  // as Poco's setStatus
  }
  status_ = std::stoi(status);
  at = status_end;
  while (at < line.size() && blank(line[at])) ++at;
  if (line.size() - at > kMaxReason) throw MessageException("HTTP reason string too long");
  reason_.assign(line.substr(at));
}

// As Poco's MessageHeader::read: "name: value", obsolete folding, limits.
void OrderedResponse::parse_field_line(std::string_view line) {
  if (blank(line[0]) && !fields_.empty()) {  // obsolete line folding
    std::string& value = fields_.back().second;
    const std::string_view more = trim(line);
    if (value.size() + 1 + more.size() > kMaxValue) {
      throw MessageException("Folded field value too long/no CRLF found");
    }
    value.append(" ").append(more);
    return;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    if (line.size() > kMaxName) throw MessageException("Field name too long/no colon found");
    return;  // a line without a colon is ignored
  }
  if (colon > kMaxName) throw MessageException("Field name too long/no colon found");
  if (fields_.size() == kMaxFields) throw MessageException("Too many header fields");
  const std::string_view value = trim(line.substr(colon + 1));
  if (value.size() > kMaxValue) throw MessageException("Field value too long/no CRLF found");
  // The name as sent: "Content-Length :" is not Content-Length (RFC 9112
  // section 5.1 forbids the blank; Poco kept it too, so such a field frames
  // nothing and the connection is not reused).
  fields_.emplace_back(std::string(line.substr(0, colon)), std::string(value));
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
