#include "http_watchdog.h"

#include <algorithm>


namespace coproc::http {

RequestWatch::RequestWatch(Clock::time_point deadline,
                           std::shared_ptr<std::atomic<bool>> cancel_flag)
    : deadline_(deadline), cancel_flag_(std::move(cancel_flag)) {}

RequestWatch::~RequestWatch() { disarm(); }

bool RequestWatch::arm(int fd) { return arm(std::make_shared<SocketTwin>(fd)); }

bool RequestWatch::arm(std::shared_ptr<SocketTwin> twin) {
  std::shared_ptr<SocketTwin> previous;  // released outside the lock
  std::lock_guard<std::mutex> lock(mutex_);
  if (socket_ && (socket_ == twin || (twin->identity() != 0 && twin->identity() == socket_->identity()))) {
    return false;
  }
  previous = std::move(socket_);
  socket_ = std::move(twin);
  if (fired_ != Fired::no) shutdown_socket(socket_->handle());
  return true;
}

void RequestWatch::disarm() {
  std::shared_ptr<SocketTwin> previous;  // released outside the lock
  std::lock_guard<std::mutex> lock(mutex_);
  previous = std::move(socket_);
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
  if (socket_) shutdown_socket(socket_->handle());
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
