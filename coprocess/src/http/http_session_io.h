// Byte-level access to a Poco HTTP session's connection, for the parts of
// an exchange done here instead of by Poco's message streams (the request
// head and body, the response head, the body framing): reads go through the
// session's own buffer, writes through the session (HTTPS included), and
// any socket error is thrown as Poco throws it. Not thread-safe.
#pragma once

#include <cstddef>
#include <ios>
#include <string>

#include <Poco/Net/HTTPSession.h>

namespace coproc::http {

// HTTPSession's reading and writing primitives are protected (meant for its
// stream buffers); this reaches them for any session.
struct SessionIo : Poco::Net::HTTPSession {
  /// Up to `n` bytes: what the session has buffered, or one receive; 0 at
  /// the end of the stream.
  static int read_some(Poco::Net::HTTPSession& s, char* out, std::streamsize n) {
    int (Poco::Net::HTTPSession::*fn)(char*, std::streamsize) = &SessionIo::read;
    return (s.*fn)(out, n);
  }
  /// The next byte, or EOF (std::char_traits<char>::eof()).
  static int next_byte(Poco::Net::HTTPSession& s) {
    int (Poco::Net::HTTPSession::*fn)() = &SessionIo::get;
    return (s.*fn)();
  }
  /// Bytes received and not read yet.
  static int buffered_bytes(Poco::Net::HTTPSession& s) {
    int (Poco::Net::HTTPSession::*fn)() const = &SessionIo::buffered;
    return (s.*fn)();
  }
  /// Sends all of `data`; throws Poco::IOException when the connection
  /// takes no more.
  static void write_all(Poco::Net::HTTPSession& s, const char* data, std::size_t size);
};

/// Bytes received past what has been parsed so far: the response head is
/// read in blocks, so the start of the body (or of whatever follows) may
/// already be here. Whoever reads next takes these first.
struct ReadAhead {
  std::string data;
  std::size_t at = 0;  // data[at..] is unread

  bool empty() const { return at == data.size(); }
  /// Up to `n` bytes: the read-ahead first, then SessionIo::read_some; 0 at
  /// the end of the stream.
  int read(Poco::Net::HTTPSession& s, char* out, std::size_t n);
};

}  // namespace coproc::http
