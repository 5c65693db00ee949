// The supervisor thread: one poll() loop over the wake pipe, the notify
// socket, the co-process's output pipe and exit (pidfd), and — while no
// co-process runs — the client listening socket (a pending connection
// starts one). State shared with callers is guarded by `mu`.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "child_process.h"
#include "log.h"
#include "log_forwarder.h"
#include "notify_receiver.h"
#include "restart_policy.h"
#include "supervisor.h"

extern char** environ;

namespace coproc {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const char* state_name(SupervisorState state) {
  switch (state) {
    case SupervisorState::stopped: return "stopped";
    case SupervisorState::starting: return "starting";
    case SupervisorState::running: return "running";
    case SupervisorState::backoff: return "backoff";
    case SupervisorState::stopping: return "stopping";
  }
  return "unknown";
}

namespace {

std::int64_t ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

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
                                         "COPROC_GENERATION="};
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view v(*e);
    bool drop = false;
    for (const char* d : kDropped) drop = drop || v.rfind(d, 0) == 0;
    if (!drop) env.emplace_back(v);
  }
  return env;
}

enum class StopReason { none, restart, shutdown, ready_timeout };

}  // namespace

struct Supervisor::Impl {
  explicit Impl(SupervisorSettings settings)
      : s(std::move(settings)),
        policy(s.restart_initial, s.restart_max, s.stable_after, s.crash_loop_threshold) {}

  // ---- fixed after construction
  SupervisorSettings s;
  NotifyReceiver notify;
  int wake_r = -1;
  int wake_w = -1;
  std::thread thread;

  // ---- shared, guarded by mu
  mutable std::mutex mu;
  std::condition_variable cv;
  SupervisorState state = SupervisorState::stopped;
  RestartPolicy policy;
  pid_t pid = 0;
  std::int64_t generation = 0;
  std::int64_t restarts = 0;
  std::int64_t last_exit_status = -1;
  std::string last_exit_reason;
  Clock::time_point spawned_at{};
  Clock::time_point next_restart_at{};
  std::int64_t launch_ms = 0;
  std::uint64_t ready_count = 0;   // generations that reported READY=1
  std::uint64_t failed_count = 0;  // starts that never became ready
  std::string last_failure;        // sentence for launch callers
  pid_t ready_pid = 0;             // the generation behind ready_count
  std::int64_t ready_generation = 0;
  bool want_start = false;
  bool activation_blocked = false;  // after a launch error, until the next svc.launch
  std::uint64_t restart_requests = 0;
  std::uint64_t restart_served = 0;
  bool stop_requested = false;
  bool finished = false;
  bool thread_started = false;

  // ---- supervisor thread only
  SpawnedChild child;
  std::optional<LogForwarder> forwarder;
  Clock::time_point ready_deadline{};
  Clock::time_point kill_deadline{};
  bool sent_kill = false;
  StopReason stop_reason = StopReason::none;

  void wake() {
    const char b = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_w, &b, 1);
  }

  void run();
  void spawn(Clock::time_point now);
  void begin_stop(StopReason reason, Clock::time_point now);
  void on_exit(int status, Clock::time_point now);
  void on_failure(const std::string& reason, bool was_starting, Clock::time_point now);
  void on_notify(pid_t sender, std::string_view text, Clock::time_point now);
  void read_output();
  void close_child();
  bool reap(int* status);
  int poll_timeout(Clock::time_point now) const;
};

// ---------------------------------------------------------------- thread

