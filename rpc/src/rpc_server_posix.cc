// Who is an administrator on POSIX: uid 0 or a member of
// service.admin_group (primary or supplementary, per the group database).
#include <grp.h>

#include "log.h"
#include "peer_credentials.h"
#include "rpc_server.h"

namespace coproc {

void RpcServer::resolve_admin_group() {
  if (!settings_.admin_group.empty()) {
    if (struct group* gr = ::getgrnam(settings_.admin_group.c_str())) {
      admin_gid_ = gr->gr_gid;
    } else {
      COPROC_LOG(warn, settings_.component,
                 "admin group '" << settings_.admin_group << "' does not exist; only root is admin");
    }
  }
}

bool RpcServer::is_admin(std::uint32_t uid, std::uint32_t gid) const {
  if (uid == 0) return true;
  if (admin_gid_ == static_cast<std::uint32_t>(-1)) return false;
  return in_group(uid, gid, admin_gid_);
}

}  // namespace coproc

