#include "service_control_win32.h"

#include <windows.h>

#include <thread>

#include "win32_error.h"

namespace coproc {
namespace {

struct ScHandle {
  SC_HANDLE h;
  explicit ScHandle(SC_HANDLE handle) : h(handle) {}
  ScHandle(const ScHandle&) = delete;
  ScHandle& operator=(const ScHandle&) = delete;
  ~ScHandle() {
    if (h) ::CloseServiceHandle(h);
  }
};

bool query(SC_HANDLE service, SERVICE_STATUS_PROCESS* status) {
  DWORD needed = 0;
  return ::QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, reinterpret_cast<LPBYTE>(status),
                                sizeof *status, &needed) != 0;
}

}  // namespace

bool stop_service_and_wait(const wchar_t* name, std::chrono::milliseconds limit,
                           std::string* error) {
  ScHandle scm(::OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
  if (!scm.h) {
    *error = "cannot open the service manager: " + win32_message(::GetLastError());
    return false;
  }
  ScHandle service(::OpenServiceW(scm.h, name, SERVICE_STOP | SERVICE_QUERY_STATUS));
  if (!service.h) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_SERVICE_DOES_NOT_EXIST) return true;
    *error = "cannot open the service " + narrow(name) + ": " + win32_message(err);
    return false;
  }
  SERVICE_STATUS_PROCESS status{};
  if (!query(service.h, &status) || status.dwCurrentState == SERVICE_STOPPED) return true;
  if (status.dwCurrentState != SERVICE_STOP_PENDING) {
    SERVICE_STATUS ignored{};
    ::ControlService(service.h, SERVICE_CONTROL_STOP, &ignored);
  }
  // The process is what holds the files; the state may stay STOP_PENDING
  // under wine after a clean stop.
  if (status.dwProcessId != 0) {
    HANDLE process = ::OpenProcess(SYNCHRONIZE, FALSE, status.dwProcessId);
    if (process) {
      const DWORD rc = ::WaitForSingleObject(process, static_cast<DWORD>(limit.count()));
      ::CloseHandle(process);
      if (rc == WAIT_OBJECT_0) return true;
      *error = "the service " + narrow(name) + " (pid " + std::to_string(status.dwProcessId) +
               ") did not stop within " + std::to_string(limit.count()) + " ms";
      return false;
    }
    if (::GetLastError() == ERROR_INVALID_PARAMETER) return true;  // no such process any more
  }
  const auto end = std::chrono::steady_clock::now() + limit;
  while (query(service.h, &status) && status.dwCurrentState != SERVICE_STOPPED) {
    if (std::chrono::steady_clock::now() > end) {
      *error = "the service " + narrow(name) + " did not stop within " +
               std::to_string(limit.count()) + " ms";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

}  // namespace coproc
