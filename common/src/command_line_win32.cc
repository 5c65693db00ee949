#include "command_line_win32.h"

#include "win32_error.h"

namespace coproc {
namespace {

// Quotes one argument the way CommandLineToArgvW and the C runtime parse it.
std::wstring quote(const std::wstring& arg) {
  if (!arg.empty() && arg.find_first_of(L" \t\"") == std::wstring::npos) return arg;
  std::wstring out = L"\"";
  std::size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    if (c == L'"') {
      out.append(backslashes * 2 + 1, L'\\');
    } else {
      out.append(backslashes, L'\\');
    }
    backslashes = 0;
    out.push_back(c);
  }
  out.append(backslashes * 2, L'\\');
  out.push_back(L'"');
  return out;
}

}  // namespace

std::wstring windows_command_line(const std::vector<std::string>& argv) {
  std::wstring command;
  for (const auto& a : argv) {
    if (!command.empty()) command.push_back(L' ');
    command += quote(widen(a));
  }
  return command;
}

}  // namespace coproc
