// What every benchmark prints the same way: its goals, one line each, in
// the form scripts/bench collects and anything can check:
//   GOAL <name> <measured> <target> met|missed
// and the machine's load average, because a figure means little without it.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
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

/// Calls `read(path)` with the /proc directory of every thread of `pid`.
template <typename Read>
void for_each_thread(pid_t pid, Read read) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (!dir) return;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') read(tasks + "/" + e->d_name);
  }
  ::closedir(dir);
}

/// Context switches of every thread of `pid` (from /proc): a
/// load-independent count of the hand-offs a request costs. Voluntary ones
/// alone count the times a thread went to sleep and had to be woken up;
/// involuntary ones (preemption) grow with the machine's load.
inline long context_switches(pid_t pid, bool voluntary_only = false) {
  long total = 0;
  for_each_thread(pid, [&](const std::string& task) {
    std::ifstream in(task + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0 ||
          (!voluntary_only && line.rfind("nonvoluntary_ctxt_switches:", 0) == 0)) {
        total += std::atol(line.c_str() + line.find(':') + 1);
      }
    }
  });
  return total;
}

/// CPU time of every thread of `pid` so far, in seconds (schedstat: time on
/// a CPU in ns, exact rather than in clock ticks).
inline double cpu_seconds(pid_t pid) {
  double ns = 0;
  for_each_thread(pid, [&](const std::string& task) {
    std::ifstream in(task + "/schedstat");
    double on_cpu = 0;
    if (in >> on_cpu) ns += on_cpu;
  });
  return ns / 1e9;
}

/// Minor page faults of `pid` so far (/proc/PID/stat): each is a fresh page
/// the kernel zeroed, what allocation churn costs beyond malloc itself.
inline long minor_faults(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const std::size_t end_of_name = stat.rfind(')');
  if (end_of_name == std::string::npos) return 0;
  std::istringstream fields(stat.substr(end_of_name + 2));
  std::string field;
  for (int i = 3; i <= 10 && fields >> field; ++i) {
  }
  return std::atol(field.c_str());  // field 10: minflt
}

}  // namespace coproc::bench
