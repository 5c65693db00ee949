// coprocctl's calls to the service's control endpoint (control.sock, or the
// coproc-control pipe): they go there by themselves, never launch the
// co-process, and tell "permission denied" from "service not running".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "command.h"
#include "rpc_message.h"

namespace coproc::ctl {

/// Calls `method` on the control endpoint with a deadline of `timeout`.
/// A refused connect (the socket's mode or group keeps this user out) is
/// COPROC_E_PERMISSION_DENIED, no listener COPROC_E_SERVICE_NOT_RUNNING.
CallResult control_call(const CommandEnv& env, std::string_view method, const rpc::Packed& params,
                        std::chrono::milliseconds timeout);

}  // namespace coproc::ctl
