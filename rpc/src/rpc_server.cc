#include "rpc_server.h"

#include <algorithm>
#include <vector>

#include "log.h"
#include "rpc_connection.h"

namespace coproc {
namespace {

std::size_t as_size(std::int64_t v) { return static_cast<std::size_t>(v); }

}  // namespace

ServerSettings ServerSettings::from_config(const Config& c) {
  ServerSettings s;
  s.decode.max_message_bytes = as_size(c.integer("limits.max_message_bytes"));
  s.decode.max_depth = as_size(c.integer("limits.max_depth"));
  s.decode.max_array = as_size(c.integer("limits.max_array"));
  s.decode.max_map = as_size(c.integer("limits.max_map"));
  s.decode.max_str = as_size(c.integer("limits.max_str"));
  s.decode.max_bin = as_size(c.integer("limits.max_bin"));
  s.max_connections = as_size(c.integer("server.max_connections"));
  s.max_connections_per_uid = as_size(c.integer("server.max_connections_per_uid"));
  s.max_in_flight_per_connection = as_size(c.integer("server.max_in_flight_per_connection"));
  s.max_in_flight_per_uid = as_size(c.integer("server.max_in_flight_per_uid"));
  s.max_output_bytes = as_size(c.integer("server.max_output_bytes"));
  s.memory_budget = as_size(c.integer("limits.memory_budget"));
  s.handshake_timeout = std::chrono::milliseconds(c.integer("server.handshake_timeout_ms"));
  s.idle_timeout = std::chrono::milliseconds(c.integer("server.idle_timeout_ms"));
  s.admin_group = c.str("service.admin_group");
  return s;
}

RpcServer::RpcServer(asio::io_context& io, const Dispatcher& dispatcher, WorkerPool& workers,
                     ServerSettings settings, ServerStats& stats)
    : io_(io),
      dispatcher_(dispatcher),
      workers_(workers),
      settings_(std::move(settings)),
      stats_(stats),
      acceptor_(io),
      drain_timer_(io),
      accept_retry_timer_(io) {
  resolve_admin_group();
}

RpcServer::~RpcServer() = default;

void RpcServer::listen(ListenTarget target) {
  acceptor_.open(std::move(target));
  asio::post(io_, [this] { accept_next(); });
}

void RpcServer::accept_next() {
  acceptor_.async_accept(
      [this](const std::error_code& ec, LocalStream socket, const PeerCredentials& peer) {
        on_accept(ec, std::move(socket), peer);
      });
}

void RpcServer::on_accept(const std::error_code& ec, LocalStream socket,
                          const PeerCredentials& peer) {
  if (ec == asio::error::operation_aborted) return;  // stop_accepting()
  if (ec) {
    // EMFILE and friends: log, pause briefly, keep serving the others.
    COPROC_LOG(warn, settings_.component, "accept failed: " << ec.message());
    accept_retry_timer_.expires_after(std::chrono::milliseconds(50));
    accept_retry_timer_.async_wait([this](const std::error_code& e) {
      if (!e && acceptor_.is_open()) accept_next();
    });
    return;
  }
  std::string refusal;
  std::shared_ptr<RpcConnection> connection;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t of_uid = connections_per_uid_[peer.uid];
    if (connections_.size() >= settings_.max_connections) {
      refusal = "too many connections (limit " + std::to_string(settings_.max_connections) + ")";
    } else if (of_uid >= settings_.max_connections_per_uid) {
      refusal = "too many connections for uid " + std::to_string(peer.uid) + " (limit " +
                std::to_string(settings_.max_connections_per_uid) + ")";
    }
    connection = std::make_shared<RpcConnection>(*this, std::move(socket), ++connection_ids_, peer);
    connections_.insert(connection);
    connections_per_uid_[peer.uid]++;
  }
  stats_.connections++;
  stats_.connections_total++;
  if (!refusal.empty()) {
    stats_.connections_refused++;
    COPROC_LOG(info, settings_.component, "conn=" << connection->id() << " uid=" << peer.uid
                                                  << " pid=" << peer.pid << " refused: " << refusal);
  } else {
    COPROC_LOG(debug, settings_.component, "conn=" << connection->id() << " uid=" << peer.uid
                                                   << " pid=" << peer.pid << " accepted");
  }
  connection->start(std::move(refusal));
  accept_next();
}

