#include "http_framing.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <Poco/Exception.h>
#include <Poco/String.h>

#include "http_session_io.h"
#include "rpc_error.h"

namespace coproc::http {
namespace {

constexpr std::size_t kBuffer = 64 * 1024;
// A chunk-size line with extensions, or one trailer field, longer than this
// is not a line we will buffer.
constexpr std::size_t kMaxLine = 8 * 1024;
constexpr std::size_t kMaxTrailerLines = 100;

bool is_digits(const std::string& s) {
  return !s.empty() && s.size() <= 19 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Every Content-Length value (repeated fields, and comma-separated lists in
// one field); all must be the same number (RFC 9112 section 6.3, item 5).
bool content_length(const OrderedResponse& response, const std::string& server,
                    std::uint64_t* length) {
  bool found = false;
  std::string first;
  for (const auto& [name, value] : response.in_order()) {
    if (Poco::icompare(name, std::string("Content-Length")) != 0) continue;
    std::size_t start = 0;
    for (;;) {
      const std::size_t comma = value.find(',', start);
      const std::string item = Poco::trim(value.substr(start, comma - start));
      if (!is_digits(item)) {
        throw RpcException(Errc::upstream, server + " sent an invalid Content-Length '" + value +
                                               "'");
      }
      const std::string normal = item.substr(std::min(item.find_first_not_of('0'), item.size() - 1));
      if (found && normal != first) {
        throw RpcException(Errc::upstream, server + " sent conflicting Content-Length values (" +
                                               first + " and " + normal + ")");
      }
      found = true;
      first = normal;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (found) *length = std::stoull(first);
  return found;
}

}  // namespace

Framing response_framing(const OrderedResponse& response, const std::string& method,
                         const std::string& server) {
  Framing f;
  const int status = response.status();
  if (status < 200) {
    f.reusable = false;
    return f;
  }
  if (method == "HEAD" || status == 204 || status == 304) return f;

  std::uint64_t length = 0;
  const bool has_length = content_length(response, server, &length);
  if (response.has("Transfer-Encoding")) {
    std::string codings;
    for (const auto& [name, value] : response.in_order()) {
      if (Poco::icompare(name, std::string("Transfer-Encoding")) == 0) {
        codings += (codings.empty() ? "" : ",") + value;
      }
    }
    const std::string last = Poco::toLower(Poco::trim(codings.substr(codings.rfind(',') + 1)));
    if (last != "chunked" || Poco::toLower(Poco::trim(codings)) != "chunked") {
      throw RpcException(Errc::upstream, server + " sent the unsupported Transfer-Encoding '" +
                                             codings + "'");
    }
    f.kind = Framing::Kind::chunked;
    // Transfer-Encoding with Content-Length: a sign of smuggling; the
    // connection is closed after this response (RFC 9112 section 6.3, 3).
    f.reusable = !has_length;
    return f;
  }
  if (has_length) {
    f.kind = length == 0 ? Framing::Kind::empty : Framing::Kind::length;
    f.length = length;
    return f;
  }
  f.kind = Framing::Kind::until_close;
  f.reusable = false;
  return f;
}

BodyBuf::BodyBuf(Poco::Net::HTTPSession& session, ReadAhead& ahead, Framing framing,
                 std::string server)
    : session_(session),
      ahead_(ahead),
      framing_(framing),
      server_(std::move(server)),
      // A small body known in advance gets a buffer of its size.
      buffer_size_(framing_.kind == Framing::Kind::length
                       ? static_cast<std::size_t>(std::min<std::uint64_t>(framing_.length, kBuffer))
                       : kBuffer),
      buffer_(new char[buffer_size_]) {
  complete_ = framing_.kind == Framing::Kind::empty;
}

void BodyBuf::rethrow_if_failed() const {
  if (error_) std::rethrow_exception(error_);
}

BodyBuf::int_type BodyBuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (complete_ || error_) return traits_type::eof();
  try {
    const std::size_t n = next(buffer_.get(), buffer_size_);
    if (n == 0) return traits_type::eof();
    setg(buffer_.get(), buffer_.get(), buffer_.get() + n);
    return traits_type::to_int_type(*gptr());
  } catch (...) {
    error_ = std::current_exception();
    return traits_type::eof();
  }
}

void BodyBuf::framing_error(const std::string& what) const {
  throw RpcException(Errc::upstream, "the response from " + server_ + " is malformed: " + what);
}

std::size_t BodyBuf::next(char* out, std::size_t size) {
  switch (framing_.kind) {
    case Framing::Kind::empty:
      return 0;
    case Framing::Kind::until_close: {
      const int n = ahead_.read(session_, out, static_cast<std::streamsize>(size));
      if (n <= 0) {
        complete_ = true;
        return 0;
      }
      raw_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
    case Framing::Kind::length: {
      const std::uint64_t left = framing_.length - raw_;
      const int n = ahead_.read(
          session_, out, static_cast<std::streamsize>(std::min<std::uint64_t>(size, left)));
      if (n <= 0) {
        framing_error("the connection closed after " + std::to_string(raw_) + " of " +
                      std::to_string(framing_.length) + " body bytes (Content-Length)");
      }
      raw_ += static_cast<std::uint64_t>(n);
      if (raw_ == framing_.length) complete_ = true;
      return static_cast<std::size_t>(n);
    }
    case Framing::Kind::chunked:
      return next_chunk_data(out, size);
  }
  return 0;
}

std::string BodyBuf::read_line(const char* what) {
  std::string line;
  for (;;) {
    char c = 0;
    if (ahead_.read(session_, &c, 1) <= 0) {
      framing_error(std::string("the connection closed inside ") + what + " after " +
                    std::to_string(raw_) + " body bytes (no last chunk)");
    }
    if (c == '\n') break;
    if (line.size() >= kMaxLine) framing_error(std::string(what) + " is too long");
    line += c;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::size_t BodyBuf::next_chunk_data(char* out, std::size_t size) {
  while (!in_chunk_ || chunk_left_ == 0) {
    if (in_chunk_) {
      // The CRLF that ends a chunk's data.
      if (!read_line("a chunk's end").empty()) framing_error("a chunk is longer than its size");
      in_chunk_ = false;
    }
    const std::string line = read_line("a chunk-size line");
    std::size_t digits = 0;
    while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits]))) ++digits;
    const std::string rest = line.substr(digits);
    const std::size_t ext = rest.find_first_not_of(" \t");
    if (digits == 0 || digits > 15 || (ext != std::string::npos && rest[ext] != ';')) {
      std::string shown;
      for (char c : line.substr(0, 40)) {
        shown += (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) ? '?' : c;
      }
      framing_error("the chunk-size line '" + shown + "' is not a hexadecimal size");
    }
    chunk_left_ = std::stoull(line.substr(0, digits), nullptr, 16);
    if (chunk_left_ == 0) {
      // The last chunk: trailer fields up to an empty line.
      for (std::size_t n = 0;; ++n) {
        if (n >= kMaxTrailerLines) framing_error("too many trailer fields");
        if (read_line("the trailer").empty()) break;
      }
      complete_ = true;
      return 0;
    }
    in_chunk_ = true;
  }
  const int n = ahead_.read(
      session_, out, static_cast<std::streamsize>(std::min<std::uint64_t>(size, chunk_left_)));
  if (n <= 0) {
    framing_error("the connection closed inside a chunk after " + std::to_string(raw_) +
                  " body bytes (no last chunk)");
  }
  chunk_left_ -= static_cast<std::uint64_t>(n);
  raw_ += static_cast<std::uint64_t>(n);
  return static_cast<std::size_t>(n);
}

void SessionIo::write_all(Poco::Net::HTTPSession& s, const char* data, std::size_t size) {
  // In slices an int can count; Poco's blocking sockets send each in full.
  constexpr std::size_t kSlice = 1 << 20;
  int (Poco::Net::HTTPSession::*write)(const char*, std::streamsize) = &SessionIo::write;
  while (size > 0) {
    const int n = (s.*write)(data, static_cast<std::streamsize>(std::min(size, kSlice)));
    if (n <= 0) throw Poco::IOException("the connection took no more of the request");
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

int ReadAhead::read(Poco::Net::HTTPSession& s, char* out, std::size_t n) {
  if (empty()) return SessionIo::read_some(s, out, static_cast<std::streamsize>(n));
  const std::size_t take = std::min(n, data.size() - at);
  std::memcpy(out, data.data() + at, take);
  at += take;
  return static_cast<int>(take);
}

bool session_is_drained(Poco::Net::HTTPSession& session, const ReadAhead& ahead) {
  try {
    return ahead.empty() && session.connected() && SessionIo::buffered_bytes(session) == 0;
  } catch (const Poco::Exception&) {
    return false;
  }
}

}  // namespace coproc::http