void Supervisor::Impl::run() {
  std::unique_lock<std::mutex> lk(mu);
  for (;;) {
    Clock::time_point now = Clock::now();
    // Commands and timers.
    if (stop_requested) {
      if (pid == 0) break;
      if (state != SupervisorState::stopping) {
        begin_stop(StopReason::shutdown, now);
      } else {
        stop_reason = StopReason::shutdown;
      }
    } else if (restart_requests > restart_served) {
      restart_served = restart_requests;
      if (pid != 0) {
        if (state != SupervisorState::stopping) begin_stop(StopReason::restart, now);
      } else {
        policy.reset();
        spawn(now);
      }
    }
    if (!stop_requested && want_start && state == SupervisorState::stopped) {
      want_start = false;
      spawn(now);
    }
    if (!stop_requested && state == SupervisorState::backoff && now >= next_restart_at) {
      ++restarts;
      spawn(now);
    }
    if (state == SupervisorState::starting && now >= ready_deadline) {
      COPROC_LOG(error, "supervisor", "co-process pid=" << pid << " generation=" << generation
                                                        << " did not report READY=1 within "
                                                        << s.ready_timeout.count()
                                                        << " ms; stopping it");
      begin_stop(StopReason::ready_timeout, now);
    }
    if (state == SupervisorState::stopping && !sent_kill && now >= kill_deadline) {
      COPROC_LOG(warn, "supervisor", "co-process pid=" << pid << " still running "
                                                       << s.stop_timeout.count()
                                                       << " ms after SIGTERM; sending SIGKILL");
      ::kill(-pid, SIGKILL);
      ::kill(pid, SIGKILL);
      sent_kill = true;
    }
    if (state == SupervisorState::running && policy.consecutive_failures() > 0 &&
        now - spawned_at >= s.stable_after) {
      COPROC_LOG(info, "supervisor", "co-process pid=" << pid << " up for "
                                                       << s.stable_after.count()
                                                       << " ms: restart delay reset");
      policy.reset();
    }

    // Wait for something to happen.
    std::vector<pollfd> fds;
    fds.push_back({wake_r, POLLIN, 0});
    fds.push_back({notify.fd(), POLLIN, 0});
    const int out_index = child.stderr_fd >= 0 ? static_cast<int>(fds.size()) : -1;
    if (out_index >= 0) fds.push_back({child.stderr_fd, POLLIN, 0});
    const int exit_index = child.pidfd >= 0 ? static_cast<int>(fds.size()) : -1;
    if (exit_index >= 0) fds.push_back({child.pidfd, POLLIN, 0});
    const bool watch_listen = s.activate_on_connection && s.listen_fd >= 0 &&
                              state == SupervisorState::stopped && !activation_blocked &&
                              !want_start;
    const int listen_index = watch_listen ? static_cast<int>(fds.size()) : -1;
    if (listen_index >= 0) fds.push_back({s.listen_fd, POLLIN, 0});
    const int timeout = poll_timeout(now);
    lk.unlock();
    int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0 && errno != EINTR) std::this_thread::sleep_for(milliseconds(10));
    if (n > 0 && (fds[0].revents & POLLIN)) {
      char buf[256];
      while (::read(wake_r, buf, sizeof buf) > 0) {
      }
    }
    if (out_index >= 0 && fds[static_cast<std::size_t>(out_index)].revents) read_output();
    lk.lock();
    now = Clock::now();
    if (n > 0 && fds[1].revents) {
      notify.drain([&](pid_t sender, std::string_view text) { on_notify(sender, text, now); });
    }
    if (pid != 0) {
      int status = 0;
      if (reap(&status)) on_exit(status, Clock::now());
    }
    if (listen_index >= 0 && (fds[static_cast<std::size_t>(listen_index)].revents & POLLIN) &&
        state == SupervisorState::stopped && !stop_requested) {
      COPROC_LOG(info, "supervisor", "a client is waiting on the client socket: launching");
      want_start = true;
    }
  }
  state = SupervisorState::stopped;
  finished = true;
  cv.notify_all();
}

int Supervisor::Impl::poll_timeout(Clock::time_point now) const {
  std::optional<Clock::time_point> at;
  auto consider = [&](Clock::time_point t) {
    if (!at || t < *at) at = t;
  };
  if (state == SupervisorState::backoff) consider(next_restart_at);
  if (state == SupervisorState::starting) consider(ready_deadline);
  if (state == SupervisorState::stopping && !sent_kill) consider(kill_deadline);
  if (state == SupervisorState::running && policy.consecutive_failures() > 0) {
    consider(spawned_at + s.stable_after);
  }
  std::int64_t ms = at ? std::max<std::int64_t>(0, ms_between(now, *at) + 1) : 1000;
  if (pid != 0 && child.pidfd < 0) ms = std::min<std::int64_t>(ms, 20);  // no pidfd: poll
  return static_cast<int>(std::min<std::int64_t>(ms, 1000));
}

