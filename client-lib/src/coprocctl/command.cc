#include "command.h"

#include <algorithm>
#include <ostream>

#include "status.h"

namespace coproc::ctl {
namespace {

std::vector<Command>& registry() {
  static std::vector<Command> commands;
  return commands;
}

}  // namespace

bool register_command(const Command& command) {
  registry().push_back(command);
  return true;
}

std::vector<Command> commands() {
  std::vector<Command> out = registry();
  std::sort(out.begin(), out.end(), [](const Command& a, const Command& b) {
    return std::string(a.name) < std::string(b.name);
  });
  return out;
}

int exit_code(coproc_status s) {
  switch (s) {
    case COPROC_OK: return kExitOk;
    case COPROC_E_TIMEOUT: return kExitTimeout;
    case COPROC_E_PERMISSION_DENIED: return kExitPermissionDenied;
    case COPROC_E_NOT_RUNNING:
    case COPROC_E_SERVICE_NOT_RUNNING: return kExitNotRunning;
    case COPROC_E_CONNECTION_LOST:
    case COPROC_E_PROTOCOL:
    case COPROC_E_PROTOCOL_MISMATCH: return kExitConnectionLost;
    case COPROC_E_MISUSE:
    case COPROC_E_JSON: return kExitUsage;
    default: return kExitRemoteError;
  }
}

CommandEnv::CommandEnv(GlobalFlags flags, std::ostream& out, std::ostream& err)
    : flags_(std::move(flags)), out_(out), err_(err) {
  if (!flags_.endpoint.empty()) {
    options_.endpoint = flags_.endpoint;
  } else if (!flags_.runtime_dir.empty()) {
    options_.endpoint = flags_.runtime_dir + "/coproc.sock";
    options_.control_endpoint = flags_.runtime_dir + "/control.sock";
  } else {
    options_.endpoint = default_endpoint();
  }
  if (options_.control_endpoint.empty()) {
    options_.control_endpoint = default_control_endpoint(options_.endpoint);
  }
  if (flags_.timeout_ms > 0) {
    options_.connect_timeout_ms = flags_.timeout_ms;
    options_.call_timeout_ms = flags_.timeout_ms;
  }
  options_.auto_launch = !flags_.no_launch;
  options_.client_name = "coprocctl";
}

CommandEnv::~CommandEnv() = default;

Client& CommandEnv::client() {
  if (!client_) client_ = std::make_unique<Client>(options_);
  return *client_;
}

int CommandEnv::fail(const CallResult& r, const std::string& context) {
  err_ << "coprocctl: " << (context.empty() ? "" : context + ": ") << r.error_name << ": "
       << r.error_message << "\n";
  if (r.status == COPROC_E_NOT_RUNNING) {
    err_ << "coprocctl: hint: start the service, or drop --no-launch to let it launch the "
            "co-process\n";
  }
  return exit_code(r.status);
}

int CommandEnv::usage_error(const std::string& message) {
  err_ << "coprocctl: " << message << "\n";
  return kExitUsage;
}

}  // namespace coproc::ctl
