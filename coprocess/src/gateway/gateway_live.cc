#include "gateway_live.h"

#include <Poco/Net/SocketImpl.h>

#include "gateway_socket.h"

namespace coproc::gateway {
namespace {

constexpr auto kTick = std::chrono::milliseconds(50);

}  // namespace

void LiveConnections::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!watcher_.joinable() && !stopping_) watcher_ = std::thread([this] { watch(); });
}

void LiveConnections::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (auto& [entry, deadline] : entries_) {
      interrupt_receive(entry->socket);
      try {
        entry->socket.impl()->Poco::Net::SocketImpl::shutdown();  // both ways, plain socket
      } catch (const Poco::Exception&) {
      }
    }
  }
  wake_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

bool LiveConnections::add(Entry* entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return false;
  entries_[entry] = Clock::time_point::max();
  return true;
}

void LiveConnections::remove(Entry* entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_.erase(entry);
}

void LiveConnections::arm(Entry* entry, Clock::time_point deadline) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(entry);
  if (it != entries_.end()) it->second = deadline;
}

void LiveConnections::disarm(Entry* entry) { arm(entry, Clock::time_point::max()); }

std::size_t LiveConnections::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

void LiveConnections::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, kTick);
    const auto now = Clock::now();
    for (auto& [entry, deadline] : entries_) {
      // Interrupted again every tick until the connection thread disarms:
      // on Windows a cancel ends only the read pending at that moment.
      if (deadline <= now) {
        entry->expired = true;
        interrupt_receive(entry->socket);
      }
    }
  }
}

}  // namespace coproc::gateway
