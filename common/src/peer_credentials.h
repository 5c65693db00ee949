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

/// True when `a` and `b` are the same account: the same uid and, where the
/// peers carry SIDs (Windows, whose uid is a 32-bit digest of the user SID),
/// the same user SID, so two accounts whose digests collide stay apart.
inline bool same_account(const PeerCredentials& a, const PeerCredentials& b) {
  if (a.uid != b.uid) return false;
  const bool a_sid = a.sids && !a.sids->empty();
  const bool b_sid = b.sids && !b.sids->empty();
  if (a_sid != b_sid) return false;
  return !a_sid || a.sids->front() == b.sids->front();
}

/// False when the kernel cannot say (the fd is not a local socket).
bool read_peer_credentials(int socket_fd, PeerCredentials* out);

/// POSIX: true when user `uid` (primary group `gid`) is in `group`, as its
/// primary group or a supplementary one per the group database.
bool in_group(std::uint32_t uid, std::uint32_t gid, std::uint32_t group);

}  // namespace coproc