void Supervisor::Impl::spawn(Clock::time_point now) {
  const std::int64_t next_generation = generation + 1;
  SpawnSpec spec;
  spec.path = s.coprocess_path;
  spec.argv.push_back(s.coprocess_path);
  spec.argv.insert(spec.argv.end(), s.arguments.begin(), s.arguments.end());
  spec.env = child_environment();
  spec.env.push_back("NOTIFY_SOCKET=" + notify.path());
  spec.env.push_back("COPROC_GENERATION=" + std::to_string(next_generation));
  spec.listen_fd = s.listen_fd;

  std::string error;
  bool ok = true;
  if (!s.run_as_user.empty() && ::geteuid() == 0) {
    ok = resolve_user(s.run_as_user, &spec.user, &error);
    if (ok) {
      // The co-process takes its own lock; let it open the file as that user.
      const std::string lock = s.runtime_dir + "/coproc.lock";
      const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) {
        if (::fchown(fd, spec.user.uid, spec.user.gid) != 0) {
          COPROC_LOG(warn, "supervisor", "cannot give " << lock << " to user " << s.run_as_user
                                                        << ": " << std::strerror(errno));
        }
        ::close(fd);
      }
    }
  }
  if (ok) ok = spawn_child(spec, &child, &error);
  if (!ok) {
    COPROC_LOG(error, "supervisor", "cannot launch the co-process " << s.coprocess_path << ": "
                                                                    << error);
    state = SupervisorState::stopped;
    last_failure = "cannot launch the co-process: " + error;
    last_exit_reason = last_failure;
    ++failed_count;
    activation_blocked = true;
    cv.notify_all();
    return;
  }
  generation = next_generation;
  pid = child.pid;
  spawned_at = now;
  ready_deadline = now + s.ready_timeout;
  state = SupervisorState::starting;
  stop_reason = StopReason::none;
  sent_kill = false;
  forwarder.emplace(child.pid);
  COPROC_LOG(info, "supervisor", "started co-process pid=" << pid << " generation=" << generation
                                                           << (spec.user.drop ? " user=" : "")
                                                           << (spec.user.drop ? spec.user.name : ""));
}

void Supervisor::Impl::begin_stop(StopReason reason, Clock::time_point now) {
  state = SupervisorState::stopping;
  stop_reason = reason;
  sent_kill = false;
  kill_deadline = now + s.stop_timeout;
  if (s.stop_timeout.count() == 0) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    sent_kill = true;
  } else {
    ::kill(pid, SIGTERM);
  }
  cv.notify_all();
}

void Supervisor::Impl::on_notify(pid_t sender, std::string_view text, Clock::time_point now) {
  if (pid == 0 || sender != pid) {
    COPROC_LOG(debug, "supervisor", "ignored notification from pid " << sender);
    return;
  }
  if (has_line(text, "READY=1") && state == SupervisorState::starting) {
    state = SupervisorState::running;
    launch_ms = ms_between(spawned_at, now);
    ++ready_count;
    ready_pid = pid;
    ready_generation = generation;
    COPROC_LOG(info, "supervisor", "co-process pid=" << pid << " generation=" << generation
                                                     << " ready in " << launch_ms << " ms");
    cv.notify_all();
  }
  if (has_line(text, "STOPPING=1")) {
    COPROC_LOG(debug, "supervisor", "co-process pid=" << pid << " is stopping");
  }
}

bool Supervisor::Impl::reap(int* status) {
  // Look without reaping first: while the zombie exists its process-group
  // id cannot be reused, so whatever the co-process left behind in its
  // session can be killed safely before the pid is released.
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      info.si_pid != pid) {
    return false;
  }
  ::kill(-pid, SIGKILL);
  return ::waitpid(pid, status, 0) == pid;
}

