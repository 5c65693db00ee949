#include "coprocess_win_fixture.h"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>

namespace coproc::test {
namespace {

std::atomic<int> g_counter{0};

std::string temp_dir() {
  wchar_t buffer[MAX_PATH + 1];
  const DWORD n = ::GetTempPathW(MAX_PATH + 1, buffer);
  std::string out;
  for (DWORD i = 0; i < n; ++i) out.push_back(static_cast<char>(buffer[i]));
  return out;
}

}  // namespace

CoprocessWinFixture::CoprocessWinFixture()
    // Wine numbers the processes of each run alike, so the pid alone would
    // repeat from one test program to the next: the start time tells them apart.
    : space_("coproc-test-" + std::to_string(::GetCurrentProcessId()) + "." +
             std::to_string(::GetTickCount64()) + "-" + std::to_string(++g_counter)) {}

std::string CoprocessWinFixture::state_dir() const { return temp_dir() + space_ + "-state"; }

std::string CoprocessWinFixture::log_path() const {
  return temp_dir() + space_ + "-" + std::to_string(generation_) + ".log";
}

void CoprocessWinFixture::launch_coprocess(ChildProcess* process, const std::string& log,
                                           const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv{bin_path("coprocess/coprocess.exe"), "--set",
                                "server.pipe_name=" + endpoint(), "--log-level", "debug"};
  if (std::find(extra_args.begin(), extra_args.end(), "--state-dir") == extra_args.end()) {
    argv.insert(argv.end(), {"--state-dir", state_dir()});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process->start(argv, log);
}

void CoprocessWinFixture::start_coprocess(const std::vector<std::string>& extra_args) {
  coprocess_.kill();
  ++generation_;
  launch_coprocess(&coprocess_, log_path(), extra_args);
  // Up when the pipe accepts a client (the probe connection just closes).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!coprocess_.running()) break;
    if (connect_when_ready(pipe_path(), std::chrono::milliseconds(100))) return;
  }
  FAIL() << "coprocess did not come up on " << pipe_path() << "; log:\n" << log();
}

void CoprocessWinFixture::TearDown() {
  coprocess_.kill();
  if (HasFailure()) {
    std::cerr << "coprocess log:\n" << log() << "\n";
  } else {
    std::error_code ignored;
    std::filesystem::remove_all(std::filesystem::u8path(state_dir()), ignored);
  }
}

std::unique_ptr<RawPipeClient> CoprocessWinFixture::connect() {
  return std::make_unique<RawPipeClient>(pipe_path());
}

}  // namespace coproc::test
