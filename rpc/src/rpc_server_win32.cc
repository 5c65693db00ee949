// Who is an administrator on Windows: SYSTEM or a caller whose token is an
// enabled member of BUILTIN\Administrators (gid 0, see
// peer_credentials_win32.h). service.admin_group is a POSIX group name and
// has no meaning here.
#include "log.h"
#include "peer_credentials_win32.h"
#include "rpc_server.h"

namespace coproc {

void RpcServer::resolve_admin_group() {
  if (!settings_.admin_group.empty()) {
    COPROC_LOG(warn, settings_.component,
               "service.admin_group '" << settings_.admin_group
                                       << "' is ignored on Windows: SYSTEM and Administrators "
                                          "are the administrators");
  }
}

bool RpcServer::is_admin(std::uint32_t uid, std::uint32_t gid) const {
  return uid == 0 || gid == kWindowsAdminGid;
}

}  // namespace coproc
