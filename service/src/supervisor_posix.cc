// SupervisedProcess on POSIX: one poll() over the wake pipe, the notify
// socket, the co-process's output pipe and exit (pidfd), and — while no
// co-process runs — the client listening socket (a pending connection
// starts one). The co-process gets the client socket on fd 3 and reports
// READY=1 on the notify socket; it is stopped with SIGTERM and killed with
// its whole process group.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "child_process.h"
#include "log.h"
#include "log_forwarder.h"
#include "notify_receiver.h"
#include "supervised_process.h"

extern char** environ;

namespace coproc {
namespace {

bool has_line(std::string_view text, std::string_view line) {
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(pos, end - pos) == line) return true;
    pos = end + 1;
  }
  return false;
}

// The environment of a co-process: ours, minus what concerns only the
// service itself (systemd's notify/watchdog/socket variables).
std::vector<std::string> child_environment() {
  static const char* const kDropped[] = {"NOTIFY_SOCKET=", "LISTEN_PID=", "LISTEN_FDS=",
                                         "LISTEN_FDNAMES=", "WATCHDOG_USEC=", "WATCHDOG_PID=",
                                         "COPROC_GENERATION=", "CREDENTIALS_DIRECTORY="};
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view v(*e);
    bool drop = false;
    for (const char* d : kDropped) drop = drop || v.rfind(d, 0) == 0;
    if (!drop) env.emplace_back(v);
  }
  return env;
}

}  // namespace

struct SupervisedProcess::State {
  explicit State(const SupervisorSettings& settings) : s(settings) {}

  const SupervisorSettings& s;
  NotifyReceiver notify;
  int wake_r = -1;
  int wake_w = -1;
  SpawnedChild child;
  std::optional<LogForwarder> forwarder;

  void read_output();
  void close_child();
  bool reap(int* status);
};

SupervisedProcess::SupervisedProcess(const SupervisorSettings& settings)
    : state_(std::make_unique<State>(settings)) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("cannot create the supervisor's pipe: ") +
                             std::strerror(errno));
  }
  state_->wake_r = p[0];
  state_->wake_w = p[1];
  uid_t owner = static_cast<uid_t>(-1);
  if (!settings.run_as_user.empty() && ::geteuid() == 0) {
    RunAsUser user;
    std::string ignored;
    if (resolve_user(settings.run_as_user, &user, &ignored)) owner = user.uid;
  }
  std::string error;
  if (!state_->notify.open(settings.runtime_dir + "/notify.sock", owner, &error)) {
    ::close(p[0]);
    ::close(p[1]);
    throw std::runtime_error(error);
  }
}

SupervisedProcess::~SupervisedProcess() {
  if (state_->child.pid > 0) {
    kill();
    int status = 0;
    state_->reap(&status);
    state_->close_child();
  }
  ::close(state_->wake_r);
  ::close(state_->wake_w);
}

const char* SupervisedProcess::stop_request_name() { return "SIGTERM"; }
const char* SupervisedProcess::kill_name() { return "SIGKILL"; }

void SupervisedProcess::wake() {
  const char b = 1;
  [[maybe_unused]] ssize_t n = ::write(state_->wake_w, &b, 1);
}

std::int64_t SupervisedProcess::start(std::int64_t generation, std::string* detail,
                                      std::string* error) {
  State& st = *state_;
  SpawnSpec spec;
  spec.path = st.s.coprocess_path;
  spec.argv.push_back(st.s.coprocess_path);
  spec.argv.insert(spec.argv.end(), st.s.arguments.begin(), st.s.arguments.end());
  spec.env = child_environment();
  spec.env.push_back("NOTIFY_SOCKET=" + st.notify.path());
  spec.env.push_back("COPROC_GENERATION=" + std::to_string(generation));
  spec.listen_fd = st.s.listen_fd;
  spec.secrets = st.s.secrets;

  if (!st.s.run_as_user.empty() && ::geteuid() == 0) {
    if (!resolve_user(st.s.run_as_user, &spec.user, error)) return 0;
    // The co-process takes its own lock; let it open the file as that user.
    const std::string lock = st.s.runtime_dir + "/coproc.lock";
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      if (::fchown(fd, spec.user.uid, spec.user.gid) != 0) {
        COPROC_LOG(warn, "supervisor", "cannot give " << lock << " to user " << st.s.run_as_user
                                                      << ": " << std::strerror(errno));
      }
      ::close(fd);
    }
  }
  if (!spawn_child(spec, &st.child, error)) return 0;
  st.forwarder.emplace(st.child.pid);
  if (spec.user.drop) *detail = " user=" + spec.user.name;
  return st.child.pid;
}

