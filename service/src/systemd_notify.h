// The service's own readiness and liveness reports to its supervisor
// (systemd Type=notify: READY=1, STOPPING=1, WATCHDOG=1 when WatchdogSec=
// is set). Without NOTIFY_SOCKET every call is a no-op.
#pragma once

#include <chrono>
#include <string_view>

namespace coproc::systemd {

void notify_ready(std::string_view status);
void notify_status(std::string_view status);
void notify_stopping();
/// How often WATCHDOG=1 must be sent (half the configured WatchdogSec), or
/// zero when no watchdog is configured for this process.
std::chrono::microseconds watchdog_interval();
void notify_watchdog();

}  // namespace coproc::systemd
