// Readiness and status for a supervisor, in systemd's sd_notify datagram
// protocol: works under systemd (Type=notify) and under coproc-service,
// which sets NOTIFY_SOCKET for the co-process it launches.
#pragma once

#include <string_view>

namespace coproc {

/// Sends `state` (e.g. "READY=1\nMAINPID=123") to $NOTIFY_SOCKET. Returns
/// false when there is no supervisor listening or the send failed.
bool notify_supervisor(std::string_view state);

}  // namespace coproc
