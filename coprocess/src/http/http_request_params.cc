#include "http_request_params.h"

#include <algorithm>
#include <cctype>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "http_messages.h"
#include "rpc_error.h"
#include "rpc_message.h"

namespace coproc::http {
namespace {

constexpr std::size_t kMaxCaPem = 1 << 20;

[[noreturn]] void bad(const std::string& message) {
  throw RpcException(Errc::bad_request, message);
}

std::string as_string(const msgpack::object& o, const char* what) {
  if (o.type == msgpack::type::STR) return std::string(o.via.str.ptr, o.via.str.size);
  if (o.type == msgpack::type::BIN) return std::string(o.via.bin.ptr, o.via.bin.size);
  bad(std::string(what) + " must be a string, got " + rpc::type_name(o));
}

void add_header(HeaderList& out, std::string name, std::string value) {
  if (!valid_header_name(name)) {
    bad("header name '" + name + "' is not a valid HTTP token (no spaces, CR, LF or ':')");
  }
  if (!valid_header_value(value)) {
    bad("the value of header '" + name + "' contains CR, LF or NUL");
  }
  out.emplace_back(std::move(name), std::move(value));
}

HeaderList read_headers(const msgpack::object& o) {
  HeaderList out;
  if (o.type == msgpack::type::MAP) {
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      add_header(out, as_string(kv.key, "a header name"), as_string(kv.val, "a header value"));
    }
    return out;
  }
  if (o.type != msgpack::type::ARRAY) {
    bad(std::string("parameter 'headers' must be a map or an array of [name, value] pairs, got ") +
        rpc::type_name(o));
  }
  for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
    const auto& pair = o.via.array.ptr[i];
    if (pair.type != msgpack::type::ARRAY || pair.via.array.size != 2) {
      bad("parameter 'headers' element " + std::to_string(i) + " must be a [name, value] pair");
    }
    add_header(out, as_string(pair.via.array.ptr[0], "a header name"),
               as_string(pair.via.array.ptr[1], "a header value"));
  }
  return out;
}

bool iequals(const std::string& a, const char* b) {
  std::size_t n = std::char_traits<char>::length(b);
  if (a.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

HttpDefaults HttpDefaults::from_config(const Config& config) {
  HttpDefaults d;
  d.timeout_ms = config.integer("http.timeout_ms");
  d.connect_timeout_ms = config.integer("http.connect_timeout_ms");
  d.max_body_bytes = config.integer("http.max_body_bytes");
  d.ca_file = config.str("http.ca_file");
  d.allow_https_downgrade = config.boolean("http.allow_https_downgrade");
  return d;
}

bool valid_header_name(const std::string& name) {
  if (name.empty()) return false;
  static const std::string specials = "!#$%&'*+-.^_`|~";
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || specials.find(c) != std::string::npos;
  });
}

bool valid_header_value(const std::string& value) {
  return value.find_first_of(std::string("\r\n\0", 3)) == std::string::npos;
}

bool is_idempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS" || method == "TRACE";
}

void check_url(const std::string& url, const char* what) {
  if (url.empty()) bad(std::string(what) + " is empty");
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      bad(std::string(what) + " '" + url + "' contains a space or a control character");
    }
  }
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    bad(std::string(what) + " '" + url + "' is not a valid URL: " + e.message());
  }
  if (uri.getScheme().empty()) {
    bad(std::string(what) + " '" + url + "' is not an absolute URL (it needs http:// or https://)");
  }
  if (uri.getScheme() != "http" && uri.getScheme() != "https") {
    bad(std::string(what) + " '" + url + "' has the unsupported scheme '" + uri.getScheme() +
        "' (only http and https)");
  }
  if (uri.getHost().empty()) bad(std::string(what) + " '" + url + "' has no host");
  if (!uri.getUserInfo().empty()) {
    bad(std::string(what) + " '" + url +
        "' carries credentials; pass them in an Authorization header instead");
  }
}

