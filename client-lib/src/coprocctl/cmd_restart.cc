// coprocctl restart: svc.restart on the service's control endpoint — a
// graceful restart of the co-process (root or service.admin_group only).
#include <ostream>

#include <msgpack.hpp>

#include "control.h"
#include "methods.h"
#include "sync_rpc.h"

namespace coproc::ctl {
namespace {

int run_restart(CommandEnv& env, std::vector<std::string>& args) {
  if (!args.empty()) return env.usage_error("usage: restart");
  // The restart waits for the new generation's readiness: allow the
  // service's own launch deadline unless --timeout says otherwise.
  const std::chrono::milliseconds timeout(env.flags().timeout_ms > 0 ? env.flags().timeout_ms
                                                                     : 60000);
  CallResult r = control_call(env, rpc::method::kSvcRestart, rpc::empty_params(), timeout);
  if (!r.ok()) {
    if (r.status == COPROC_E_PERMISSION_DENIED) {
      env.err() << "coprocctl: restart: permission denied: " << r.error_message << "\n";
      return kExitPermissionDenied;
    }
    return env.fail(r, "restart");
  }
  if (env.flags().json) {
    std::string json, error;
    if (msgpack_to_json(r.result, &json, &error)) env.out() << json << "\n";
    return kExitOk;
  }
  msgpack::object_handle oh = msgpack::unpack(r.result.data(), r.result.size());
  env.out() << "restarted: co-process pid " << map_int(oh.get(), "pid", 0) << ", generation "
            << map_int(oh.get(), "generation", 0) << " (ready after "
            << map_int(oh.get(), "launch_ms", 0) << " ms)\n";
  return kExitOk;
}

}  // namespace

COPROCCTL_COMMAND(restart_registered, "restart",
                  "restart                restart the co-process gracefully (svc.restart; root or "
                  "service.admin_group)",
                  run_restart);

}  // namespace coproc::ctl
