// Who is on the other end of a local connection, as the kernel says
// (SO_PEERCRED) — never what the client claims.
#pragma once

#include <cstdint>

namespace coproc {

struct PeerCredentials {
  std::uint32_t uid = static_cast<std::uint32_t>(-1);
  std::uint32_t gid = static_cast<std::uint32_t>(-1);
  std::int32_t pid = 0;
};

/// False when the kernel cannot say (the fd is not a local socket).
bool read_peer_credentials(int socket_fd, PeerCredentials* out);

/// POSIX: true when user `uid` (primary group `gid`) is in `group`, as its
/// primary group or a supplementary one per the group database.
bool in_group(std::uint32_t uid, std::uint32_t gid, std::uint32_t group);

}  // namespace coproc
