// The bytes of an HTTP answer of the gateway: the status line, Date,
// Connection, the worker's headers (names and values checked at
// gateway.reply; hop-by-hop ones dropped), Content-Length and the body,
// byte for byte what Poco's HTTPResponse::write and
// HTTPServerResponseImpl::sendBuffer send for the same answer
// (gateway_answer_test.cc compares the two), in one buffer: one write for a
// small answer. Requests are parsed by Poco (gateway_connection.cc); this
// only formats, without Poco's header map, stream and date formatter per
// answer (about 13 000 instructions of each request's 60 000 in the
// co-process, callgrind).
//
// Thread-safety: answer_bytes may be called from any thread.
#pragma once

#include <ctime>
#include <string>

#include "gateway_broker.h"

namespace coproc::gateway {

/// How an answer to one request is sent.
struct AnswerShape {
  std::string version;     // the request's, e.g. "HTTP/1.1"
  bool keep_alive = false;  // "Connection: Keep-Alive", else "Connection: Close"
  bool head = false;        // a HEAD request: the body's length, not the body
};

/// The whole answer to `o`. The gateway's own answers (no worker, or a
/// failure) carry only their status line's text; 204 and 304 no body.
/// `now`: the Date header's second.
std::string answer_bytes(const AnswerShape& shape, const Outcome& o,
                         std::time_t now = std::time(nullptr));

/// Headers about this hop, which the gateway sets itself (case-insensitive).
bool hop_by_hop(const std::string& name);

}  // namespace coproc::gateway
