#include "http_pool.h"

#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/Socket.h>

#include "http_socket.h"

namespace coproc::http {
namespace {

// A kept-alive connection must be silent while idle: anything readable is the
// server's FIN (or garbage), and reusing it would fail the next request.
bool closed_by_server(HttpPool::Session& session) {
  try {
    if (!session.connected()) return true;
    return socket_has_input(session.socket().impl()->sockfd());
  } catch (const Poco::Exception&) {
    return true;
  }
}

}  // namespace

std::unique_ptr<HttpPool::Session> HttpPool::acquire(const std::string& origin) {
  std::vector<std::unique_ptr<Session>> discard;  // closed outside the lock
  std::unique_ptr<Session> found;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = idle_.find(origin);
    if (it == idle_.end()) return nullptr;
    auto& list = it->second;
    const auto now = Clock::now();
    while (!list.empty() && !found) {
      Idle entry = std::move(list.back());
      list.pop_back();
      --total_;
      if (now - entry.since >= limits_.idle) {
        ++counters_.dropped_expired;
        discard.push_back(std::move(entry.session));
      } else if (closed_by_server(*entry.session)) {
        ++counters_.dropped_stale;
        discard.push_back(std::move(entry.session));
      } else {
        ++counters_.reused;
        found = std::move(entry.session);
      }
    }
    if (list.empty()) idle_.erase(it);
  }
  return found;
}

void HttpPool::release(const std::string& origin, std::unique_ptr<Session> session) {
  if (!session || limits_.per_origin == 0 || limits_.total == 0) return;
  std::unique_ptr<Session> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& list = idle_[origin];
    if (list.size() >= limits_.per_origin) {
      evicted = std::move(list.front().session);
      list.pop_front();
      --total_;
    } else if (total_ >= limits_.total) {
      // Evict the oldest idle connection of any origin.
      auto oldest = idle_.end();
      for (auto it = idle_.begin(); it != idle_.end(); ++it) {
        if (it->second.empty()) continue;
        if (oldest == idle_.end() || it->second.front().since < oldest->second.front().since)
          oldest = it;
      }
      if (oldest != idle_.end()) {
        evicted = std::move(oldest->second.front().session);
        oldest->second.pop_front();
        --total_;
        if (oldest->second.empty() && oldest->first != origin) idle_.erase(oldest);
      }
    }
    idle_[origin].push_back(Idle{std::move(session), Clock::now()});
    ++total_;
  }
}

void HttpPool::expire() {
  std::vector<std::unique_ptr<Session>> discard;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = Clock::now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      auto& list = it->second;
      while (!list.empty() && now - list.front().since >= limits_.idle) {
        discard.push_back(std::move(list.front().session));
        list.pop_front();
        --total_;
        ++counters_.dropped_expired;
      }
      it = list.empty() ? idle_.erase(it) : std::next(it);
    }
  }
}

HttpPool::Stats HttpPool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s = counters_;
  s.idle = total_;
  s.origins = idle_.size();
  return s;
}

}  // namespace coproc::http
