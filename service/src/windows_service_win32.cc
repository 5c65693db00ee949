// Windows entry point of coproc-service (replaces service_main.cc there).
//
// Poco's ServerApplication already is a Windows service: it handles
//   coproc-service /registerService [/displayName=...] [/description=...]
//                  [/startup=auto|manual]
//   coproc-service /unregisterService
// and, when started by the Service Control Manager, runs main() as the
// service and turns SERVICE_CONTROL_STOP into waitForTerminationRequest()
// returning (Poco reports RUNNING right after init()). What this file
// adds is the defaults a registration without options should get: the
// service starts automatically with Windows and has a readable name, so an
// administrator's `coproc-service /registerService` is enough. Services run
// outside every user session, so a logoff cannot end the co-process.
//
// Three more actions serve the installer's custom actions (data_dir_win32.h,
// service_control_win32.h):
//   coproc-service /prepareData   %ProgramData%\coproc with its private DACL,
//                                 coproc.conf from coproc.conf.sample if none
//   coproc-service /stopService   stops the service and waits until its
//                                 process has ended (before RemoveFiles)
//   coproc-service /purgeData     the same, then removes %ProgramData%\coproc
//                                 (PURGE=1)
#include <windows.h>

#include <chrono>
#include <cstdio>
#include <cwchar>
#include <string>
#include <vector>

#include "data_dir_win32.h"
#include "service_app.h"
#include "service_control_win32.h"

namespace {

// How long the installer waits for the service to stop: its stop waits for
// the co-process (service.stop_timeout_ms, 5 s by default) and then some.
constexpr std::chrono::milliseconds kStopLimit{60000};

bool has_prefix(const std::wstring& arg, const wchar_t* prefix) {
  return arg.compare(0, std::wcslen(prefix), prefix) == 0;
}

// Adds /displayName=, /description= and /startup=auto to a bare
// /registerService, keeping whatever the administrator gave.
std::vector<std::wstring> with_registration_defaults(int argc, wchar_t** argv) {
  std::vector<std::wstring> args(argv, argv + argc);
  bool registering = false, name = false, description = false, startup = false;
  for (const auto& a : args) {
    registering = registering || a == L"/registerService";
    name = name || has_prefix(a, L"/displayName=");
    description = description || has_prefix(a, L"/description=");
    startup = startup || has_prefix(a, L"/startup=");
  }
  if (registering) {
    if (!name) args.push_back(L"/displayName=coproc service");
    if (!description) {
      args.push_back(L"/description=Shared mail and HTTP co-process for legacy applications");
    }
    if (!startup) args.push_back(L"/startup=auto");
  }
  return args;
}

// The installer's actions; -1 when `argv` asks for none.
int data_action(int argc, wchar_t** argv) {
  if (argc != 2) return -1;
  const std::wstring action = argv[1];
  std::string error;
  bool ok;
  if (action == L"/prepareData") {
    ok = coproc::prepare_data_dir(coproc::program_data_dir(), coproc::sample_config_path(),
                                  &error);
  } else if (action == L"/stopService") {
    ok = coproc::stop_service_and_wait(coproc::kWindowsServiceName, kStopLimit, &error);
  } else if (action == L"/purgeData") {
    ok = coproc::stop_service_and_wait(coproc::kWindowsServiceName, kStopLimit, &error) &&
         coproc::purge_data_dir(coproc::program_data_dir(), &error);
  } else {
    return -1;
  }
  if (!ok) std::fprintf(stderr, "coproc-service: %s\n", error.c_str());
  return ok ? 0 : 1;
}

}  // namespace

int wmain(int argc, wchar_t** argv) {
  if (const int rc = data_action(argc, argv); rc >= 0) return rc;
  std::vector<std::wstring> args = with_registration_defaults(argc, argv);
  std::vector<wchar_t*> pointers;
  for (auto& a : args) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  coproc::ServiceApp app;
  return app.run(static_cast<int>(args.size()), pointers.data());
}
