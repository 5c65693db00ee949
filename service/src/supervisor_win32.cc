// SupervisedProcess on Windows: one WaitForMultipleObjects over the wake
// event, the co-process's process handle and its output pipe (an overlapped
// read). There is no sd_notify: a generation is ready once it serves the
// client pipe (settings.ready_pipe) — the server end's process id must be
// its own, so a squatter on the name is not taken for it. Stopping sets the
// event "coproc-stop-<pid>" the co-process created in our session
// (coprocess/src/stop_requests_win32.cc); killing terminates its job object.
#include <windows.h>

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>

#include "child_process_win32.h"
#include "log.h"
#include "log_forwarder.h"
#include "supervised_process.h"
#include "win32_error.h"

namespace coproc {
namespace {

// While the co-process is starting (or has not yet created its stop
// event), the pipe / the event are looked for this often.
constexpr DWORD kProbeIntervalMs = 20;
constexpr DWORD kKilledExitCode = 1;

}  // namespace

struct SupervisedProcess::State {
  explicit State(const SupervisorSettings& settings)
      : s(settings), ready_pipe(widen(settings.ready_pipe)) {}

  const SupervisorSettings& s;
  std::wstring ready_pipe;
  HANDLE wake_event = nullptr;
  WinChild child;
  std::optional<LogForwarder> forwarder;
  OVERLAPPED read_op{};
  std::array<char, 8192> read_buffer{};
  bool read_pending = false;
  bool ready_pending = false;  // started, not yet serving the pipe
  bool stop_pending = false;   // a stop was asked and the event not yet set
  bool killed = false;
  bool squatter_reported = false;

