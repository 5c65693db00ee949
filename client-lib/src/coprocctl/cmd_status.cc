// coprocctl status: sys.status of the co-process and, when the service is
// reachable, svc.status from its control endpoint.
#include <unistd.h>

#include <ostream>

#include "command.h"
#include "methods.h"
#include "status.h"
#include "sync_rpc.h"
#include "unix_socket_posix.h"

namespace coproc::ctl {
namespace {

/// svc.status without launching anything; nullopt-like empty result when
/// the control endpoint does not answer.
CallResult service_status(const CommandEnv& env) {
  int err = 0;
  const int fd = net::connect_unix(env.options().control_endpoint, &err);
  if (fd < 0) return make_error(COPROC_E_SERVICE_NOT_RUNNING, "not reachable");
  const auto deadline =
      net::Clock::now() + std::chrono::milliseconds(env.options().connect_timeout_ms);
  CallResult r = sync_call(fd, 1, rpc::method::kSvcStatus, rpc::empty_params(), deadline,
                           "svc.status on " + env.options().control_endpoint);
  ::close(fd);
  return r;
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
      env.out() << "service (" << env.options().control_endpoint
                << "): " << (svc.status == COPROC_E_SERVICE_NOT_RUNNING ? "not running"
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
