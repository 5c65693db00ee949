#include "coprocess_fixture.h"

#include <sys/stat.h>

namespace coproc::test {

void CoprocessFixture::start_coprocess(const std::vector<std::string>& extra_args,
                                       const std::vector<std::string>& env) {
  ::mkdir(runtime_dir().c_str(), 0755);
  ::mkdir(state_dir().c_str(), 0755);
  TestProcess::Options o;
  o.argv = {bin_path("coprocess"), "--runtime-dir", runtime_dir(), "--state-dir", state_dir(),
            "--config", "/dev/null", "--log-level", "debug"};
  o.argv.insert(o.argv.end(), extra_args.begin(), extra_args.end());
  o.env = env;
  o.output_path = log_path();
  coprocess_ = TestProcess(o);
  const bool up = wait_until(
      [&] {
        if (!coprocess_.running()) return true;
        // Answered, not merely connected: a connect succeeds in the listen
        // backlog while the co-process is still starting up.
        try {
          RawClient probe(socket_path());
          return !probe.call("sys.ping", rpc::empty_params(), std::chrono::seconds(5))
                      .error.has_value();
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(20));
  ASSERT_TRUE(up && coprocess_.running()) << "coprocess did not come up; log:\n" << log();
}

int CoprocessFixture::stop_coprocess() { return coprocess_.stop(); }

void CoprocessFixture::TearDown() {
  if (coprocess_.pid() > 0) coprocess_.stop();
  if (HasFailure()) std::cerr << "---- coprocess log ----\n" << log() << "-----------------------\n";
}

}  // namespace coproc::test
