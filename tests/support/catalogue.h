// protocol/catalogue/level<N>.txt, the frozen shape of a protocol level, and
// the shape of packed values in the same notation, so tests can compare
// what the code sends and serves with what old clients rely on.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "rpc_message.h"

namespace coproc::test {

struct CatalogueMethod {
  std::set<std::string> endpoints;  // "coprocess", "service"
  std::set<std::string> params;     // "key type", "list[].key type"
  std::set<std::string> result;
};

struct Catalogue {
  std::map<std::string, CatalogueMethod> methods;
  std::map<std::string, CatalogueMethod> notifications;  // params only
  std::map<std::string, int> errors;  // name -> code
};

/// Reads `path`; throws std::runtime_error naming the line that is wrong.
Catalogue load_catalogue(const std::string& path);

/// protocol/catalogue/level1.txt in the source tree.
std::string catalogue_path(int level);

/// The entries of one packed map: "key type", and "key[].sub type" for the
/// maps inside an array. Type names are rpc::type_name()'s.
std::set<std::string> shape_of_map(const std::string& packed_map);
/// The same for the one map in a packed params array (`[{...}]`).
std::set<std::string> shape_of_params(const rpc::Packed& params);

/// The methods an endpoint ("coprocess" or "service") serves at this level.
std::set<std::string> catalogued_methods(const Catalogue& c, const std::string& endpoint);

}  // namespace coproc::test
