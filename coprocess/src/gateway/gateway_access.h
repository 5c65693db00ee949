// Who may work a gateway queue: users and groups named in gateway.allow,
// matched against the kernel's identity of an RPC peer (CallContext::peer),
// never against anything the worker says.
#pragma once

#include <cstdint>
#include <string>

namespace coproc::gateway {

struct Principal {
  bool group = false;     // a group: its members (primary or supplementary) match
  std::uint32_t id = 0;   // uid or gid
  std::string text;       // as written in the config, for messages
};

/// Resolves "alice", "1001", "@staff" or "@50" through the user and group
/// databases (numbers are taken as they are). Throws ConfigError naming the
/// unknown user or group. Platform code: gateway_access_posix.cc.
Principal resolve_principal(const std::string& text);

/// True when the peer (uid, primary gid) is `p` or, for a group, a member
/// of it (primary or supplementary). Thread-safe.
bool principal_matches(const Principal& p, std::uint32_t uid, std::uint32_t gid);

}  // namespace coproc::gateway
