// Who is on the other end of a local connection, as the kernel says
// (SO_PEERCRED) — never what the client claims.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace coproc {

struct PeerCredentials {
  std::uint32_t uid = static_cast<std::uint32_t>(-1);
  std::uint32_t gid = static_cast<std::uint32_t>(-1);
  std::int32_t pid = 0;
  /// Windows: the SID strings of the client's token, its user first, then
  /// the groups it is an enabled member of ("S-1-5-32-545"); shared, as
  /// every call of a connection copies its peer. Null on POSIX.
  std::shared_ptr<const std::vector<std::string>> sids;
};

/// False when the kernel cannot say (the fd is not a local socket).
bool read_peer_credentials(int socket_fd, PeerCredentials* out);

/// POSIX: true when user `uid` (primary group `gid`) is in `group`, as its
/// primary group or a supplementary one per the group database.
bool in_group(std::uint32_t uid, std::uint32_t gid, std::uint32_t group);

}  // namespace coproc
