// Who may work a gateway queue: users and groups named in gateway.allow,
// matched against the kernel's identity of an RPC peer (CallContext::peer),
// never against anything the worker says. Platform code:
// gateway_access_posix.cc (passwd and group databases) and
// gateway_access_win32.cc (account names and SIDs, the pipe client's token);
// the syntax shared by both in gateway_access.cc.
#pragma once

#include <cstdint>
#include <string>

#include "peer_credentials.h"

namespace coproc::gateway {

struct Principal {
  bool group = false;     // written with '@': a group, whose members match
  std::uint32_t id = 0;   // POSIX: the uid or gid
  std::string sid;        // Windows: the account's or group's SID ("S-1-5-32-545")
  std::string text;       // as written in the config, for messages
};

/// Resolves one gateway.allow entry. POSIX: "alice", "1001", "@staff" or
/// "@50" through the user and group databases (numbers are taken as they
/// are). Windows: an account or group name ("alice", "BUILTIN\Users",
/// "DOMAIN\Web Workers"; '@' in front insists on a group) through
/// LookupAccountNameW, or a literal SID ("S-1-5-32-545"). Throws ConfigError
/// naming the unknown user or group.
Principal resolve_principal(const std::string& text);

/// The platform half of resolve_principal: sets p.id (POSIX) or p.sid
/// (Windows) from `name` (the entry without its '@', not empty; `numeric`
/// when it is all digits). Throws ConfigError.
void resolve_account(Principal& p, const std::string& name, bool numeric);

/// True when `peer` is `p` or, for a group, a member of it. POSIX: uid, or
/// primary or supplementary group per the group database. Windows: the
/// user SID or an enabled group SID of the client's token. Thread-safe.
bool principal_matches(const Principal& p, const PeerCredentials& peer);

/// The peer as an error message names it: "uid 1001" (POSIX), "user
/// S-1-5-21-..." (Windows).
std::string describe_peer(const PeerCredentials& peer);

}  // namespace coproc::gateway
