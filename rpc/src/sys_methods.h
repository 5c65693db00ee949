// sys.hello, sys.ping, sys.status.
#pragma once

#include <cstdint>
#include <string>

#include "dispatcher.h"
#include "rpc_server.h"
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

/// Adds the "users" section to sys.status: connections and calls in flight
/// per uid — every uid for admins, only the caller's own for others.
void register_usage_section(Dispatcher& dispatcher, const RpcServer& server);

}  // namespace coproc
