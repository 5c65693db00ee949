#include "result_fields.h"

#include <msgpack.hpp>

namespace coproc {

std::string string_field(std::string_view packed, std::string_view key) {
  msgpack::object_handle h;
  try {
    h = msgpack::unpack(packed.data(), packed.size());
  } catch (const std::exception&) {
    return "";
  }
  const msgpack::object& m = h.get();
  if (m.type != msgpack::type::MAP) return "";
  for (std::uint32_t i = 0; i < m.via.map.size; ++i) {
    const auto& kv = m.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR && kv.val.type == msgpack::type::STR &&
        std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
      return std::string(kv.val.via.str.ptr, kv.val.via.str.size);
    }
  }
  return "";
}

}  // namespace coproc
