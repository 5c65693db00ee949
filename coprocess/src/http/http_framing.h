// Where a response body ends (RFC 9112 section 6.3) and reading exactly that
// much from a Poco session. Poco's own body streams report a chunked body cut
// short, a chunk-size line that is not hex, or a Content-Length body closed
// early as an ordinary end of file, and leave whatever follows the body in
// the session's buffer for the next request; here every framing error is an
// `upstream` error, and the caller learns whether the connection ended
// exactly where the framing says (the only case in which it may be reused).
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <streambuf>
#include <string>

#include <Poco/Net/HTTPSession.h>

#include "http_session_io.h"
#include "ordered_response.h"

namespace coproc::http {

struct Framing {
  enum class Kind { empty, length, chunked, until_close };
  Kind kind = Kind::empty;
  std::uint64_t length = 0;  // for Kind::length
  /// The framing lets the connection carry another exchange afterwards
  /// (false for until_close, 1xx answers, and Transfer-Encoding together
  /// with Content-Length, after which RFC 9112 requires closing).
  bool reusable = true;
};

/// The framing of `response` to a request with `method`. Throws
/// RpcException(upstream) naming `server` for a Content-Length that is not a
/// number, several different Content-Length values, or a transfer coding
/// other than chunked.
Framing response_framing(const OrderedResponse& response, const std::string& method,
                         const std::string& server);

/// The body of one response, read from the session exactly as framed. A
/// framing error (end of stream before the body's end, a bad chunk) or any
/// I/O error ends the stream; rethrow_if_failed() then throws it: an
/// RpcException(upstream) for framing errors, the Poco exception otherwise.
/// Not thread-safe.
class BodyBuf : public std::streambuf {
 public:
  /// Reads `ahead` first, then the session.
  BodyBuf(Poco::Net::HTTPSession& session, ReadAhead& ahead, Framing framing, std::string server);
  BodyBuf(const BodyBuf&) = delete;
  BodyBuf& operator=(const BodyBuf&) = delete;

  /// The whole body was read and it ended exactly where the framing says.
  bool complete() const { return complete_; }
  /// Body bytes as sent (before any content decoding), chunk framing excluded.
  std::uint64_t raw_bytes() const { return raw_; }
  void rethrow_if_failed() const;

 protected:
  int_type underflow() override;

 private:
  std::size_t next(char* out, std::size_t size);  // 0 = end of body; throws
  std::size_t next_chunk_data(char* out, std::size_t size);
  std::string read_line(const char* what);
  [[noreturn]] void framing_error(const std::string& what) const;

  Poco::Net::HTTPSession& session_;
  ReadAhead& ahead_;
  const Framing framing_;
  const std::string server_;
  const std::size_t buffer_size_;
  std::unique_ptr<char[]> buffer_;
  std::uint64_t raw_ = 0;
  std::uint64_t chunk_left_ = 0;
  bool in_chunk_ = false;
  bool complete_ = false;
  std::exception_ptr error_;
};

/// True when nothing received waits on the session: no byte left in
/// `ahead` or in its buffer. A connection goes back to the pool only then.
/// Its socket is not polled here: the pool polls it when it hands the
/// connection out again (HttpPool::acquire), which also catches what
/// arrived meanwhile, so one poll(2) per request is enough.
bool session_is_drained(Poco::Net::HTTPSession& session, const ReadAhead& ahead);

}  // namespace coproc::http
