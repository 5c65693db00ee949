#include "peer_credentials_win32.h"

#include <windows.h>
#include <sddl.h>

#include <memory>
#include <vector>

namespace coproc {
namespace {

constexpr const char* kLocalSystemSid = "S-1-5-18";

// Opens the client's token: impersonation first (what the kernel says the
// pipe client is), the client process's token second.
HANDLE open_client_token(HANDLE pipe, DWORD pid) {
  HANDLE token = nullptr;
  if (::ImpersonateNamedPipeClient(pipe)) {
    if (!::OpenThreadToken(::GetCurrentThread(), TOKEN_QUERY | TOKEN_DUPLICATE, TRUE, &token)) {
      token = nullptr;
    }
    ::RevertToSelf();
  }
  if (token) return token;
  HANDLE process = ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (!process) return nullptr;
  if (!::OpenProcessToken(process, TOKEN_QUERY | TOKEN_DUPLICATE, &token)) token = nullptr;
  ::CloseHandle(process);
  return token;
}

bool is_administrator(HANDLE token) {
  HANDLE check = nullptr;
  if (!::DuplicateToken(token, SecurityIdentification, &check)) return false;
  BYTE sid_buffer[SECURITY_MAX_SID_SIZE];
  DWORD sid_size = sizeof sid_buffer;
  BOOL member = FALSE;
  if (!::CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, sid_buffer, &sid_size) ||
      !::CheckTokenMembership(check, sid_buffer, &member)) {
    member = FALSE;
  }
  ::CloseHandle(check);
  return member != FALSE;
}

// A TOKEN_USER or TOKEN_GROUPS of `token`; empty when Windows cannot say.
std::vector<unsigned char> token_information(HANDLE token, TOKEN_INFORMATION_CLASS what) {
  DWORD size = 0;
  ::GetTokenInformation(token, what, nullptr, 0, &size);
  std::vector<unsigned char> buffer(size);
  if (size == 0 || !::GetTokenInformation(token, what, buffer.data(), size, &size)) buffer.clear();
  return buffer;
}

bool sid_string(PSID sid, std::string* out) {
  char* text = nullptr;
  if (!::ConvertSidToStringSidA(sid, &text)) return false;
  *out = text;
  ::LocalFree(text);
  return true;
}

// The user's SID, then the groups that count for access checks: enabled,
// not deny-only.
bool token_sids(HANDLE token, std::vector<std::string>* out) {
  const auto user = token_information(token, TokenUser);
  std::string text;
  if (user.empty() ||
      !sid_string(reinterpret_cast<const TOKEN_USER*>(user.data())->User.Sid, &text)) {
    return false;
  }
  out->push_back(text);
  const auto groups = token_information(token, TokenGroups);
  if (groups.empty()) return true;
  const auto* list = reinterpret_cast<const TOKEN_GROUPS*>(groups.data());
  for (DWORD i = 0; i < list->GroupCount; ++i) {
    const DWORD attributes = list->Groups[i].Attributes;
    if ((attributes & SE_GROUP_ENABLED) == 0 || (attributes & SE_GROUP_USE_FOR_DENY_ONLY) != 0) {
      continue;
    }
    if (sid_string(list->Groups[i].Sid, &text)) out->push_back(text);
  }
  return true;
}

}  // namespace

std::uint32_t uid_for_sid(const std::string& sid) {
  if (sid == kLocalSystemSid) return 0;
  std::uint32_t h = 2166136261u;
  for (unsigned char c : sid) {
    h ^= c;
    h *= 16777619u;
  }
  if (h == 0 || h == 0xFFFFFFFFu) h = 1;
  return h;
}

bool read_pipe_client_credentials(void* pipe, PeerCredentials* out, std::string* user_sid) {
  ULONG pid = 0;
  if (!::GetNamedPipeClientProcessId(pipe, &pid)) return false;
  out->pid = static_cast<std::int32_t>(pid);
  HANDLE token = open_client_token(pipe, pid);
  if (!token) return false;
  auto sids = std::make_shared<std::vector<std::string>>();
  const bool ok = token_sids(token, sids.get());
  if (ok) {
    *user_sid = sids->front();
    out->uid = uid_for_sid(*user_sid);
    const bool admin = out->uid == 0 || is_administrator(token);
    out->gid = admin ? kWindowsAdminGid : kWindowsUserGid;
    out->sids = std::move(sids);
  }
  ::CloseHandle(token);
  return ok;
}

}  // namespace coproc
