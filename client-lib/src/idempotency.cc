#include "idempotency.h"

#include <random>

#include <msgpack.hpp>

#include "msgpack_writer.h"

namespace coproc {
namespace {

constexpr std::string_view kKey = "idempotency_key";

}  // namespace

std::string new_idempotency_key() {
  std::random_device random;  // getrandom() on Linux, the OS generator on Windows
  static const char hex[] = "0123456789abcdef";
  std::string key;
  for (int i = 0; i < 4; ++i) {
    std::uint32_t v = random();
    for (int j = 0; j < 8; ++j, v >>= 4) key += hex[v & 15];
  }
  return key;
}

std::string with_idempotency_key(std::string_view packed_params) {
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(packed_params.data(), packed_params.size());
  } catch (const std::exception&) {
    return std::string(packed_params);
  }
  const msgpack::object& params = oh.get();
  if (params.type != msgpack::type::ARRAY || params.via.array.size > 1) {
    return std::string(packed_params);
  }
  const msgpack::object* map = params.via.array.size == 1 ? &params.via.array.ptr[0] : nullptr;
  if (map && map->type != msgpack::type::MAP) return std::string(packed_params);
  const std::uint32_t entries = map ? map->via.map.size : 0;
  for (std::uint32_t i = 0; i < entries; ++i) {
    const auto& k = map->via.map.ptr[i].key;
    if (k.type == msgpack::type::STR && std::string_view(k.via.str.ptr, k.via.str.size) == kKey) {
      return std::string(packed_params);  // the caller chose one
    }
  }
  std::string out;
  rpc::StringWriter w{&out};
  rpc::Packer pk(w);
  pk.pack_array(1);
  pk.pack_map(entries + 1);
  for (std::uint32_t i = 0; i < entries; ++i) {
    pk.pack(map->via.map.ptr[i].key);
    pk.pack(map->via.map.ptr[i].val);
  }
  pk.pack(kKey);
  pk.pack(new_idempotency_key());
  return out;
}

}  // namespace coproc