void RpcServer::stop_accepting() {
  asio::post(io_, [this] { acceptor_.close(); });
}

bool RpcServer::admit_request(std::uint32_t uid) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t& n = in_flight_per_uid_[uid];
  if (n >= settings_.max_in_flight_per_uid) return false;
  ++n;
  return true;
}

void RpcServer::request_done(std::uint32_t uid) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = in_flight_per_uid_.find(uid);
  if (it != in_flight_per_uid_.end() && --it->second == 0) in_flight_per_uid_.erase(it);
}

void RpcServer::connection_closed(const std::shared_ptr<RpcConnection>& c) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (connections_.erase(c) == 0) return;
  stats_.connections--;
  auto it = connections_per_uid_.find(c->peer().uid);
  if (it != connections_per_uid_.end() && --it->second == 0) connections_per_uid_.erase(it);
}

void RpcServer::memory_changed(std::int64_t delta) {
  const std::int64_t held = stats_.memory_held.fetch_add(delta) + delta;
  if (settings_.memory_budget == 0 || delta <= 0 ||
      held <= static_cast<std::int64_t>(settings_.memory_budget)) {
    return;
  }
  evict_biggest_holders();
}

void RpcServer::evict_biggest_holders() {
  std::vector<std::pair<std::size_t, std::shared_ptr<RpcConnection>>> holders;
  std::int64_t excess = stats_.memory_held.load() - static_cast<std::int64_t>(settings_.memory_budget);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& c : connections_) {
      const std::size_t held = c->held_bytes();
      if (c->evicted()) {
        excess -= static_cast<std::int64_t>(held);  // already on its way out
      } else if (held > 0) {
        holders.emplace_back(held, c);
      }
    }
  }
  if (excess <= 0) return;
  std::sort(holders.begin(), holders.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [held, c] : holders) {
    if (excess <= 0) break;
    if (!c->evict()) continue;  // another thread got to it first
    excess -= static_cast<std::int64_t>(held);
    stats_.evictions++;
    COPROC_LOG(warn, settings_.component,
               "conn=" << c->id() << " uid=" << c->peer().uid << " pid=" << c->peer().pid
                       << " closed: it holds " << held << " bytes and all connections together "
                       << stats_.memory_held.load() << ", over limits.memory_budget="
                       << settings_.memory_budget << " (the biggest holders go first)");
  }
}

std::map<std::uint32_t, RpcServer::Usage> RpcServer::usage_by_uid() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::uint32_t, Usage> out;
  for (const auto& [uid, n] : connections_per_uid_) out[uid].connections = n;
  for (const auto& [uid, n] : in_flight_per_uid_) out[uid].in_flight = n;
  return out;
}

void RpcServer::shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  stop_accepting();
  asio::post(io_, [this, grace, done = std::move(done)]() mutable {
    std::vector<std::shared_ptr<RpcConnection>> all;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      all.assign(connections_.begin(), connections_.end());
    }
    for (auto& c : all) c->drain();
    poll_drained(std::chrono::steady_clock::now() + grace, std::move(done));
  });
}

void RpcServer::poll_drained(std::chrono::steady_clock::time_point deadline,
                             std::function<void()> done) {
  bool empty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    empty = connections_.empty();
  }
  if (!empty && std::chrono::steady_clock::now() < deadline) {
    drain_timer_.expires_after(std::chrono::milliseconds(10));
    drain_timer_.async_wait([this, deadline, done = std::move(done)](const std::error_code&) mutable {
      poll_drained(deadline, std::move(done));
    });
    return;
  }
  std::vector<std::shared_ptr<RpcConnection>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    all.assign(connections_.begin(), connections_.end());
  }
  if (!all.empty()) {
    COPROC_LOG(warn, settings_.component,
               all.size() << " connection(s) still busy at the shutdown deadline; closing them");
  }
  for (auto& c : all) c->close();
  asio::post(io_, std::move(done));
}

}  // namespace coproc
