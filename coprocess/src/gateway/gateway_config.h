// The gateway.* options, read once at start-up into one value: listeners,
// routes, who may work each queue, timeouts and limits. Bad values stop
// start-up with a ConfigError naming the option and the part at fault.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config.h"
#include "gateway_access.h"

namespace coproc::gateway {

struct Listener {
  std::string host;  // "127.0.0.1", "::1", "0.0.0.0"
  std::uint16_t port = 0;
  bool tls = false;
  std::string text;  // as written, for logs and status ("127.0.0.1:8443 tls")
};

struct Route {
  std::string prefix;  // "/api/orders": that path and everything below it
  std::string queue;
};

struct GatewayConfig {
  std::vector<Listener> listeners;  // empty: the gateway is off
  std::string tls_cert;
  std::string tls_key;
  std::vector<Route> routes;  // longest prefix first
  std::string default_queue;  // "" = a path no route matches gets 404
  std::map<std::string, std::vector<Principal>> allow;  // queue -> who may work it
  std::chrono::milliseconds queue_timeout{5000};
  std::chrono::milliseconds reply_timeout{30000};
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds keepalive_timeout{5000};
  std::size_t max_connections = 256;
  std::size_t max_queued = 1024;
  std::size_t max_body_bytes = 1 << 20;
  bool requeue_idempotent = false;

  /// Every queue a request can land in (routes and the default queue).
  std::vector<std::string> queues() const;
  /// The queue of a request path, or "" when none (no default queue).
  std::string queue_of(const std::string& path) const;
};

/// Parses the listen, route and allow syntaxes (docs/gateway.md):
///   gateway.listen = 127.0.0.1:8080, [::1]:8443 tls
///   gateway.route  = /api/orders=orders, /hello=hello
///   gateway.allow  = orders=alice @billing; hello=1001
/// Throws ConfigError.
GatewayConfig read_gateway_config(const Config& config);

}  // namespace coproc::gateway
