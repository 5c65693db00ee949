// Runs the real coprocess.exe on a pipe name of its own for each test
// (\\.\pipe\coproc-test-<pid>-<n>/coproc.sock — the part before the slash
// plays the runtime dir's role), the Windows twin of coprocess_fixture.h.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "child_process.h"
#include "raw_pipe_client.h"

namespace coproc::test {

class CoprocessWinFixture : public ::testing::Test {
 protected:
  CoprocessWinFixture();
  void TearDown() override;

  /// Starts coprocess.exe with `--set server.pipe_name=<pipe>`, `--log-level
  /// debug`, `--state-dir <state_dir()>` unless `extra_args` name one, and
  /// `extra_args`; waits until the pipe answers. Fails the test when it does
  /// not come up.
  void start_coprocess(const std::vector<std::string>& extra_args = {});
  /// Starts it without waiting (for tests of late starts and refusals).
  void launch_coprocess(ChildProcess* process, const std::string& log,
                        const std::vector<std::string>& extra_args = {});
  void kill_coprocess() { coprocess_.kill(); }

  /// "coproc-test-<pid>.<ms since boot>-<n>": the namespace of this test's
  /// pipes, unique across test programs.
  const std::string& space() const { return space_; }
  /// The endpoint as clients name it: "<space>/coproc.sock".
  std::string endpoint() const { return space_ + "/coproc.sock"; }
  /// The full pipe path: \\.\pipe\<space>/coproc.sock.
  std::string pipe_path() const { return R"(\\.\pipe\)" + endpoint(); }
  /// This test's state folder (outbox, maildir, job records) in %TEMP%;
  /// the same for every start of the co-process in one test, removed after
  /// a test that passed.
  std::string state_dir() const;
  std::string log_path() const;
  std::string log() const { return read_file(log_path()); }
  std::unique_ptr<RawPipeClient> connect();

  std::string space_;
  ChildProcess coprocess_;
  int generation_ = 0;  // log file per start
};

}  // namespace coproc::test
