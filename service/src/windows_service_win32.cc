// Windows entry point of coproc-service (replaces service_main.cc there).
// Not part of the Linux build (service/CMakeLists.txt): Debian has no mingw
// build of Poco, so this file cannot be compiled or tested on these machines.
//
// Poco's ServerApplication already is a Windows service: it handles
//   coproc-service /registerService [/displayName=...] [/description=...]
//                  [/startup=auto|manual]
//   coproc-service /unregisterService
// and, when started by the Service Control Manager, runs main() as the
// service and turns SERVICE_CONTROL_STOP into waitForTerminationRequest()
// returning (PITFALLS: it reports RUNNING right after init()). What this file
// adds is the defaults a registration without options should get: the
// service starts automatically with Windows and has a readable name, so an
// administrator's `coproc-service /registerService` is enough. Services run
// outside every user session, so a logoff cannot end the co-process.
#include <windows.h>

#include <string>
#include <vector>

#include "service_app.h"

namespace {

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

}  // namespace

int wmain(int argc, wchar_t** argv) {
  std::vector<std::wstring> args = with_registration_defaults(argc, argv);
  std::vector<wchar_t*> pointers;
  for (auto& a : args) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  coproc::ServiceApp app;
  return app.run(static_cast<int>(args.size()), pointers.data());
}