void Supervisor::Impl::read_output() {
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

void Supervisor::Impl::close_child() {
  read_output();
  if (forwarder) forwarder->flush();
  if (child.stderr_fd >= 0) ::close(child.stderr_fd);
  if (child.pidfd >= 0) ::close(child.pidfd);
  child = SpawnedChild{};
  forwarder.reset();
}

void Supervisor::Impl::on_exit(int status, Clock::time_point now) {
  const pid_t old_pid = pid;
  close_child();
  pid = 0;
  const std::string reason = describe_wait_status(status);
  last_exit_status = wait_status_code(status);
  last_exit_reason = reason;
  const SupervisorState was = state;
  if (was == SupervisorState::stopping) {
    switch (stop_reason) {
      case StopReason::shutdown:
        COPROC_LOG(info, "supervisor", "co-process pid=" << old_pid << " stopped (" << reason
                                                         << ")");
        state = SupervisorState::stopped;
        cv.notify_all();
        return;
      case StopReason::restart:
        COPROC_LOG(info, "supervisor", "co-process pid=" << old_pid << " stopped for restart ("
                                                         << reason << ")");
        policy.reset();
        spawn(now);
        cv.notify_all();
        return;
      case StopReason::ready_timeout:
        on_failure("did not report READY=1 within " + std::to_string(s.ready_timeout.count()) +
                       " ms (then " + reason + ")",
                   true, now);
        return;
      case StopReason::none:
        break;
    }
  }
  on_failure(reason, was == SupervisorState::starting, now);
}

void Supervisor::Impl::on_failure(const std::string& reason, bool was_starting,
                                  Clock::time_point now) {
  const milliseconds uptime = std::chrono::duration_cast<milliseconds>(now - spawned_at);
  const milliseconds delay = policy.on_failure(uptime);
  state = SupervisorState::backoff;
  next_restart_at = now + delay;
  if (was_starting) {
    ++failed_count;
    last_failure = "the co-process " + reason + " before it was ready";
  }
  COPROC_LOG(warn, "supervisor", "co-process generation=" << generation << " " << reason
                                                          << " after " << uptime.count()
                                                          << " ms" << (was_starting ? " (before READY=1)" : "")
                                                          << "; restarting in " << delay.count()
                                                          << " ms");
  if (policy.crash_loop()) {
    COPROC_LOG(error, "supervisor", "crash loop: " << policy.consecutive_failures()
                                                   << " failures in a row; last: " << reason
                                                   << "; next start in " << delay.count()
                                                   << " ms");
  }
  cv.notify_all();
}

// ---------------------------------------------------------------- API

Supervisor::Supervisor(SupervisorSettings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("cannot create the supervisor's pipe: ") +
                             std::strerror(errno));
  }
  impl_->wake_r = p[0];
  impl_->wake_w = p[1];
  uid_t owner = static_cast<uid_t>(-1);
  if (!impl_->s.run_as_user.empty() && ::geteuid() == 0) {
    RunAsUser user;
    std::string ignored;
    if (resolve_user(impl_->s.run_as_user, &user, &ignored)) owner = user.uid;
  }
  std::string error;
  if (!impl_->notify.open(impl_->s.runtime_dir + "/notify.sock", owner, &error)) {
    ::close(p[0]);
    ::close(p[1]);
    throw std::runtime_error(error);
  }
}

Supervisor::~Supervisor() {
  stop();
  ::close(impl_->wake_r);
  ::close(impl_->wake_w);
}

void Supervisor::start(bool start_now) {
  std::lock_guard<std::mutex> lk(impl_->mu);
  if (impl_->thread_started) return;
  impl_->want_start = start_now;
  impl_->thread_started = true;
  impl_->thread = std::thread([this] { impl_->run(); });
}

