// Building a Windows command line: CreateProcessW takes one string, which
// the new program's C runtime (or CommandLineToArgvW) splits again.
#pragma once

#include <string>
#include <vector>

namespace coproc {

/// `argv` quoted so that the C runtime and CommandLineToArgvW give back
/// exactly these arguments (backslashes before a quote doubled, and so on).
std::wstring windows_command_line(const std::vector<std::string>& argv);

}  // namespace coproc
