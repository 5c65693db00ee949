// coprocctl: talk to the co-process from a shell.
//   coprocctl [--runtime-dir DIR] [--endpoint PATH] [--timeout MS] [--no-launch] [--json]
//             COMMAND [ARGS...]
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "command.h"

namespace {

using coproc::ctl::kExitOk;
using coproc::ctl::kExitUsage;

void usage(std::ostream& out) {
  out << "usage: coprocctl [--runtime-dir DIR] [--endpoint PATH] [--timeout MS] [--no-launch]\n"
         "                 [--json] COMMAND [ARGS...]\n\n"
         "commands:\n";
  for (const auto& c : coproc::ctl::commands()) out << "  " << c.usage << "\n";
  out << "\nexit codes: 0 ok, 1 remote error, 2 usage, 3 not running, 4 timeout,\n"
         "            5 connection lost / protocol, 6 permission denied\n";
}

int run(int argc, char** argv) {
  coproc::ctl::GlobalFlags flags;
  int i = 1;
  auto value = [&](const std::string& flag, std::string* out) {
    if (i + 1 >= argc) {
      std::cerr << "coprocctl: " << flag << " needs a value\n";
      return false;
    }
    *out = argv[++i];
    return true;
  };
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.empty() || a[0] != '-') break;
    if (a == "--runtime-dir") {
      if (!value(a, &flags.runtime_dir)) return kExitUsage;
    } else if (a == "--endpoint") {
      if (!value(a, &flags.endpoint)) return kExitUsage;
    } else if (a == "--timeout") {
      std::string v;
      if (!value(a, &v)) return kExitUsage;
      char* end = nullptr;
      const long ms = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || ms < 1 || ms > 86400000) {
        std::cerr << "coprocctl: --timeout must be a number of milliseconds (1..86400000), got '"
                  << v << "'\n";
        return kExitUsage;
      }
      flags.timeout_ms = static_cast<int>(ms);
    } else if (a == "--no-launch") {
      flags.no_launch = true;
    } else if (a == "--json") {
      flags.json = true;
    } else if (a == "--help" || a == "-h") {
      usage(std::cout);
      return kExitOk;
    } else if (a == "--version") {
      std::cout << "coprocctl " << coproc_version() << "\n";
      return kExitOk;
    } else {
      std::cerr << "coprocctl: unknown option '" << a << "'\n";
      usage(std::cerr);
      return kExitUsage;
    }
  }
  if (i >= argc) {
    usage(std::cerr);
    return kExitUsage;
  }
  const std::string name = argv[i++];
  std::vector<std::string> args(argv + i, argv + argc);
  for (const auto& c : coproc::ctl::commands()) {
    if (name == c.name) {
      if (coproc::ctl::take_framework_flags(&args, &flags)) {
        std::cout << (c.help ? c.help : std::string("usage: coprocctl [FLAGS] ") + c.usage)
                  << "\n";
        return kExitOk;
      }
      coproc::ctl::CommandEnv env(flags, std::cout, std::cerr);
      return c.run(env, args);
    }
  }
  std::cerr << "coprocctl: unknown command '" << name << "'\n";
  usage(std::cerr);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "coprocctl: internal error: " << e.what() << "\n";
    return coproc::ctl::kExitRemoteError;
  }
}
