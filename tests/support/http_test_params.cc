#include "http_test_params.h"

#include <strings.h>

#include <stdexcept>

#include "raw_client.h"

namespace coproc::test {
namespace {

template <class F>
std::string pack_with(F&& f) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  f(pk);
  return std::string(buffer.data(), buffer.size());
}

}  // namespace

HttpParams& HttpParams::str(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, pack_with([&](auto& pk) { pk.pack(value); }));
  return *this;
}

HttpParams& HttpParams::bin(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, pack_with([&](auto& pk) {
                         pk.pack_bin(static_cast<std::uint32_t>(value.size()));
                         pk.pack_bin_body(value.data(), static_cast<std::uint32_t>(value.size()));
                       }));
  return *this;
}

HttpParams& HttpParams::integer(const std::string& key, std::int64_t value) {
  fields_.emplace_back(key, pack_with([&](auto& pk) { pk.pack(value); }));
  return *this;
}

HttpParams& HttpParams::boolean(const std::string& key, bool value) {
  fields_.emplace_back(key, pack_with([&](auto& pk) { pk.pack(value); }));
  return *this;
}

HttpParams& HttpParams::headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  fields_.emplace_back("headers", pack_with([&](auto& pk) {
                         pk.pack_map(static_cast<std::uint32_t>(headers.size()));
                         for (const auto& [n, v] : headers) {
                           pk.pack(n);
                           pk.pack(v);
                         }
                       }));
  return *this;
}

HttpParams& HttpParams::header_pairs(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  fields_.emplace_back("headers", pack_with([&](auto& pk) {
                         pk.pack_array(static_cast<std::uint32_t>(headers.size()));
                         for (const auto& [n, v] : headers) {
                           pk.pack_array(2);
                           pk.pack(n);
                           pk.pack(v);
                         }
                       }));
  return *this;
}

rpc::Packed HttpParams::packed() const {
  rpc::Packed out;
  out.bytes = pack_with([&](auto& pk) {
    pk.pack_array(1);
    pk.pack_map(static_cast<std::uint32_t>(fields_.size()));
  });
  for (const auto& [key, value] : fields_) {
    out.bytes += pack_with([&](auto& pk) { pk.pack(key); });
    out.bytes += value;
  }
  return out;
}

const msgpack::object& field(const msgpack::object& map, const std::string& key) {
  const msgpack::object* o = map_get(map, key);
  if (!o) throw std::runtime_error("result has no field '" + key + "'");
  return *o;
}

std::string field_str(const msgpack::object& map, const std::string& key) {
  const msgpack::object& o = field(map, key);
  if (o.type == msgpack::type::BIN) return std::string(o.via.bin.ptr, o.via.bin.size);
  return o.as<std::string>();
}

std::int64_t field_int(const msgpack::object& map, const std::string& key) {
  return field(map, key).as<std::int64_t>();
}

std::string header_of(const msgpack::object& result, const std::string& name) {
  const msgpack::object& headers = field(result, "headers");
  for (std::uint32_t i = 0; i < headers.via.array.size; ++i) {
    const auto& pair = headers.via.array.ptr[i];
    const auto n = pair.via.array.ptr[0].as<std::string>();
    if (::strcasecmp(n.c_str(), name.c_str()) == 0) return pair.via.array.ptr[1].as<std::string>();
  }
  return "";
}

}  // namespace coproc::test
