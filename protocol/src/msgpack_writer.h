// The one msgpack output buffer: a packer that appends to a std::string.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <msgpack.hpp>

namespace coproc::rpc {

/// The write() sink msgpack::packer needs, appending to `out` (not owned).
struct StringWriter {
  std::string* out;
  void write(const char* data, std::size_t size) { out->append(data, size); }
};

using Packer = msgpack::packer<StringWriter>;

/// Packs a str key followed by its value (a convenience for map entries).
template <class T>
void pack_entry(Packer& pk, std::string_view key, const T& value) {
  pk.pack(key);
  pk.pack(value);
}

/// Packs `key: *value` when the optional holds a value, nothing otherwise
/// (count it in the map's size with `has_value()`).
template <class T>
void pack_entry_if(Packer& pk, std::string_view key, const std::optional<T>& value) {
  if (value) pack_entry(pk, key, *value);
}

/// Packs raw bytes as msgpack bin.
inline void pack_bin(Packer& pk, const std::string& bytes) {
  pk.pack_bin(static_cast<std::uint32_t>(bytes.size()));
  pk.pack_bin_body(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
}

/// Packs `key: bin` (a body, an attachment's data).
inline void pack_bin_entry(Packer& pk, std::string_view key, const std::string& bytes) {
  pk.pack(key);
  pack_bin(pk, bytes);
}

/// The same, when the optional holds bytes.
inline void pack_bin_entry_if(Packer& pk, std::string_view key,
                              const std::optional<std::string>& bytes) {
  if (bytes) pack_bin_entry(pk, key, *bytes);
}

/// The text of a str or bin value; anything else throws msgpack::type_error
/// (the readers' callers turn it into bad_request or "malformed result").
inline std::string text_of(const msgpack::object& o) {
  if (o.type == msgpack::type::STR) return std::string(o.via.str.ptr, o.via.str.size);
  if (o.type == msgpack::type::BIN) return std::string(o.via.bin.ptr, o.via.bin.size);
  throw msgpack::type_error();
}

/// Packs HTTP headers as [[name, value], ...] (order and repeats kept):
/// http.request and the gateway share this shape.
inline void pack_header_pairs(Packer& pk,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  pk.pack_array(static_cast<std::uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    pk.pack_array(2);
    pk.pack(name);
    pk.pack(value);
  }
}

}  // namespace coproc::rpc
