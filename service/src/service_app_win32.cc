// coproc-service's start-up on Windows. Where Linux has the runtime dir, the
// lock and sockets, Windows has:
// - %ProgramData%\coproc\ (coproc.conf, spool\, log\) unless --config /
//   --state-dir / log.dir say otherwise; the service gives the folders and
//   the config file a protected DACL at every start: SYSTEM (the service's
//   account) and Administrators only — the config holds SMTP secrets and
//   the spool users' mail;
// - the log file log\coproc-service.log (rotated), with the journal's lines:
//   its own and the co-process's (docs/windows.md says why not the event
//   log); a console run also writes them to stderr;
// - the control pipe \\.\pipe\coproc-control (server.pipe_name + "-control",
//   as the client library derives it), whose first instance is the
//   single-instance rule, like the co-process's pipe;
// - the co-process launched on demand, ready once it serves server.pipe_name.
#include <windows.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "config.h"
#include "control_server.h"
#include "data_dir_win32.h"
#include "endpoint_win32.h"
#include "log.h"
#include "log_file.h"
#include "outbox_layout.h"
#include "paths.h"
#include "service_app.h"
#include "supervisor.h"
#include "win32_error.h"

namespace coproc {
namespace {

using std::chrono::milliseconds;

// Until the configuration is read (its log.file_* defaults).
constexpr std::uint64_t kDefaultLogBytes = 10u << 20;
constexpr int kDefaultLogKeep = 5;

std::unique_ptr<RotatingLogFile> g_log_file;

void log_to_file(std::string_view line) {
  if (g_log_file) g_log_file->write(line);
}

// The control pipe of a client pipe, as the client library derives it
// (client-lib/src/endpoint_win32.cc): "<dir>/control.sock" when the name has
// a folder part, else the name + "-control".
std::string control_pipe_of(const std::string& client_pipe) {
  const auto slash = client_pipe.rfind('/');
  if (slash == std::string::npos) return client_pipe + "-control";
  return client_pipe.substr(0, slash + 1) + "control.sock";
}

bool is_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::u8path(path), ec);
}

}  // namespace

// --check-config on Windows: the options and their ranges (the file modes,
// users and groups that Linux also checks have no meaning here).
int ServiceApp::check_config_and_report() {
  if (!config_given_) paths_.config_file = program_data_dir() + "\\coproc.conf";
  try {
    Config config = Config::load(paths_.config_file, !config_given_);
    for (const auto& set : sets_) config.set(set);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return EXIT_CONFIG;
  }
  std::cout << paths_.config_file << ": OK\n";
  return EXIT_OK;
}

int ServiceApp::print_socket_unit() {
  std::cerr << "coproc-service: --print-socket-unit is for systemd; Windows has no socket unit\n";
  return EXIT_USAGE;
}

