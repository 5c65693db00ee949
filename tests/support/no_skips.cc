// Every test executable links this file (cmake/CoprocTest.cmake): a test
// that GoogleTest skips fails instead.
//
// GoogleTest skips every test of a suite whose SetUpTestSuite failed (a test
// server that did not start), the process still exits 0, and
// gtest_discover_tests makes CTest report those tests as "Skipped": a broken
// fixture would hide as a pass. No test in this project skips itself, so a
// skipped test is turned into a failure before the result printer sees it.
#include <gtest/gtest.h>

namespace {

class FailSkippedTests : public ::testing::EmptyTestEventListener {
 public:
  explicit FailSkippedTests(::testing::TestEventListener* printer) : printer_(printer) {}
  ~FailSkippedTests() override { delete printer_; }

  void OnTestProgramStart(const ::testing::UnitTest& u) override { printer_->OnTestProgramStart(u); }
  void OnTestIterationStart(const ::testing::UnitTest& u, int i) override {
    printer_->OnTestIterationStart(u, i);
  }
  void OnEnvironmentsSetUpStart(const ::testing::UnitTest& u) override {
    printer_->OnEnvironmentsSetUpStart(u);
  }
  void OnEnvironmentsSetUpEnd(const ::testing::UnitTest& u) override { printer_->OnEnvironmentsSetUpEnd(u); }
  void OnTestSuiteStart(const ::testing::TestSuite& s) override { printer_->OnTestSuiteStart(s); }
  void OnTestStart(const ::testing::TestInfo& t) override { printer_->OnTestStart(t); }
  void OnTestPartResult(const ::testing::TestPartResult& r) override { printer_->OnTestPartResult(r); }
  void OnTestEnd(const ::testing::TestInfo& t) override {
    if (t.result()->Skipped()) {
      ADD_FAILURE() << "the test was skipped (a failed SetUpTestSuite skips a whole suite; "
                       "see the messages above): in this project a skip is a failure";
    }
    printer_->OnTestEnd(t);
  }
  void OnTestSuiteEnd(const ::testing::TestSuite& s) override { printer_->OnTestSuiteEnd(s); }
  void OnEnvironmentsTearDownStart(const ::testing::UnitTest& u) override {
    printer_->OnEnvironmentsTearDownStart(u);
  }
  void OnEnvironmentsTearDownEnd(const ::testing::UnitTest& u) override {
    printer_->OnEnvironmentsTearDownEnd(u);
  }
  void OnTestIterationEnd(const ::testing::UnitTest& u, int i) override { printer_->OnTestIterationEnd(u, i); }
  void OnTestProgramEnd(const ::testing::UnitTest& u) override { printer_->OnTestProgramEnd(u); }

 private:
  ::testing::TestEventListener* printer_;
};

// Runs before main(): wraps GoogleTest's default result printer.
const bool installed = [] {
  ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
  ::testing::TestEventListener* printer = listeners.Release(listeners.default_result_printer());
  listeners.Append(new FailSkippedTests(printer));
  return true;
}();

}  // namespace
