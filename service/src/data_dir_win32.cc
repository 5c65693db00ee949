#include "data_dir_win32.h"

#include <windows.h>
#include <aclapi.h>
#include <knownfolders.h>
#include <objbase.h>
#include <shlobj.h>
#include <sddl.h>

#include <filesystem>
#include <system_error>

#include "coprocess_path.h"
#include "win32_error.h"

namespace coproc {
namespace fs = std::filesystem;
namespace {

// SYSTEM and Administrators: full control, inherited by what is created
// inside (OICI); nothing inherited from above (P), so Users lose the read
// access ProgramData gives them.
constexpr const wchar_t* kPrivateDirDacl = L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";
constexpr const wchar_t* kPrivateFileDacl = L"D:P(A;;FA;;;SY)(A;;FA;;;BA)";

}  // namespace

// FOLDERID_ProgramData as Windows knows it, then the environment: a
// service's environment need not say it (wine's services get
// ProgramData=C:\users\Public while everything else uses C:\ProgramData).
std::string program_data_dir() {
  PWSTR known = nullptr;
  if (::SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &known) == S_OK && known) {
    const std::string dir = narrow(known) + "\\coproc";
    ::CoTaskMemFree(known);
    return dir;
  }
  wchar_t buf[MAX_PATH];
  const DWORD n = ::GetEnvironmentVariableW(L"ProgramData", buf, MAX_PATH);
  const std::string base =
      n > 0 && n < MAX_PATH ? narrow(std::wstring(buf, n)) : std::string("C:\\ProgramData");
  return base + "\\coproc";
}

const wchar_t* private_dacl_sddl(bool directory) {
  return directory ? kPrivateDirDacl : kPrivateFileDacl;
}

std::string sample_config_path() { return executable_dir() + "\\coproc.conf.sample"; }

bool make_private(const std::string& path, std::string* error) {
  std::error_code ec;
  const wchar_t* sddl = private_dacl_sddl(fs::is_directory(fs::u8path(path), ec));
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd,
                                                              nullptr)) {
    *error = "bad security descriptor: " + win32_message(::GetLastError());
    return false;
  }
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = nullptr;
  ::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  std::wstring wide = widen(path);
  const DWORD rc = ::SetNamedSecurityInfoW(
      wide.data(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
      nullptr, nullptr, dacl, nullptr);
  ::LocalFree(sd);
  if (rc != ERROR_SUCCESS) {
    *error = "cannot restrict access to " + path + ": " + win32_message(rc);
    return false;
  }
  return true;
}

bool prepare_data_dir(const std::string& dir, const std::string& sample_config,
                      std::string* error) {
  std::error_code ec;
  fs::create_directories(fs::u8path(dir), ec);
  if (ec) {
    *error = "cannot create " + dir + ": " + ec.message();
    return false;
  }
  if (!make_private(dir, error)) return false;
  const fs::path config = fs::u8path(dir) / "coproc.conf";
  if (!fs::exists(config, ec) && !sample_config.empty() &&
      fs::exists(fs::u8path(sample_config), ec)) {
    fs::copy_file(fs::u8path(sample_config), config, ec);
    if (ec) {
      *error = "cannot install " + config.u8string() + ": " + ec.message();
      return false;
    }
  }
  return !fs::exists(config, ec) || make_private(config.u8string(), error);
}

bool purge_data_dir(const std::string& dir, std::string* error) {
  // The installer stops the service just before; its log file may stay open
  // for a moment longer (and an open file cannot be removed): try for 15 s.
  std::error_code ec;
  for (int attempt = 0; attempt < 30; ++attempt) {
    ec.clear();
    fs::remove_all(fs::u8path(dir), ec);
    if (!ec && !fs::exists(fs::u8path(dir), ec)) return true;
    ::Sleep(500);
  }
  *error = "cannot remove " + dir + (ec ? ": " + ec.message() : std::string(": still in use"));
  return false;
}

}  // namespace coproc
