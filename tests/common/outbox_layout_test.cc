#include "outbox_layout.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.h"

namespace coproc {
namespace {

TEST(OutboxLayout, OnlyAcceptedMailFilesNotMarkedAllSentCount) {
  test::TempDir state;
  EXPECT_FALSE(outbox_holds_unsent_mail(state.path())) << "no outbox folder yet";
  ::mkdir(outbox_dir(state.path()).c_str(), 0700);
  test::write_file(outbox_dir(state.path()) + "/states.log", "x");
  test::write_file(outbox_dir(state.path()) + "/.abc.mail.tmp", "x");
  EXPECT_FALSE(outbox_holds_unsent_mail(state.path())) << "a state log and a temp file are no mail";
  test::write_file(outbox_dir(state.path()) + "/0123abcd.mail", "x");
  EXPECT_TRUE(outbox_holds_unsent_mail(state.path()));
  test::write_file(outbox_dir(state.path()) + "/all-sent", "");
  EXPECT_FALSE(outbox_holds_unsent_mail(state.path())) << "every mail is sent or failed";
}

// After a power cut a mail may be left only in accepted.log (its file was
// renamed but not flushed): the co-process must start to write it again.
TEST(OutboxLayout, ANonEmptyAcceptedLogCountsAsMailUnlessAllSent) {
  test::TempDir state;
  ::mkdir(outbox_dir(state.path()).c_str(), 0700);
  test::write_file(outbox_dir(state.path()) + "/accepted.log", "");
  EXPECT_FALSE(outbox_holds_unsent_mail(state.path())) << "an empty log holds nothing";
  test::write_file(outbox_dir(state.path()) + "/accepted.log", "entry");
  EXPECT_TRUE(outbox_holds_unsent_mail(state.path()));
  test::write_file(outbox_dir(state.path()) + "/all-sent", "");
  EXPECT_FALSE(outbox_holds_unsent_mail(state.path())) << "every mail in it is sent or failed";
}

// The co-process (loading its outbox) and the service (deciding to start it
// at boot) ask the same question with this one function.
TEST(OutboxLayout, MailFileNamesAreVisibleNamesEndingInDotMail) {
  EXPECT_TRUE(is_mail_file_name("0123abcd.mail"));
  EXPECT_FALSE(is_mail_file_name(".0123abcd.mail"));
  EXPECT_FALSE(is_mail_file_name(".abc.mail.tmp"));
  EXPECT_FALSE(is_mail_file_name(".mail"));
  EXPECT_FALSE(is_mail_file_name("states.log"));
}

}  // namespace
}  // namespace coproc
