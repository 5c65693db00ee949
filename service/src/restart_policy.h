// When to start a co-process again after it died: exponential backoff from
// `initial` doubling up to `max`, reset once a generation stayed up for
// `stable_after`. Pure and not thread-safe; the supervisor thread owns it.
#pragma once

#include <chrono>

namespace coproc {

class RestartPolicy {
 public:
  RestartPolicy(std::chrono::milliseconds initial, std::chrono::milliseconds max,
                std::chrono::milliseconds stable_after, int crash_loop_threshold);

  /// Records a failure (an unexpected exit or a failed start) of a
  /// generation that ran for `uptime`; returns the delay before the next start.
  std::chrono::milliseconds on_failure(std::chrono::milliseconds uptime);
  /// Forgets past failures (an admin restart, a healthy generation).
  void reset() { failures_ = 0; }

  int consecutive_failures() const { return failures_; }
  /// True once `crash_loop_threshold` failures happened in a row.
  bool crash_loop() const { return failures_ >= threshold_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds stable_after_;
  int threshold_;
  int failures_ = 0;
};

}  // namespace coproc
