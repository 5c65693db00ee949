// The http component: registers http.request (on the worker pool) and the
// "http" section of sys.status.
#include <unistd.h>  // close

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>

#include "component.h"
#include "http_client.h"
#include "http_messages.h"
#include "http_pool.h"
#include "http_request_params.h"
#include "http_socket.h"
#include "http_watchdog.h"
#include "log.h"
#include "methods.h"
#include "rpc_error.h"
#include "rpc_message.h"
#include "tls_context.h"

namespace coproc {
namespace {

rpc::Packed pack_response(http::HttpResponse&& r, bool saved, std::int64_t elapsed_ms) {
  rpc::HttpResponseResult out;
  out.status = r.status;
  out.reason = r.reason;
  out.headers = std::move(r.headers);
  if (saved) {
    out.bytes_written = static_cast<std::int64_t>(r.bytes_written);
  } else {
    out.body = std::move(r.body);
  }
  out.url = std::move(r.url);
  out.redirects = r.redirects;
  out.elapsed_ms = elapsed_ms;
  return rpc::pack_result(out);
}

http::HttpPool::Limits pool_limits(const Config& config) {
  http::HttpPool::Limits l;
  l.per_origin = static_cast<std::size_t>(config.integer("http.pool_per_origin"));
  l.total = static_cast<std::size_t>(config.integer("http.pool_total"));
  l.idle = std::chrono::milliseconds(config.integer("http.pool_idle_ms"));
  return l;
}

http::ClientSettings client_settings(const Config& config) {
  http::ClientSettings s;
  s.proxy = http::parse_proxy(config.str("http.proxy"), config.str("http.proxy_password"));
  s.policy = http::DestinationPolicy(config.str("http.allow"), config.str("http.deny"));
  s.allow_https_downgrade = config.boolean("http.allow_https_downgrade");
  return s;
}

class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class HttpComponent : public Component {
 public:
  explicit HttpComponent(const ComponentEnv& env)
      : defaults_(http::HttpDefaults::from_config(env.config)),
        pool_(pool_limits(env.config)),
        client_(client_settings(env.config), pool_, tls_, watchdog_) {
    env.dispatcher.add(rpc::method::kHttpRequest, Execution::worker,
                       [this](CallContext& call, const rpc::Params& params) {
                         return request(call, params);
                       });
    env.dispatcher.add_status_section("http", [this](const CallContext&) { return status(); });
  }
  ~HttpComponent() override { join_warm_up(); }

  /// The default TLS context reads the CA store (a few hundred ms on a busy
  /// machine): loaded in the background as soon as the endpoint listens, so
  /// requests seldom pay for it and start-up does not wait for it.
  void start() override {
    warm_up_ = std::thread([this] {
      try {
        tls_.get(true, defaults_.ca_file);
      } catch (const std::exception& e) {
        COPROC_LOG(warn, "http", "the default TLS context could not be loaded: " << e.what());
      }
    });
  }

  /// Requests still running (the server's grace period is over) are
  /// cancelled, so no worker stays blocked on a slow server.
  void stop() override {
    watchdog_.cancel_all();
    join_warm_up();
  }

 private:
  rpc::Packed request(CallContext& call, const rpc::Params& params) {
    const auto start = std::chrono::steady_clock::now();
    const http::HttpRequestParams p = http::parse_http_request(params, defaults_);
    FdGuard out(p.save_to_fd ? call.take_fd(*p.save_to_fd) : -1);
    if (out.get() >= 0) {
      if (!http::open_for_writing(out.get())) {
        throw RpcException(Errc::bad_request, "the descriptor passed as save_to_fd is not open for writing");
      }
    }
    try {
      http::HttpResponse r =
          client_.perform(p, http::Caller{call.peer.uid, call.received, call.cancel_flag}, out.get());
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - start)
                               .count();
      COPROC_LOG(info, "http", "uid=" << call.peer.uid << " req=" << call.request_id << " "
                                      << p.method << " " << p.url << " -> " << r.status
                                      << " redirects=" << r.redirects << " ms=" << elapsed);
      return pack_response(std::move(r), out.get() >= 0, elapsed);
    } catch (const RpcException& e) {
      COPROC_LOG(info, "http", "uid=" << call.peer.uid << " req=" << call.request_id << " "
                                      << p.method << " " << p.url << " failed: "
                                      << e.error().name << ": " << e.what());
      throw;
    }
  }

  rpc::Packed status() const {
    const auto& s = client_.stats();
    const auto pool = pool_.stats();
    std::map<std::string, std::uint64_t> m = {
        {"requests", s.requests.load()},
        {"in_flight", s.in_flight.load()},
        {"errors", s.errors.load()},
        {"timeouts", s.timeouts.load()},
        {"cancelled", s.cancelled.load()},
        {"aborted", s.aborted.load()},
        {"connections_opened", s.connections_opened.load()},
        {"stale_retries", s.stale_retries.load()},
        {"redirects", s.redirects.load()},
        {"body_bytes", s.body_bytes.load()},
        {"pool_idle", pool.idle},
        {"pool_origins", pool.origins},
        {"pool_reused", pool.reused},
        {"pool_dropped_stale", pool.dropped_stale},
        {"pool_dropped_expired", pool.dropped_expired},
    };
    return rpc::pack_value(m);
  }

  void join_warm_up() {
    if (warm_up_.joinable()) warm_up_.join();
  }

  const http::HttpDefaults defaults_;
  http::TlsContexts tls_;
  http::HttpPool pool_;
  http::Watchdog watchdog_;
  http::HttpClient client_;
  std::thread warm_up_;
};

}  // namespace

std::unique_ptr<Component> make_http_component(const ComponentEnv& env) {
  try {
    return std::make_unique<HttpComponent>(env);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("http: ") + e.what());
  }
}

}  // namespace coproc