void SupervisedProcess::request_stop() {
  if (state_->child.pid > 0) ::kill(state_->child.pid, SIGTERM);
}

void SupervisedProcess::kill() {
  const pid_t pid = state_->child.pid;
  if (pid <= 0) return;
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
}

ProcessEvents SupervisedProcess::wait(std::chrono::milliseconds timeout, bool watch_clients) {
  State& st = *state_;
  ProcessEvents events;
  std::int64_t ms = timeout.count();
  if (st.child.pid > 0 && st.child.pidfd < 0) ms = std::min<std::int64_t>(ms, 20);  // no pidfd
  std::vector<pollfd> fds;
  fds.push_back({st.wake_r, POLLIN, 0});
  fds.push_back({st.notify.fd(), POLLIN, 0});
  const int out_index = st.child.stderr_fd >= 0 ? static_cast<int>(fds.size()) : -1;
  if (out_index >= 0) fds.push_back({st.child.stderr_fd, POLLIN, 0});
  const int exit_index = st.child.pidfd >= 0 ? static_cast<int>(fds.size()) : -1;
  if (exit_index >= 0) fds.push_back({st.child.pidfd, POLLIN, 0});
  const bool watch_listen = watch_clients && st.s.listen_fd >= 0 && st.child.pid <= 0;
  const int listen_index = watch_listen ? static_cast<int>(fds.size()) : -1;
  if (listen_index >= 0) fds.push_back({st.s.listen_fd, POLLIN, 0});

  const int n = ::poll(fds.data(), fds.size(), static_cast<int>(ms));
  if (n < 0 && errno != EINTR) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (n > 0 && (fds[0].revents & POLLIN)) {
    char buf[256];
    while (::read(st.wake_r, buf, sizeof buf) > 0) {
    }
  }
  if (out_index >= 0 && fds[static_cast<std::size_t>(out_index)].revents) st.read_output();
  if (n > 0 && fds[1].revents) {
    st.notify.drain([&](pid_t sender, std::string_view text) {
      if (st.child.pid <= 0 || sender != st.child.pid) {
        COPROC_LOG(debug, "supervisor", "ignored notification from pid " << sender);
        return;
      }
      if (has_line(text, "READY=1")) events.ready = true;
      if (has_line(text, "STOPPING=1")) {
        COPROC_LOG(debug, "supervisor", "co-process pid=" << sender << " is stopping");
      }
    });
  }
  if (st.child.pid > 0) {
    int status = 0;
    if (st.reap(&status)) {
      st.close_child();
      events.exited = true;
      events.exit_status = wait_status_code(status);
      events.exit_reason = describe_wait_status(status);
    }
  }
  events.client_waiting =
      listen_index >= 0 && (fds[static_cast<std::size_t>(listen_index)].revents & POLLIN);
  return events;
}

bool SupervisedProcess::State::reap(int* status) {
  // Look without reaping first: while the zombie exists its process-group
  // id cannot be reused, so whatever the co-process left behind in its
  // session can be killed safely before the pid is released.
  const pid_t pid = child.pid;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      info.si_pid != pid) {
    return false;
  }
  ::kill(-pid, SIGKILL);
  return ::waitpid(pid, status, 0) == pid;
}

void SupervisedProcess::State::read_output() {
  if (child.stderr_fd < 0) return;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(child.stderr_fd, buf, sizeof buf);
    if (n > 0) {
      if (forwarder) forwarder->feed(std::string_view(buf, static_cast<std::size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {  // EOF: the co-process (and anything it started) closed it
      if (forwarder) forwarder->flush();
      ::close(child.stderr_fd);
      child.stderr_fd = -1;
    }
    return;
  }
}

void SupervisedProcess::State::close_child() {
  read_output();
  if (forwarder) forwarder->flush();
  if (child.stderr_fd >= 0) ::close(child.stderr_fd);
  if (child.pidfd >= 0) ::close(child.pidfd);
  child = SpawnedChild{};
  forwarder.reset();
}

}  // namespace coproc
