// Windows: the named pipe server.pipe_name (\\.\pipe\coproc by default)
// with the DACL server.pipe_sddl. Its first instance, created with
// FILE_FLAG_FIRST_PIPE_INSTANCE, is the single-instance rule: a second
// co-process fails here with a clear message, and the name is free again
// the moment the holder dies. No lock file, no socket file to remove.
#include "client_endpoint.h"
#include "endpoint_win32.h"
#include "log.h"
#include "rpc_server.h"

namespace coproc {

struct ClientEndpoint::State {
  std::shared_ptr<PipeEndpoint> pipe = std::make_shared<PipeEndpoint>();
};

ClientEndpoint::ClientEndpoint() : state_(std::make_unique<State>()) {}
ClientEndpoint::~ClientEndpoint() = default;

int ClientEndpoint::open(const Paths& /*paths*/, const Config& config) {
  std::string path;
  std::string error;
  if (!pipe_path(config.str("server.pipe_name"), &path, &error)) {
    COPROC_LOG(error, "main", "server.pipe_name: " << error);
    return 2;
  }
  if (!state_->pipe->open(path, config.str("server.pipe_sddl"), &error)) {
    COPROC_LOG(error, "main", "cannot start: " << error);
    return 1;
  }
  return -1;
}

void ClientEndpoint::serve(RpcServer& server) { server.listen(ListenTarget{state_->pipe}); }

std::string ClientEndpoint::description() const { return state_->pipe->path(); }

void ClientEndpoint::remove() {}

}  // namespace coproc
