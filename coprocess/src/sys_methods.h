// sys.hello, sys.ping, sys.status.
#pragma once

#include <cstdint>
#include <string>

#include "dispatcher.h"
#include "server_stats.h"
#include "worker_pool.h"

namespace coproc {

struct ServerIdentity {
  std::string server = "coprocess";
  std::string version;
  std::int64_t generation = 0;
};

/// Registers sys.*; `stats` and `workers` must outlive the dispatcher's use.
void register_sys_methods(Dispatcher& dispatcher, const ServerIdentity& identity,
                          ServerStats& stats, WorkerPool& workers);

}  // namespace coproc
