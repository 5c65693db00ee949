// Runs the real coprocctl for a test and collects its exit code and output:
// the one runner of tests/client-lib/coprocctl_test.cc (against the
// co-process) and tests/service/coprocctl_control_test.cc (against the
// service).
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <string>
#include <vector>

#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {

struct CtlRun {
  int code = -1;
  std::string output;  // stdout and stderr
};

/// `prefix` (e.g. runuser -u USER --), then coprocctl ARGS; the output goes
/// to `output_path`. Waits up to 60 s.
inline CtlRun run_coprocctl(const std::vector<std::string>& prefix,
                            const std::vector<std::string>& args,
                            const std::string& output_path) {
  TestProcess::Options o;
  o.argv = prefix;
  o.argv.push_back(bin_path("coprocctl"));
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.output_path = output_path;
  TestProcess p(o);
  const int status = p.wait(std::chrono::seconds(60));
  CtlRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.output = read_file(o.output_path);
  return r;
}

}  // namespace coproc::test
