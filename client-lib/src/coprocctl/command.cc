#include "command.h"

#include <algorithm>
#include <ostream>

#include "rpc_message.h"
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

bool take_framework_flags(std::vector<std::string>* args, GlobalFlags* flags) {
  bool help = false;
  for (auto it = args->begin(); it != args->end() && *it != "--";) {
    if (*it == "--help" || *it == "-h") {
      help = true;
      it = args->erase(it);
    } else if (*it == "--json") {
      flags->json = true;
      it = args->erase(it);
    } else {
      ++it;
    }
  }
  return help;
}

namespace {

std::string json_error_line(const std::string& name, const std::string& message) {
  // Both come from msgpack_to_json's own escaping: one JSON string each.
  std::string n, m, error;
  msgpack_to_json(rpc::pack_value(name).bytes, &n, &error);
  msgpack_to_json(rpc::pack_value(message).bytes, &m, &error);
  return "{\"error\":{\"name\":" + n + ",\"message\":" + m + "}}\n";
}

}  // namespace

void CommandEnv::print_result(const std::string& packed) {
  if (flags_.json) {
    std::string json, error;
    if (msgpack_to_json(packed, &json, &error)) out_ << json << "\n";
  } else {
    render_readable(out_, packed);
  }
}

int CommandEnv::fail(const CallResult& r, const std::string& context) {
  if (flags_.json) {
    err_ << json_error_line(r.error_name,
                            (context.empty() ? "" : context + ": ") + r.error_message);
    return exit_code(r.status);
  }
  err_ << "coprocctl: " << (context.empty() ? "" : context + ": ") << r.error_name << ": "
       << r.error_message << "\n";
  if (r.status == COPROC_E_NOT_RUNNING) {
    err_ << "coprocctl: hint: start the service, or drop --no-launch to let it launch the "
            "co-process\n";
  }
  return exit_code(r.status);
}

int CommandEnv::usage_error(const std::string& message) {
  if (flags_.json) {
    err_ << json_error_line("usage", message);
    return kExitUsage;
  }
  err_ << "coprocctl: " << message << "\n";
  return kExitUsage;
}

}  // namespace coproc::ctl
