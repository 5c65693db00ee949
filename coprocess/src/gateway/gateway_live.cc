#include "gateway_live.h"

#include <Poco/Net/SocketImpl.h>

namespace coproc::gateway {
namespace {

constexpr auto kTick = std::chrono::milliseconds(50);

// The plain socket's shutdown, also under TLS (whose override of
// shutdownReceive does nothing): the blocked read sees end-of-stream.
void shut_receive(Poco::Net::StreamSocket& s) {
  try {
    s.impl()->Poco::Net::SocketImpl::shutdownReceive();
  } catch (const Poco::Exception&) {
    // already closed
  }
}

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
      shut_receive(entry->socket);
      try {
        entry->socket.impl()->Poco::Net::SocketImpl::shutdownSend();
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
      if (deadline <= now) {
        deadline = Clock::time_point::max();
        entry->expired = true;
        shut_receive(entry->socket);
      }
    }
  }
}

}  // namespace coproc::gateway