  void start_read();
  void finish_read(bool wait);
  void cancel_read();
  bool serves_pipe();
  void set_stop_event();
  void close();
};

SupervisedProcess::SupervisedProcess(const SupervisorSettings& settings)
    : state_(std::make_unique<State>(settings)) {
  state_->wake_event = ::CreateEventW(nullptr, FALSE, FALSE, nullptr);
  state_->read_op.hEvent = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (!state_->wake_event || !state_->read_op.hEvent) {
    const DWORD err = ::GetLastError();
    if (state_->wake_event) ::CloseHandle(state_->wake_event);
    if (state_->read_op.hEvent) ::CloseHandle(state_->read_op.hEvent);
    throw std::runtime_error("cannot create the supervisor's events: " + win32_message(err));
  }
}

SupervisedProcess::~SupervisedProcess() {
  if (state_->child.process) {
    kill();
    state_->close();
  }
  ::CloseHandle(state_->wake_event);
  ::CloseHandle(state_->read_op.hEvent);
}

const char* SupervisedProcess::stop_request_name() { return "the stop event"; }
const char* SupervisedProcess::kill_name() { return "TerminateJobObject"; }

void SupervisedProcess::wake() { ::SetEvent(state_->wake_event); }

std::int64_t SupervisedProcess::start(std::int64_t generation, std::string* /*detail*/,
                                      std::string* error) {
  State& st = *state_;
  WinSpawnSpec spec;
  spec.path = st.s.coprocess_path;
  spec.argv.push_back(st.s.coprocess_path);
  spec.argv.insert(spec.argv.end(), st.s.arguments.begin(), st.s.arguments.end());
  spec.env = current_environment({"COPROC_GENERATION="});
  spec.env.push_back("COPROC_GENERATION=" + std::to_string(generation));
  if (!spawn_child(spec, &st.child, error)) return 0;
  st.forwarder.emplace(static_cast<pid_t>(st.child.pid));
  st.ready_pending = true;
  st.stop_pending = false;
  st.killed = false;
  st.squatter_reported = false;
  st.start_read();
  return st.child.pid;
}

void SupervisedProcess::request_stop() {
  if (!state_->child.process) return;
  state_->stop_pending = true;
  state_->set_stop_event();
}

void SupervisedProcess::kill() {
  if (!state_->child.job) return;
  state_->killed = true;
  ::TerminateJobObject(state_->child.job, kKilledExitCode);
}

ProcessEvents SupervisedProcess::wait(std::chrono::milliseconds timeout, bool /*watch_clients*/) {
  State& st = *state_;
  ProcessEvents events;
  DWORD ms = static_cast<DWORD>(std::max<std::int64_t>(0, timeout.count()));
  if (st.child.process && (st.ready_pending || st.stop_pending)) ms = std::min(ms, kProbeIntervalMs);
  HANDLE handles[3] = {st.wake_event, nullptr, nullptr};
  DWORD count = 1;
  if (st.child.process) handles[count++] = st.child.process;
  if (st.read_pending) handles[count++] = st.read_op.hEvent;
  ::WaitForMultipleObjects(count, handles, FALSE, ms);

  if (!st.child.process) return events;
  st.finish_read(false);
  if (st.stop_pending) st.set_stop_event();
  if (st.ready_pending && st.serves_pipe()) {
    st.ready_pending = false;
    events.ready = true;
  }
  if (::WaitForSingleObject(st.child.process, 0) == WAIT_OBJECT_0) {
    DWORD code = 0;
    ::GetExitCodeProcess(st.child.process, &code);
    st.finish_read(true);  // what it wrote last
    events.exited = true;
    events.exit_status = static_cast<std::int64_t>(code);
    events.exit_reason = st.killed && code == kKilledExitCode
                             ? std::string("terminated by the service (TerminateJobObject)")
                             : describe_exit_code(code);
    events.ready = false;
    st.close();
  }
  return events;
}

// ---------------------------------------------------------------- output

void SupervisedProcess::State::start_read() {
  while (child.output && !read_pending) {
    ::ResetEvent(read_op.hEvent);
    if (::ReadFile(child.output, read_buffer.data(), static_cast<DWORD>(read_buffer.size()),
                   nullptr, &read_op) ||
        ::GetLastError() == ERROR_IO_PENDING) {
      read_pending = true;  // completion is collected by finish_read()
      return;
    }
    // ERROR_BROKEN_PIPE: the co-process (and all it started) closed it.
    if (forwarder) forwarder->flush();
    ::CloseHandle(child.output);
    child.output = nullptr;
  }
}

// Collects completed reads (waiting for them up to half a second when
// `wait`: the co-process has exited and its last lines are on their way).
void SupervisedProcess::State::finish_read(bool wait) {
  while (read_pending) {
    DWORD n = 0;
    if (wait && ::WaitForSingleObject(read_op.hEvent, 500) != WAIT_OBJECT_0) {
      cancel_read();
      return;
    }
    if (::GetOverlappedResult(child.output, &read_op, &n, FALSE)) {
      read_pending = false;
      if (forwarder) forwarder->feed(std::string_view(read_buffer.data(), n));
      start_read();
      continue;
    }
    if (::GetLastError() == ERROR_IO_INCOMPLETE) return;
    read_pending = false;  // broken pipe: end of output
    if (forwarder) forwarder->flush();
    ::CloseHandle(child.output);
    child.output = nullptr;
  }
}

void SupervisedProcess::State::cancel_read() {
  if (!read_pending) return;
  DWORD n = 0;
  ::CancelIoEx(child.output, &read_op);
  ::GetOverlappedResult(child.output, &read_op, &n, TRUE);  // the buffer is ours again
  read_pending = false;
}

// ---------------------------------------------------------------- control

bool SupervisedProcess::State::serves_pipe() {
  HANDLE h = ::CreateFileW(ready_pipe.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                           OPEN_EXISTING, SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
                           nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;  // not yet there, or every instance busy
  ULONG server = 0;
  const bool known = ::GetNamedPipeServerProcessId(h, &server);
  ::CloseHandle(h);
  if (!known || server == child.pid) return true;
  if (!squatter_reported) {
    squatter_reported = true;
    COPROC_LOG(error, "supervisor", "process " << server << ", not the co-process pid="
                                               << child.pid << ", serves " << s.ready_pipe);
  }
  return false;
}

void SupervisedProcess::State::set_stop_event() {
  const std::wstring name = L"coproc-stop-" + std::to_wstring(child.pid);
  HANDLE event = ::OpenEventW(EVENT_MODIFY_STATE, FALSE, name.c_str());
  if (!event) return;  // not created yet: tried again on the next wait
  ::SetEvent(event);
  ::CloseHandle(event);
  stop_pending = false;
}

void SupervisedProcess::State::close() {
  cancel_read();
  if (forwarder) forwarder->flush();
  forwarder.reset();
  close_child(&child);
  ready_pending = false;
  stop_pending = false;
}

}  // namespace coproc
