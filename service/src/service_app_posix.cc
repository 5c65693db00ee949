// coproc-service's start-up on POSIX: the runtime and state directories,
// the single-instance lock, the client and control sockets (own or passed
// by systemd), the unprivileged user, systemd's notifications, and the
// --check-config / --print-socket-unit reports.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <functional>
#include <iostream>
#include <memory>

#include "child_process.h"
#include "config.h"
#include "config_check.h"
#include "config_error_server.h"
#include "control_server.h"
#include "endpoint.h"
#include "instance_lock.h"
#include "log.h"
#include "outbox_layout.h"
#include "process_limits.h"
#include "service_app.h"
#include "socket_access.h"
#include "supervisor.h"
#include "systemd_notify.h"

namespace coproc {
namespace {


using std::chrono::milliseconds;

// Sends WATCHDOG=1 on the control endpoint's event loop: a stuck loop stops
// the pings and systemd restarts the service.
class WatchdogPinger {
 public:
  WatchdogPinger(asio::io_context& io, std::chrono::microseconds interval)
      : timer_(io), interval_(interval) {
    if (interval_.count() > 0) arm();
  }
  void cancel() {
    asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
  }

 private:
  void arm() {
    timer_.expires_after(interval_);
    timer_.async_wait([this](const std::error_code& ec) {
      if (ec) return;
      systemd::notify_watchdog();
      arm();
    });
  }
  asio::steady_timer timer_;
  std::chrono::microseconds interval_;
};

// systemd made these sockets with coproc.socket's SocketMode= and
// SocketGroup=, which the generator writes from this same config; should
// they differ (config edited, no daemon-reload since), the service sets what
// the config says. When it may not, it closes them to all but root and its
// own user (never more open than configured) and returns false: the service
// must not start.
bool apply_access_to_systemd_sockets(const SocketAccess& access,
                                     const std::vector<std::pair<int, std::string>>& passed) {
  for (const auto& [fd, path] : passed) {
    if (fd < 0) continue;
    std::string changed, error;
    if (!apply_socket_access(path, access, &changed, &error)) {
      for (const auto& [other_fd, other_path] : passed) {
        if (other_fd >= 0) ::chmod(other_path.c_str(), 0600);
      }
      COPROC_LOG(error, "service",
                 "cannot start: server.socket_mode / server.allowed_group cannot take effect: "
                     << error << ". coproc.socket must create the sockets so: run "
                     << "`systemctl daemon-reload && systemctl restart coproc.socket "
                        "coproc.service` (the coproc generator writes its SocketMode= and "
                        "SocketGroup= from the config)");
      return false;
    }
    if (!changed.empty()) {
      COPROC_LOG(warn, "service", path << " was made by systemd with other access than "
                                       << "server.socket_mode / server.allowed_group say; set "
                                       << changed << " (run `systemctl daemon-reload` after "
                                       << "editing them, so that coproc.socket makes it so)");
    }
  }
  return true;
}

// Removes a socket file we created, when leaving.
struct SocketFile {
  std::string path;
  ~SocketFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

}  // namespace

int ServiceApp::check_config_and_report() {
  const ConfigCheck check = check_config(paths_.config_file, sets_);
  for (const auto& w : check.warnings) std::cerr << w << "\n";
  for (const auto& e : check.errors) std::cerr << e << "\n";
  if (!check.errors.empty()) {
    std::cerr << "coproc-service: " << paths_.config_file << ": " << check.errors.size()
              << (check.errors.size() == 1 ? " error" : " errors") << "\n";
    return EXIT_CONFIG;
  }
  std::cout << paths_.config_file << ": OK"
            << (check.warnings.empty() ? "" : " (with warnings)") << "\n";
  return EXIT_OK;
}

int ServiceApp::print_socket_unit() {
  SocketAccess access;
  std::string error;
  try {
    Config config = Config::load(paths_.config_file, !config_given_);
    for (const auto& s : sets_) config.set(s);
    if (!socket_access_from_config(config, &access, &error)) {
      std::cerr << paths_.config_file << ": " << error << "\n";
      return EXIT_CONFIG;
    }
  } catch (const ConfigError& e) {
    std::cerr << e.what() << "\n";
    return EXIT_CONFIG;
  }
  std::cout << socket_unit_settings(access, paths_.config_file);
  return EXIT_OK;
}

// What start-up decided, step by step; see serve().
struct ServiceApp::Startup {
  Config config;
  std::string secrets;  // Config::secret_lines(), for the co-process
  std::string start_mode;
  SocketAccess access;  // server.socket_mode, server.allowed_group
  std::string coprocess;
  std::string run_as;  // empty: the co-process keeps the service's user
  RunAsUser user;
  InstanceLock lock;
  int client_fd = -1;
  int control_fd = -1;
  SocketFile client_file;
  SocketFile control_file;
};

int ServiceApp::serve() {
  Startup s;
  std::string error;
  if (!load_config(&s, &error)) {
    COPROC_LOG(error, "service", "cannot start: " << error);
    return serve_config_error(error);
  }
  if (int rc = prepare_directories(s); rc != EXIT_OK) return rc;
  if (!s.lock.try_acquire(paths_.service_lock(), &error)) {
    COPROC_LOG(error, "service", "cannot start: " << error);
    return EXIT_UNAVAILABLE;
  }
  s.lock.write_pid();
  if (int rc = open_endpoints(&s); rc != EXIT_OK) return rc;
  return serve_until_stopped(s);
}

bool ServiceApp::load_config(Startup* s, std::string* error) {
  if (!load_settings(&s->config, &s->start_mode, &s->coprocess, error)) return false;
  if (!socket_access_from_config(s->config, &s->access, error)) return false;
  try {
    s->config.load_secret_files();
    s->secrets = s->config.secret_lines();
  } catch (const ConfigError& e) {
    *error = e.what();
    return false;
  }

  // Who the co-process runs as. Only root can change it.
  if (::geteuid() == 0 && !s->config.str("service.user").empty()) {
    s->run_as = s->config.str("service.user");
    std::string user_error;
    if (!resolve_user(s->run_as, &s->user, &user_error)) {
      COPROC_LOG(error, "service", "the co-process cannot be launched: " << user_error);
    }
  } else if (::geteuid() == 0) {
    COPROC_LOG(warn, "service", "service.user is empty: the co-process will run as root");
  }
  return true;
}

int ServiceApp::prepare_directories(const Startup& s) {
  try {
    ensure_directory(paths_.runtime_dir, 0755);
    struct stat st;
    const bool state_existed = ::stat(paths_.state_dir.c_str(), &st) == 0;
    ensure_directory(paths_.state_dir, 0750);
    if (!state_existed && s.user.drop &&
        ::chown(paths_.state_dir.c_str(), s.user.uid, s.user.gid) != 0) {
      COPROC_LOG(warn, "service", "cannot give " << paths_.state_dir << " to user " << s.run_as);
    }
  } catch (const std::exception& e) {
    COPROC_LOG(error, "service", "cannot start: " << e.what());
    return EXIT_CANTCREAT;
  }
  std::string error;
  if (!check_private_directory(paths_.runtime_dir, &error)) {
    COPROC_LOG(error, "service", "cannot start: unsafe runtime dir: " << error);
    return EXIT_CANTCREAT;
  }
  return EXIT_OK;
}

// The client socket is created once here and handed to every co-process
// generation, so clients wait in its backlog across restarts. Under
// coproc.socket systemd already listens on both paths (with SocketMode= and
// SocketGroup= from the generator, checked here); otherwise the service
// binds them itself, with the same mode and group. Neither is accepted
// on before serve_until_stopped() has started the supervisor: early clients wait in the
// backlogs instead of meeting a half-started service.
int ServiceApp::open_endpoints(Startup* s) {
  // systemd keeps sockets it passed by socket activation (coproc.socket)
  // open while the service restarts (package upgrade, systemctl restart),
  // so clients wait in the backlog instead of finding no socket.
  const std::vector<int> passed = take_listen_fds();
  const int passed_client = listen_fd_bound_to(passed, paths_.client_socket());
  const int passed_control = listen_fd_bound_to(passed, paths_.control_socket());
  std::string error;
  s->client_fd = passed_client >= 0
                     ? passed_client
                     : listen_unix(paths_.client_socket(), s->access.mode, s->access.group,
                                   SOMAXCONN, &error);
  if (s->client_fd < 0) {
    COPROC_LOG(error, "service", "cannot start: " << error
                                                  << " (a co-process started by hand? stop it first)");
    return EXIT_UNAVAILABLE;
  }
  if (passed_client < 0) s->client_file.path = paths_.client_socket();
  s->control_fd = passed_control >= 0
                      ? passed_control
                      : listen_unix(paths_.control_socket(), s->access.mode, s->access.group,
                                    SOMAXCONN, &error);
  if (s->control_fd < 0) {
    ::close(s->client_fd);
    COPROC_LOG(error, "service", "cannot start: " << error);
    return EXIT_UNAVAILABLE;
  }
  if (passed_control < 0) s->control_file.path = paths_.control_socket();
  if (passed_client >= 0 || passed_control >= 0) {
    COPROC_LOG(info, "service", "using sockets passed by systemd:"
                                    << (passed_client >= 0 ? " clients" : "")
                                    << (passed_control >= 0 ? " control" : ""));
  }
  if (!apply_access_to_systemd_sockets(s->access, {{passed_client, paths_.client_socket()},
                                                   {passed_control, paths_.control_socket()}})) {
    ::close(s->client_fd);
    ::close(s->control_fd);
    return EXIT_CONFIG;
  }
  return EXIT_OK;
}

SupervisorSettings ServiceApp::supervisor_settings(const Startup& s) const {
  SupervisorSettings ss = base_supervisor_settings(s.config, s.coprocess);
  ss.run_as_user = s.run_as;
  ss.listen_fd = s.client_fd;
  // Secrets go through a pipe (SpawnSpec::secrets), never on the command
  // line, which every user can read in /proc/<pid>/cmdline.
  std::vector<std::string> args;
  for (std::size_t i = 0; i < ss.arguments.size(); ++i) {
    if (ss.arguments[i] == "--set" && i + 1 < ss.arguments.size() &&
        Config::sets_secret(ss.arguments[i + 1])) {
      ++i;
      continue;
    }
    args.push_back(ss.arguments[i]);
  }
  ss.arguments = std::move(args);
  if (!s.secrets.empty()) {
    ss.arguments.insert(ss.arguments.end(), {"--secrets-fd", std::to_string(kSecretsFd)});
    ss.secrets = s.secrets;
  }
  return ss;
}

// Without a usable configuration there is nothing to launch. When systemd
// holds the sockets (coproc.socket), clients would wait in their backlogs
// until their deadline passes; they are answered with the error instead,
// until the service is stopped or restarted (see config_error_server.h).
int ServiceApp::serve_config_error(const std::string& error) {
  const std::vector<int> fds = take_listen_fds();
  std::vector<ListenTarget> passed;
  for (const std::string& path : {paths_.client_socket(), paths_.control_socket()}) {
    const int fd = listen_fd_bound_to(fds, path);
    if (fd >= 0) passed.emplace_back(fd);
  }
  if (passed.empty()) return EXIT_CONFIG;
  ConfigErrorServer server(error);
  server.start(std::move(passed));
  WatchdogPinger watchdog(server.io(), systemd::watchdog_interval());
  systemd::notify_ready("configuration error, telling every client: " + error);
  COPROC_LOG(error, "service", "answering every client with the configuration error until "
                               "the service is restarted");
  waitForTerminationRequest();
  systemd::notify_stopping();
  watchdog.cancel();
  server.shutdown(milliseconds(1000));
  return EXIT_CONFIG;
}

// Starts the supervisor, then serves the control endpoint until SIGTERM.
// The order matters: a svc.launch accepted before the supervisor runs would
// be refused ("the service is stopping"); until control.start() it waits in
// the control socket's backlog, within its caller's deadline.
int ServiceApp::serve_until_stopped(Startup& s) {
  const SupervisorSettings ss = supervisor_settings(s);
  std::unique_ptr<Supervisor> supervisor;
  try {
    supervisor = std::make_unique<Supervisor>(ss);
  } catch (const std::exception& e) {
    ::close(s.client_fd);
    ::close(s.control_fd);
    COPROC_LOG(error, "service", "cannot start: " << e.what());
    return EXIT_CANTCREAT;
  }
  // Mail accepted before a restart or a reboot must not wait for the next
  // client: with mail in the outbox, on_demand starts the co-process at once.
  const bool mail_waiting = outbox_holds_unsent_mail(paths_.state_dir);
  if (s.start_mode == "on_demand" && mail_waiting) {
    COPROC_LOG(info, "service", "the outbox holds unsent mail: starting the co-process now");
  }
  supervisor->start(s.start_mode == "at_start" || mail_waiting);

  ControlSettings cs;
  cs.version = COPROC_VERSION;
  cs.default_launch_deadline = ss.ready_timeout + ss.restart_max + milliseconds(1000);
  ControlServer control(s.config, *supervisor, cs);
  control.start(s.control_fd);
  WatchdogPinger watchdog(control.io(), systemd::watchdog_interval());

  COPROC_LOG(info, "service", "coproc-service " << COPROC_VERSION << " pid=" << ::getpid()
                                                << " control=" << paths_.control_socket()
                                                << " clients=" << paths_.client_socket()
                                                << " coprocess=" << s.coprocess
                                                << " start=" << s.start_mode
                                                << (s.run_as.empty() ? "" : " user=") << s.run_as);
  for (const auto& [name, value] : s.config.changed_options()) {
    COPROC_LOG(info, "config", name << " = " << value);
  }
  systemd::notify_ready("listening on " + paths_.control_socket());

  waitForTerminationRequest();

  COPROC_LOG(info, "service", "termination requested; stopping the co-process");
  systemd::notify_stopping();
  control.stop_accepting();
  watchdog.cancel();
  supervisor->stop();
  control.shutdown(milliseconds(2000));
  supervisor.reset();
  ::close(s.client_fd);
  COPROC_LOG(info, "service", "stopped");
  return EXIT_OK;
}

}  // namespace coproc
