// coprocctl ping [-c N]: round trips of sys.ping with a latency summary.
#include <algorithm>
#include <cstdlib>
#include <ostream>

#include "command.h"

namespace coproc::ctl {
namespace {

long long percentile(const std::vector<long long>& sorted, double p) {
  const auto idx = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(idx, sorted.size() - 1)];
}

int run_ping(CommandEnv& env, std::vector<std::string>& args) {
  long count = 4;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-c" && i + 1 < args.size()) {
      char* end = nullptr;
      count = std::strtol(args[i + 1].c_str(), &end, 10);
      if (*end != '\0' || count < 1 || count > 10000000) {
        return env.usage_error("ping: -c needs a count between 1 and 10000000, got '" +
                               args[i + 1] + "'");
      }
      ++i;
    } else {
      return env.usage_error("usage: ping [-c N]");
    }
  }
  std::vector<long long> rtts;
  rtts.reserve(static_cast<std::size_t>(count));
  std::string connect_error;
  const coproc_status cs = env.client().connect(&connect_error);
  if (cs != COPROC_OK) {
    CallResult r;
    r.status = cs;
    r.error_name = coproc_status_str(cs);
    r.error_message = connect_error;
    return env.fail(r, "ping");
  }
  for (long i = 0; i < count; ++i) {
    long long us = 0;
    CallResult r = env.client().ping(&us);
    if (!r.ok()) return env.fail(r, "ping");
    rtts.push_back(us);
  }
  std::sort(rtts.begin(), rtts.end());
  const ServerInfo info = env.client().server_info();
  if (env.flags().json) {
    env.out() << "{\"count\":" << count << ",\"min_us\":" << rtts.front()
              << ",\"p50_us\":" << percentile(rtts, 0.50) << ",\"p99_us\":" << percentile(rtts, 0.99)
              << ",\"max_us\":" << rtts.back() << ",\"pid\":" << info.pid
              << ",\"generation\":" << info.generation << "}\n";
  } else {
    env.out() << count << " pings to " << env.options().endpoint << " (pid " << info.pid
              << ", generation " << info.generation << "): min " << rtts.front() << " us, p50 "
              << percentile(rtts, 0.50) << " us, p99 " << percentile(rtts, 0.99) << " us, max "
              << rtts.back() << " us\n";
  }
  return kExitOk;
}

}  // namespace

COPROCCTL_COMMAND(ping_registered, "ping",
                  "ping [-c N]            send N sys.ping (default 4), print min/p50/p99/max",
                  run_ping);

}  // namespace coproc::ctl
