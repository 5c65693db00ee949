// Follows the token structure of a MessagePack stream byte by byte, without
// buffering anything, so that sizes are checked when their header arrives:
// msgpack-c checks a string's or binary's length only once its payload is
// buffered (its unpack_limit), which lets a peer declare 16 MiB and trickle bytes
// into our memory. The scanner sees every byte before the unpacker does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpc_error.h"
#include "rpc_message.h"

namespace coproc::rpc {

struct DecodeLimits;

/// Not thread-safe; one per StreamDecoder. After a broken limit it stops
/// scanning and keeps the first error.
class SizeScanner {
 public:
  explicit SizeScanner(const DecodeLimits& limits);

  /// Scans the next `size` bytes of the stream. Returns false once a limit is
  /// broken (by these bytes or earlier ones).
  bool feed(const char* data, std::size_t size);

  bool failed() const { return failed_; }
  /// The broken limit, as the error to answer.
  const RpcError& error() const { return error_; }
  /// The msgid of the message that broke it, when its first bytes carry one.
  std::optional<MsgId> error_msgid() const { return error_msgid_; }
  /// Complete messages in the stream before the one that broke the limit.
  std::uint64_t messages_before_error() const { return messages_; }

  /// Bytes the unpacker reserves up front for the arrays and maps declared
  /// so far in the message being received (msgpack-c allocates a container's
  /// elements when its header arrives).
  std::size_t declared_container_bytes() const { return container_bytes_; }

 private:
  enum class State { type, length, skip };
  enum class Pending { none, str, bin, ext, array, map };

  void keep_prefix(const unsigned char* data, std::size_t size);
  void on_type(unsigned char byte);
  void on_length(std::uint64_t value);
  void begin_payload(std::uint64_t bytes);
  void begin_container(std::uint64_t entries, bool is_map);
  void value_done();
  void fail(Errc code, std::string message);

  const DecodeLimits& limits_;
  State state_ = State::type;
  Pending pending_ = Pending::none;
  int length_bytes_ = 0;        // State::length: bytes of the length still to read
  std::uint64_t length_ = 0;    // State::length: accumulated big-endian value
  std::uint64_t skip_ = 0;      // State::skip: payload bytes still to pass over
  std::vector<std::uint64_t> open_;  // values still expected by each open container
  std::uint64_t offset_ = 0;         // bytes of the current message seen so far
  std::size_t container_bytes_ = 0;
  std::array<char, 16> prefix_{};  // first bytes of the current message (for its msgid)
  std::size_t prefix_size_ = 0;
  std::uint64_t messages_ = 0;
  bool failed_ = false;
  RpcError error_;
  std::optional<MsgId> error_msgid_;
};

}  // namespace coproc::rpc
