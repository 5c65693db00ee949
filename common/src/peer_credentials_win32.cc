#include "peer_credentials_win32.h"

#include <windows.h>
#include <sddl.h>

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
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<unsigned char> buffer(size ? size : 1);
  bool ok = ::GetTokenInformation(token, TokenUser, buffer.data(), size, &size) != FALSE;
  if (ok) {
    const auto* user = reinterpret_cast<const TOKEN_USER*>(buffer.data());
    char* text = nullptr;
    ok = ::ConvertSidToStringSidA(user->User.Sid, &text) != FALSE;
    if (ok) {
      *user_sid = text;
      ::LocalFree(text);
      out->uid = uid_for_sid(*user_sid);
      const bool admin = out->uid == 0 || is_administrator(token);
      out->gid = admin ? kWindowsAdminGid : kWindowsUserGid;
    }
  }
  ::CloseHandle(token);
  return ok;
}

}  // namespace coproc
