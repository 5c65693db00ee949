// coprocctl call METHOD [JSON]: any method through the JSON bridge.
#include <ostream>

#include "command.h"

namespace coproc::ctl {
namespace {

int run_call(CommandEnv& env, std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) {
    return env.usage_error("usage: call METHOD [JSON-PARAMS]");
  }
  const std::string params = args.size() == 2 ? args[1] : "";
  CallResult r = env.client().call_json(args[0], params);
  if (!r.ok()) return env.fail(r, args[0]);
  env.out() << r.result << "\n";
  return kExitOk;
}

}  // namespace

COPROCCTL_COMMAND(call_registered, "call",
                  "call METHOD [JSON]     call any method with JSON params, print the JSON result",
                  run_call);

}  // namespace coproc::ctl
