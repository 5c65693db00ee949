// systemd's notify protocol, through the one datagram sender the co-process
// uses too (common/src/notify.h); the watchdog period from WATCHDOG_USEC /
// WATCHDOG_PID as sd_watchdog_enabled() reads it.
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "notify.h"
#include "systemd_notify.h"

namespace coproc::systemd {

void notify_ready(std::string_view status) {
  notify_supervisor("READY=1\nSTATUS=" + std::string(status));
}

void notify_status(std::string_view status) { notify_supervisor("STATUS=" + std::string(status)); }

void notify_stopping() { notify_supervisor("STOPPING=1\nSTATUS=stopping"); }

std::chrono::microseconds watchdog_interval() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  const char* pid = std::getenv("WATCHDOG_PID");
  if (!usec) return std::chrono::microseconds(0);
  if (pid && std::strtol(pid, nullptr, 10) != static_cast<long>(::getpid())) {
    return std::chrono::microseconds(0);
  }
  return std::chrono::microseconds(std::strtoull(usec, nullptr, 10) / 2);
}

void notify_watchdog() { notify_supervisor("WATCHDOG=1"); }

}  // namespace coproc::systemd
