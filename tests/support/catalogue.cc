#include "catalogue.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace coproc::test {
namespace {

std::string text(const msgpack::object& o) { return std::string(o.via.str.ptr, o.via.str.size); }

void add_entries(const msgpack::object& map, const std::string& prefix, std::set<std::string>* out) {
  if (map.type != msgpack::type::MAP) {
    throw std::runtime_error(std::string("expected a map, got ") + rpc::type_name(map));
  }
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    const std::string key = prefix + text(kv.key);
    out->insert(key + " " + rpc::type_name(kv.val));
    if (kv.val.type == msgpack::type::ARRAY && kv.val.via.array.size > 0 &&
        kv.val.via.array.ptr[0].type == msgpack::type::MAP) {
      add_entries(kv.val.via.array.ptr[0], key + "[].", out);
    }
  }
}

}  // namespace

std::string catalogue_path(int level) {
  return std::string(COPROC_SOURCE_DIR) + "/protocol/catalogue/level" + std::to_string(level) +
         ".txt";
}

Catalogue load_catalogue(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  Catalogue c;
  CatalogueMethod* current = nullptr;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string where = path + ":" + std::to_string(n);
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string kind, name, type;
    words >> kind >> name;
    if (kind == "method" || kind == "notification") {
      current = &(kind == "method" ? c.methods : c.notifications)[name];
      for (std::string endpoint; words >> endpoint;) current->endpoints.insert(endpoint);
      if (current->endpoints.empty()) throw std::runtime_error(where + ": method without endpoints");
    } else if (kind == "param" || kind == "result") {
      if (!current || !(words >> type)) throw std::runtime_error(where + ": '" + line + "'");
      (kind == "param" ? current->params : current->result).insert(name + " " + type);
    } else if (kind == "error") {
      int code = 0;
      if (!(words >> code)) throw std::runtime_error(where + ": error without a code");
      c.errors[name] = code;
    } else {
      throw std::runtime_error(where + ": unknown entry '" + kind + "'");
    }
  }
  return c;
}

std::set<std::string> shape_of_map(const std::string& packed_map) {
  msgpack::object_handle h = msgpack::unpack(packed_map.data(), packed_map.size());
  std::set<std::string> out;
  add_entries(h.get(), "", &out);
  return out;
}

std::set<std::string> shape_of_params(const rpc::Packed& params) {
  msgpack::object_handle h = msgpack::unpack(params.bytes.data(), params.bytes.size());
  const msgpack::object& array = h.get();
  if (array.type != msgpack::type::ARRAY || array.via.array.size != 1) {
    throw std::runtime_error("params must be [map]");
  }
  std::set<std::string> out;
  add_entries(array.via.array.ptr[0], "", &out);
  return out;
}

std::set<std::string> catalogued_methods(const Catalogue& c, const std::string& endpoint) {
  std::set<std::string> out;
  for (const auto& [name, m] : c.methods) {
    if (m.endpoints.count(endpoint)) out.insert(name);
  }
  return out;
}

}  // namespace coproc::test
