#include "mail_rate_limit.h"

namespace coproc::mail {

bool RateLimit::admit(std::uint32_t uid, std::int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::deque<std::int64_t>& times = recent_[uid];
  while (!times.empty() && times.front() <= now_ms - 60000) times.pop_front();
  if (static_cast<std::int64_t>(times.size()) >= per_minute_) return false;
  times.push_back(now_ms);
  return true;
}

}  // namespace coproc::mail