int ServiceApp::serve() {
  const bool as_service = config().getBool("application.runAsService", false);
  const std::string data_dir = program_data_dir();
  const Paths defaults;
  if (!config_given_) paths_.config_file = data_dir + "\\coproc.conf";
  if (paths_.state_dir == defaults.state_dir) paths_.state_dir = data_dir + "\\spool";
  if (paths_.runtime_dir == defaults.runtime_dir) paths_.runtime_dir = data_dir;

  // The data folder (and its config, from the sample next to us on the
  // first start) gets its private DACL, every start.
  std::string error;
  const bool prepared =
      config_given_ ||
      prepare_data_dir(data_dir, sample_config_path(), &error);

  // The log file next, in its default place, so that even a bad
  // configuration is reported where an administrator looks.
  auto open_log = [&](const std::string& dir, const Config* c) {
    auto file = std::make_unique<RotatingLogFile>(
        dir + "\\coproc-service.log",
        c ? static_cast<std::uint64_t>(c->integer("log.file_max_bytes")) : kDefaultLogBytes,
        c ? static_cast<int>(c->integer("log.file_keep")) : kDefaultLogKeep);
    std::string log_error;
    if (!file->open(&log_error)) {
      COPROC_LOG(error, "service", log_error);
      return;
    }
    set_log_sink(nullptr, true);
    g_log_file = std::move(file);
    set_log_sink(log_to_file, !as_service);
  };
  open_log(data_dir + "\\log", nullptr);
  if (!prepared) COPROC_LOG(warn, "service", error);

  Config config;
  std::string start_mode;
  std::string coprocess;
  if (!load_settings(&config, &start_mode, &coprocess, &error)) {
    COPROC_LOG(error, "service", "cannot start: " << error);
    return EXIT_CONFIG;
  }
  open_log(config.str("log.dir").empty() ? data_dir + "\\log" : config.str("log.dir"), &config);
  std::string client_pipe;
  if (!pipe_path(config.str("server.pipe_name"), &client_pipe, &error)) {
    COPROC_LOG(error, "service", "cannot start: server.pipe_name: " << error);
    return EXIT_CONFIG;
  }
  const std::string control_pipe = control_pipe_of(client_pipe);

  try {
    ensure_directory(paths_.state_dir, 0);
  } catch (const std::exception& e) {
    COPROC_LOG(error, "service", "cannot start: " << e.what());
    return EXIT_CANTCREAT;
  }
  if (!make_private(paths_.state_dir, &error)) COPROC_LOG(warn, "service", error);
  const bool config_exists = is_file(paths_.config_file);

  // The control pipe's first instance: a second service fails here.
  auto control_endpoint = std::make_shared<PipeEndpoint>();
  if (!control_endpoint->open(control_pipe, config.str("server.pipe_sddl"), &error)) {
    COPROC_LOG(error, "service", "cannot start: " << error);
    return EXIT_UNAVAILABLE;
  }

  SupervisorSettings ss = base_supervisor_settings(config, coprocess);
  if (!config_given_ && config_exists) {
    ss.arguments.insert(ss.arguments.end(), {"--config", paths_.config_file});
  }
  ss.ready_pipe = client_pipe;
  std::unique_ptr<Supervisor> supervisor;
  try {
    supervisor = std::make_unique<Supervisor>(ss);
  } catch (const std::exception& e) {
    COPROC_LOG(error, "service", "cannot start: " << e.what());
    return EXIT_CANTCREAT;
  }
  const bool mail_waiting = outbox_holds_unsent_mail(paths_.state_dir);
  if (start_mode == "on_demand" && mail_waiting) {
    COPROC_LOG(info, "service", "the outbox holds unsent mail: starting the co-process now");
  }
  supervisor->start(start_mode == "at_start" || mail_waiting);

  ControlSettings cs;
  cs.version = COPROC_VERSION;
  cs.default_launch_deadline = ss.ready_timeout + ss.restart_max + milliseconds(1000);
  ControlServer control(config, *supervisor, cs);
  control.start(ListenTarget{control_endpoint});

  COPROC_LOG(info, "service", "coproc-service " << COPROC_VERSION << " pid="
                                                << ::GetCurrentProcessId()
                                                << (as_service ? " (Windows service)" : " (console)")
                                                << " control=" << control_pipe
                                                << " clients=" << client_pipe
                                                << " coprocess=" << coprocess
                                                << " start=" << start_mode
                                                << " state=" << paths_.state_dir
                                                << " log=" << (g_log_file ? g_log_file->path() : "-"));
  for (const auto& [name, value] : config.changed_options()) {
    COPROC_LOG(info, "config", name << " = " << value);
  }

  waitForTerminationRequest();

  COPROC_LOG(info, "service", "termination requested; stopping the co-process");
  control.stop_accepting();
  supervisor->stop();
  control.shutdown(milliseconds(2000));
  supervisor.reset();
  COPROC_LOG(info, "service", "stopped");
  return EXIT_OK;
}

}  // namespace coproc
