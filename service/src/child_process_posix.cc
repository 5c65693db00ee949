#include "child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

namespace coproc {
namespace {

// What failed in the child before exec, sent to the parent through a
// close-on-exec pipe (exec success closes it with nothing written).
enum class ChildStage : int { fds = 1, session, groups, gid, uid, exec };

struct ChildFailure {
  int stage;
  int err;
};

const char* stage_text(int stage) {
  switch (static_cast<ChildStage>(stage)) {
    case ChildStage::fds: return "cannot set up file descriptors";
    case ChildStage::session: return "cannot start a new session";
    case ChildStage::groups: return "cannot set supplementary groups";
    case ChildStage::gid: return "cannot set group id";
    case ChildStage::uid: return "cannot set user id";
    case ChildStage::exec: return "cannot execute";
  }
  return "cannot start";
}

[[noreturn]] void child_fail(int report_fd, ChildStage stage) {
  ChildFailure f{static_cast<int>(stage), errno};
  [[maybe_unused]] ssize_t n = ::write(report_fd, &f, sizeof f);
  ::_exit(127);
}

// Async-signal-safe decimal formatting into `out` (NUL-terminated).
void format_pid(char* out, long value) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && n < 23);
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  out[n] = '\0';
}

void close_from(int first, int last) {
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), static_cast<unsigned>(last), 0) ==
      0) {
    return;
  }
#endif
  for (int fd = first; fd <= last && fd < 65536; ++fd) ::close(fd);
}

// A pipe holding `secrets` in full, its write end closed: the child reads
// them to EOF. A pipe holds 64 KiB without a reader.
bool secrets_pipe(const std::string& secrets, int* read_end, std::string* error) {
  int p[2];
  if (secrets.size() > 65536) {
    *error = "the secrets for the co-process exceed 64 KiB";
    return false;
  }
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    *error = std::string("cannot create the secrets pipe: ") + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < secrets.size()) {
    const ssize_t n = ::write(p[1], secrets.data() + done, secrets.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("cannot fill the secrets pipe: ") + std::strerror(errno);
      ::close(p[0]);
      ::close(p[1]);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(p[1]);
  // The child reads with blocking calls.
  ::fcntl(p[0], F_SETFL, ::fcntl(p[0], F_GETFL) & ~O_NONBLOCK);
  *read_end = p[0];
  return true;
}

// Runs in the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void run_child(const SpawnSpec& spec, char* const* argv, char* const* envp,
                            char* listen_pid_digits, int devnull, int out_w, int secrets_r,
                            int report_w, pid_t parent) {
  // Default dispositions first, then unblock: the service blocks SIGTERM & co.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (::setsid() < 0) child_fail(report_w, ChildStage::session);

  // Move every source descriptor above the targets 0..3 before dup2, so no
  // dup2 overwrites a source that is still needed.
  constexpr int kHigh = 100;
  const int report = ::fcntl(report_w, F_DUPFD_CLOEXEC, kHigh);
  if (report < 0) child_fail(report_w, ChildStage::fds);
  const int in = ::fcntl(devnull, F_DUPFD_CLOEXEC, kHigh);
  const int out = ::fcntl(out_w, F_DUPFD_CLOEXEC, kHigh);
  const int lfd = spec.listen_fd >= 0 ? ::fcntl(spec.listen_fd, F_DUPFD_CLOEXEC, kHigh) : -1;
  const int sfd = secrets_r >= 0 ? ::fcntl(secrets_r, F_DUPFD_CLOEXEC, kHigh) : -1;
  if (in < 0 || out < 0 || (spec.listen_fd >= 0 && lfd < 0) || (secrets_r >= 0 && sfd < 0)) {
    child_fail(report, ChildStage::fds);
  }
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) {
    child_fail(report, ChildStage::fds);
  }
  if (lfd >= 0 && ::dup2(lfd, 3) < 0) child_fail(report, ChildStage::fds);
  if (sfd >= 0 && ::dup2(sfd, kSecretsFd) < 0) child_fail(report, ChildStage::fds);
  if (sfd >= 0 && lfd < 0) ::close(3);
  // Nothing else leaks into the co-process (Asio's sockets are not
  // close-on-exec), except the report pipe, which closes at exec.
  const int keep_from = sfd >= 0 ? kSecretsFd + 1 : lfd >= 0 ? 4 : 3;
  if (report > keep_from) close_from(keep_from, report - 1);
  close_from(report + 1, INT_MAX);

  if (spec.user.drop) {
    if (::setgroups(spec.user.groups.size(), spec.user.groups.data()) != 0) {
      child_fail(report, ChildStage::groups);
    }
    if (::setgid(spec.user.gid) != 0) child_fail(report, ChildStage::gid);
    if (::setuid(spec.user.uid) != 0) child_fail(report, ChildStage::uid);
  }
  // If the service dies without stopping us (SIGKILL), do not linger
  // holding the socket and the lock. Set after setuid, which clears it.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(0);

  if (listen_pid_digits) format_pid(listen_pid_digits, static_cast<long>(::getpid()));
  [[maybe_unused]] int rc = ::chdir("/");
  ::execve(spec.path.c_str(), argv, envp);
  child_fail(report, ChildStage::exec);
}

}  // namespace

