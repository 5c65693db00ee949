// coproc-service as a Poco ServerApplication: runs in the foreground (under
// systemd as Type=notify; never --daemon), holds the single-instance lock,
// creates the client socket once, serves the control endpoint and
// supervises the co-process until SIGTERM/SIGINT. On Windows the same class
// is the Windows service (windows_service_win32.cc, service_app_win32.cc).
#pragma once

#include <string>
#include <vector>

#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include "config.h"
#include "paths.h"
#include "supervisor.h"

namespace coproc {

class ServiceApp : public Poco::Util::ServerApplication {
 protected:
  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  int main(const std::vector<std::string>& args) override;

 private:
  // Shared by both platforms (service_app.cc): reads the configuration, sets
  // the log level and finds the co-process; false with the reason in `error`.
  bool load_settings(Config* config, std::string* start_mode, std::string* coprocess,
                     std::string* error);
  /// The supervision settings every platform uses (arguments, timers).
  SupervisorSettings base_supervisor_settings(const Config& config,
                                              const std::string& coprocess) const;

  // Per platform: service_app_posix.cc / service_app_win32.cc.
  int serve();
  int check_config_and_report();
  int print_socket_unit();

  // The POSIX start-up (service_app_posix.cc). serve() runs these steps in
  // order; each returns an exit code (EXIT_OK to go on) or, for
  // load_config, false with the reason in `error`.
  struct Startup;
  bool load_config(Startup* s, std::string* error);
  int prepare_directories(const Startup& s);
  int open_endpoints(Startup* s);
  SupervisorSettings supervisor_settings(const Startup& s) const;
  int serve_until_stopped(Startup& s);
  int serve_config_error(const std::string& error);

  Paths paths_;
  bool config_given_ = false;
  std::vector<std::string> sets_;
  std::string log_level_;
  bool exit_now_ = false;
  bool check_config_ = false;       // --check-config
  bool print_socket_unit_ = false;  // --print-socket-unit
  int exit_code_ = EXIT_OK;
};

}  // namespace coproc
