// coprocctl's commands register themselves: each cmd_*.cc file defines one
// Command and registers it with COPROCCTL_COMMAND, so adding a command is
// adding a file.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "coproc/client.hpp"

namespace coproc::ctl {

/// Exit codes of coprocctl (docs/c-api.md, INTERFACES.md).
enum Exit : int {
  kExitOk = 0,
  kExitRemoteError = 1,
  kExitUsage = 2,
  kExitNotRunning = 3,
  kExitTimeout = 4,
  kExitConnectionLost = 5,
  kExitPermissionDenied = 6,
};

/// Flags given before the command name.
struct GlobalFlags {
  std::string runtime_dir;  // --runtime-dir DIR
  std::string endpoint;     // --endpoint PATH
  int timeout_ms = -1;      // --timeout MS (connect and call)
  bool no_launch = false;   // --no-launch
  bool json = false;        // --json: machine-readable output
};

/// What a command gets: the flags, the output streams and a client made on
/// first use.
class CommandEnv {
 public:
  CommandEnv(GlobalFlags flags, std::ostream& out, std::ostream& err);
  ~CommandEnv();

  const GlobalFlags& flags() const { return flags_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  /// Client options from the flags (endpoint resolved).
  const ClientOptions& options() const { return options_; }
  Client& client();

  /// Prints "coprocctl: <name>: <message>" (with a hint when the
  /// co-process is not running) and returns the exit code for the status.
  /// With --json, stderr gets one line {"error": {"name", "message"}}.
  int fail(const CallResult& r, const std::string& context = "");
  /// Prints "coprocctl: <message>" and returns kExitUsage (with --json, the
  /// same {"error": ...} line as fail(), name "usage").
  int usage_error(const std::string& message);
  /// Prints a packed result: one line of JSON with --json, else readable
  /// "key: value" lines.
  void print_result(const std::string& packed);

 private:
  GlobalFlags flags_;
  std::ostream& out_;
  std::ostream& err_;
  ClientOptions options_;
  std::unique_ptr<Client> client_;
};

/// The framework, not each command, handles two arguments anywhere after
/// the command name (up to a "--"): `--help` / `-h` prints `help` (or
/// `usage`) and exits 0 without connecting, and `--json` is the global
/// --json flag.
struct Command {
  const char* name;
  const char* usage;  // e.g. "ping [-c N]  measure round trips"
  int (*run)(CommandEnv& env, std::vector<std::string>& args);
  const char* help = nullptr;  // longer text for `COMMAND --help`
};

/// Takes --help/-h and --json out of a command's arguments (before "--").
/// Returns true when help was asked for; sets flags->json for --json.
bool take_framework_flags(std::vector<std::string>* args, GlobalFlags* flags);

/// Adds a command; returns true (for static registration).
bool register_command(const Command& command);
/// Every registered command, sorted by name.
std::vector<Command> commands();

/// Exit code for a status.
int exit_code(coproc_status status);

/// Writes a packed msgpack value as indented "key: value" lines.
void render_readable(std::ostream& out, const std::string& packed, int indent = 0);

}  // namespace coproc::ctl

#define COPROCCTL_COMMAND(var, ...) \
  static const bool var = ::coproc::ctl::register_command(::coproc::ctl::Command{__VA_ARGS__})
