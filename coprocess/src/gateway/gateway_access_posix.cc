// gateway_access.h on POSIX: the passwd and group databases (getpwnam_r,
// getgrnam_r; group membership from common/peer_credentials).
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "config.h"
#include "gateway_access.h"
#include "peer_credentials.h"

namespace coproc::gateway {
namespace {

std::vector<char> nss_buffer() {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  return std::vector<char>(size > 0 ? static_cast<std::size_t>(size) * 4 : 65536);
}

}  // namespace

void resolve_account(Principal& p, const std::string& name, bool numeric) {
  if (numeric) {
    p.id = static_cast<std::uint32_t>(std::strtoul(name.c_str(), nullptr, 10));
    return;
  }
  auto buf = nss_buffer();
  if (p.group) {
    struct group gr {};
    struct group* found = nullptr;
    if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) {
      throw ConfigError("gateway.allow: no group '" + name + "'");
    }
    p.id = found->gr_gid;
  } else {
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
      throw ConfigError("gateway.allow: no user '" + name + "'");
    }
    p.id = found->pw_uid;
  }
}

bool principal_matches(const Principal& p, const PeerCredentials& peer) {
  return p.group ? in_group(peer.uid, peer.gid, p.id) : peer.uid == p.id;
}

std::string describe_peer(const PeerCredentials& peer) { return "uid " + std::to_string(peer.uid); }

}  // namespace coproc::gateway
