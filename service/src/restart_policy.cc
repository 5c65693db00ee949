#include "restart_policy.h"

#include <algorithm>

namespace coproc {

RestartPolicy::RestartPolicy(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                             std::chrono::milliseconds stable_after, int crash_loop_threshold)
    : initial_(initial),
      max_(std::max(max, initial)),
      stable_after_(stable_after),
      threshold_(std::max(1, crash_loop_threshold)) {}

std::chrono::milliseconds RestartPolicy::on_failure(std::chrono::milliseconds uptime) {
  if (uptime >= stable_after_) failures_ = 0;
  ++failures_;
  std::chrono::milliseconds delay = initial_;
  for (int i = 1; i < failures_ && delay < max_; ++i) delay *= 2;
  return std::min(delay, max_);
}

}  // namespace coproc
