#include "control.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "status.h"
#include "sync_rpc.h"

namespace coproc::ctl {

CallResult control_call(const CommandEnv& env, std::string_view method, const rpc::Packed& params,
                        std::chrono::milliseconds timeout) {
  const std::string& endpoint = env.options().control_endpoint;
  int err = 0;
  const int fd = net::connect_local(endpoint, &err);
  if (fd < 0) {
    if (err == EACCES || err == EPERM) {
      return make_error(COPROC_E_PERMISSION_DENIED,
                        "permission denied connecting to the service's control endpoint " +
                            endpoint +
                            " (its mode or group does not admit this user; see "
                            "server.allowed_group)");
    }
    return make_error(COPROC_E_SERVICE_NOT_RUNNING,
                      "the coproc service is not running (" + endpoint + ": " + std::strerror(err) +
                          "); start it (e.g. systemctl start coproc)");
  }
  CallResult r = sync_call(fd, 1, method, params, net::Clock::now() + timeout,
                           std::string(method) + " on " + endpoint);
  ::close(fd);
  return r;
}

}  // namespace coproc::ctl
