// Stopping the installed Windows service from the installer's custom
// actions. Windows Installer's StopServices asks the Service Control Manager
// to stop the service and waits for it; wine's only asks. Removing the
// program files or the data folder while the service (or its co-process)
// still runs fails with a sharing violation, so `coproc-service /stopService`
// and `/purgeData` make sure the service's process has ended first — a no-op
// where StopServices already waited.
#pragma once

#include <chrono>
#include <string>

namespace coproc {

/// The name coproc-service is registered under (Poco's ServerApplication
/// registers the executable's base name).
inline constexpr const wchar_t* kWindowsServiceName = L"coproc-service";

/// Asks the SCM to stop `name` unless it is stopped or stopping, then waits
/// until its process has exited, at most `limit`. True when the service is
/// not registered, not running, or ended in time; false with a sentence in
/// `error` otherwise.
bool stop_service_and_wait(const wchar_t* name, std::chrono::milliseconds limit,
                           std::string* error);

}  // namespace coproc
