#include "coprocess_app.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <asio.hpp>

#include "allocator_tuning.h"
#include "client_endpoint.h"
#include "component.h"
#include "debug_methods.h"
#include "config.h"
#include "dispatcher.h"
#include "log.h"
#include "notify.h"
#include "paths.h"
#include "rpc_server.h"
#include "server_stats.h"
#include "stop_requests.h"
#include "sys_methods.h"
#include "worker_pool.h"

namespace coproc {
namespace {

constexpr const char* kUsage =
    "usage: coprocess [options]\n"
    "  --runtime-dir DIR   sockets and lock (default /run/coproc)\n"
    "  --state-dir DIR     outbox and maildir (default /var/spool/coproc)\n"
    "  --config FILE       configuration file (default /etc/coproc/coproc.conf)\n"
    "  --set NAME=VALUE    override one option (repeatable)\n"
    "  --secrets-fd N      read NAME=VALUE lines of secret options from descriptor N\n"
    "                      (how coproc-service hands them over, off the command line)\n"
    "  --log-level LEVEL   debug, info, warn or error\n"
    "  --print-sample-config, --print-config-doc, --print-config-man, --version, --help\n";

struct Options {
  Paths paths;
  bool config_given = false;
  std::vector<std::string> sets;
  int secrets_fd = -1;
  std::string log_level;
};

// Everything readable from `fd` (the service's secrets pipe), which is closed.
std::string read_secrets(int fd) {
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 65536) break;
  }
  ::close(fd);
  return text;
}

// Returns -1 to go on, or an exit code.
int parse_options(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::cerr << "coprocess: " << name << " needs a value\n" << kUsage;
        return nullptr;
      }
      return argv[++i];
    };
    const char* v = nullptr;
    if (arg == "--runtime-dir") {
      if (!(v = value("--runtime-dir"))) return 2;
      o->paths.runtime_dir = v;
    } else if (arg == "--state-dir") {
      if (!(v = value("--state-dir"))) return 2;
      o->paths.state_dir = v;
    } else if (arg == "--config") {
      if (!(v = value("--config"))) return 2;
      o->paths.config_file = v;
      o->config_given = true;
    } else if (arg == "--set") {
      if (!(v = value("--set"))) return 2;
      o->sets.emplace_back(v);
    } else if (arg == "--secrets-fd") {
      if (!(v = value("--secrets-fd"))) return 2;
      char* end = nullptr;
      const long fd = std::strtol(v, &end, 10);
      if (*v == '\0' || *end != '\0' || fd < 0 || fd > 1024) {
        std::cerr << "coprocess: --secrets-fd needs a descriptor number, got '" << v << "'\n";
        return 2;
      }
      o->secrets_fd = static_cast<int>(fd);
    } else if (arg == "--log-level") {
      if (!(v = value("--log-level"))) return 2;
      o->log_level = v;
    } else if (arg == "--print-sample-config") {
      std::cout << render_sample_config();
      return 0;
    } else if (arg == "--print-config-doc") {
      std::cout << render_config_markdown();
      return 0;
    } else if (arg == "--print-config-man") {
      std::cout << render_config_man();
      return 0;
    } else if (arg == "--version") {
      std::cout << "coprocess " << COPROC_VERSION << "\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "coprocess: unknown option '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  return -1;
}

std::int64_t generation_from_env() {
  const char* g = std::getenv("COPROC_GENERATION");
  return g ? std::strtoll(g, nullptr, 10) : 0;
}

}  // namespace

int run_coprocess(int argc, char** argv) {
  tune_allocator();  // before any thread starts
  Options options;
  if (int rc = parse_options(argc, argv, &options); rc >= 0) return rc;

  Config config;
  try {
    config = Config::load(options.paths.config_file, !options.config_given);
    for (const auto& s : options.sets) config.set(s);
    if (options.secrets_fd >= 0) config.set_secret_lines(read_secrets(options.secrets_fd));
    config.load_secret_files();
  } catch (const ConfigError& e) {
    std::cerr << "coprocess: " << e.what() << "\n";
    return 2;
  }
  LogLevel level;
  const std::string level_text = options.log_level.empty() ? config.str("log.level") : options.log_level;
  if (!parse_log_level(level_text, &level)) {
    std::cerr << "coprocess: unknown log level '" << level_text << "'\n";
    return 2;
  }
  set_log_level(level);

  const std::size_t io_threads = static_cast<std::size_t>(config.integer("server.io_threads"));
  const std::size_t worker_threads =
      static_cast<std::size_t>(config.integer("server.worker_threads"));
  asio::io_context io(static_cast<int>(io_threads + worker_threads));
  // SIGTERM and SIGINT are caught from here on (a signal before the wait
  // below is armed is kept for it): the socket listens from the next line,
  // and a client may connect and the supervisor stop us at any moment.
  StopRequests stop_requests(io);

  const Paths& paths = options.paths;
  ClientEndpoint endpoint;
  if (int rc = endpoint.open(paths, config); rc >= 0) return rc;

  ServerStats stats;
  Dispatcher dispatcher;
  const auto per_uid = static_cast<std::size_t>(config.integer("server.worker_threads_per_uid"));
  WorkerPool workers(io, io_threads, worker_threads,
                     static_cast<std::size_t>(config.integer("server.worker_queue")),
                     per_uid > 0 ? per_uid : std::max<std::size_t>(1, worker_threads / 2));
  ServerIdentity identity{"coprocess", COPROC_VERSION, generation_from_env()};
  register_sys_methods(dispatcher, identity, stats, workers);
  if (config.boolean("debug.methods")) register_debug_methods(dispatcher);

  std::vector<std::unique_ptr<Component>> components;
  try {
    components = make_components(ComponentEnv{config, paths, dispatcher});
  } catch (const std::exception& e) {
    COPROC_LOG(error, "main", "cannot start: " << e.what());
    endpoint.remove();
    return 1;
  }

  RpcServer server(io, dispatcher, workers, ServerSettings::from_config(config), stats);
  register_usage_section(dispatcher, server);
  endpoint.serve(server);
  for (auto& c : components) c->start();

  stop_requests.async_wait([&](const std::string& what) {
    COPROC_LOG(info, "main", what << " received; stopping (in flight: "
                                  << stats.requests_in_flight.load() << ")");
    notify_supervisor("STOPPING=1");
    server.shutdown(std::chrono::milliseconds(config.integer("server.shutdown_timeout_ms")),
                    [&] { io.stop(); });
  });

  COPROC_LOG(info, "main", "coprocess " << COPROC_VERSION << " pid=" << ::getpid()
                                        << " generation=" << identity.generation << " listening on "
                                        << endpoint.description());
  for (const auto& [name, value] : config.changed_options()) {
    COPROC_LOG(info, "config", name << " = " << value);
  }
  notify_supervisor("READY=1\nSTATUS=serving");

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < io_threads; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();

  for (auto& c : components) c->stop();
  workers.stop();
  endpoint.remove();
  COPROC_LOG(info, "main", "stopped");
  return 0;
}

}  // namespace coproc
