// The arguments of http.request, validated before any connection is made:
// everything a caller can get wrong is a bad_request naming the parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config.h"
#include "params.h"

namespace coproc::http {

/// Defaults taken from the configuration (http.*).
struct HttpDefaults {
  std::int64_t timeout_ms = 30000;
  std::int64_t connect_timeout_ms = 10000;
  std::int64_t max_body_bytes = 64LL << 20;
  std::string ca_file;
  bool allow_https_downgrade = false;

  static HttpDefaults from_config(const Config& config);
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequestParams {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL, checked
  HeaderList headers;
  std::string body;
  bool has_body = false;
  std::int64_t timeout_ms = 0;          // whole request, redirects included
  std::int64_t connect_timeout_ms = 0;  // each TCP connect
  bool follow_redirects = true;
  int max_redirects = 10;
  bool verify_tls = true;
  std::string ca_file;  // http.ca_file (the administrator's); empty = the system store
  std::string ca_pem;   // the caller's CA certificates (PEM bytes); replaces ca_file
  std::int64_t max_body_bytes = 0;
  bool max_body_given = false;               // the caller set max_body_bytes
  std::optional<std::size_t> save_to_fd;     // index of a passed descriptor
};

/// Reads and checks the params of http.request. Throws
/// RpcException(bad_request) with a sentence naming what is wrong.
HttpRequestParams parse_http_request(const rpc::Params& params, const HttpDefaults& defaults);

/// Checks an absolute http(s) URL; throws bad_request. Used for redirects too.
void check_url(const std::string& url, const char* what);

/// True for methods a retry cannot duplicate (RFC 9110 idempotent methods).
bool is_idempotent(const std::string& method);

/// A header name is an RFC 9110 token; a value has no CR, LF or NUL.
bool valid_header_name(const std::string& name);
bool valid_header_value(const std::string& value);

}  // namespace coproc::http
