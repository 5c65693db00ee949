#include "config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "temp_dir.h"

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

TEST(Config, EveryEnumOptionListsItsChoicesAndItsDefaultIsOne) {
  for (const OptionSpec& s : option_specs()) {
    if (s.type != OptionType::enumeration) {
      EXPECT_TRUE(s.choices.empty()) << s.name << " has choices but is not an enum option";
      continue;
    }
    std::vector<std::string> choices;
    for (std::size_t pos = 0; pos <= s.choices.size();) {
      const std::size_t bar = std::min(s.choices.find('|', pos), s.choices.size());
      choices.emplace_back(s.choices.substr(pos, bar - pos));
      pos = bar + 1;
    }
    EXPECT_GE(choices.size(), 2u) << s.name << " needs at least two choices";
    EXPECT_NE(std::find(choices.begin(), choices.end(), s.default_value), choices.end())
        << s.name << "'s default '" << s.default_value << "' is not one of its choices";
  }
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


// Secrets from files and systemd credentials (issue 13 item 6).
class SecretFiles : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("CREDENTIALS_DIRECTORY"); }
  std::string secret_file(const std::string& name, const std::string& text, unsigned mode) {
    const std::string path = dir_.file(name);
    test::write_file(path, text);
    ::chmod(path.c_str(), mode);
    return path;
  }
  test::TempDir dir_;
};

TEST_F(SecretFiles, PasswordFileGivesThePasswordWithoutItsNewline) {
  Config c;
  c.set("smtp.password_file=" + secret_file("pw", "s3cret\n", 0640));
  c.load_secret_files();
  EXPECT_EQ(c.str("smtp.password"), "s3cret");
}

TEST_F(SecretFiles, ProxyPasswordComesFromItsFileToo) {
  Config c;
  c.set("http.proxy_password_file=" + secret_file("proxy", "pr0xy\n", 0600));
  c.load_secret_files();
  EXPECT_EQ(c.str("http.proxy_password"), "pr0xy");
  EXPECT_EQ(c.secret_lines(), "http.proxy_password=pr0xy\nhttp.proxy_password_file=\n");
}

TEST_F(SecretFiles, PasswordFileOpenToOtherUsersIsRefused) {
  Config c;
  const std::string path = secret_file("pw", "s3cret\n", 0604);
  c.set("smtp.password_file=" + path);
  try {
    c.load_secret_files();
    FAIL() << "a world-readable password file was accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "smtp.password_file: " + path +
                                         " is open to other users (mode 0604); make it 0600 or "
                                         "0640 (owner root, group coproc)");
  }
}

TEST_F(SecretFiles, PasswordAndPasswordFileTogetherAreRefused) {
  Config c;
  c.set("smtp.password=a");
  c.set("smtp.password_file=" + secret_file("pw", "b", 0600));
  EXPECT_THROW(c.load_secret_files(), ConfigError);
}

TEST_F(SecretFiles, CredentialNameNeedsTheCredentialsDirectory) {
  Config c;
  c.set("smtp.password_file=smtp-password");
  try {
    c.load_secret_files();
    FAIL() << "a credential name without $CREDENTIALS_DIRECTORY was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("$CREDENTIALS_DIRECTORY is not set"), std::string::npos)
        << e.what();
  }
  ::setenv("CREDENTIALS_DIRECTORY", dir_.path().c_str(), 1);
  secret_file("smtp-password", "from-credential", 0400);
  c.load_secret_files();
  EXPECT_EQ(c.str("smtp.password"), "from-credential");
}

TEST_F(SecretFiles, CredentialNamedAfterTheOptionIsUsedWhenNothingElseIsSet) {
  ::setenv("CREDENTIALS_DIRECTORY", dir_.path().c_str(), 1);
  secret_file("smtp.password", "implicit\n", 0400);
  Config c;
  c.load_secret_files();
  EXPECT_EQ(c.str("smtp.password"), "implicit");
  Config configured;
  configured.set("smtp.password=from-config");
  configured.load_secret_files();
  EXPECT_EQ(configured.str("smtp.password"), "from-config") << "the config file wins";
}

TEST_F(SecretFiles, SecretLinesCarryTheValuesAndEmptyTheFileOption) {
  Config service;
  service.set("smtp.password_file=" + secret_file("pw", " spaced pass ", 0600));
  service.load_secret_files();
  const std::string lines = service.secret_lines();
  EXPECT_EQ(lines, "smtp.password= spaced pass \nsmtp.password_file=\n");
  Config coprocess;
  coprocess.set("smtp.password_file=/unreadable/by/the/coprocess");
  coprocess.set_secret_lines(lines);
  coprocess.load_secret_files();
  EXPECT_EQ(coprocess.str("smtp.password"), " spaced pass ") << "kept as is, spaces too";
  EXPECT_EQ(Config().secret_lines(), "");
  EXPECT_TRUE(Config::sets_secret("smtp.password=x"));
  EXPECT_FALSE(Config::sets_secret("smtp.password_file=/x"));
  EXPECT_FALSE(Config::sets_secret("smtp.host=x"));
}

}  // namespace
}  // namespace coproc
