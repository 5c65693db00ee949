#include "gateway_answer.h"

#include <cctype>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timestamp.h>

namespace coproc::gateway {
namespace {

using Poco::Net::HTTPResponse;

bool iequals(const std::string& a, const char* b) {
  const std::size_t n = std::char_traits<char>::length(b);
  if (a.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

// The Date header's value (RFC 1123, as Poco's HTTPMessage::setDate),
// formatted once a second per thread.
const std::string& http_date(std::time_t now) {
  thread_local std::time_t second = -1;
  thread_local std::string text;
  if (now != second) {
    text = Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(now),
                                           Poco::DateTimeFormat::HTTP_FORMAT);
    second = now;
  }
  return text;
}

void add_header(std::string& out, const std::string& name, const std::string& value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

}  // namespace

bool hop_by_hop(const std::string& name) {
  for (const char* h : {"connection", "keep-alive", "transfer-encoding", "content-length", "te",
                        "trailer", "upgrade", "proxy-connection"}) {
    if (iequals(name, h)) return true;
  }
  return false;
}

std::string answer_bytes(const AnswerShape& shape, const Outcome& o, std::time_t now) {
  const std::string reason =
      HTTPResponse::getReasonForStatus(static_cast<HTTPResponse::HTTPStatus>(o.status));
  const bool own = o.worker_pid == 0 || !o.failure.empty();
  // The gateway's own answer: the status line says it; no internals.
  const std::string own_body = own ? std::to_string(o.status) + " " + reason + "\n" : "";
  const bool no_body = o.status == 204 || o.status == 304;
  const std::string& body = own ? own_body : o.body;
  const std::size_t length = no_body ? 0 : body.size();

  std::string out;
  out.reserve(160 + (shape.head ? 0 : length));
  out += shape.version;
  out += ' ';
  out += std::to_string(o.status);
  out += ' ';
  out += reason;
  out += "\r\n";
  add_header(out, "Date", http_date(now));
  add_header(out, "Connection", shape.keep_alive ? "Keep-Alive" : "Close");
  if (own) {
    add_header(out, "Content-Type", "text/plain; charset=utf-8");
  } else {
    for (const auto& [name, value] : o.headers) {
      if (!hop_by_hop(name)) add_header(out, name, value);
    }
  }
  add_header(out, "Content-Length", std::to_string(length));
  out += "\r\n";
  if (!shape.head && length > 0) out += body;
  return out;
}

}  // namespace coproc::gateway
