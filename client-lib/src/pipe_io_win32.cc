#include "pipe_io_win32.h"

#include <fcntl.h>
#include <io.h>
#include <windows.h>

#include <cerrno>
#include <string>

#include "local_io.h"

namespace coproc::net {
namespace {

constexpr const char* kPipePrefix = R"(\\.\pipe\)";
constexpr std::size_t kMaxPipePath = 256;
constexpr DWORD kBusyWaitMs = 50;

HANDLE os_handle(int fd) { return reinterpret_cast<HANDLE>(::_get_osfhandle(fd)); }

}  // namespace

int errno_for(unsigned long err) {
  switch (err) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
      return ENOENT;
    case ERROR_ACCESS_DENIED:
      return EACCES;
    case ERROR_PIPE_BUSY:
      return EAGAIN;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
    case ERROR_PIPE_NOT_CONNECTED:
      return EPIPE;
    case ERROR_OPERATION_ABORTED:
      return ECANCELED;
    case ERROR_INVALID_NAME:
    case ERROR_BAD_PATHNAME:
      return EINVAL;
    case ERROR_FILENAME_EXCED_RANGE:
      return ENAMETOOLONG;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
      return ENOMEM;
    default:
      return EIO;
  }
}

std::wstring widen(const std::string& s) {
  if (s.empty()) return {};
  const int n = ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(n), L'\0');
  ::MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), out.data(), n);
  return out;
}

namespace {

// The event one overlapped operation completes on. One per operation, not
// per thread: a thread_local with a destructor would run code of this DLL
// at thread exit, after a legacy host may have unloaded it.
struct OperationEvent {
  HANDLE h = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
  OperationEvent() = default;
  OperationEvent(const OperationEvent&) = delete;
  OperationEvent& operator=(const OperationEvent&) = delete;
  ~OperationEvent() {
    if (h) ::CloseHandle(h);
  }
};

// Finishes an overlapped operation begun on `h`: waits until it completes,
// `deadline` passes (when bounded) or `stop` fires, cancelling it then.
// True with the byte count, false with an errno value.
bool finish(HANDLE h, OVERLAPPED* ov, BOOL started, bool bounded, Clock::time_point deadline,
            HANDLE stop, DWORD* n, int* err) {
  if (!started) {
    const DWORD e = ::GetLastError();
    if (e != ERROR_IO_PENDING) {
      *err = errno_for(e);
      return false;
    }
  }
  int reason = 0;
  HANDLE handles[2] = {ov->hEvent, stop};
  const DWORD count = stop ? 2 : 1;
  const DWORD wait = ::WaitForMultipleObjects(
      count, handles, FALSE, bounded ? static_cast<DWORD>(ms_left(deadline)) : INFINITE);
  if (wait == WAIT_TIMEOUT) reason = ETIMEDOUT;
  if (wait == WAIT_OBJECT_0 + 1) reason = ECANCELED;
  if (reason != 0) ::CancelIoEx(h, ov);
  if (::GetOverlappedResult(h, ov, n, TRUE)) return true;  // done before the cancel took
  const DWORD e = ::GetLastError();
  *err = (reason != 0 && e == ERROR_OPERATION_ABORTED) ? reason : errno_for(e);
  return false;
}

int write_some(int fd, const char* data, std::size_t size, bool bounded, Clock::time_point deadline,
               HANDLE stop) {
  const HANDLE h = os_handle(fd);
  OperationEvent event;
  if (!event.h) return ENOMEM;
  while (size > 0) {
    OVERLAPPED ov{};
    ov.hEvent = event.h;
    ::ResetEvent(event.h);
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(size, 1u << 30));
    DWORD n = 0;
    int err = 0;
    const BOOL started = ::WriteFile(h, data, chunk, nullptr, &ov);
    if (!finish(h, &ov, started, bounded, deadline, stop, &n, &err)) return err;
    data += n;
    size -= n;
  }
  return 0;
}

}  // namespace

PipeStop::PipeStop(asio::io_context&) : event_(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) {}
PipeStop::~PipeStop() {
  if (event_) ::CloseHandle(event_);
}
void PipeStop::fire() { ::SetEvent(event_); }

int connect_local(const std::string& endpoint, int* err) {
  const std::string prefix = kPipePrefix;
  const std::string path =
      endpoint.compare(0, prefix.size(), prefix) == 0 ? endpoint : prefix + endpoint;
  if (path.size() > kMaxPipePath) {
    *err = ENAMETOOLONG;
    return -1;
  }
  const std::wstring wide = widen(path);
  for (int attempt = 0;; ++attempt) {
    // Identification level: the server may learn who we are, not act as us.
    const HANDLE h = ::CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                   OPEN_EXISTING,
                                   FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT |
                                       SECURITY_IDENTIFICATION,
                                   nullptr);
    if (h != INVALID_HANDLE_VALUE) {
      const int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(h), _O_RDWR | _O_BINARY);
      if (fd < 0) {
        ::CloseHandle(h);
        *err = EMFILE;
      }
      return fd;
    }
    const DWORD e = ::GetLastError();
    if (e == ERROR_PIPE_BUSY && attempt == 0) {
      // Every instance is taken: the server makes the next one at once.
      ::WaitNamedPipeW(wide.c_str(), kBusyWaitMs);
      continue;
    }
    *err = errno_for(e);  // busy again: EAGAIN, retried by the connector
    return -1;
  }
}

int send_all(int fd, std::string_view bytes, const std::vector<int>& fds,
             Clock::time_point deadline) {
  if (!fds.empty()) return EOPNOTSUPP;  // pipes carry no descriptors
  return write_some(fd, bytes.data(), bytes.size(), true, deadline, nullptr);
}

ssize_t recv_some(int fd, char* buffer, std::size_t len, Clock::time_point deadline, int* err) {
  return pipe_read(fd, buffer, len, deadline, nullptr, err);
}

int pipe_write(int fd, const char* data, std::size_t size, void* stop_event) {
  return write_some(fd, data, size, false, Clock::time_point{}, static_cast<HANDLE>(stop_event));
}

long pipe_read(int fd, char* buffer, std::size_t len, Clock::time_point deadline,
               void* stop_event, int* err) {
  const HANDLE h = os_handle(fd);
  OperationEvent event;
  if (!event.h) {
    *err = ENOMEM;
    return -1;
  }
  OVERLAPPED ov{};
  ov.hEvent = event.h;
  DWORD n = 0;
  const BOOL started =
      ::ReadFile(h, buffer, static_cast<DWORD>(std::min<std::size_t>(len, 1u << 30)), nullptr, &ov);
  if (finish(h, &ov, started, true, deadline, static_cast<HANDLE>(stop_event), &n, err)) {
    return static_cast<long>(n);
  }
  if (*err == EPIPE) return 0;  // the server closed its end
  return -1;
}

}  // namespace coproc::net
