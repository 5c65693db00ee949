// Who is on the other end of a named pipe, as Windows says — never what
// the client claims. The pid comes from GetNamedPipeClientProcessId, the
// user from the client's token (read by impersonating the client at
// identification level; the client process's token when that fails).
//
// PeerCredentials on Windows:
//   uid  0 for SYSTEM, otherwise a stable 32-bit digest (FNV-1a) of the
//        user SID string, never 0 or 0xFFFFFFFF; the SID itself is logged
//        once per connection so a uid can be traced back to an account.
//   gid  0 when the token is SYSTEM or an enabled member of Administrators
//        (the equivalent of root for admin-only methods), else 545 (the
//        RID of BUILTIN\Users).
//   sids the user SID, then every group SID the token holds enabled (not
//        deny-only): what gateway.allow entries are matched against.
#pragma once

#include <cstdint>
#include <string>

#include "peer_credentials.h"

namespace coproc {

constexpr std::uint32_t kWindowsAdminGid = 0;
constexpr std::uint32_t kWindowsUserGid = 545;

/// Reads the identity of the client of the connected pipe instance `pipe`
/// (a HANDLE). `user_sid` receives the SID string ("S-1-5-21-..."). False
/// when Windows cannot say.
bool read_pipe_client_credentials(void* pipe, PeerCredentials* out, std::string* user_sid);

/// The uid a SID string maps to (see above).
std::uint32_t uid_for_sid(const std::string& sid);

}  // namespace coproc