LaunchOutcome Supervisor::launch(milliseconds deadline) {
  Impl& d = *impl_;
  const auto t0 = Clock::now();
  LaunchOutcome out;
  std::unique_lock<std::mutex> lk(d.mu);
  auto fill_ready = [&] {
    out.ok = true;
    out.pid = d.ready_pid;
    out.generation = d.ready_generation;
    out.launch_ms = d.launch_ms;
    out.waited_ms = ms_between(t0, Clock::now());
  };
  if (d.stop_requested || d.finished || !d.thread_started) {
    out.unavailable = true;
    out.error = "the service is stopping";
    return out;
  }
  if (d.state == SupervisorState::running) {
    fill_ready();
    return out;
  }
  if (d.state == SupervisorState::backoff && d.policy.crash_loop()) {  // say why, at once
    out.unavailable = true;
    out.error = "the co-process is in a crash loop (" +
                std::to_string(d.policy.consecutive_failures()) + " failures in a row; last: " +
                d.last_exit_reason + "); next attempt in " +
                std::to_string(std::max<std::int64_t>(0, ms_between(t0, d.next_restart_at))) +
                " ms";
    return out;
  }
  if (d.state == SupervisorState::stopped && !d.want_start) {
    d.want_start = true;
    d.activation_blocked = false;
    out.launched = true;
    d.wake();
  }
  const std::uint64_t ready0 = d.ready_count;
  const std::uint64_t failed0 = d.failed_count;
  const bool settled = d.cv.wait_until(lk, t0 + deadline, [&] {
    return d.ready_count > ready0 || d.failed_count > failed0 || d.stop_requested;
  });
  if (d.ready_count > ready0) {
    fill_ready();
    return out;
  }
  out.launched = false;
  out.waited_ms = ms_between(t0, Clock::now());
  if (d.stop_requested) {
    out.unavailable = true;
    out.error = "the service is stopping";
  } else if (settled) {
    out.unavailable = true;
    out.error = d.last_failure;
    if (d.state == SupervisorState::backoff) {
      out.error += "; next attempt in " +
                   std::to_string(std::max<std::int64_t>(0, ms_between(Clock::now(), d.next_restart_at))) +
                   " ms";
    }
  } else {
    out.error = "the co-process did not become ready within " + std::to_string(deadline.count()) +
                " ms (state " + state_name(d.state) + ")";
  }
  return out;
}

LaunchOutcome Supervisor::restart(milliseconds deadline) {
  Impl& d = *impl_;
  const auto t0 = Clock::now();
  LaunchOutcome out;
  std::unique_lock<std::mutex> lk(d.mu);
  if (d.stop_requested || d.finished || !d.thread_started) {
    out.unavailable = true;
    out.error = "the service is stopping";
    return out;
  }
  const std::uint64_t mine = ++d.restart_requests;
  const std::int64_t generation0 = d.generation;
  const std::uint64_t failed0 = d.failed_count;
  d.activation_blocked = false;
  d.wake();
  auto served = [&] { return d.restart_served >= mine && d.generation > generation0; };
  const bool settled = d.cv.wait_until(lk, t0 + deadline, [&] {
    return d.stop_requested || (served() && d.ready_generation == d.generation &&
                                d.ready_count > 0) ||
           (d.restart_served >= mine && d.failed_count > failed0);
  });
  out.waited_ms = ms_between(t0, Clock::now());
  if (!d.stop_requested && served() && d.ready_generation == d.generation && d.ready_count > 0) {
    out.ok = true;
    out.launched = true;
    out.pid = d.ready_pid;
    out.generation = d.ready_generation;
    out.launch_ms = d.launch_ms;
    return out;
  }
  if (d.stop_requested) {
    out.unavailable = true;
    out.error = "the service is stopping";
  } else if (settled) {
    out.unavailable = true;
    out.error = d.last_failure;
  } else {
    out.error = "the new co-process did not become ready within " +
                std::to_string(deadline.count()) + " ms (state " + state_name(d.state) + ")";
  }
  return out;
}

SupervisorStatus Supervisor::status() const {
  const Impl& d = *impl_;
  std::lock_guard<std::mutex> lk(d.mu);
  const auto now = Clock::now();
  SupervisorStatus st;
  st.state = d.state;
  st.pid = d.pid;
  st.generation = d.generation;
  st.restarts = d.restarts;
  st.consecutive_failures = d.policy.consecutive_failures();
  st.last_exit_status = d.last_exit_status;
  st.last_exit_reason = d.last_exit_reason;
  st.crash_loop = d.policy.crash_loop();
  if (d.state == SupervisorState::backoff) {
    st.next_restart_ms = std::max<std::int64_t>(0, ms_between(now, d.next_restart_at));
  }
  if (d.pid != 0) st.uptime_ms = ms_between(d.spawned_at, now);
  if (d.state == SupervisorState::running) st.launch_ms = d.launch_ms;
  return st;
}

void Supervisor::stop() {
  Impl& d = *impl_;
  {
    std::lock_guard<std::mutex> lk(d.mu);
    d.stop_requested = true;
    d.cv.notify_all();
    if (d.thread_started) d.wake();
  }
  if (d.thread.joinable()) d.thread.join();
}

}  // namespace coproc
