#include "sync_rpc.h"

#include <cerrno>
#include <cstring>

#include "msgpack_writer.h"
#include "status.h"
#include "stream_decoder.h"

namespace coproc {
namespace {

const msgpack::object* map_find(const msgpack::object& map, std::string_view key) {
  if (map.type != msgpack::type::MAP) return nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR &&
        std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
      return &kv.val;
    }
  }
  return nullptr;
}

}  // namespace

std::string pack_object(const msgpack::object& object) {
  std::string out;
  rpc::StringWriter w{&out};
  msgpack::pack(w, object);
  return out;
}

std::int64_t map_int(const msgpack::object& map, std::string_view key, std::int64_t fallback) {
  const msgpack::object* v = map_find(map, key);
  if (!v) return fallback;
  if (v->type == msgpack::type::POSITIVE_INTEGER) return static_cast<std::int64_t>(v->via.u64);
  if (v->type == msgpack::type::NEGATIVE_INTEGER) return v->via.i64;
  return fallback;
}

std::string map_str(const msgpack::object& map, std::string_view key) {
  const msgpack::object* v = map_find(map, key);
  if (!v || v->type != msgpack::type::STR) return {};
  return std::string(v->via.str.ptr, v->via.str.size);
}

bool map_bool(const msgpack::object& map, std::string_view key, bool fallback) {
  const msgpack::object* v = map_find(map, key);
  if (!v || v->type != msgpack::type::BOOLEAN) return fallback;
  return v->via.boolean;
}

CallResult sync_call(int fd, rpc::MsgId msgid, std::string_view method, const rpc::Packed& params,
                     net::Clock::time_point deadline, const std::string& what) {
  CallResult sent = send_request(fd, msgid, method, params, deadline, what);
  if (!sent.ok()) return sent;
  rpc::StreamDecoder decoder = response_decoder();
  return await_response(fd, msgid, decoder, deadline, what);
}

CallResult send_request(int fd, rpc::MsgId msgid, std::string_view method,
                        const rpc::Packed& params, net::Clock::time_point deadline,
                        const std::string& what) {
  const std::string request = rpc::encode_request(msgid, method, params);
  const int err = net::send_all(fd, request, {}, deadline);
  if (err == ETIMEDOUT) return make_error(COPROC_E_TIMEOUT, what + ": timed out sending");
  if (err != 0) {
    return make_error(COPROC_E_CONNECTION_LOST, what + ": " + std::strerror(err));
  }
  CallResult r;
  r.status = COPROC_OK;
  return r;
}

rpc::StreamDecoder response_decoder() {
  rpc::DecodeLimits limits;
  limits.max_message_bytes = 1u << 20;
  return rpc::StreamDecoder(limits, 4096);
}

CallResult await_response(int fd, rpc::MsgId msgid, rpc::StreamDecoder& decoder,
                          net::Clock::time_point deadline, const std::string& what) {
  for (;;) {
    msgpack::object_handle oh;
    const auto st = decoder.next(oh);
    if (st == rpc::StreamDecoder::Status::error) {
      return make_error(COPROC_E_PROTOCOL, what + ": peer sent undecodable bytes (" +
                                               decoder.error().message + ")");
    }
    if (st == rpc::StreamDecoder::Status::message) {
      rpc::Message m = rpc::classify(std::move(oh));
      if (auto* inv = std::get_if<rpc::Invalid>(&m)) {
        return make_error(COPROC_E_PROTOCOL,
                          what + ": peer sent an invalid message (" + inv->error.message + ")");
      }
      auto* resp = std::get_if<rpc::Response>(&m);
      if (!resp || resp->msgid != msgid) continue;  // notifications, stray answers
      if (resp->error) {
        CallResult r = remote_error(resp->error->code, resp->error->name, resp->error->message);
        return r;
      }
      CallResult r;
      r.status = COPROC_OK;
      r.result = pack_object(resp->result);
      return r;
    }
    auto buf = decoder.prepare();
    int read_err = 0;
    const ssize_t n = net::recv_some(fd, buf.data, buf.size, deadline, &read_err);
    if (n == 0) return make_error(COPROC_E_CONNECTION_LOST, what + ": peer closed the connection");
    if (n < 0) {
      if (read_err == ETIMEDOUT) {
        return make_error(COPROC_E_TIMEOUT, what + ": no answer before the deadline");
      }
      return make_error(COPROC_E_CONNECTION_LOST, what + ": " + std::strerror(read_err));
    }
    decoder.commit(static_cast<std::size_t>(n));
  }
}

}  // namespace coproc
