// A streaming MessagePack decoder for untrusted input. Every limit is
// enforced before the decoder allocates for it (msgpack-c's defaults are
// unlimited, and a 5-byte header can ask for tens of GiB).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <msgpack.hpp>

#include "rpc_error.h"
#include "rpc_message.h"
#include "size_scanner.h"

namespace coproc::rpc {

/// Limits on one incoming message. All are configurable (see docs/configuration.md).
struct DecodeLimits {
  std::size_t max_message_bytes = 16u << 20;  // whole encoded message
  std::size_t max_depth = 32;                 // nesting of arrays and maps
  std::size_t max_array = 100000;             // elements of one array
  std::size_t max_map = 10000;                // pairs of one map
  std::size_t max_str = 16u << 20;            // bytes of one string
  std::size_t max_bin = 16u << 20;            // bytes of one binary
  std::size_t max_ext = 1024;                 // bytes of one extension value
};

/// Not thread-safe; one per connection. After next() returns `error` the
/// decoder stays failed: the stream cannot be resynchronised, close it.
/// Declared sizes are checked when their header arrives (SizeScanner), so a
/// peer that announces an oversized string is refused before it sends it.
class StreamDecoder {
 public:
  enum class Status { message, need_more, error };

  /// Starts with a `min_chunk` buffer (many idle connections stay cheap) and
  /// reads in chunks that grow up to `max_chunk` while a large message arrives.
  explicit StreamDecoder(const DecodeLimits& limits, std::size_t min_chunk = 2048,
                         std::size_t max_chunk = 65536);

  struct Buffer {
    char* data;
    std::size_t size;
  };
  /// Space for the next read: up to the current chunk size, never more than
  /// one byte past the message limit. Valid until the next call of any method.
  Buffer prepare();
  /// Declares that `n` bytes were written into the prepared buffer.
  void commit(std::size_t n);

  /// Decodes the next complete message, if any.
  Status next(msgpack::object_handle& out);

  /// Why next() returned `error`.
  const RpcError& error() const { return error_; }
  /// The msgid of the message that failed, when its first bytes carry one.
  std::optional<MsgId> error_msgid() const { return error_msgid_; }

  /// Bytes received but not yet returned as messages.
  std::size_t buffered() const { return unpacker_.nonparsed_size(); }

  /// Estimate of the memory this decoder holds for messages not yet
  /// returned: its read buffer, the copy of a partly received message in the
  /// unpacker's zone and the element arrays its containers declared.
  std::size_t held_bytes() const;

 private:
  Status fail(Errc code, std::string message);

  DecodeLimits limits_;
  SizeScanner scanner_;
  std::uint64_t messages_ = 0;  // messages returned by next()
  std::size_t min_chunk_;
  std::size_t max_chunk_;
  msgpack::unpacker unpacker_;
  std::string prefix_;        // first bytes of the message being decoded
  bool at_boundary_ = true;   // the next byte starts a new message
  bool failed_ = false;
  RpcError error_;
  std::optional<MsgId> error_msgid_;
};

/// Reads the msgid out of the first bytes of an encoded request
/// (`[0, msgid, ...`, an array of any length from two up), without decoding
/// the rest. Used to answer a request that is too large or malformed to
/// decode.
std::optional<MsgId> peek_request_msgid(const char* data, std::size_t size);

}  // namespace coproc::rpc
