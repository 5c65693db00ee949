// The Windows service's rotating log file (platform-free code, tested here
// and under wine).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "log_file.h"

namespace coproc {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class LogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("coproc-log-file-test-" + std::to_string(
                ::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(LogFileTest, CreatesItsFolderAndAppendsAcrossReopens) {
  const fs::path path = dir_ / "log" / "coproc-service.log";
  {
    RotatingLogFile f(path.u8string(), 1 << 20, 3);
    std::string error;
    ASSERT_TRUE(f.open(&error)) << error;
    f.write("one\n");
  }
  RotatingLogFile f(path.u8string(), 1 << 20, 3);
  std::string error;
  ASSERT_TRUE(f.open(&error)) << error;
  f.write("two\n");
  EXPECT_EQ(slurp(path), "one\ntwo\n");
}

TEST_F(LogFileTest, FullFileIsRotatedAndOnlyTheNewestOldFilesAreKept) {
  const fs::path path = dir_ / "coproc-service.log";
  RotatingLogFile f(path.u8string(), 10, 2);
  std::string error;
  ASSERT_TRUE(f.open(&error)) << error;
  for (const char* line : {"aaaaaaa\n", "bbbbbbb\n", "ccccccc\n", "ddddddd\n"}) f.write(line);
  EXPECT_EQ(slurp(path), "ddddddd\n");
  EXPECT_EQ(slurp(path.u8string() + ".1"), "ccccccc\n");
  EXPECT_EQ(slurp(path.u8string() + ".2"), "bbbbbbb\n");
  EXPECT_FALSE(fs::exists(path.u8string() + ".3"));
}

}  // namespace
}  // namespace coproc
