// coprocctl gateway status: gateway.status (administrators) — listeners,
// queues with their waiting workers and queued requests, status counts and
// latency percentiles.
#include <ostream>

#include "command.h"
#include "gateway_messages.h"

namespace coproc::ctl {
namespace {

int run_gateway(CommandEnv& env, std::vector<std::string>& args) {
  if (args.size() != 1 || args[0] != "status") return env.usage_error("usage: gateway status");
  const CallResult r = env.client().call(rpc::method::kGatewayStatus, "");
  if (!r.ok()) return env.fail(r, "gateway status");
  env.print_result(r.result);
  return kExitOk;
}

}  // namespace

COPROCCTL_COMMAND(gateway_registered, "gateway",
                  "gateway status         the HTTP gateway: listeners, queues, workers, counts, "
                  "latency (root or service.admin_group)",
                  run_gateway);

}  // namespace coproc::ctl
