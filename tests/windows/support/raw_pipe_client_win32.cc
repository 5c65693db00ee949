#include "raw_pipe_client.h"

#include <windows.h>

#include <memory>
#include <stdexcept>
#include <thread>

#include "win32_error.h"

namespace coproc::test {

RawPipeClient::RawPipeClient(const std::string& pipe) : RawRpcClient(std::chrono::seconds(20)) {
  const std::wstring name = widen(pipe);
  HANDLE h = INVALID_HANDLE_VALUE;
  // Every instance taken (the server is creating the next one): wait for it.
  for (int attempt = 0; attempt < 100; ++attempt) {
    h = ::CreateFileW(name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                      FILE_FLAG_OVERLAPPED, nullptr);
    if (h != INVALID_HANDLE_VALUE || ::GetLastError() != ERROR_PIPE_BUSY) break;
    ::WaitNamedPipeW(name.c_str(), 100);
  }
  if (h == INVALID_HANDLE_VALUE) {
    throw std::runtime_error("connect " + pipe + ": " + win32_message(::GetLastError()));
  }
  pipe_ = h;
  event_ = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
}

RawPipeClient::~RawPipeClient() {
  if (pipe_) ::CloseHandle(pipe_);
  if (event_) ::CloseHandle(event_);
}

void RawPipeClient::send_bytes(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    OVERLAPPED ov{};
    ov.hEvent = event_;
    ::ResetEvent(event_);
    DWORD n = 0;
    if (!::WriteFile(pipe_, bytes.data() + sent, static_cast<DWORD>(bytes.size() - sent), nullptr,
                     &ov) &&
        ::GetLastError() != ERROR_IO_PENDING) {
      throw std::runtime_error("write: " + win32_message(::GetLastError()));
    }
    if (!::GetOverlappedResult(pipe_, &ov, &n, TRUE)) {
      throw std::runtime_error("write: " + win32_message(::GetLastError()));
    }
    sent += n;
  }
}

long RawPipeClient::read_some(char* buffer, std::size_t len, std::chrono::milliseconds timeout) {
  OVERLAPPED ov{};
  ov.hEvent = event_;
  ::ResetEvent(event_);
  DWORD n = 0;
  if (!::ReadFile(pipe_, buffer, static_cast<DWORD>(len), nullptr, &ov)) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED) return 0;
    if (err != ERROR_IO_PENDING) throw std::runtime_error("read: " + win32_message(err));
  }
  bool timed_out = false;
  if (::WaitForSingleObject(event_, static_cast<DWORD>(timeout.count())) == WAIT_TIMEOUT) {
    ::CancelIoEx(pipe_, &ov);
    timed_out = true;
  }
  if (::GetOverlappedResult(pipe_, &ov, &n, TRUE)) return static_cast<long>(n);
  const DWORD err = ::GetLastError();
  if (err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED) return 0;
  if (timed_out && err == ERROR_OPERATION_ABORTED) return -1;
  throw std::runtime_error("read: " + win32_message(err));
}

std::unique_ptr<RawPipeClient> connect_when_ready(const std::string& pipe,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    try {
      return std::make_unique<RawPipeClient>(pipe);
    } catch (const std::runtime_error&) {
      if (std::chrono::steady_clock::now() >= deadline) return nullptr;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace coproc::test
