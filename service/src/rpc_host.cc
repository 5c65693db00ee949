#include "rpc_host.h"

#include <future>

namespace coproc {

RpcHost::RpcHost(std::size_t worker_threads, std::size_t max_queued)
    : work_(asio::make_work_guard(io_)), workers_(io_, 1, worker_threads, max_queued) {}

RpcHost::~RpcHost() { shutdown(std::chrono::milliseconds(1000)); }

void RpcHost::start(std::vector<ListenTarget> targets, const ServerSettings& settings) {
  for (ListenTarget& target : targets) {
    servers_.push_back(std::make_unique<RpcServer>(io_, dispatcher_, workers_, settings, stats_));
    servers_.back()->listen(std::move(target));
  }
  thread_ = std::thread([this] { io_.run(); });
}

void RpcHost::stop_accepting() {
  for (auto& server : servers_) server->stop_accepting();
}

void RpcHost::shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (thread_.joinable()) {
    for (auto& server : servers_) {
      std::promise<void> drained;
      server->shutdown(grace, [&drained] { drained.set_value(); });
      drained.get_future().wait();
    }
  }
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
  workers_.stop();
}

}  // namespace coproc
