// MessagePack-RPC messages, exactly as the specification defines them:
//   request      [0, msgid, method, params]
//   response     [1, msgid, error, result]
//   notification [2, method, params]
// Decoded messages keep the msgpack zone that owns their objects alive, so
// they can be moved to another thread and outlive the decoder's buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <msgpack.hpp>

#include "msgpack_writer.h"
#include "rpc_error.h"

namespace coproc::rpc {

enum class MessageType : int { request = 0, response = 1, notification = 2 };

using MsgId = std::uint32_t;

/// Owns the zone behind every msgpack::object of one decoded message.
using Storage = std::shared_ptr<const msgpack::object_handle>;

struct Request {
  MsgId msgid = 0;
  std::string method;
  msgpack::object params;  // an array; lives as long as `storage`
  Storage storage;
};

struct Response {
  MsgId msgid = 0;
  std::optional<RpcError> error;
  msgpack::object result;  // nil when error is set; lives as long as `storage`
  Storage storage;
};

struct Notification {
  std::string method;
  msgpack::object params;
  Storage storage;
};

/// A well-formed MessagePack value that is not a valid MessagePack-RPC
/// message. `msgid` is set when one could be read (a request of any length
/// with a valid msgid), so the peer can be told. `notification` is set for a
/// malformed notification (`[2, ...]`): it is dropped, nobody is told.
struct Invalid {
  std::optional<MsgId> msgid;
  RpcError error;
  bool notification = false;
};

using Message = std::variant<Request, Response, Notification, Invalid>;

/// Checks one decoded value against the three message shapes.
Message classify(msgpack::object_handle handle);

/// One already-encoded MessagePack value (a result or a params array).
struct Packed {
  std::string bytes;
};

/// Encodes any value msgpack-c can pack (including MSGPACK_DEFINE_MAP types).
template <class T>
Packed pack_value(const T& value) {
  Packed packed;
  StringWriter writer{&packed.bytes};
  msgpack::pack(writer, value);
  return packed;
}

namespace detail {
/// Runs a pack_with `fill`, handing it the output buffer when it asks for one.
template <class Fill>
void call_fill(Fill& fill, Packer& pk, std::string& bytes) {
  if constexpr (std::is_invocable_v<Fill&, Packer&>) {
    fill(pk);
  } else {
    fill(pk, bytes);
  }
}
}  // namespace detail

/// Encodes what `fill` packs: one value written piece by piece (a map whose
/// optional entries are left out when empty). `fill` takes `(Packer&)`, or
/// `(Packer&, std::string& bytes)` to append a value that is already packed.
template <class Fill>
Packed pack_with(Fill&& fill) {
  Packed packed;
  StringWriter writer{&packed.bytes};
  Packer pk(writer);
  detail::call_fill(fill, pk, packed.bytes);
  return packed;
}

/// Encodes params by the convention `[{...}]`: one map of `entries` named
/// arguments, packed by `fill` (as for pack_with).
template <class Fill>
Packed pack_params_map(std::uint32_t entries, Fill&& fill) {
  return pack_with([&](Packer& pk, std::string& bytes) {
    pk.pack_array(1);
    pk.pack_map(entries);
    detail::call_fill(fill, pk, bytes);
  });
}

/// Encodes `[{}]`, the params of a call without arguments.
Packed empty_params();

std::string encode_request(MsgId msgid, std::string_view method, const Packed& params);
std::string encode_notification(std::string_view method, const Packed& params);
/// [2, "sys.cancel", [{msgid}]]: asks the server to cancel call `msgid` of
/// the same connection (docs/protocol.md).
std::string encode_cancel(MsgId msgid);
std::string encode_result(MsgId msgid, const Packed& result);
std::string encode_error(MsgId msgid, const RpcError& error);

/// Reads `{code, name, message}`; anything else becomes an `internal` error
/// that says the peer sent a malformed error.
RpcError decode_error(const msgpack::object& error);

/// Human-readable type of a msgpack object ("string", "integer", ...).
const char* type_name(const msgpack::object& object);

}  // namespace coproc::rpc
