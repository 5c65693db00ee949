#include "outbox_layout.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.h"

namespace coproc {
namespace {

TEST(OutboxLayout, OnlyAcceptedMailFilesCount) {
  test::TempDir state;
  EXPECT_FALSE(outbox_holds_mail(state.path())) << "no outbox folder yet";
  ::mkdir(outbox_dir(state.path()).c_str(), 0700);
  test::write_file(outbox_dir(state.path()) + "/states.log", "x");
  test::write_file(outbox_dir(state.path()) + "/.abc.mail.tmp", "x");
  EXPECT_FALSE(outbox_holds_mail(state.path())) << "a state log and a temp file are no mail";
  test::write_file(outbox_dir(state.path()) + "/0123abcd.mail", "x");
  EXPECT_TRUE(outbox_holds_mail(state.path()));
}

}  // namespace
}  // namespace coproc
