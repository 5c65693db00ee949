#include "endpoint.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "temp_dir.h"

namespace coproc {
namespace {

class EndpointTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::string error_;
};

TEST_F(EndpointTest, CreatesSocketWithTheRequestedMode) {
  const std::string path = dir_.file("a.sock");
  int fd = listen_unix(path, 0666, "", 16, &error_);
  ASSERT_GE(fd, 0) << error_;
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  ::close(fd);
}

TEST_F(EndpointTest, StaleSocketFileIsReplaced) {
  const std::string path = dir_.file("stale.sock");
  int first = listen_unix(path, 0600, "", 16, &error_);
  ASSERT_GE(first, 0) << error_;
  ::close(first);  // the file stays behind, nobody listens
  int second = listen_unix(path, 0600, "", 16, &error_);
  EXPECT_GE(second, 0) << error_;
  ::close(second);
}

TEST_F(EndpointTest, LiveListenerIsNotStolen) {
  const std::string path = dir_.file("live.sock");
  int first = listen_unix(path, 0600, "", 16, &error_);
  ASSERT_GE(first, 0);
  EXPECT_EQ(listen_unix(path, 0600, "", 16, &error_), -1);
  EXPECT_NE(error_.find("another process is listening"), std::string::npos) << error_;
  ::close(first);
}

TEST_F(EndpointTest, TooLongPathIsAClearError) {
  const std::string path = dir_.path() + "/" + std::string(120, 'x') + ".sock";
  EXPECT_EQ(listen_unix(path, 0600, "", 16, &error_), -1);
  EXPECT_NE(error_.find("longer than the 107 bytes"), std::string::npos) << error_;
}

TEST_F(EndpointTest, RegularFileIsNeverReplaced) {
  const std::string path = dir_.file("file");
  test::write_file(path, "data");
  EXPECT_EQ(listen_unix(path, 0600, "", 16, &error_), -1);
  EXPECT_NE(error_.find("not a socket"), std::string::npos) << error_;
  EXPECT_EQ(test::read_file(path), "data");
}

TEST(ParseMode, AcceptsOctalOnly) {
  unsigned m = 0;
  EXPECT_TRUE(parse_mode("0660", &m));
  EXPECT_EQ(m, 0660u);
  EXPECT_FALSE(parse_mode("rw-rw-rw-", &m));
  EXPECT_FALSE(parse_mode("0999", &m));
}

}  // namespace
}  // namespace coproc
