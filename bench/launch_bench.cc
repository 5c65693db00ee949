// Launch and restart figures of coproc-service (docs/benchmarks.md):
//   cold start   — service running, no co-process: svc.launch, connect,
//                  sys.hello answered (the client library's auto-launch path);
//   activation   — same, but the client just connects to coproc.sock;
//   restart gap  — kill -9 of the co-process -> next answered sys.hello.
// Medians over repeated runs, each compared with an anchor measured in the
// same run: spawn + exec + wait of /bin/true.
//
// usage: launch_bench [runs] [path/to/coproc-service]
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "methods.h"
#include "rpc_message.h"
#include "stream_decoder.h"
#include "sys_messages.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace coproc;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One blocking call on a fresh connection; throws on any failure.
struct CallResult {
  std::int64_t pid = 0;
  std::int64_t generation = 0;
};

const msgpack::object* field(const msgpack::object& map, const char* key) {
  if (map.type != msgpack::type::MAP) return nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR && kv.key.as<std::string>() == key) return &kv.val;
  }
  return nullptr;
}

CallResult call(const std::string& socket_path, const std::string& method) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("connect " + socket_path + ": " + std::strerror(err));
  }
  // sys.hello names the protocol level it speaks (the server requires it).
  const rpc::Packed params =
      method == rpc::method::kHello
          ? rpc::pack_value(std::vector<rpc::HelloParams>{{rpc::kProtocolLevel, "launch_bench"}})
          : rpc::empty_params();
  const std::string req = rpc::encode_request(1, method, params);
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    throw std::runtime_error("send failed");
  }
  rpc::StreamDecoder decoder{rpc::DecodeLimits{}};
  for (;;) {
    msgpack::object_handle oh;
    if (decoder.next(oh) == rpc::StreamDecoder::Status::message) {
      ::close(fd);
      rpc::Message m = rpc::classify(std::move(oh));
      auto* r = std::get_if<rpc::Response>(&m);
      if (!r || r->error) throw std::runtime_error(method + " failed");
      CallResult out;
      if (auto* p = field(r->result, "pid")) out.pid = p->as<std::int64_t>();
      if (auto* g = field(r->result, "generation")) out.generation = g->as<std::int64_t>();
      return out;
    }
    auto buf = decoder.prepare();
    const ssize_t n = ::recv(fd, buf.data, buf.size, 0);
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("connection closed during " + method);
    }
    decoder.commit(static_cast<std::size_t>(n));
  }
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> a = args;
  std::vector<char*> argv;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!log.empty()) {
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(rc));
  return pid;
}

void wait_for_control(const std::string& control) {
  const auto t0 = Clock::now();
  for (;;) {
    try {
      call(control, std::string(rpc::method::kSvcStatus));
      return;
    } catch (const std::exception&) {
      if (ms_since(t0) > 20000) throw std::runtime_error("service did not come up");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
}

void stop(pid_t pid) {
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

struct Service {
  std::string dir, run, control, client, log;
  pid_t pid = -1;
};

Service start_service(const std::string& binary, const std::string& base, int index,
                      const std::vector<std::string>& extra) {
  Service s;
  s.dir = base + "/s" + std::to_string(index);
  s.run = s.dir + "/run";
  s.control = s.run + "/control.sock";
  s.client = s.run + "/coproc.sock";
  s.log = base + "/service.log";
  std::filesystem::create_directories(s.dir);
  std::vector<std::string> args = {binary, "--runtime-dir", s.run, "--state-dir", s.dir + "/state",
                                   "--config", "/dev/null", "--log-level", "warn",
                                   "--set", "service.user="};
  args.insert(args.end(), extra.begin(), extra.end());
  s.pid = spawn(args, s.log);
  wait_for_control(s.control);
  return s;
}

void report(const char* name, const char* what, const std::vector<double>& v, double anchor,
            double goal_ms) {
  const double m = median(v);
  std::printf("%-11s %-44s median %8.2f ms  min %8.2f  max %8.2f  = %6.1fx anchor", name, what, m,
              *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()),
              m / anchor);
  if (goal_ms > 0) std::printf("  goal < %.0f ms: %s", goal_ms, m < goal_ms ? "met" : "MISSED");
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(3, std::atoi(argv[1])) : 15;
  const std::string binary =
      argc > 2 ? argv[2] : std::string(COPROC_BIN_DIR) + "/service/coproc-service";
  char tmpl[] = "/tmp/coproc-bench.XXXXXX";
  if (!::mkdtemp(tmpl)) return 1;
  const std::string base = tmpl;
  std::printf("launch_bench: %d runs, service %s\n", runs, binary.c_str());

  // Anchor: spawn + exec + wait of /bin/true.
  std::vector<double> anchor;
  for (int i = 0; i < runs * 2; ++i) {
    const auto t0 = Clock::now();
    const pid_t p = spawn({"/bin/true"}, "");
    int st = 0;
    ::waitpid(p, &st, 0);
    anchor.push_back(ms_since(t0));
  }
  const double anchor_ms = median(anchor);

  std::vector<double> cold, activation, gap;
  try {
    for (int i = 0; i < runs; ++i) {
      Service s = start_service(binary, base, i, {});
      auto t0 = Clock::now();
      call(s.control, std::string(rpc::method::kSvcLaunch));
      call(s.client, std::string(rpc::method::kHello));
      cold.push_back(ms_since(t0));
      stop(s.pid);

      Service a = start_service(binary, base, 1000 + i, {});
      t0 = Clock::now();
      call(a.client, std::string(rpc::method::kHello));
      activation.push_back(ms_since(t0));
      stop(a.pid);
    }

    // Restart gap with the default restart delay (service.restart_initial_ms
    // = 100); stable_after_ms is short so every kill counts as a first crash.
    Service r = start_service(binary, base, 2000, {"--set", "service.stable_after_ms=50"});
    CallResult current = call(r.control, std::string(rpc::method::kSvcLaunch));
    for (int i = 0; i < runs; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      const auto t0 = Clock::now();
      ::kill(static_cast<pid_t>(current.pid), SIGKILL);
      for (;;) {
        try {
          const CallResult h = call(r.client, std::string(rpc::method::kHello));
          if (h.generation > current.generation) {
            current = h;
            break;
          }
        } catch (const std::exception&) {
          // Connection broken by the kill: retry.
        }
        if (ms_since(t0) > 30000) throw std::runtime_error("no answer after the kill");
      }
      gap.push_back(ms_since(t0));
    }
    stop(r.pid);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "launch_bench: %s (log: %s/service.log)\n", e.what(), base.c_str());
    return 1;
  }

  report("anchor", "spawn+exec+wait /bin/true", anchor, anchor_ms, 0);
  report("cold", "svc.launch + connect + sys.hello answered", cold, anchor_ms, 50);
  report("activation", "connect to coproc.sock + sys.hello answered", activation, anchor_ms, 100);
  report("restart", "kill -9 -> next sys.hello answered", gap, anchor_ms, 300);
  std::printf("restart gap includes service.restart_initial_ms = 100 ms of backoff\n");
  std::printf("load average %s\n", coproc::bench::load_average().c_str());
  coproc::bench::print_goal("cold_start_ms", median(cold), 50, "ms", false);
  coproc::bench::print_goal("restart_gap_ms", median(gap), 300, "ms", false);
  std::error_code ec;
  std::filesystem::remove_all(base, ec);
  return 0;
}
