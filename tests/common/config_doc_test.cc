#include <gtest/gtest.h>

#include "config.h"
#include "temp_dir.h"

namespace coproc {
namespace {

TEST(ConfigDoc, ConfigurationPageMatchesTheOptionTable) {
  const std::string page = test::read_file(std::string(COPROC_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_FALSE(page.empty());
  EXPECT_NE(page.find(render_config_markdown()), std::string::npos)
      << "docs/configuration.md is out of date: regenerate its tables with "
         "`coprocess --print-config-doc`";
}

}  // namespace
}  // namespace coproc
