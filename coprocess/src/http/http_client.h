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

#include "http_connector.h"
#include "http_policy.h"
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
  ProxySettings proxy;
  DestinationPolicy policy;
  bool allow_https_downgrade = false;
};

/// Counters for sys.status; any thread.
struct ClientStats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> in_flight{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> cancelled{0};
  // Cancelled while the exchange was under way (sys.cancel, the caller
  // gone, shutdown): the socket was shut down and the connection closed,
  // never pooled half-read. A subset of `cancelled`.
  std::atomic<std::uint64_t> aborted{0};
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

/// Parses http.proxy, "[user[:password]@]host:port", with the password from
/// `password` when that is set (the secret option http.proxy_password);
/// throws std::runtime_error when invalid.
ProxySettings parse_proxy(const std::string& text, const std::string& password);

class HttpClient {
 public:
  HttpClient(ClientSettings settings, HttpPool& pool, TlsContexts& tls, Watchdog& watchdog)
      : settings_(std::move(settings)),
        connector_(settings_.proxy, settings_.policy),
        pool_(pool),
        tls_(tls),
        watchdog_(watchdog) {}

  /// Runs the request. `out_fd` >= 0 streams the final body into that
  /// descriptor (not closed here) instead of HttpResponse::body. Throws
  /// RpcException: bad_request, timeout, cancelled, too_large, upstream.
  HttpResponse perform(const HttpRequestParams& request, const Caller& caller, int out_fd);

  const ClientStats& stats() const { return stats_; }

 private:
  struct Hop;
  /// A request whose caller has gone, or whose deadline passed while it
  /// waited for a worker, is never sent.
  static void refuse_if_stale(const HttpRequestParams& r, const Caller& caller,
                              Clock::time_point deadline);
  struct Exchange;
  HttpResponse run(const HttpRequestParams& request, const Caller& caller, RequestWatch& watch,
                   int out_fd);
  Exchange exchange(const Hop& hop, const HttpRequestParams& r, const std::string& pool_key,
                    RequestWatch& watch);
  /// The request head; `decode`: we ask for gzip/deflate, so we undo it.
  std::string request_head(const Hop& hop, bool* decode) const;
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
  Connector connector_;
  HttpPool& pool_;
  TlsContexts& tls_;
  Watchdog& watchdog_;
  ClientStats stats_;
};

}  // namespace coproc::http
