// What every benchmark prints the same way: its goals, one line each, in
// the form scripts/bench collects and anything can check:
//   GOAL <name> <measured> <target> met|missed
// and the machine's load average, because a figure means little without it.
#pragma once

#include <cstdio>
#include <fstream>
#include <string>

namespace coproc::bench {

/// `unit` follows the numbers ("x", "ms", "MB"); `at_least` says whether the
/// measured value must be >= the target (rates, ratios of speed) or <= it
/// (latencies, sizes, ratios of cost).
inline void print_goal(const char* name, double measured, double target, const char* unit,
                       bool at_least) {
  const bool met = at_least ? measured >= target : measured <= target;
  std::printf("GOAL %s %.2f%s %s%.2f%s %s\n", name, measured, unit, at_least ? ">=" : "<=", target,
              unit, met ? "met" : "missed");
}

/// The 1-minute load average, e.g. "0.42".
inline std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string first;
  in >> first;
  return first.empty() ? "?" : first;
}

}  // namespace coproc::bench
