#include "server_stats.h"

namespace coproc {

std::int64_t ServerStats::uptime_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               started)
      .count();
}

}  // namespace coproc
