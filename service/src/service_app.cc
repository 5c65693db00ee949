// coproc-service's options and the start-up steps both platforms share:
// reading the configuration and the supervision settings. The rest is per
// platform: service_app_posix.cc (sockets, lock, systemd, --check-config),
// service_app_win32.cc (pipes, the Windows service, the log file).
#include "service_app.h"

#include <iostream>

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>

#include "config.h"
#include "coprocess_path.h"
#include "log.h"

namespace coproc {

using Poco::Util::Option;
using std::chrono::milliseconds;

void ServiceApp::defineOptions(Poco::Util::OptionSet& options) {
  ServerApplication::defineOptions(options);
  options.addOption(Option("runtime-dir", "", "sockets and locks (default /run/coproc)")
                        .required(false).repeatable(false).argument("DIR"));
  options.addOption(Option("state-dir", "", "state of the co-process (default /var/spool/coproc)")
                        .required(false).repeatable(false).argument("DIR"));
  options.addOption(Option("config", "", "configuration file (default /etc/coproc/coproc.conf)")
                        .required(false).repeatable(false).argument("FILE"));
  options.addOption(Option("log-level", "", "debug, info, warn or error")
                        .required(false).repeatable(false).argument("LEVEL"));
  options.addOption(Option("set", "", "override one option, e.g. --set service.start=at_start")
                        .required(false).repeatable(true).argument("NAME=VALUE"));
  options.addOption(Option("check-config", "",
                           "check the configuration (every option, file modes, users and groups, "
                           "CA files, the relay's host name) and exit: 0 if it is good, else "
                           "78 with 'file:line: message' lines; touches no running service")
                        .required(false).repeatable(false));
  options.addOption(Option("print-socket-unit", "",
                           "print the coproc.socket drop-in (SocketMode=, SocketGroup=) that "
                           "server.socket_mode and server.allowed_group mean, and exit")
                        .required(false).repeatable(false));
  options.addOption(Option("version", "", "print the version").required(false).repeatable(false));
  options.addOption(Option("help", "h", "print this help").required(false).repeatable(false));
}

void ServiceApp::handleOption(const std::string& name, const std::string& value) {
  ServerApplication::handleOption(name, value);
  if (name == "runtime-dir") {
    paths_.runtime_dir = value;
  } else if (name == "state-dir") {
    paths_.state_dir = value;
  } else if (name == "config") {
    paths_.config_file = value;
    config_given_ = true;
  } else if (name == "log-level") {
    log_level_ = value;
  } else if (name == "set") {
    sets_.push_back(value);
  } else if (name == "check-config") {
    check_config_ = true;
  } else if (name == "print-socket-unit") {
    print_socket_unit_ = true;
  } else if (name == "version") {
    std::cout << "coproc-service " << COPROC_VERSION << "\n";
    exit_now_ = true;
    stopOptionsProcessing();
  } else if (name == "help") {
    Poco::Util::HelpFormatter help(options());
    help.setCommand(commandName());
    help.setUsage("[options]");
    help.setHeader("Launches and supervises the coproc co-process (runs in the foreground).");
    help.format(std::cout);
    exit_now_ = true;
    stopOptionsProcessing();
  }
}

int ServiceApp::main(const std::vector<std::string>& args) {
  if (exit_now_) return exit_code_;
  if (!args.empty()) {
    std::cerr << "coproc-service: unexpected argument '" << args.front() << "' (see --help)\n";
    return EXIT_USAGE;
  }
  if (check_config_) return check_config_and_report();
  if (print_socket_unit_) return print_socket_unit();
  try {
    return serve();
  } catch (const std::exception& e) {
    COPROC_LOG(error, "service", "stopping on an unexpected error: " << e.what());
    return EXIT_SOFTWARE;
  }
}

bool ServiceApp::load_settings(Config* config, std::string* start_mode, std::string* coprocess,
                               std::string* error) {
  try {
    *config = Config::load(paths_.config_file, !config_given_);
    for (const auto& set : sets_) config->set(set);
  } catch (const ConfigError& e) {
    *error = e.what();
    return false;
  }
  LogLevel level;
  const std::string level_text = log_level_.empty() ? config->str("log.level") : log_level_;
  if (!parse_log_level(level_text, &level)) {
    *error = "unknown log level '" + level_text + "' (debug, info, warn, error)";
    return false;
  }
  set_log_level(level);

  *start_mode = config->str("service.start");  // on_demand or at_start (option choices)
  std::vector<std::string> tried;
  *coprocess = locate_coprocess(config->str("service.coprocess_path"), &tried);
  if (coprocess->empty()) {
    std::string where;
    for (const auto& t : tried) where += (where.empty() ? "" : ", ") + t;
    *error = "no executable co-process found (looked at " + where +
             "); set service.coprocess_path";
    return false;
  }
  return true;
}

SupervisorSettings ServiceApp::base_supervisor_settings(const Config& c,
                                                        const std::string& coprocess) const {
  SupervisorSettings ss;
  ss.coprocess_path = coprocess;
  ss.arguments = {"--runtime-dir", paths_.runtime_dir, "--state-dir", paths_.state_dir};
  if (config_given_) ss.arguments.insert(ss.arguments.end(), {"--config", paths_.config_file});
  if (!log_level_.empty()) ss.arguments.insert(ss.arguments.end(), {"--log-level", log_level_});
  for (const auto& set : sets_) ss.arguments.insert(ss.arguments.end(), {"--set", set});
  ss.runtime_dir = paths_.runtime_dir;
  ss.ready_timeout = milliseconds(c.integer("service.ready_timeout_ms"));
  ss.restart_initial = milliseconds(c.integer("service.restart_initial_ms"));
  ss.restart_max = milliseconds(c.integer("service.restart_max_ms"));
  ss.stable_after = milliseconds(c.integer("service.stable_after_ms"));
  ss.stop_timeout = milliseconds(c.integer("service.stop_timeout_ms"));
  return ss;
}

}  // namespace coproc
