#include "system_container.h"

#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "test_process.h"

namespace coproc::test {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

namespace {

// Runs argv on the host, output to `log`; SIGKILL after `timeout`.
RunResult run_host(const std::vector<std::string>& argv, const std::string& log,
                   std::chrono::seconds timeout) {
  std::filesystem::remove(log);
  TestProcess process({argv, {}, log});
  int status = process.wait(timeout);
  if (status == -1) status = process.stop(std::chrono::seconds(5));
  RunResult result;
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.output = read_file(log);
  return result;
}

}  // namespace

std::string SystemContainer::source_dir() { return COPROC_SOURCE_DIR; }
std::string SystemContainer::build_dir() { return COPROC_BIN_DIR; }

SystemContainer::SystemContainer(const std::vector<std::string>& boot_args)
    : helper_(source_dir() + "/tests/system/container.sh") {
  std::vector<std::string> argv = {helper_, "boot", state_.file("container"),
                                   "--bind", source_dir() + ":" + source_dir()};
  const std::string build = std::filesystem::weakly_canonical(build_dir()).string();
  const std::string source = std::filesystem::weakly_canonical(source_dir()).string();
  if (build.rfind(source + "/", 0) != 0) {
    argv.push_back("--bind");
    argv.push_back(build + ":" + build);
  }
  argv.insert(argv.end(), boot_args.begin(), boot_args.end());
  // The first run builds the cached root file system (about a minute).
  RunResult boot = run_host(argv, state_.file("boot.log"), std::chrono::seconds(600));
  if (boot.status != 0) {
    std::string log = boot.output + "\n--- console ---\n" + console_log();
    run_host({helper_, "stop", state_.file("container")}, state_.file("stop.log"),
             std::chrono::seconds(60));
    throw std::runtime_error("container did not boot:\n" + log);
  }
}

SystemContainer::~SystemContainer() {
  run_host({helper_, "stop", state_.file("container")}, state_.file("stop.log"),
           std::chrono::seconds(60));
}

RunResult SystemContainer::run(const std::string& script, std::chrono::seconds timeout) const {
  // `timeout` runs inside the container, so the whole command tree there is
  // ended; the host-side deadline is only the last resort.
  static std::atomic<int> counter{0};
  const std::string seconds = std::to_string(timeout.count());
  return run_host({helper_, "exec", state_.file("container"), "timeout", "-k", "5", seconds,
                   "bash", "-c", script},
                  state_.file("run-" + std::to_string(counter++) + ".log"),
                  timeout + std::chrono::seconds(15));
}

RunResult SystemContainer::run_as_login(const std::string& user, const std::string& script,
                                        std::chrono::seconds timeout) const {
  return run("su -l " + user + " -c " + shell_quote(script), timeout);
}

bool SystemContainer::wait_for(const std::string& script, std::chrono::seconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (run(script, std::chrono::seconds(30)).status == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string SystemContainer::console_log() const {
  return read_file(state_.file("container/console.log"));
}

}  // namespace coproc::test
