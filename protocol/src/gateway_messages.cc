#include "gateway_messages.h"

#include "msgpack_writer.h"
#include "rpc_error.h"

namespace coproc::rpc {
namespace {

[[noreturn]] void bad(const std::string& message) {
  throw RpcException(Errc::bad_request, message);
}

bool token_char(unsigned char c) {
  return c > 32 && c < 127 && c != ':' && c != '(' && c != ')' && c != ',' && c != ';' &&
         c != '<' && c != '>' && c != '@' && c != '[' && c != ']' && c != '\\' && c != '"' &&
         c != '/' && c != '?' && c != '=' && c != '{' && c != '}';
}

// [[name, value], ...] with names that are HTTP tokens and values without
// CR, LF or NUL: a worker cannot split the response it answers.
GatewayHeaders read_headers(const msgpack::object& o) {
  if (o.type != msgpack::type::ARRAY) {
    bad(std::string("parameter 'headers' must be an array of [name, value] pairs, got ") +
        type_name(o));
  }
  GatewayHeaders out;
  for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
    const auto& pair = o.via.array.ptr[i];
    if (pair.type != msgpack::type::ARRAY || pair.via.array.size != 2 ||
        pair.via.array.ptr[0].type != msgpack::type::STR ||
        pair.via.array.ptr[1].type != msgpack::type::STR) {
      bad("parameter 'headers' element " + std::to_string(i) +
          " must be a [name, value] pair of strings");
    }
    std::string name = text_of(pair.via.array.ptr[0]);
    std::string value = text_of(pair.via.array.ptr[1]);
    bool ok = !name.empty();
    for (unsigned char c : name) ok = ok && token_char(c);
    if (!ok) bad("header name '" + name + "' is not a valid HTTP token");
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      bad("the value of header '" + name + "' contains CR, LF or NUL");
    }
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

const msgpack::object& field(const msgpack::object& map, std::string_view key) {
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR &&
        std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
      return kv.val;
    }
  }
  throw msgpack::type_error();
}

// {queue, timeout_ms}: gateway.next's map, also the `next` of gateway.reply.
void pack_next_map(Packer& pk, const GatewayNextParams& p) {
  pk.pack_map(p.queue.empty() ? 1 : 2);
  if (!p.queue.empty()) pack_entry(pk, "queue", p.queue);
  pack_entry(pk, "timeout_ms", p.timeout_ms);
}

}  // namespace

Packed pack_params(const GatewayNextParams& p) {
  return pack_with([&](Packer& pk) {
    pk.pack_array(1);
    pack_next_map(pk, p);
  });
}

Packed pack_params(const GatewayReplyParams& p) {
  return pack_params_map(p.next ? 5 : 4, [&](Packer& pk) {
    pack_entry(pk, "request_id", p.request_id);
    pack_entry(pk, "status", p.status);
    pk.pack("headers");
    pack_header_pairs(pk, p.headers);
    pack_bin_entry(pk, "body", p.body);
    if (p.next) {
      pk.pack("next");
      pack_next_map(pk, *p.next);
    }
  });
}

Packed pack_result(const GatewayRequest* r) {
  return pack_with([&](Packer& pk) {
    if (!r) {
      pk.pack_nil();
      return;
    }
    pk.pack_map(8);
    pack_entry(pk, "request_id", r->request_id);
    pack_entry(pk, "method", r->method);
    pack_entry(pk, "path", r->path);
    pack_entry(pk, "query", r->query);
    pk.pack("headers");
    pack_header_pairs(pk, r->headers);
    pack_bin_entry(pk, "body", r->body);
    pack_entry(pk, "remote_addr", r->remote_addr);
    pack_entry(pk, "queue", r->queue);
  });
}

GatewayNextParams read_gateway_next(const Params& params) {
  params.allow_only(GatewayNextParams::kKeys);
  GatewayNextParams p;
  p.queue = params.str_or("queue", "");
  p.timeout_ms = params.int_or("timeout_ms", p.timeout_ms, 0, GatewayNextParams::kMaxTimeoutMs);
  return p;
}

GatewayReplyParams read_gateway_reply(const Params& params) {
  params.allow_only(GatewayReplyParams::kKeys);
  GatewayReplyParams p;
  p.request_id = params.str("request_id");
  p.status = static_cast<int>(params.int_or("status", 200, 200, 599));
  if (const msgpack::object* h = params.find("headers")) p.headers = read_headers(*h);
  p.body = params.opt_bytes("body").value_or("");
  if (const msgpack::object* next = params.find("next")) {
    if (next->type != msgpack::type::MAP) {
      bad(std::string("parameter 'next' must be a map {queue, timeout_ms}, got ") + type_name(*next));
    }
    // The same reader as gateway.next's own params, given as `[next]`.
    msgpack::zone zone;
    const msgpack::object wrapped(std::vector<msgpack::object>{*next}, zone);
    p.next = read_gateway_next(Params(wrapped));
  }
  return p;
}

bool read_result(const msgpack::object& o, GatewayRequest* out) {
  if (o.type == msgpack::type::NIL) return false;
  if (o.type != msgpack::type::MAP) throw msgpack::type_error();
  out->request_id = text_of(field(o, "request_id"));
  out->method = text_of(field(o, "method"));
  out->path = text_of(field(o, "path"));
  out->query = text_of(field(o, "query"));
  out->body = text_of(field(o, "body"));
  out->remote_addr = text_of(field(o, "remote_addr"));
  out->queue = text_of(field(o, "queue"));
  const auto& h = field(o, "headers");
  if (h.type != msgpack::type::ARRAY) throw msgpack::type_error();
  out->headers.clear();
  for (std::uint32_t i = 0; i < h.via.array.size; ++i) {
    const auto& pair = h.via.array.ptr[i];
    if (pair.type != msgpack::type::ARRAY || pair.via.array.size != 2) {
      throw msgpack::type_error();
    }
    out->headers.emplace_back(text_of(pair.via.array.ptr[0]), text_of(pair.via.array.ptr[1]));
  }
  return true;
}

}  // namespace coproc::rpc
