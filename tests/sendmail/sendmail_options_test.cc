#include "sendmail_options.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "message_input.h"
#include "sendmail_exit.h"

namespace coproc::sendmail {
namespace {

SendmailOptions parse(std::vector<std::string> args) {
  SendmailOptions o;
  std::string error;
  EXPECT_TRUE(parse_sendmail_args(args, &o, &error)) << error;
  return o;
}

std::string error_of(std::vector<std::string> args) {
  SendmailOptions o;
  std::string error;
  return parse_sendmail_args(args, &o, &error) ? "accepted" : error;
}

TEST(SendmailOptions, PhpsDefaultCommandLineReadsRecipientsFromHeaders) {
  SendmailOptions o = parse({"-t", "-i"});
  EXPECT_TRUE(o.recipients_from_headers);
  EXPECT_FALSE(o.dot_ends_input);
  EXPECT_TRUE(o.recipients.empty());
}

TEST(SendmailOptions, CronsCommandLineIsUnderstood) {
  SendmailOptions o = parse({"-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"});
  EXPECT_EQ(o.full_name, "CronDaemon");
  EXPECT_FALSE(o.dot_ends_input);
  EXPECT_EQ(o.recipients, std::vector<std::string>{"root"});
}

TEST(SendmailOptions, ValuesMayBeAttachedOrSeparateAndFlagsClustered) {
  SendmailOptions o = parse({"-ti", "-f", "a@x.example", "-F", "Full Name", "--", "-odd@x"});
  EXPECT_TRUE(o.recipients_from_headers);
  EXPECT_FALSE(o.dot_ends_input);
  EXPECT_EQ(o.sender, "a@x.example");
  EXPECT_EQ(o.full_name, "Full Name");
  EXPECT_EQ(o.recipients, std::vector<std::string>{"-odd@x"});
  EXPECT_EQ(parse({"-rb@x.example"}).sender, "b@x.example");
}

TEST(SendmailOptions, NoOpOptionsAreAccepted) {
  SendmailOptions o = parse({"-odi", "-oem", "-odb", "-oQ/var/spool", "-bm", "-U", "-m", "-n",
                             "-N", "never", "-R", "hdrs", "-V", "envid", "-O", "x=y", "-oi", "a@b.c"});
  EXPECT_FALSE(o.dot_ends_input);
  EXPECT_EQ(o.recipients, std::vector<std::string>{"a@b.c"});
  EXPECT_TRUE(parse({"-q15m"}).queue_run);
}

TEST(SendmailOptions, CoprocsOwnOptionsSelectTheCoprocess) {
  SendmailOptions o = parse({"--runtime-dir", "/tmp/r", "--timeout", "2000", "--no-launch", "x"});
  EXPECT_EQ(o.runtime_dir, "/tmp/r");
  EXPECT_EQ(o.timeout_ms, 2000);
  EXPECT_TRUE(o.no_launch);
}

TEST(SendmailOptions, UsageErrorsSayWhat) {
  EXPECT_EQ(error_of({"-f"}), "-f needs a value");
  EXPECT_EQ(error_of({"-Z"}), "unknown option -Z");
  EXPECT_EQ(error_of({"-bp"}), "mode -bp is not supported (only -bm: read a message and send it)");
  EXPECT_EQ(error_of({"--timeout", "x"}),
            "--timeout must be a number of milliseconds (1..86400000), not 'x'");
  EXPECT_EQ(error_of({"--bogus"}), "unknown option '--bogus'");
}

std::string read_from(const std::string& input, bool dot_ends, InputResult* result,
                      std::uint64_t max = 1 << 20) {
  std::FILE* f = std::tmpfile();
  std::fwrite(input.data(), 1, input.size(), f);
  std::rewind(f);
  std::string out;
  *result = read_message(f, dot_ends, max, &out);
  std::fclose(f);
  return out;
}

TEST(MessageInput, ALoneDotEndsTheMessageUnlessDashI) {
  InputResult r;
  EXPECT_EQ(read_from("a\n.\nb\n", true, &r), "a\n");
  EXPECT_EQ(read_from("a\r\n.\r\nb\r\n", true, &r), "a\r\n");
  EXPECT_EQ(read_from(".\nb\n", true, &r), "");
  EXPECT_EQ(read_from("a\n.", true, &r), "a\n");
  EXPECT_EQ(read_from("a\n..\n.b\n", true, &r), "a\n..\n.b\n");
  EXPECT_EQ(read_from("a\n.\nb\n", false, &r), "a\n.\nb\n");
  EXPECT_EQ(r, InputResult::ok);
}

TEST(MessageInput, ADotAfterTheFirstBufferIsFound) {
  InputResult r;
  const std::string big(100000, 'x');
  EXPECT_EQ(read_from(big + "\n.\nrest\n", true, &r), big + "\n");
}

TEST(MessageInput, MoreThanTheLimitIsTooLarge) {
  InputResult r;
  read_from(std::string(5000, 'x'), false, &r, 4096);
  EXPECT_EQ(r, InputResult::too_large);
}

TEST(SendmailExit, StatusesMapToSysexits) {
  EXPECT_EQ(exit_for(COPROC_OK), 0);
  EXPECT_EQ(exit_for(COPROC_E_BAD_REQUEST), 65);
  EXPECT_EQ(exit_for(COPROC_E_TOO_LARGE), 65);
  EXPECT_EQ(exit_for(COPROC_E_NOT_RUNNING), 75);
  EXPECT_EQ(exit_for(COPROC_E_SERVICE_NOT_RUNNING), 75);
  EXPECT_EQ(exit_for(COPROC_E_UNAVAILABLE), 75);
  EXPECT_EQ(exit_for(COPROC_E_RATE_LIMITED), 75);
  EXPECT_EQ(exit_for(COPROC_E_TIMEOUT), 75);
  EXPECT_EQ(exit_for(COPROC_E_PERMISSION_DENIED), 77);
  EXPECT_EQ(exit_for(COPROC_E_NOT_FOUND), 69);
  EXPECT_EQ(exit_for(COPROC_E_INTERNAL), 70);
}

}  // namespace
}  // namespace coproc::sendmail
