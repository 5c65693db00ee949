#include "gateway_stats.h"

#include <algorithm>
#include <cmath>

namespace coproc::gateway {

void GatewayStats::record(int status, double ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_.total;
  if (status >= 500) {
    ++counts_.status_5xx;
  } else if (status >= 400) {
    ++counts_.status_4xx;
  } else if (status >= 300) {
    ++counts_.status_3xx;
  } else {
    ++counts_.status_2xx;
  }
  if (window_.size() < kWindow) {
    window_.push_back(ms);
  } else {
    window_[next_] = ms;
    next_ = (next_ + 1) % kWindow;
  }
}

void GatewayStats::connection_opened() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++counts_.connections;
}

void GatewayStats::connection_closed() {
  std::lock_guard<std::mutex> lock(mutex_);
  --counts_.connections;
}

StatsSnapshot GatewayStats::snapshot() const {
  std::vector<double> sorted;
  StatsSnapshot s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    s = counts_;
    sorted = window_;
  }
  if (sorted.empty()) return s;
  std::sort(sorted.begin(), sorted.end());
  auto at = [&sorted](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  s.p50_ms = at(0.50);
  s.p90_ms = at(0.90);
  s.p99_ms = at(0.99);
  s.max_ms = sorted.back();
  return s;
}

}  // namespace coproc::gateway
