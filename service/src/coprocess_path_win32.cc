#include <windows.h>

#include "coprocess_path.h"
#include "win32_error.h"

namespace coproc {
namespace {

std::wstring executable_dir_wide() {
  std::wstring path(32768, L'\0');
  const DWORD n = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
  path.resize(n);
  const auto slash = path.find_last_of(L"\\/");
  return slash == std::wstring::npos ? L"." : path.substr(0, slash);
}

bool is_file(const std::wstring& path) {
  const DWORD attributes = ::GetFileAttributesW(path.c_str());
  return attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY);
}

std::wstring full_path(const std::wstring& path) {
  std::wstring out(32768, L'\0');
  const DWORD n = ::GetFullPathNameW(path.c_str(), static_cast<DWORD>(out.size()), out.data(),
                                     nullptr);
  if (n == 0 || n >= out.size()) return path;
  out.resize(n);
  return out;
}

}  // namespace

std::string executable_dir() { return narrow(executable_dir_wide()); }

std::string locate_coprocess(const std::string& configured, std::vector<std::string>* tried) {
  std::vector<std::wstring> candidates;
  if (!configured.empty()) {
    candidates.push_back(widen(configured));
  } else {
    const std::wstring dir = executable_dir_wide();
    candidates = {dir + L"\\coprocess.exe", dir + L"\\..\\coprocess\\coprocess.exe"};
  }
  for (const auto& c : candidates) {
    tried->push_back(narrow(c));
    if (is_file(c)) return narrow(full_path(c));
  }
  return "";
}

}  // namespace coproc
