// Builds the `[{...}]` params of an http.request call for tests, and reads
// fields of its result.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "rpc_message.h"

namespace coproc::test {

class HttpParams {
 public:
  explicit HttpParams(const std::string& url) { str("url", url); }
  HttpParams& str(const std::string& key, const std::string& value);
  HttpParams& bin(const std::string& key, const std::string& value);
  HttpParams& integer(const std::string& key, std::int64_t value);
  HttpParams& boolean(const std::string& key, bool value);
  /// Headers as a map.
  HttpParams& headers(const std::vector<std::pair<std::string, std::string>>& headers);
  /// Headers as an array of [name, value] pairs.
  HttpParams& header_pairs(const std::vector<std::pair<std::string, std::string>>& headers);
  rpc::Packed packed() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // key, packed value
};

/// Result field helpers (fail with a clear exception when missing).
const msgpack::object& field(const msgpack::object& map, const std::string& key);
std::string field_str(const msgpack::object& map, const std::string& key);  // str or bin
std::int64_t field_int(const msgpack::object& map, const std::string& key);
/// Value of the first header named `name` (case-insensitive) in result.headers, or "".
std::string header_of(const msgpack::object& result, const std::string& name);

}  // namespace coproc::test
