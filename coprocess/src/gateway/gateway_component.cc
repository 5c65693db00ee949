// The gateway component (off until gateway.listen names a listener): HTTP(S)
// listeners whose requests wait in named queues for worker processes.
// Workers call gateway.next (answered later through CallContext::defer(), no
// thread waits) and gateway.reply; gateway.status is for administrators.
// Who may work a queue is checked against the caller's kernel identity.
#include <memory>

#include "component.h"
#include "gateway_broker.h"
#include "gateway_config.h"
#include "gateway_listeners.h"
#include "gateway_messages.h"
#include "gateway_stats.h"
#include "log.h"
#include "rpc_error.h"

namespace coproc {
namespace gateway {
namespace {

class GatewayComponent final : public Component {
 public:
  explicit GatewayComponent(const ComponentEnv& env) : config_(read_gateway_config(env.config)) {
    if (!config_.listeners.empty()) {
      broker_ = std::make_unique<Broker>(
          BrokerLimits{config_.queue_timeout, config_.reply_timeout, config_.max_queued,
                       config_.requeue_idempotent},
          config_.queues());
      listeners_ = std::make_unique<Listeners>(config_, *broker_, stats_);
    }
    auto& d = env.dispatcher;
    d.add(rpc::method::kGatewayNext, Execution::event_loop,
          [this](CallContext& call, const rpc::Params& p) {
            return next(call, rpc::read_gateway_next(p));
          });
    d.add(rpc::method::kGatewayReply, Execution::event_loop,
          [this](CallContext& call, const rpc::Params& p) {
            auto r = rpc::read_gateway_reply(p);
            const auto then = std::move(r.next);
            // A `next` the caller may not take fails the call before the reply.
            const std::string queue = then ? workable_queue(call, *then) : "";
            running()->reply(call.peer, std::move(r));
            if (then) return take(call, queue, then->timeout_ms);
            return rpc::pack_value(rpc::GatewayReplyResult{});
          });
    d.add(rpc::method::kGatewayStatus, Execution::event_loop,
          [this](CallContext& call, const rpc::Params& p) {
            p.allow_only({});
            if (!call.admin) {
              throw RpcException(Errc::permission_denied,
                                 "gateway.status is for administrators (root or "
                                 "service.admin_group; SYSTEM or Administrators on "
                                 "Windows); " +
                                     describe_peer(call.peer) + " is not one");
            }
            return status();
          });
    d.add_status_section("gateway", [this](const CallContext&) {
      std::map<std::string, std::uint64_t> s{{"listeners", config_.listeners.size()}};
      if (broker_) {
        const auto snap = stats_.snapshot();
        s["requests"] = snap.total;
        s["connections"] = snap.connections;
        std::uint64_t waiting = 0, queued = 0;
        for (const auto& q : broker_->status()) {
          waiting += q.waiting_workers;
          queued += q.queued;
        }
        s["waiting_workers"] = waiting;
        s["queued"] = queued;
      }
      return rpc::pack_value(s);
    });
  }

  ~GatewayComponent() override { stop(); }

  void start() override {
    if (!listeners_) return;
    broker_->start();
    listeners_->start();
  }

  void stop() override {
    if (!listeners_) return;
    listeners_->stop([this] { broker_->stop(); });
  }

 private:
  Broker* running() {
    if (!broker_) {
      throw RpcException(Errc::unavailable, "the gateway is off (gateway.listen is empty)");
    }
    return broker_.get();
  }

  rpc::Packed next(CallContext& call, const rpc::GatewayNextParams& args) {
    return take(call, workable_queue(call, args), args.timeout_ms);
  }

  // The queue gateway.next names, when it exists and the caller may work it.
  std::string workable_queue(const CallContext& call, const rpc::GatewayNextParams& args) {
    Broker* broker = running();
    const std::string queue = args.queue.empty() ? config_.default_queue : args.queue;
    if (queue.empty() || !broker->has_queue(queue)) {
      throw RpcException(Errc::not_found, "no gateway queue '" + queue + "'");
    }
    if (!may_work(queue, call.peer)) {
      throw RpcException(Errc::permission_denied,
                         describe_peer(call.peer) + " may not work queue '" + queue +
                             "' (gateway.allow)");
    }
    return queue;
  }

  rpc::Packed take(CallContext& call, const std::string& queue, std::int64_t timeout_ms) {
    auto now = running()->next(queue, WorkerCall{call.peer, call.cancel_flag, call.connection_closed},
                               std::chrono::milliseconds(timeout_ms),
                               [&call] { return call.defer(); });
    return now ? std::move(*now) : rpc::Packed{};
  }

  bool may_work(const std::string& queue, const PeerCredentials& peer) const {
    auto it = config_.allow.find(queue);
    if (it == config_.allow.end()) return false;
    for (const auto& who : it->second) {
      if (principal_matches(who, peer)) return true;
    }
    return false;
  }

  rpc::Packed status() {
    rpc::GatewayStatusResult r;
    const auto snap = stats_.snapshot();
    r.enabled = listeners_ != nullptr;
    if (listeners_) r.listeners = listeners_->names();
    if (broker_) {
      for (const auto& q : broker_->status()) {
        r.queues.push_back({q.name, q.waiting_workers, q.queued, q.in_progress});
      }
    }
    r.connections = snap.connections;
    r.requests = snap.total;
    r.status_2xx = snap.status_2xx;
    r.status_3xx = snap.status_3xx;
    r.status_4xx = snap.status_4xx;
    r.status_5xx = snap.status_5xx;
    r.p50_ms = snap.p50_ms;
    r.p90_ms = snap.p90_ms;
    r.p99_ms = snap.p99_ms;
    r.max_ms = snap.max_ms;
    return rpc::pack_value(r);
  }

  const GatewayConfig config_;
  GatewayStats stats_;
  std::unique_ptr<Broker> broker_;
  std::unique_ptr<Listeners> listeners_;
};

}  // namespace
}  // namespace gateway

std::unique_ptr<Component> make_gateway_component(const ComponentEnv& env) {
  return std::make_unique<gateway::GatewayComponent>(env);
}

}  // namespace coproc
