#include "stream_decoder.h"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace coproc::rpc {
namespace {

constexpr std::size_t kPrefixBytes = 16;

// str/bin are copied into the zone so decoded messages do not point into
// the decoder's buffer (they travel to worker threads).
bool never_reference(msgpack::type::object_type, std::size_t, void*) { return false; }

std::uint64_t be(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

std::optional<MsgId> peek_request_msgid(const char* data, std::size_t size) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  const unsigned char* end = p + size;
  auto need = [&](std::size_t n) { return static_cast<std::size_t>(end - p) >= n; };
  // Array header with at least the type and the msgid (a request has four
  // elements; one with another count still gets its error answered).
  if (!need(1)) return std::nullopt;
  if (*p >= 0x92 && *p <= 0x9f) {
    p += 1;
  } else if (*p == 0xdc && need(3) && be(p + 1, 2) >= 2) {
    p += 3;
  } else if (*p == 0xdd && need(5) && be(p + 1, 4) >= 2) {
    p += 5;
  } else {
    return std::nullopt;
  }
  // Message type 0 (request), as positive fixint.
  if (!need(1) || *p != 0x00) return std::nullopt;
  p += 1;
  if (!need(1)) return std::nullopt;
  const unsigned char tag = *p++;
  std::uint64_t id = 0;
  if (tag <= 0x7f) {
    id = tag;
  } else if (tag == 0xcc || tag == 0xcd || tag == 0xce || tag == 0xcf) {
    int n = 1 << (tag - 0xcc);
    if (!need(static_cast<std::size_t>(n))) return std::nullopt;
    id = be(p, n);
  } else if (tag == 0xd0 || tag == 0xd1 || tag == 0xd2 || tag == 0xd3) {
    int n = 1 << (tag - 0xd0);
    if (!need(static_cast<std::size_t>(n)) || (p[0] & 0x80)) return std::nullopt;
    id = be(p, n);
  } else {
    return std::nullopt;
  }
  if (id > std::numeric_limits<MsgId>::max()) return std::nullopt;
  return static_cast<MsgId>(id);
}

StreamDecoder::StreamDecoder(const DecodeLimits& limits, std::size_t min_chunk,
                             std::size_t max_chunk)
    : limits_(limits),
      scanner_(limits_),
      min_chunk_(std::max<std::size_t>(min_chunk, 64)),
      max_chunk_(std::max(max_chunk, min_chunk_)),
      unpacker_(&never_reference, nullptr, std::min(min_chunk_, limits.max_message_bytes + 1),
                msgpack::unpack_limit(limits.max_array, limits.max_map, limits.max_str,
                                      limits.max_bin, limits.max_ext, limits.max_depth)) {}

StreamDecoder::Buffer StreamDecoder::prepare() {
  // Never accept more than one byte past the limit for the current message:
  // that byte is enough to know the limit is broken.
  const std::size_t used = unpacker_.message_size();
  const std::size_t room =
      used > limits_.max_message_bytes ? 1 : limits_.max_message_bytes - used + 1;
  const std::size_t chunk = std::clamp(used, min_chunk_, max_chunk_);
  const std::size_t want = std::min(room, chunk);
  unpacker_.reserve_buffer(want);
  return Buffer{unpacker_.buffer(), std::min(unpacker_.buffer_capacity(), want)};
}

void StreamDecoder::commit(std::size_t n) {
  scanner_.feed(unpacker_.buffer(), n);
  unpacker_.buffer_consumed(n);
}

std::size_t StreamDecoder::held_bytes() const {
  const std::size_t partial = unpacker_.message_size();
  return partial + unpacker_.buffer_capacity() + partial + scanner_.declared_container_bytes();
}

StreamDecoder::Status StreamDecoder::fail(Errc code, std::string message) {
  failed_ = true;
  error_ = RpcError(code, std::move(message));
  error_msgid_ = peek_request_msgid(prefix_.data(), prefix_.size());
  return Status::error;
}

StreamDecoder::Status StreamDecoder::next(msgpack::object_handle& out) {
  if (failed_) return Status::error;
  if (scanner_.failed() && messages_ == scanner_.messages_before_error()) {
    // Refused at its header: the rest of the message is never buffered.
    failed_ = true;
    error_ = scanner_.error();
    error_msgid_ = scanner_.error_msgid();
    return Status::error;
  }
  if (unpacker_.nonparsed_size() == 0) return Status::need_more;
  // Keep the first bytes of each message: after a failure they may still
  // tell us which request to answer.
  if (at_boundary_) prefix_.clear();
  if (prefix_.size() < kPrefixBytes) {
    const std::size_t take = std::min(kPrefixBytes - prefix_.size(), unpacker_.nonparsed_size());
    prefix_.append(unpacker_.nonparsed_buffer(), take);
  }
  at_boundary_ = false;
  try {
    if (unpacker_.next(out)) {
      at_boundary_ = true;
      ++messages_;
      return Status::message;
    }
  } catch (const msgpack::size_overflow& e) {
    // SizeScanner refuses every oversized value before the unpacker sees it;
    // this is the unpacker's own limit, kept as a second line.
    return fail(Errc::too_large, std::string("a size limit was exceeded: ") + e.what());
  } catch (const msgpack::unpack_error& e) {
    return fail(Errc::bad_request, std::string("malformed MessagePack: ") + e.what());
  } catch (const std::bad_alloc&) {
    return fail(Errc::too_large, "message needs more memory than allowed");
  }
  return Status::need_more;
}

}  // namespace coproc::rpc
