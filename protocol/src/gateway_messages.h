// The typed params and results of gateway.* — the one definition the
// co-process (coprocess/src/gateway), the C ABI (client-lib gateway.h) and
// the docs share. Headers travel as [[name, value], ...] (order and repeats
// kept), bodies as bin.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "methods.h"
#include "params.h"
#include "rpc_message.h"

namespace coproc::rpc {

using GatewayHeaders = std::vector<std::pair<std::string, std::string>>;

/// gateway.next params: wait up to timeout_ms for a request of `queue`
/// ("" = the configured default queue).
struct GatewayNextParams {
  std::string queue;
  std::int64_t timeout_ms = 30000;
  static constexpr std::array<std::string_view, 2> kKeys{"queue", "timeout_ms"};
  static constexpr std::int64_t kMaxTimeoutMs = 300000;
};

/// One HTTP request handed to a worker: the result of gateway.next. When no
/// request came within the timeout the result is nil instead.
struct GatewayRequest {
  std::string request_id;
  std::string method;
  std::string path;   // as sent, percent-encoding kept, without the query
  std::string query;  // after '?', "" when none
  GatewayHeaders headers;
  std::string body;
  std::string remote_addr;  // "address:port" of the HTTP client
  std::string queue;
  static constexpr std::array<std::string_view, 8> kKeys{
      "request_id", "method", "path", "query", "headers", "body", "remote_addr", "queue"};
};

/// gateway.reply params: the worker's answer to request_id. With `next`,
/// a successful reply goes straight on as gateway.next with those params
/// and the call's result is gateway.next's (one round trip per request).
struct GatewayReplyParams {
  std::string request_id;
  int status = 200;
  GatewayHeaders headers;
  std::string body;
  std::optional<GatewayNextParams> next;
  static constexpr std::array<std::string_view, 5> kKeys{"request_id", "status", "headers",
                                                         "body", "next"};
};

/// gateway.reply result (without `next`).
struct GatewayReplyResult {
  bool ok = true;
  MSGPACK_DEFINE_MAP(ok);
};

/// gateway.status result (administrators).
struct GatewayQueueStatus {
  std::string name;
  std::uint64_t waiting_workers = 0;
  std::uint64_t queued = 0;
  std::uint64_t in_progress = 0;
  MSGPACK_DEFINE_MAP(name, waiting_workers, queued, in_progress);
};
struct GatewayStatusResult {
  bool enabled = false;
  std::vector<std::string> listeners;  // "127.0.0.1:8443 tls"
  std::vector<GatewayQueueStatus> queues;
  std::uint64_t connections = 0;  // open now
  std::uint64_t requests = 0;     // answered since start
  std::uint64_t status_2xx = 0;
  std::uint64_t status_3xx = 0;
  std::uint64_t status_4xx = 0;
  std::uint64_t status_5xx = 0;
  double p50_ms = 0;  // latency over the last answered requests
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  MSGPACK_DEFINE_MAP(enabled, listeners, queues, connections, requests, status_2xx, status_3xx,
                     status_4xx, status_5xx, p50_ms, p90_ms, p99_ms, max_ms);
};

Packed pack_params(const GatewayNextParams& params);
Packed pack_params(const GatewayReplyParams& params);
/// The result of gateway.next; `request` null packs nil (timeout).
Packed pack_result(const GatewayRequest* request);

/// Read params on the co-process side; throw RpcException(bad_request)
/// naming the parameter at fault.
GatewayNextParams read_gateway_next(const Params& params);
GatewayReplyParams read_gateway_reply(const Params& params);

/// Reads a gateway.next result. Returns false for nil (no request came);
/// throws msgpack::type_error when it is not that shape.
bool read_result(const msgpack::object& result, GatewayRequest* out);

}  // namespace coproc::rpc
