// Runs the real `coprocess` binary on a temporary runtime and state dir.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "raw_client.h"
#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {

class CoprocessFixture : public ::testing::Test {
 protected:
  void TearDown() override;

  /// Starts coprocess with `--runtime-dir`, `--state-dir`, `--log-level
  /// debug` and `extra_args` (e.g. {"--set", "server.io_threads=1"}); waits
  /// until its socket answers. Fails the test if it does not come up.
  void start_coprocess(const std::vector<std::string>& extra_args = {},
                       const std::vector<std::string>& env = {});
  /// SIGTERM and wait; returns the wait status.
  int stop_coprocess();

  std::string runtime_dir() const { return dir_.file("run"); }
  std::string state_dir() const { return dir_.file("state"); }
  std::string socket_path() const { return runtime_dir() + "/coproc.sock"; }
  std::string log_path() const { return dir_.file("coprocess.log"); }
  std::string log() const { return read_file(log_path()); }
  std::unique_ptr<RawClient> connect() { return std::make_unique<RawClient>(socket_path()); }

  TempDir dir_;
  TestProcess coprocess_;
};

}  // namespace coproc::test
