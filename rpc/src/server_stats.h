// Counters behind sys.status / svc.status. Lock-free; any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace coproc {

struct ServerStats {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> connections{0};         // open now
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over a connection limit
  std::atomic<std::uint64_t> requests_total{0};
  std::atomic<std::uint64_t> requests_in_flight{0};
  std::atomic<std::uint64_t> errors_total{0};         // error responses sent
  std::atomic<std::uint64_t> protocol_errors{0};      // undecodable input
  std::atomic<std::uint64_t> evictions{0};            // closed over limits.memory_budget
  std::atomic<std::int64_t> memory_held{0};           // bytes counted by limits.memory_budget

  std::int64_t uptime_ms() const;
};

}  // namespace coproc