HttpRequestParams parse_http_request(const rpc::Params& params, const HttpDefaults& defaults) {
  params.allow_only(rpc::HttpRequestParams::kKeys, rpc::HttpRequestParams::kRefusedKeys);
  HttpRequestParams r;
  r.method = params.str_or("method", "GET");
  std::transform(r.method.begin(), r.method.end(), r.method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!valid_header_name(r.method)) bad("parameter 'method' '" + r.method + "' is not an HTTP method");
  if (r.method == "CONNECT") bad("method CONNECT is not supported");

  r.url = params.str("url");
  check_url(r.url, "parameter 'url'");

  if (const msgpack::object* h = params.find("headers")) r.headers = read_headers(*h);
  for (const auto& [name, value] : r.headers) {
    if (iequals(name, "Transfer-Encoding") || iequals(name, "Content-Length")) {
      bad("header '" + name + "' is set by the co-process from the body; do not pass it");
    }
    if (iequals(name, "Connection")) {
      bad("header 'Connection' is managed by the co-process's connection pool; do not pass it");
    }
  }

  if (auto body = params.opt_bytes("body")) {
    r.body = std::move(*body);
    r.has_body = true;
    if (r.method == "HEAD" || r.method == "TRACE") {
      bad("a " + r.method + " request cannot carry a body");
    }
  }

  r.timeout_ms = params.int_or("timeout_ms", defaults.timeout_ms, 1, 3600000);
  r.connect_timeout_ms = params.int_or("connect_timeout_ms", defaults.connect_timeout_ms, 1, 3600000);
  r.follow_redirects = params.bool_or("follow_redirects", true);
  r.max_redirects = static_cast<int>(params.int_or("max_redirects", 10, 0, 100));
  r.verify_tls = params.bool_or("verify_tls", true);
  // The co-process never opens a path a caller names: it would do so with
  // its own rights (telling whether files exist under /root, or blocking a
  // worker forever on a FIFO). CA certificates come as bytes.
  if (params.has("ca_file")) {
    bad("parameter 'ca_file' is not accepted: the co-process does not open a caller's files; "
        "send the certificates' PEM text as 'ca_pem' (the C library's "
        "coproc_http_request_set_ca_file and coprocctl http --cacert read the file for you)");
  }
  r.ca_file = defaults.ca_file;
  if (auto pem = params.opt_bytes("ca_pem")) {
    if (pem->size() > kMaxCaPem) {
      bad("parameter 'ca_pem' is larger than " + std::to_string(kMaxCaPem) + " bytes");
    }
    if (pem->empty()) bad("parameter 'ca_pem' is empty");
    r.ca_pem = std::move(*pem);
  }
  r.max_body_given = params.has("max_body_bytes");
  r.max_body_bytes = params.int_or("max_body_bytes", defaults.max_body_bytes, 0, 1LL << 40);

  if (const msgpack::object* fd = params.find("save_to_fd")) {
    if (fd->type == msgpack::type::POSITIVE_INTEGER) {
      if (fd->via.u64 > 255) bad("parameter 'save_to_fd' must be a passed descriptor index 0..255");
      r.save_to_fd = static_cast<std::size_t>(fd->via.u64);
    } else if (fd->type == msgpack::type::MAP) {
      // {"fd": i}, the convention for passed descriptors.
      bool found = false;
      for (std::uint32_t i = 0; i < fd->via.map.size; ++i) {
        const auto& kv = fd->via.map.ptr[i];
        if (kv.key.type == msgpack::type::STR &&
            std::string(kv.key.via.str.ptr, kv.key.via.str.size) == "fd" &&
            kv.val.type == msgpack::type::POSITIVE_INTEGER && kv.val.via.u64 <= 255) {
          r.save_to_fd = static_cast<std::size_t>(kv.val.via.u64);
          found = true;
        }
      }
      if (!found) bad("parameter 'save_to_fd' must be {\"fd\": index of a passed descriptor}");
    } else {
      bad(std::string("parameter 'save_to_fd' must be a passed descriptor index, got ") +
          rpc::type_name(*fd));
    }
  }
  return r;
}

}  // namespace coproc::http
