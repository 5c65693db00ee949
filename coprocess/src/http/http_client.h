// Performs one http.request: connection from the pool (or a new one), the
// exchange, redirects, body limits and decoding, TLS verification, and the
// mapping of every failure to a wire error. Thread-safe: each call uses its
// own session, borrowed from the shared pool.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <Poco/URI.h>

#include "http_pool.h"
#include "http_request_params.h"
#include "http_watchdog.h"
#include "tls_context.h"

namespace coproc::http {

struct HttpResponse {
  int status = 0;
  std::string reason;
  HeaderList headers;
  std::string body;               // empty when saved to a descriptor
  std::uint64_t bytes_written = 0;  // bytes written to the descriptor
  std::string url;                // final URL after redirects
  int redirects = 0;
};

struct ClientSettings {
  std::string proxy_host;  // empty = direct
  std::uint16_t proxy_port = 0;
  bool allow_https_downgrade = false;
  std::chrono::milliseconds keep_alive{4000};
};

/// Counters for sys.status; any thread.
struct ClientStats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> in_flight{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> cancelled{0};
  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> stale_retries{0};
  std::atomic<std::uint64_t> redirects{0};
  std::atomic<std::uint64_t> body_bytes{0};
};

/// Who asked, and since when: the deadline runs from `received` (time spent
/// waiting for a worker counts), idle connections are pooled per `uid` (no
/// connection carries bytes from one user's exchange into another's), and
/// `cancel` set by another thread stops the request.
struct Caller {
  std::uint32_t uid = 0;
  std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();
  std::shared_ptr<std::atomic<bool>> cancel;
};

/// Parses "host:port" (http.proxy); throws std::runtime_error when invalid.
void parse_proxy(const std::string& text, std::string* host, std::uint16_t* port);

class HttpClient {
 public:
  HttpClient(ClientSettings settings, HttpPool& pool, TlsContexts& tls, Watchdog& watchdog)
      : settings_(std::move(settings)), pool_(pool), tls_(tls), watchdog_(watchdog) {}

  /// Runs the request. `out_fd` >= 0 streams the final body into that
  /// descriptor (not closed here) instead of HttpResponse::body. Throws
  /// RpcException: bad_request, timeout, cancelled, too_large, upstream.
  HttpResponse perform(const HttpRequestParams& request, const Caller& caller, int out_fd);

  const ClientStats& stats() const { return stats_; }

 private:
  struct Hop;
  struct Exchange;
  HttpResponse run(const HttpRequestParams& request, const Caller& caller, RequestWatch& watch,
                   int out_fd);
  Exchange exchange(const Hop& hop, const HttpRequestParams& r, const std::string& pool_key,
                    RequestWatch& watch);
  std::unique_ptr<HttpPool::Session> open_session(const Poco::URI& uri,
                                                  const HttpRequestParams& r);
  /// Reads (and discards) a redirect's own body, then pools or closes the
  /// connection; returns the next hop.
  Hop follow_redirect(const Hop& hop, Exchange& ex, const std::string& pool_key,
                      RequestWatch& watch);
  void read_final_body(const Hop& hop, Exchange& ex, const HttpRequestParams& r,
                       RequestWatch& watch, int out_fd, HttpResponse& out);
  /// Pools the connection when its response ended exactly where the framing
  /// says and nothing else waits on it; closes it otherwise.
  void finish_connection(Exchange& ex, const std::string& pool_key, RequestWatch& watch);

  const ClientSettings settings_;
  HttpPool& pool_;
  TlsContexts& tls_;
  Watchdog& watchdog_;
  ClientStats stats_;
};

}  // namespace coproc::http
