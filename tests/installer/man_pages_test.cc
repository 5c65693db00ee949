// The man pages the package installs: each formats without a groff warning,
// and coproc.conf(5) documents every option of the table.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>

#include "config.h"
#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {
namespace {

std::string man_dir() { return std::string(COPROC_BIN_DIR) + "/installer/man"; }

TEST(ManPages, EveryPageFormatsWithoutAWarning) {
  std::vector<std::string> pages;
  for (const auto& e : std::filesystem::directory_iterator(man_dir())) {
    const std::string name = e.path().filename().string();
    if (name.size() > 2 && name[name.size() - 2] == '.' && name.back() >= '1' &&
        name.back() <= '8') {
      pages.push_back(e.path().string());
    }
  }
  std::sort(pages.begin(), pages.end());
  ASSERT_GE(pages.size(), 3u) << "coprocctl.1, coproc-service.8, coproc.conf.5 at least";
  TempDir dir;
  for (const auto& page : pages) {
    TestProcess::Options o;
    o.argv = {"/usr/bin/groff", "-man", "-Tutf8", "-ww", "-z", page};
    o.output_path = dir.file("groff.out");
    TestProcess groff(o);
    const int status = groff.wait(std::chrono::seconds(30));
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << page;
    EXPECT_EQ(read_file(o.output_path), "") << page;
  }
}

TEST(ManPages, CoprocConfDocumentsEveryOption) {
  const std::string page = read_file(man_dir() + "/coproc.conf.5");
  ASSERT_FALSE(page.empty());
  for (const auto& s : option_specs()) {
    std::string name;
    for (char c : s.name) name += c == '-' ? std::string("\\-") : std::string(1, c);
    EXPECT_NE(page.find(".TP\n.B " + name + "\n"), std::string::npos) << s.name;
  }
  EXPECT_EQ(page.find("@COPROC_CONFIG_OPTIONS@"), std::string::npos);
  EXPECT_EQ(page.find("@PROJECT_VERSION@"), std::string::npos);
}

TEST(ManPages, CoprocctlPageNamesEveryCommand) {
  const std::string page = read_file(man_dir() + "/coprocctl.1");
  for (const char* command : {".B status", ".B restart", "mail send", "mail status", "mail list",
                              "mail \\-\\-help", "mail test", "http ", "call ", "ping",
                              ".B gateway status"}) {
    EXPECT_NE(page.find(command), std::string::npos) << command;
  }
}

TEST(ManPages, CoprocSendmailPageNamesItsOptionsAndExitCodes) {
  const std::string page = read_file(man_dir() + "/coproc-sendmail.1");
  for (const char* item : {".B \\-t", ".BR \\-i \", \" \\-oi", ".BI \\-f \" sender", ".BI \\-F \" name",
                           ".B \\-bm", ".B 64", ".B 65", ".B 69", ".B 70", ".B 74", ".B 75",
                           ".B 77", "coproc\\-sendmail\\-mta"}) {
    EXPECT_NE(page.find(item), std::string::npos) << item;
  }
  EXPECT_EQ(page.find("@PROJECT_VERSION@"), std::string::npos);
}

}  // namespace
}  // namespace coproc::test
