// libsystemd implementation (built when pkg-config finds libsystemd).
#include "systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace coproc::systemd {

void notify_ready(std::string_view status) {
  const std::string msg = "READY=1\nSTATUS=" + std::string(status);
  sd_notify(0, msg.c_str());
}

void notify_status(std::string_view status) {
  const std::string msg = "STATUS=" + std::string(status);
  sd_notify(0, msg.c_str());
}

void notify_stopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

std::chrono::microseconds watchdog_interval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(usec / 2);
}

void notify_watchdog() { sd_notify(0, "WATCHDOG=1"); }

}  // namespace coproc::systemd
