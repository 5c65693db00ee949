// An HTTP response head read straight from the session, with its header
// fields in the order they were received (Poco's HTTPResponse keeps fields
// with the same name together, so a second Set-Cookie moves next to the
// first; callers see the fields exactly as the server sent them).
//
// Read and parsed here rather than by Poco's HTTPResponse::read, which
// pulls the head through a stream one virtual call per byte and copies every
// field into a case-insensitive list map: that was about half of a
// kept-alive request's instructions (docs/benchmarks.md, http_bench).
// The limits and exceptions are Poco's.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPSession.h>

#include "http_session_io.h"

namespace coproc::http {

class OrderedResponse {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  /// Reads one response head from `ahead` and then `session`, in blocks;
  /// what follows the head's empty line is left in `ahead`. Throws Poco::Net::NoMessageException when
  /// the connection ends before the first byte (a kept-alive connection the
  /// server closed), Poco::Net::MessageException for a malformed head, and
  /// the session's own exceptions for socket errors. 100 Continue heads are
  /// skipped, as Poco's HTTPClientSession::receiveResponse does.
  void receive(Poco::Net::HTTPSession& session, ReadAhead& ahead);

  int status() const { return status_; }
  const std::string& reason() const { return reason_; }
  /// The header fields as received: values trimmed, obsolete line folding
  /// joined by a space; names exactly as sent.
  const Fields& in_order() const { return fields_; }
  /// The first field named `name` (any case), or `fallback`.
  const std::string& get(const std::string& name, const std::string& fallback) const;
  bool has(const std::string& name) const;
  /// The connection may carry another request: no "Connection: close", and
  /// HTTP/1.1 or an explicit keep-alive (Poco's HTTPMessage::getKeepAlive).
  bool keep_alive() const;

 private:
  void read_head(Poco::Net::HTTPSession& session, ReadAhead& ahead);
  void parse_status_line(std::string_view line);
  void parse_field_line(std::string_view line);

  int status_ = 0;
  std::string version_;
  std::string reason_;
  Fields fields_;
};

}  // namespace coproc::http
