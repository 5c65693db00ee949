#include "rpc_message.h"

#include <limits>

#include "methods.h"
#include "sys_messages.h"

namespace coproc::rpc {
namespace {

std::optional<MsgId> read_msgid(const msgpack::object& o) {
  if (o.type == msgpack::type::POSITIVE_INTEGER &&
      o.via.u64 <= std::numeric_limits<MsgId>::max()) {
    return static_cast<MsgId>(o.via.u64);
  }
  return std::nullopt;
}

std::string_view as_view(const msgpack::object& o) {
  return std::string_view(o.via.str.ptr, o.via.str.size);
}

Invalid invalid(std::optional<MsgId> msgid, std::string message) {
  return Invalid{msgid, RpcError(Errc::bad_request, std::move(message))};
}

}  // namespace

const char* type_name(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "boolean";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER: return "integer";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "float";
    case msgpack::type::STR: return "string";
    case msgpack::type::BIN: return "binary";
    case msgpack::type::ARRAY: return "array";
    case msgpack::type::MAP: return "map";
    case msgpack::type::EXT: return "extension";
  }
  return "unknown";
}

Message classify(msgpack::object_handle handle) {
  const msgpack::object& o = handle.get();
  const bool is_array = o.type == msgpack::type::ARRAY;
  const std::uint32_t n = is_array ? o.via.array.size : 0;
  const msgpack::object* e = is_array ? o.via.array.ptr : nullptr;
  const bool typed = n >= 1 && e[0].type == msgpack::type::POSITIVE_INTEGER;
  // A request's msgid is readable whatever else is wrong: it gets an answer.
  const std::optional<MsgId> request_msgid =
      typed && e[0].via.u64 == 0 && n >= 2 ? read_msgid(e[1]) : std::nullopt;
  if (typed && e[0].via.u64 == 2 && (n != 3 || e[1].type != msgpack::type::STR ||
                                     e[2].type != msgpack::type::ARRAY)) {
    Invalid bad = invalid(std::nullopt, "a notification must be [2, method (string), params "
                                        "(array)], got " + std::to_string(n) + " elements");
    bad.notification = true;
    return bad;
  }
  if (!is_array || n < 3 || n > 4) {
    return invalid(request_msgid,
                   std::string("a message must be an array of 3 or 4 elements, got ") +
                       (is_array ? std::to_string(n) + " elements" : type_name(o)));
  }
  if (!typed || e[0].via.u64 > 2) {
    return invalid(n == 4 ? read_msgid(e[1]) : std::nullopt,
                   "message type must be 0 (request), 1 (response) or 2 (notification)");
  }
  auto storage = std::make_shared<const msgpack::object_handle>(std::move(handle));
  switch (static_cast<MessageType>(e[0].via.u64)) {
    case MessageType::request: {
      if (n != 4) return invalid(request_msgid, "a request must have 4 elements, got 3");
      auto msgid = read_msgid(e[1]);
      if (!msgid) return invalid(std::nullopt, "msgid must be an unsigned 32-bit integer");
      if (e[2].type != msgpack::type::STR) return invalid(msgid, "method must be a string");
      if (e[3].type != msgpack::type::ARRAY) return invalid(msgid, "params must be an array");
      return Request{*msgid, std::string(as_view(e[2])), e[3], std::move(storage)};
    }
    case MessageType::response: {
      if (n != 4) return invalid(std::nullopt, "a response must have 4 elements");
      auto msgid = read_msgid(e[1]);
      if (!msgid) return invalid(std::nullopt, "msgid must be an unsigned 32-bit integer");
      Response r{*msgid, std::nullopt, e[3], std::move(storage)};
      if (e[2].type != msgpack::type::NIL) r.error = decode_error(e[2]);
      return r;
    }
    case MessageType::notification:  // its shape was checked above
      return Notification{std::string(as_view(e[1])), e[2], std::move(storage)};
  }
  return invalid(std::nullopt, "unreachable message type");
}

RpcError decode_error(const msgpack::object& error) {
  RpcError out(Errc::internal, "peer sent a malformed error");
  if (error.type == msgpack::type::STR) {  // lenient: other msgpack-rpc servers send strings
    out.message = std::string(as_view(error));
    return out;
  }
  if (error.type != msgpack::type::MAP) return out;
  for (std::uint32_t i = 0; i < error.via.map.size; ++i) {
    const auto& kv = error.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR) continue;
    auto key = as_view(kv.key);
    if (key == "code" && kv.val.type == msgpack::type::POSITIVE_INTEGER) {
      out.code = static_cast<int>(kv.val.via.u64);
    } else if (key == "name" && kv.val.type == msgpack::type::STR) {
      out.name = std::string(as_view(kv.val));
    } else if (key == "message" && kv.val.type == msgpack::type::STR) {
      out.message = std::string(as_view(kv.val));
    }
  }
  if (out.name.empty()) out.name = errc_name(out.code);
  return out;
}

Packed empty_params() {
  Packed p;
  p.bytes = "\x91\x80";  // [ {} ]
  return p;
}

std::string encode_request(MsgId msgid, std::string_view method, const Packed& params) {
  std::string out;
  out.reserve(16 + method.size() + params.bytes.size());
  StringWriter w{&out};
  Packer pk(w);
  pk.pack_array(4);
  pk.pack(static_cast<int>(MessageType::request));
  pk.pack(msgid);
  pk.pack_str(static_cast<std::uint32_t>(method.size()));
  pk.pack_str_body(method.data(), static_cast<std::uint32_t>(method.size()));
  out += params.bytes;
  return out;
}

std::string encode_notification(std::string_view method, const Packed& params) {
  std::string out;
  StringWriter w{&out};
  Packer pk(w);
  pk.pack_array(3);
  pk.pack(static_cast<int>(MessageType::notification));
  pk.pack_str(static_cast<std::uint32_t>(method.size()));
  pk.pack_str_body(method.data(), static_cast<std::uint32_t>(method.size()));
  out += params.bytes;
  return out;
}

std::string encode_cancel(MsgId msgid) {
  return encode_notification(method::kCancel, pack_value(std::vector<CancelParams>{{msgid}}));
}

std::string encode_result(MsgId msgid, const Packed& result) {
  std::string out;
  out.reserve(8 + result.bytes.size());
  StringWriter w{&out};
  Packer pk(w);
  pk.pack_array(4);
  pk.pack(static_cast<int>(MessageType::response));
  pk.pack(msgid);
  pk.pack_nil();
  out += result.bytes.empty() ? std::string("\xc0", 1) : result.bytes;
  return out;
}

std::string encode_error(MsgId msgid, const RpcError& error) {
  std::string out;
  StringWriter w{&out};
  Packer pk(w);
  pk.pack_array(4);
  pk.pack(static_cast<int>(MessageType::response));
  pk.pack(msgid);
  pk.pack_map(3);
  pk.pack("code");
  pk.pack(error.code);
  pk.pack("name");
  pk.pack(error.name);
  pk.pack("message");
  pk.pack(error.message);
  pk.pack_nil();
  return out;
}

}  // namespace coproc::rpc
