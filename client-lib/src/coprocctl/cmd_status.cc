// coprocctl status: sys.status of the co-process and, when the service is
// reachable, svc.status from its control endpoint.
#include <ostream>

#include "command.h"
#include "control.h"
#include "methods.h"

namespace coproc::ctl {
namespace {

/// svc.status without launching anything.
CallResult service_status(const CommandEnv& env) {
  return control_call(env, rpc::method::kSvcStatus, rpc::empty_params(),
                      std::chrono::milliseconds(env.options().connect_timeout_ms));
}

int run_status(CommandEnv& env, std::vector<std::string>& args) {
  if (!args.empty()) return env.usage_error("usage: status");
  // The co-process first: asking it may launch it, and the service's view
  // is then current.
  CallResult sys = env.client().call(rpc::method::kStatus, "");
  const CallResult svc = service_status(env);
  if (env.flags().json) {
    std::string sys_json = "null", svc_json = "null", error;
    if (sys.ok()) msgpack_to_json(sys.result, &sys_json, &error);
    if (svc.ok()) msgpack_to_json(svc.result, &svc_json, &error);
    env.out() << "{\"coprocess\":" << sys_json << ",\"service\":" << svc_json << "}\n";
  } else {
    if (svc.ok()) {
      env.out() << "service (" << env.options().control_endpoint << "):\n";
      render_readable(env.out(), svc.result, 1);
    } else {
      env.out() << "service (" << env.options().control_endpoint << "): "
                << (svc.status == COPROC_E_SERVICE_NOT_RUNNING ? std::string("not running")
                    : svc.status == COPROC_E_PERMISSION_DENIED
                        ? "permission denied (its mode or group does not admit this user)"
                        : svc.error_message)
                << "\n";
    }
    if (sys.ok()) {
      env.out() << "coprocess (" << env.options().endpoint << "):\n";
      render_readable(env.out(), sys.result, 1);
    }
  }
  if (!sys.ok()) return env.fail(sys, "status");
  return kExitOk;
}

}  // namespace

COPROCCTL_COMMAND(status_registered, "status",
                  "status                 show the co-process's and the service's state",
                  run_status);

}  // namespace coproc::ctl
