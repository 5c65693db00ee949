#include "params.h"

#include <algorithm>

#include "rpc_error.h"
#include "rpc_message.h"

namespace coproc::rpc {
namespace {

std::string_view view(const msgpack::object& o) {
  return std::string_view(o.via.str.ptr, o.via.str.size);
}

[[noreturn]] void wrong_type(std::string_view key, const char* expected,
                             const msgpack::object& got) {
  throw RpcException(Errc::bad_request, "parameter '" + std::string(key) + "' must be " +
                                            expected + ", got " + type_name(got));
}

}  // namespace

Params::Params(const msgpack::object& params) {
  if (params.type != msgpack::type::ARRAY) {
    throw RpcException(Errc::bad_request, "params must be an array");
  }
  if (params.via.array.size == 0) return;
  const msgpack::object& first = params.via.array.ptr[0];
  if (params.via.array.size != 1 || first.type != msgpack::type::MAP) {
    throw RpcException(Errc::bad_request,
                       "params must be an array holding one map of named arguments");
  }
  for (std::uint32_t i = 0; i < first.via.map.size; ++i) {
    if (first.via.map.ptr[i].key.type != msgpack::type::STR) {
      throw RpcException(Errc::bad_request, "argument names must be strings");
    }
  }
  map_ = &first;
}

const msgpack::object* Params::find(std::string_view key) const {
  if (!map_) return nullptr;
  for (std::uint32_t i = 0; i < map_->via.map.size; ++i) {
    const auto& kv = map_->via.map.ptr[i];
    if (view(kv.key) == key) {
      return kv.val.type == msgpack::type::NIL ? nullptr : &kv.val;
    }
  }
  return nullptr;
}

std::optional<std::string> Params::opt_str(std::string_view key) const {
  const msgpack::object* o = find(key);
  if (!o) return std::nullopt;
  if (o->type != msgpack::type::STR) wrong_type(key, "a string", *o);
  return std::string(view(*o));
}

std::string Params::str(std::string_view key) const {
  auto v = opt_str(key);
  if (!v) throw RpcException(Errc::bad_request, "parameter '" + std::string(key) + "' is required");
  return *v;
}

std::string Params::str_or(std::string_view key, std::string_view fallback) const {
  auto v = opt_str(key);
  return v ? *v : std::string(fallback);
}

std::optional<std::string> Params::opt_bytes(std::string_view key) const {
  const msgpack::object* o = find(key);
  if (!o) return std::nullopt;
  if (o->type == msgpack::type::STR) return std::string(view(*o));
  if (o->type == msgpack::type::BIN) return std::string(o->via.bin.ptr, o->via.bin.size);
  wrong_type(key, "a string or binary", *o);
}

std::int64_t Params::int_or(std::string_view key, std::int64_t fallback, std::int64_t min,
                            std::int64_t max) const {
  const msgpack::object* o = find(key);
  if (!o) return fallback;
  auto out_of_range = [&] {
    throw RpcException(Errc::bad_request, "parameter '" + std::string(key) + "' must be between " +
                                              std::to_string(min) + " and " + std::to_string(max));
  };
  std::int64_t v = 0;
  if (o->type == msgpack::type::POSITIVE_INTEGER) {
    if (max < 0 || o->via.u64 > static_cast<std::uint64_t>(max)) out_of_range();
    v = static_cast<std::int64_t>(o->via.u64);
  } else if (o->type == msgpack::type::NEGATIVE_INTEGER) {
    v = o->via.i64;
  } else {
    wrong_type(key, "an integer", *o);
  }
  if (v < min || v > max) out_of_range();
  return v;
}

bool Params::bool_or(std::string_view key, bool fallback) const {
  const msgpack::object* o = find(key);
  if (!o) return fallback;
  if (o->type != msgpack::type::BOOLEAN) wrong_type(key, "a boolean", *o);
  return o->via.boolean;
}

std::vector<std::string> Params::str_list(std::string_view key) const {
  const msgpack::object* o = find(key);
  std::vector<std::string> out;
  if (!o) return out;
  if (o->type == msgpack::type::STR) {
    out.emplace_back(view(*o));
    return out;
  }
  if (o->type != msgpack::type::ARRAY) wrong_type(key, "an array of strings", *o);
  for (std::uint32_t i = 0; i < o->via.array.size; ++i) {
    const auto& e = o->via.array.ptr[i];
    if (e.type != msgpack::type::STR) wrong_type(key, "an array of strings", e);
    out.emplace_back(view(e));
  }
  return out;
}

void Params::allow_only(std::initializer_list<std::string_view> known) const {
  allow_only(known.begin(), known.end());
}

void Params::allow_only(const std::string_view* begin, const std::string_view* end) const {
  if (!map_) return;
  for (std::uint32_t i = 0; i < map_->via.map.size; ++i) {
    auto key = view(map_->via.map.ptr[i].key);
    if (std::find(begin, end, key) == end) {
      throw RpcException(Errc::bad_request, "unknown parameter '" + std::string(key) + "'");
    }
  }
}

}  // namespace coproc::rpc
