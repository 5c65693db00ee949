// The typed params and result of http.request — the one definition the
// co-process, the C ABI, coprocctl and the protocol catalogue
// (protocol/catalogue/level1.txt) share.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "rpc_message.h"

namespace coproc::rpc {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// http.request params. Unset optionals are left out of the map, so the
/// co-process's configured defaults apply.
struct HttpRequestParams {
  std::string method = "GET";
  std::string url;
  HttpHeaders headers;                  // packed as [[name, value], ...]
  std::optional<std::string> body;      // packed as bin
  std::optional<std::int64_t> timeout_ms;
  std::optional<std::int64_t> connect_timeout_ms;
  std::optional<bool> follow_redirects;
  std::optional<std::int64_t> max_redirects;
  std::optional<bool> verify_tls;
  std::optional<std::string> ca_pem;  // PEM text of the CA certificates to trust
  std::optional<std::int64_t> max_body_bytes;
  std::optional<std::uint64_t> save_to_fd;  // index of a descriptor passed with the call
  static constexpr std::array<std::string_view, 12> kKeys{
      "method",        "url",           "headers",        "body",
      "timeout_ms",    "connect_timeout_ms", "follow_redirects", "max_redirects",
      "verify_tls",    "ca_pem",        "max_body_bytes", "save_to_fd"};
  /// Keys refused with a reason rather than as unknown.
  static constexpr std::array<std::string_view, 1> kRefusedKeys{"ca_file"};
};

/// `[{...}]`, the params array of http.request.
Packed pack_params(const HttpRequestParams& params);

/// http.request result: `body` when the response came back in the call,
/// `bytes_written` when it went to the passed descriptor.
struct HttpResponseResult {
  int status = 0;
  std::string reason;
  HttpHeaders headers;
  std::optional<std::string> body;
  std::optional<std::int64_t> bytes_written;
  std::string url;
  std::int64_t redirects = 0;
  std::int64_t elapsed_ms = 0;
};

Packed pack_result(const HttpResponseResult& result);

/// Reads a packed http.request result; false when it is not that shape.
bool read_result(std::string_view packed, HttpResponseResult* out);
/// The same from the decoded result.
bool read_result(const msgpack::object& result, HttpResponseResult* out);

}  // namespace coproc::rpc
