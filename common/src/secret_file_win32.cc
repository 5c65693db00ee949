// Windows: mode bits mean nothing; the file's DACL says who may read it. A
// secret file is private unless its DACL lets a group of many accounts read
// or change it (Everyone, Authenticated Users, Users, Interactive, Guests,
// Domain Users, ...) or it has no DACL at all (everyone may do anything).
// Named accounts and SYSTEM / Administrators are the administrator's choice,
// as a file's owner and group are on POSIX.
#include <windows.h>
// after windows.h
#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <iterator>
#include <memory>

#include "secret_file.h"
#include "secret_file_win32.h"
#include "win32_error.h"

namespace coproc {
namespace {

struct LocalFreer {
  void operator()(void* p) const { ::LocalFree(p); }
};

// Rights that read the content or change the file or who may read it.
constexpr ACCESS_MASK kExposing = FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA |
                                  GENERIC_READ | GENERIC_WRITE | GENERIC_ALL | WRITE_DAC |
                                  WRITE_OWNER;

// The name of a SID that stands for many accounts, or nullptr.
const char* broad_group(PSID sid) {
  static const struct {
    WELL_KNOWN_SID_TYPE type;
    const char* name;
  } kGroups[] = {
      {WinWorldSid, "Everyone"},
      {WinAuthenticatedUserSid, "Authenticated Users"},
      {WinBuiltinUsersSid, "Users"},
      {WinInteractiveSid, "INTERACTIVE"},
      {WinRemoteLogonIdSid, "REMOTE INTERACTIVE LOGON"},
      {WinNetworkSid, "NETWORK"},
      {WinAnonymousSid, "ANONYMOUS LOGON"},
      {WinBuiltinGuestsSid, "Guests"},
      {WinBuiltinRemoteDesktopUsersSid, "Remote Desktop Users"},
  };
  for (const auto& g : kGroups) {
    if (::IsWellKnownSid(sid, g.type)) return g.name;
  }
  // S-1-5-21-<domain>-513 / -514: Domain Users, Domain Guests.
  const SID_IDENTIFIER_AUTHORITY* authority = ::GetSidIdentifierAuthority(sid);
  const SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
  const UCHAR count = *::GetSidSubAuthorityCount(sid);
  if (std::equal(std::begin(nt.Value), std::end(nt.Value), authority->Value) && count == 5 &&
      *::GetSidSubAuthority(sid, 0) == SECURITY_NT_NON_UNIQUE) {
    const DWORD rid = *::GetSidSubAuthority(sid, 4);
    if (rid == DOMAIN_GROUP_RID_USERS) return "Domain Users";
    if (rid == DOMAIN_GROUP_RID_GUESTS) return "Domain Guests";
  }
  return nullptr;
}

std::string sid_string(PSID sid) {
  wchar_t* text = nullptr;
  if (!::ConvertSidToStringSidW(sid, &text)) return "?";
  std::unique_ptr<wchar_t, LocalFreer> owned(text);
  return narrow(text);
}

}  // namespace

bool dacl_is_private(const ACL* dacl, const std::string& path, std::string* error) {
  const std::string fix =
      "; let only SYSTEM, Administrators and the service's account read it, e.g. icacls \"" + path +
      "\" /inheritance:r /grant:r SYSTEM:R Administrators:F";
  if (!dacl) {
    *error = path + " has no access control list, so every user may read it" + fix;
    return false;
  }
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    if (!::GetAce(const_cast<ACL*>(dacl), i, &ace)) continue;
    const auto* header = static_cast<const ACE_HEADER*>(ace);
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE || (header->AceFlags & INHERIT_ONLY_ACE)) {
      continue;
    }
    auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);
    PSID sid = &allowed->SidStart;
    const char* group = broad_group(sid);
    if (group && (allowed->Mask & kExposing)) {
      *error = path + " is open to other users (" + group + ", " + sid_string(sid) +
               ", may read or change it)" + fix;
      return false;
    }
  }
  return true;
}

bool secret_file_is_private(const std::string& path, std::string* error) {
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  const DWORD rc =
      ::GetNamedSecurityInfoW(widen(path).c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                              nullptr, nullptr, &dacl, nullptr, &sd);
  if (rc != ERROR_SUCCESS) {
    *error = path + ": cannot read its access control list: " + win32_message(rc);
    return false;
  }
  std::unique_ptr<void, LocalFreer> owned(sd);
  return dacl_is_private(dacl, path, error);
}

}  // namespace coproc
