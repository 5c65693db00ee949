// The supervision policy, the same on every platform: when to start a
// co-process generation (at start, on svc.launch, on a waiting client, after
// a failure with backoff), how long it may take to become ready, how a stop
// goes (graceful request, deadline, kill), what counts as a crash loop, and
// what callers of launch/restart/status see. The process work itself —
// spawn, signals, readiness, exit — is SupervisedProcess
// (supervisor_posix.cc / supervisor_win32.cc). All of it runs on one
// supervisor thread; state shared with callers is guarded by `mu`.
#include "supervisor.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "log.h"
#include "restart_policy.h"
#include "supervised_process.h"

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

enum class StopReason { none, restart, shutdown, ready_timeout };

}  // namespace

struct Supervisor::Impl {
  explicit Impl(SupervisorSettings settings)
      : s(std::move(settings)),
        process(s),
        policy(s.restart_initial, s.restart_max, s.stable_after, s.crash_loop_threshold) {}

  // ---- fixed after construction
  SupervisorSettings s;
  SupervisedProcess process;  // wake() from any thread, the rest on the supervisor thread
  std::thread thread;

  // ---- shared, guarded by mu
  mutable std::mutex mu;
  std::condition_variable cv;
  SupervisorState state = SupervisorState::stopped;
  RestartPolicy policy;
  std::int64_t pid = 0;
  std::int64_t generation = 0;
  std::int64_t restarts = 0;
  std::int64_t last_exit_status = -1;
  std::string last_exit_reason;
  Clock::time_point spawned_at{};
  Clock::time_point next_restart_at{};
  std::int64_t launch_ms = 0;
  std::uint64_t ready_count = 0;   // generations that became ready
  std::uint64_t failed_count = 0;  // starts that never became ready
  std::string last_failure;        // sentence for launch callers
  std::int64_t ready_pid = 0;      // the generation behind ready_count
  std::int64_t ready_generation = 0;
  bool want_start = false;
  bool activation_blocked = false;  // after a launch error, until the next svc.launch
  std::uint64_t restart_requests = 0;
  std::uint64_t restart_served = 0;
  bool stop_requested = false;
  bool finished = false;
  bool thread_started = false;

  // ---- supervisor thread only
  Clock::time_point ready_deadline{};
  Clock::time_point kill_deadline{};
  bool sent_kill = false;
  StopReason stop_reason = StopReason::none;

  void run();
  void spawn(Clock::time_point now);
  void begin_stop(StopReason reason, Clock::time_point now);
  void kill_now();
  void on_ready(Clock::time_point now);
  void on_exit(const ProcessEvents& events, Clock::time_point now);
  void on_failure(const std::string& reason, bool was_starting, Clock::time_point now);
  milliseconds wait_timeout(Clock::time_point now) const;
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
                                                       << s.stop_timeout.count() << " ms after "
                                                       << SupervisedProcess::stop_request_name()
                                                       << "; sending "
                                                       << SupervisedProcess::kill_name());
      kill_now();
    }
    if (state == SupervisorState::running && policy.consecutive_failures() > 0 &&
        now - spawned_at >= s.stable_after) {
      COPROC_LOG(info, "supervisor", "co-process pid=" << pid << " up for "
                                                       << s.stable_after.count()
                                                       << " ms: restart delay reset");
      policy.reset();
    }

    // Wait for something to happen.
    const bool watch_clients = s.activate_on_connection && state == SupervisorState::stopped &&
                               !activation_blocked && !want_start;
    const milliseconds timeout = wait_timeout(now);
    lk.unlock();
    const ProcessEvents events = process.wait(timeout, watch_clients);
    lk.lock();
    now = Clock::now();
    if (events.ready) on_ready(now);
    if (events.exited && pid != 0) on_exit(events, now);
    if (events.client_waiting && state == SupervisorState::stopped && !stop_requested) {
      COPROC_LOG(info, "supervisor", "a client is waiting on the client socket: launching");
      want_start = true;
    }
  }
  state = SupervisorState::stopped;
  finished = true;
  cv.notify_all();
}

milliseconds Supervisor::Impl::wait_timeout(Clock::time_point now) const {
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
  const std::int64_t ms = at ? std::max<std::int64_t>(0, ms_between(now, *at) + 1) : 1000;
  return milliseconds(std::min<std::int64_t>(ms, 1000));
}

void Supervisor::Impl::spawn(Clock::time_point now) {
  const std::int64_t next_generation = generation + 1;
  std::string detail;
  std::string error;
  const std::int64_t started = process.start(next_generation, &detail, &error);
  if (started == 0) {
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
  pid = started;
  spawned_at = now;
  ready_deadline = now + s.ready_timeout;
  state = SupervisorState::starting;
  stop_reason = StopReason::none;
  sent_kill = false;
  COPROC_LOG(info, "supervisor", "started co-process pid=" << pid << " generation=" << generation
                                                           << detail);
}

void Supervisor::Impl::kill_now() {
  process.kill();
  sent_kill = true;
}

void Supervisor::Impl::begin_stop(StopReason reason, Clock::time_point now) {
  state = SupervisorState::stopping;
  stop_reason = reason;
  sent_kill = false;
  kill_deadline = now + s.stop_timeout;
  if (s.stop_timeout.count() == 0) {
    kill_now();
  } else {
    process.request_stop();
  }
  cv.notify_all();
}

void Supervisor::Impl::on_ready(Clock::time_point now) {
  if (state != SupervisorState::starting) return;
  state = SupervisorState::running;
  launch_ms = ms_between(spawned_at, now);
  ++ready_count;
  ready_pid = pid;
  ready_generation = generation;
  COPROC_LOG(info, "supervisor", "co-process pid=" << pid << " generation=" << generation
                                                   << " ready in " << launch_ms << " ms");
  cv.notify_all();
}

void Supervisor::Impl::on_exit(const ProcessEvents& events, Clock::time_point now) {
  const std::int64_t old_pid = pid;
  pid = 0;
  const std::string& reason = events.exit_reason;
  last_exit_status = events.exit_status;
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

Supervisor::Supervisor(SupervisorSettings settings)
    : impl_(std::make_unique<Impl>(std::move(settings))) {}

Supervisor::~Supervisor() { stop(); }

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
    d.process.wake();
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
  d.process.wake();
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
    if (d.thread_started) d.process.wake();
  }
  if (d.thread.joinable()) d.thread.join();
}

}  // namespace coproc
