// mail.per_uid_per_minute: a sliding one-minute window per user, so one
// user's script cannot fill the outbox for everybody. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>

namespace coproc::mail {

class RateLimit {
 public:
  explicit RateLimit(std::int64_t per_minute) : per_minute_(per_minute) {}
  /// Counts one submission of `uid` at `now_ms`; false (and not counted)
  /// when the user already reached the limit within the last 60 s.
  bool admit(std::uint32_t uid, std::int64_t now_ms);
  std::int64_t per_minute() const { return per_minute_; }

 private:
  const std::int64_t per_minute_;
  std::mutex mutex_;
  std::map<std::uint32_t, std::deque<std::int64_t>> recent_;
};

}  // namespace coproc::mail
