// job.* on Windows: the records in <state-dir>\jobs go through durable_file.h
// (durable_file_win32.cc), so a job outlives the pipe connection that
// submitted it and a killed coprocess.exe reports an unfinished job as
// interrupted when it comes back. Against the real coprocess.exe.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "coprocess_win_fixture.h"
#include "job_calls.h"

namespace coproc::test {
namespace {

using namespace std::chrono_literals;

class JobWinTest : public CoprocessWinFixture {
 protected:
  void start() { start_coprocess({"--set", "debug.methods=true"}); }
};

TEST_F(JobWinTest, JobOfAClosedPipeConnectionIsCollectedByAnotherConnection) {
  start();
  std::string id;
  {
    auto c = connect();
    id = submit(*c, sleep_job(300));
    ASSERT_EQ(id.size(), 16u) << id << log();
  }  // the submitting connection closes while the job runs
  auto other = connect();
  auto r = other->call("job.wait", wait_params(id, 10000), 15s);
  ASSERT_EQ(state_of(r), "done") << log();
  EXPECT_EQ(slept_ms_of(r), 300);
}

TEST_F(JobWinTest, KilledCoprocessReportsAnUnfinishedJobAsInterruptedAndKeepsAFinishedResult) {
  start();
  std::string finished, unfinished;
  {
    auto c = connect();
    finished = submit(*c, sleep_job(0));
    ASSERT_EQ(state_of(c->call("job.wait", wait_params(finished, 5000))), "done") << log();
    unfinished = submit(*c, sleep_job(60000));
    ASSERT_EQ(state_of(c->call("job.status", id_params(unfinished))), "running");
  }
  kill_coprocess();  // TerminateProcess: only what is on disk survives
  start();
  auto c = connect();
  auto r = c->call("job.status", id_params(unfinished));
  ASSERT_EQ(state_of(r), "interrupted") << log();
  EXPECT_EQ(job_error_name(r), "unavailable");
  r = c->call("job.status", id_params(finished));
  ASSERT_EQ(state_of(r), "done");
  EXPECT_EQ(slept_ms_of(r), 0);
}

}  // namespace
}  // namespace coproc::test