bool resolve_user(const std::string& name, RunAsUser* out, std::string* error) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  const int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || !found) {
    *error = "user '" + name + "' does not exist (create it, or set service.user)";
    return false;
  }
  out->drop = true;
  out->name = name;
  out->uid = pw.pw_uid;
  out->gid = pw.pw_gid;
  int count = 64;
  out->groups.assign(static_cast<std::size_t>(count), 0);
  if (::getgrouplist(name.c_str(), pw.pw_gid, out->groups.data(), &count) < 0) {
    out->groups.assign(static_cast<std::size_t>(count), 0);
    ::getgrouplist(name.c_str(), pw.pw_gid, out->groups.data(), &count);
  }
  out->groups.resize(static_cast<std::size_t>(count));
  return true;
}

bool spawn_child(const SpawnSpec& spec, SpawnedChild* out, std::string* error) {
  // Everything the child needs is prepared here: it must not allocate.
  std::vector<std::string> env_strings = spec.env;
  std::size_t listen_pid_index = 0;
  if (spec.listen_fd >= 0) {
    env_strings.push_back("LISTEN_FDS=1");
    env_strings.push_back("LISTEN_PID=" + std::string(24, '\0'));
    listen_pid_index = env_strings.size() - 1;
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = spec.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* listen_pid_digits =
      spec.listen_fd >= 0 ? env_strings[listen_pid_index].data() + std::strlen("LISTEN_PID=")
                          : nullptr;

  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int out_pipe[2] = {-1, -1};
  int report_pipe[2] = {-1, -1};
  if (devnull < 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(report_pipe, O_CLOEXEC) != 0) {
    *error = std::string("cannot create pipes for the co-process: ") + std::strerror(errno);
    for (int fd : {devnull, out_pipe[0], out_pipe[1], report_pipe[0], report_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return false;
  }
  int secrets_r = -1;
  if (!spec.secrets.empty() && !secrets_pipe(spec.secrets, &secrets_r, error)) {
    for (int fd : {devnull, out_pipe[0], out_pipe[1], report_pipe[0], report_pipe[1]}) ::close(fd);
    return false;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    run_child(spec, argv.data(), envp.data(), listen_pid_digits, devnull, out_pipe[1], secrets_r,
              report_pipe[1], parent);
  }
  const int fork_err = errno;
  if (secrets_r >= 0) ::close(secrets_r);
  ::close(devnull);
  ::close(out_pipe[1]);
  ::close(report_pipe[1]);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(report_pipe[0]);
    *error = std::string("fork failed: ") + std::strerror(fork_err);
    return false;
  }
  ChildFailure failure{0, 0};
  ssize_t n;
  do {
    n = ::read(report_pipe[0], &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  ::close(report_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(out_pipe[0]);
    *error = std::string(stage_text(failure.stage)) +
             (failure.stage == static_cast<int>(ChildStage::exec) ? " " + spec.path : "") +
             (spec.user.drop && failure.stage >= static_cast<int>(ChildStage::groups) &&
                      failure.stage <= static_cast<int>(ChildStage::uid)
                  ? " for user '" + spec.user.name + "'"
                  : "") +
             ": " + std::strerror(failure.err);
    return false;
  }
  ::fcntl(out_pipe[0], F_SETFL, ::fcntl(out_pipe[0], F_GETFL) | O_NONBLOCK);
  out->pid = pid;
  out->stderr_fd = out_pipe[0];
#ifdef SYS_pidfd_open
  out->pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (out->pidfd >= 0) ::fcntl(out->pidfd, F_SETFD, FD_CLOEXEC);
#else
  out->pidfd = -1;
#endif
  return true;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) +
           (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
  }
  return "ended with wait status " + std::to_string(status);
}

std::int64_t wait_status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace coproc
