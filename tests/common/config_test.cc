#include "config.h"

#include <gtest/gtest.h>

namespace coproc {
namespace {

TEST(Config, DefaultsComeFromTheTable) {
  Config c;
  EXPECT_EQ(c.integer("smtp.port"), 587);
  EXPECT_EQ(c.str("smtp.security"), "starttls");
  EXPECT_TRUE(c.boolean("smtp.verify_tls"));
}

TEST(Config, ParsesSectionsCommentsQuotesAndSizes) {
  Config c = Config::parse(
      "# comment\n[smtp]\nhost = mail.example.com\nport=465\n; other comment\n"
      "password = \"s3cret with spaces\"\n[limits]\nmax_message_bytes = 2M\n",
      "test.conf");
  EXPECT_EQ(c.str("smtp.host"), "mail.example.com");
  EXPECT_EQ(c.integer("smtp.port"), 465);
  EXPECT_EQ(c.str("smtp.password"), "s3cret with spaces");
  EXPECT_EQ(c.integer("limits.max_message_bytes"), 2 * 1024 * 1024);
}

TEST(Config, BadFileNamesTheLineAndTheProblem) {
  auto error_of = [](const char* text) {
    try {
      Config::parse(text, "coproc.conf");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("[smtp]\nport = 99999\n"),
            "coproc.conf:2: option 'smtp.port' must be between 1 and 65535");
  EXPECT_EQ(error_of("\n\n[smtp]\nprot = 1\n"), "coproc.conf:4: unknown option 'smtp.prot'");
  EXPECT_EQ(error_of("[smtp\n"), "coproc.conf:1: section header needs a closing ']'");
  EXPECT_EQ(error_of("[smtp]\nport\n"), "coproc.conf:2: expected 'name = value'");
  EXPECT_EQ(error_of("[smtp]\nverify_tls = maybe\n"),
            "coproc.conf:2: option 'smtp.verify_tls' needs true or false, got 'maybe'");
}

TEST(Config, OptionsWithChoicesRefuseOthersWithTheLine) {
  try {
    Config::parse("[smtp]\n\nsecurity = startls\n", "coproc.conf");
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "coproc.conf:3: smtp.security must be starttls, tls or none, not 'startls'");
  }
  EXPECT_NO_THROW(Config::parse("[mail]\ntransport = maildir\n", "c"));
}

TEST(Config, EveryValueRemembersWhereItWasSet) {
  Config c = Config::parse("[smtp]\nhost = relay\n\nport = 25\n", "/etc/coproc/coproc.conf");
  c.set("smtp.port=2525");
  EXPECT_EQ(c.origin("smtp.host"), "/etc/coproc/coproc.conf:2");
  EXPECT_EQ(c.origin("smtp.port"), "--set");
  EXPECT_EQ(c.origin("smtp.username"), "");
}

TEST(Config, SetOverridesAndValidates) {
  Config c;
  c.set("server.io_threads=4");
  EXPECT_EQ(c.integer("server.io_threads"), 4);
  EXPECT_THROW(c.set("server.io_threads=0"), ConfigError);
  EXPECT_THROW(c.set("no-equals-sign"), ConfigError);
}

TEST(Config, SecretsAreMaskedInChangedOptions) {
  Config c = Config::parse("[smtp]\npassword = hunter2\nhost = relay\n", "t");
  for (const auto& [name, value] : c.changed_options()) {
    EXPECT_EQ(value.find("hunter2"), std::string::npos) << name;
  }
}

TEST(Config, SampleConfigListsEveryOptionAndParsesBack) {
  const std::string sample = render_sample_config();
  for (const auto& s : option_specs()) {
    const std::string key(s.name.substr(s.name.find('.') + 1));
    EXPECT_NE(sample.find("#" + key + " = "), std::string::npos) << s.name;
  }
  // Uncommenting every line gives a valid file with the defaults.
  std::string uncommented;
  std::size_t pos = 0;
  while (pos < sample.size()) {
    auto end = sample.find('\n', pos);
    std::string line = sample.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind("#", 0) == 0 && line.find(" = ") != std::string::npos && line[1] != ' ') {
      line = line.substr(1);
    }
    uncommented += line + "\n";
  }
  EXPECT_NO_THROW(Config::parse(uncommented, "sample"));
}

}  // namespace
}  // namespace coproc
