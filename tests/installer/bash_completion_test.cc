// coprocctl's bash completion, run by a real bash. bash-completion's
// _init_completion and _filedir are stood in for by two small functions
// (the package does not depend on bash-completion being installed).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {
namespace {

// The words bash would offer after typing `line` (which ends where the
// cursor is; a trailing space starts a new, empty word).
std::string complete(const std::string& line) {
  TempDir dir;
  const std::string script = dir.file("t.sh");
  write_file(script, R"(
_init_completion() {
  words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
  cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}
}
_filedir() { COMPREPLY=(FILES); }
source ")" + std::string(COPROC_SOURCE_DIR) + R"(/installer/linux/coprocctl.bash-completion"
read -ra COMP_WORDS <<<"$1"
[[ $1 == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_coprocctl
echo "${COMPREPLY[*]}"
)");
  TestProcess::Options o;
  o.argv = {"/bin/bash", script, line};
  o.output_path = dir.file("out");
  TestProcess bash(o);
  const int status = bash.wait(std::chrono::seconds(30));
  std::string out = read_file(o.output_path);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "bash failed: " + out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(BashCompletion, CommandsSubcommandsAndOptions) {
  EXPECT_EQ(complete("coprocctl "), "call gateway http mail ping restart status");
  EXPECT_EQ(complete("coprocctl gateway "), "status");
  EXPECT_EQ(complete("coprocctl re"), "restart");
  EXPECT_EQ(complete("coprocctl --runtime-dir /tmp/x ma"), "mail");
  EXPECT_EQ(complete("coprocctl --no"), "--no-launch");
  EXPECT_EQ(complete("coprocctl mail "), "send status list test --help");
  EXPECT_EQ(complete("coprocctl mail test --"), "--to --from");
  EXPECT_EQ(complete("coprocctl mail list --state "), "queued sending sent failed");
  EXPECT_EQ(complete("coprocctl mail send --att"), "--attach");
  EXPECT_EQ(complete("coprocctl mail send --attach "), "FILES");
  EXPECT_EQ(complete("coprocctl http P"), "POST PUT PATCH");
  EXPECT_EQ(complete("coprocctl --json status "), "");
}

}  // namespace
}  // namespace coproc::test
