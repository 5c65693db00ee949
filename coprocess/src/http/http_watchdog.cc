#include "http_watchdog.h"

#include <algorithm>

#include "http_socket.h"

namespace coproc::http {

RequestWatch::RequestWatch(Clock::time_point deadline,
                           std::shared_ptr<std::atomic<bool>> cancel_flag)
    : deadline_(deadline), cancel_flag_(std::move(cancel_flag)) {}

RequestWatch::~RequestWatch() { disarm(); }

bool RequestWatch::arm(int fd) {
  unsigned long inode = 0;
  const std::intptr_t copy = duplicate_socket(fd, &inode);
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ >= 0 && inode != 0 && inode == inode_) {
    close_socket(copy);
    return false;
  }
  close_socket(fd_);
  fd_ = copy;
  inode_ = inode;
  if (fired_ != Fired::no) shutdown_socket(fd_);
  return true;
}

void RequestWatch::disarm() {
  std::lock_guard<std::mutex> lock(mutex_);
  close_socket(fd_);
  fd_ = -1;
  inode_ = 0;
}

RequestWatch::Fired RequestWatch::fired() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fired_;
}

long RequestWatch::remaining_ms() const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  return std::max<long>(1, static_cast<long>(left.count()));
}

bool RequestWatch::check(Clock::time_point now, bool cancel_all) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fired_ != Fired::no) return false;
  if (cancel_all || (cancel_flag_ && cancel_flag_->load(std::memory_order_relaxed))) {
    fired_ = Fired::cancelled;
  } else if (now >= deadline_) {
    fired_ = Fired::deadline;
  } else {
    return false;
  }
  shutdown_socket(fd_);
  return true;
}

Watchdog::Watchdog() : thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<RequestWatch> Watchdog::watch(Clock::time_point deadline,
                                              std::shared_ptr<std::atomic<bool>> cancel_flag) {
  auto w = std::make_shared<RequestWatch>(deadline, std::move(cancel_flag));
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cancel_all_) w->check(Clock::now(), true);
    watches_.push_back(w);
    wake = sleeping_;
    sleeping_ = false;
  }
  // Waking a thread costs more than a whole pooled request; the ticking
  // thread needs no wake-up, only one that went to sleep when idle.
  if (wake) wake_.notify_all();
  return w;
}

void Watchdog::unwatch(const std::shared_ptr<RequestWatch>& watch) {
  std::lock_guard<std::mutex> lock(mutex_);
  watches_.remove(watch);
}

void Watchdog::cancel_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  cancel_all_ = true;
  for (auto& w : watches_) w->check(Clock::now(), true);
}

void Watchdog::run() {
  // Cancellation is a flag, not an event, so it is polled; 20 ms keeps a
  // disconnected client's request from outliving it noticeably.
  constexpr auto kTick = std::chrono::milliseconds(20);
  // After this long without requests the thread sleeps until one arrives.
  constexpr auto kIdle = std::chrono::seconds(1);
  std::unique_lock<std::mutex> lock(mutex_);
  auto last_busy = Clock::now();
  while (!stopping_) {
    const auto now = Clock::now();
    if (!watches_.empty()) {
      last_busy = now;
    } else if (now - last_busy > kIdle) {
      sleeping_ = true;
      wake_.wait(lock, [&] { return stopping_ || !watches_.empty(); });
      last_busy = Clock::now();
      continue;
    }
    for (auto& w : watches_) w->check(now, cancel_all_);
    wake_.wait_for(lock, kTick, [&] { return stopping_; });
  }
}

}  // namespace coproc::http
