// Where the co-process binary is: service.coprocess_path when set, else
// next to coproc-service, in the build tree (../coprocess/coprocess), or in
// the installed libexec folder (../libexec/coproc/coprocess); on Windows
// coprocess.exe next to coproc-service.exe or in the build tree
// (coprocess_path_posix.cc / _win32.cc).
#pragma once

#include <string>
#include <vector>

namespace coproc {

/// The folder of the running program.
std::string executable_dir();

/// The first executable candidate; "" when none is (then `tried` lists the
/// places looked at).
std::string locate_coprocess(const std::string& configured, std::vector<std::string>* tried);

}  // namespace coproc
