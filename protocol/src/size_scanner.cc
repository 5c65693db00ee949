#include "size_scanner.h"

#include <algorithm>

#include "stream_decoder.h"

namespace coproc::rpc {
namespace {

}  // namespace

SizeScanner::SizeScanner(const DecodeLimits& limits) : limits_(limits) {}

void SizeScanner::fail(Errc code, std::string message) {
  failed_ = true;
  error_ = RpcError(code, std::move(message));
  error_msgid_ = peek_request_msgid(prefix_.data(), prefix_size_);
}

void SizeScanner::keep_prefix(const unsigned char* data, std::size_t size) {
  const std::size_t n = std::min(size, prefix_.size() - prefix_size_);
  std::copy(data, data + n, reinterpret_cast<unsigned char*>(prefix_.data()) + prefix_size_);
  prefix_size_ += n;
}

bool SizeScanner::feed(const char* data, std::size_t size) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  const unsigned char* end = p + size;
  while (p < end && !failed_) {
    if (offset_ == 0) prefix_size_ = 0;
    if (state_ == State::skip) {
      const std::size_t n = static_cast<std::size_t>(
          std::min<std::uint64_t>(skip_, static_cast<std::uint64_t>(end - p)));
      keep_prefix(p, n);
      p += n;
      offset_ += n;
      skip_ -= n;
      if (skip_ == 0) {
        state_ = State::type;
        value_done();
      }
      continue;
    }
    keep_prefix(p, 1);
    const unsigned char byte = *p++;
    ++offset_;
    if (state_ == State::type) {
      on_type(byte);
    } else {  // State::length
      length_ = (length_ << 8) | byte;
      if (--length_bytes_ == 0) on_length(length_);
    }
  }
  if (!failed_ && offset_ > limits_.max_message_bytes) {
    fail(Errc::too_large,
         "message is larger than " + std::to_string(limits_.max_message_bytes) + " bytes");
  }
  return !failed_;
}

void SizeScanner::on_type(unsigned char b) {
  auto read_length = [&](Pending what, int bytes) {
    pending_ = what;
    length_bytes_ = bytes;
    length_ = 0;
    state_ = State::length;
  };
  if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) return value_done();
  if (b <= 0x8f) return begin_container(b & 0x0f, true);
  if (b <= 0x9f) return begin_container(b & 0x0f, false);
  if (b <= 0xbf) {
    pending_ = Pending::str;
    return on_length(b & 0x1f);
  }
  switch (b) {
    case 0xc4: return read_length(Pending::bin, 1);
    case 0xc5: return read_length(Pending::bin, 2);
    case 0xc6: return read_length(Pending::bin, 4);
    case 0xc7: return read_length(Pending::ext, 1);
    case 0xc8: return read_length(Pending::ext, 2);
    case 0xc9: return read_length(Pending::ext, 4);
    case 0xca: return begin_payload(4);
    case 0xcb: return begin_payload(8);
    case 0xcc: case 0xd0: return begin_payload(1);
    case 0xcd: case 0xd1: return begin_payload(2);
    case 0xce: case 0xd2: return begin_payload(4);
    case 0xcf: case 0xd3: return begin_payload(8);
    case 0xd4: return begin_payload(1 + 1);  // fixext: type byte + data
    case 0xd5: return begin_payload(1 + 2);
    case 0xd6: return begin_payload(1 + 4);
    case 0xd7: return begin_payload(1 + 8);
    case 0xd8: return begin_payload(1 + 16);
    case 0xd9: return read_length(Pending::str, 1);
    case 0xda: return read_length(Pending::str, 2);
    case 0xdb: return read_length(Pending::str, 4);
    case 0xdc: return read_length(Pending::array, 2);
    case 0xdd: return read_length(Pending::array, 4);
    case 0xde: return read_length(Pending::map, 2);
    case 0xdf: return read_length(Pending::map, 4);
    default:  // 0xc1, never used
      return fail(Errc::bad_request, "malformed MessagePack: byte 0xc1 is never used");
  }
}

void SizeScanner::on_length(std::uint64_t n) {
  const Pending what = pending_;
  pending_ = Pending::none;
  state_ = State::type;
  // Messages are built only on failure: this runs for every string header.
  auto declared = [n] { return " (declares " + std::to_string(n) + ")"; };
  switch (what) {
    case Pending::str:
      if (n > limits_.max_str) {
        return fail(Errc::too_large, "a string is longer than " +
                                         std::to_string(limits_.max_str) + " bytes" + declared());
      }
      return begin_payload(n);
    case Pending::bin:
      if (n > limits_.max_bin) {
        return fail(Errc::too_large, "a binary is longer than " +
                                         std::to_string(limits_.max_bin) + " bytes" + declared());
      }
      return begin_payload(n);
    case Pending::ext:
      if (n > limits_.max_ext) {
        return fail(Errc::too_large, "an extension value is longer than " +
                                         std::to_string(limits_.max_ext) + " bytes" + declared());
      }
      return begin_payload(n + 1);  // type byte + data
    case Pending::array: return begin_container(n, false);
    case Pending::map: return begin_container(n, true);
    case Pending::none: return;
  }
}

void SizeScanner::begin_payload(std::uint64_t bytes) {
  if (bytes > limits_.max_message_bytes - std::min(offset_, limits_.max_message_bytes)) {
    return fail(Errc::too_large, "message is larger than " +
                                     std::to_string(limits_.max_message_bytes) +
                                     " bytes (a value declares " + std::to_string(bytes) + ")");
  }
  if (bytes == 0) return value_done();
  skip_ = bytes;
  state_ = State::skip;
}

void SizeScanner::begin_container(std::uint64_t entries, bool is_map) {
  auto declared = [entries] { return " (declares " + std::to_string(entries) + ")"; };
  if (is_map && entries > limits_.max_map) {
    return fail(Errc::too_large, "a map has more than " + std::to_string(limits_.max_map) +
                                     " entries" + declared());
  }
  if (!is_map && entries > limits_.max_array) {
    return fail(Errc::too_large, "an array has more than " + std::to_string(limits_.max_array) +
                                     " elements" + declared());
  }
  const std::uint64_t values = is_map ? 2 * entries : entries;
  // Every value takes at least one byte.
  if (values > limits_.max_message_bytes - std::min(offset_, limits_.max_message_bytes)) {
    return fail(Errc::too_large, "message is larger than " +
                                     std::to_string(limits_.max_message_bytes) +
                                     " bytes (a container declares " + std::to_string(entries) +
                                     " entries)");
  }
  if (entries == 0) return value_done();
  if (open_.size() >= limits_.max_depth) {
    return fail(Errc::too_large,
                "message nests deeper than " + std::to_string(limits_.max_depth) + " levels");
  }
  container_bytes_ += static_cast<std::size_t>(entries) *
                      (is_map ? sizeof(msgpack::object_kv) : sizeof(msgpack::object));
  open_.push_back(values);
}

void SizeScanner::value_done() {
  while (!open_.empty()) {
    if (--open_.back() > 0) return;
    open_.pop_back();
  }
  // A whole top-level value: the next byte starts a new message.
  ++messages_;
  offset_ = 0;
  container_bytes_ = 0;
}

}  // namespace coproc::rpc
