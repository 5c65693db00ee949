// Small helpers shared by the mail tests: building msgpack params by hand
// and reading results.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "raw_client.h"
#include "rpc_message.h"

namespace coproc::test {

/// A msgpack value written by a test: V::str("x"), V::list({...}), V::map({{"k", v}}).
struct V {
  enum Kind { nil, str, bin, integer, boolean, array, map_ } kind = nil;
  std::string s;
  std::int64_t i = 0;
  std::vector<V> items;
  std::vector<std::pair<std::string, V>> entries;

  static V text(std::string v) { V x; x.kind = str; x.s = std::move(v); return x; }
  static V bytes(std::string v) { V x; x.kind = bin; x.s = std::move(v); return x; }
  static V num(std::int64_t v) { V x; x.kind = integer; x.i = v; return x; }
  static V list(std::vector<V> v) { V x; x.kind = array; x.items = std::move(v); return x; }
  static V strings(const std::vector<std::string>& v) {
    V x; x.kind = array;
    for (const auto& s : v) x.items.push_back(text(s));
    return x;
  }
  static V map(std::vector<std::pair<std::string, V>> v) {
    V x; x.kind = map_; x.entries = std::move(v); return x;
  }

  template <class Packer>
  void msgpack_pack(Packer& pk) const {
    switch (kind) {
      case nil: pk.pack_nil(); break;
      case str: pk.pack(s); break;
      case bin: pk.pack_bin(static_cast<std::uint32_t>(s.size())); pk.pack_bin_body(s.data(), static_cast<std::uint32_t>(s.size())); break;
      case integer: pk.pack(i); break;
      case boolean: if (i) pk.pack_true(); else pk.pack_false(); break;
      case array:
        pk.pack_array(static_cast<std::uint32_t>(items.size()));
        for (const auto& v : items) v.msgpack_pack(pk);
        break;
      case map_:
        pk.pack_map(static_cast<std::uint32_t>(entries.size()));
        for (const auto& [k, v] : entries) { pk.pack(k); v.msgpack_pack(pk); }
        break;
    }
  }
};

/// `[map]`, the params of a call.
inline rpc::Packed params_of(const V& map) { return rpc::pack_value(V::list({map})); }

/// A string field of a result map ("" when missing).
inline std::string field(const msgpack::object& map, const std::string& key) {
  const msgpack::object* o = map_get(map, key);
  if (!o || o->type != msgpack::type::STR) return "";
  return o->as<std::string>();
}

inline std::int64_t int_field(const msgpack::object& map, const std::string& key) {
  const msgpack::object* o = map_get(map, key);
  if (!o) return -1;
  return o->as<std::int64_t>();
}

}  // namespace coproc::test
