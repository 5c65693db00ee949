// What gateway.status reports about answered HTTP requests: counts by
// status class and latency percentiles over the most recent requests.
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

namespace coproc::gateway {

struct StatsSnapshot {
  std::uint64_t total = 0;
  std::uint64_t status_2xx = 0;
  std::uint64_t status_3xx = 0;
  std::uint64_t status_4xx = 0;
  std::uint64_t status_5xx = 0;
  std::uint64_t connections = 0;  // open now
  // Over the last kWindow requests, in ms; 0 when none yet.
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

class GatewayStats {
 public:
  static constexpr std::size_t kWindow = 4096;

  void record(int status, double ms);
  void connection_opened();
  void connection_closed();
  StatsSnapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  StatsSnapshot counts_;
  std::vector<double> window_;  // ring of the latest latencies
  std::size_t next_ = 0;
};

}  // namespace coproc::gateway
