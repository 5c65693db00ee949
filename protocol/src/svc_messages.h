// The typed params and results of the service's control methods
// (svc.launch, svc.status, svc.restart) — shared by the service, the client
// library and the protocol catalogue (protocol/catalogue/level1.txt).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "msgpack_writer.h"
#include "rpc_message.h"

namespace coproc::rpc {

/// svc.launch and svc.restart params: how long to wait for the co-process.
struct SvcLaunchParams {
  std::optional<std::int64_t> timeout_ms;
  static constexpr std::array<std::string_view, 1> kKeys{"timeout_ms"};
};

/// `[{...}]`, the params array of svc.launch and svc.restart.
inline Packed pack_params(const SvcLaunchParams& p) {
  return pack_params_map(p.timeout_ms.has_value(),
                         [&](Packer& pk) { pack_entry_if(pk, "timeout_ms", p.timeout_ms); });
}

/// svc.launch and svc.restart result.
struct SvcLaunchResult {
  std::int64_t pid = 0;
  std::int64_t generation = 0;
  bool launched = false;
  std::int64_t launch_ms = 0;
  std::int64_t waited_ms = 0;
  MSGPACK_DEFINE_MAP(pid, generation, launched, launch_ms, waited_ms);
};

/// svc.status result.
struct SvcStatusResult {
  std::string state;
  std::int64_t pid = 0;
  std::int64_t generation = 0;
  std::int64_t restarts = 0;
  std::int64_t consecutive_failures = 0;
  std::int64_t last_exit_status = 0;
  std::string last_exit_reason;
  bool crash_loop = false;
  std::int64_t next_restart_ms = 0;
  std::int64_t uptime_ms = 0;
  std::int64_t launch_ms = 0;
  std::int64_t service_pid = 0;
  std::int64_t service_uptime_ms = 0;
  std::string version;
  MSGPACK_DEFINE_MAP(state, pid, generation, restarts, consecutive_failures, last_exit_status,
                     last_exit_reason, crash_loop, next_restart_ms, uptime_ms, launch_ms,
                     service_pid, service_uptime_ms, version);
};

}  // namespace coproc::rpc
