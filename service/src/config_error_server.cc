#include "config_error_server.h"

#include "log.h"
#include "rpc_error.h"

namespace coproc {

ConfigErrorServer::ConfigErrorServer(const std::string& error) {
  const std::string message = "coproc-service cannot start: " + error +
                              " (fix the configuration, check it with coproc-service "
                              "--check-config, then restart the service)";
  host_.dispatcher().set_fallback(
      Execution::event_loop, [message](CallContext& call, const rpc::Params&) -> rpc::Packed {
        COPROC_LOG(debug, "service", "uid=" << call.peer.uid << " told: configuration error");
        throw RpcException(Errc::unavailable, message);
      });
}

void ConfigErrorServer::start(std::vector<ListenTarget> targets) {
  ServerSettings settings;
  settings.component = "config-error";
  host_.start(std::move(targets), settings);
}

}  // namespace coproc
