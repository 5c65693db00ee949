#include "raw_pipe_client.h"

#include <windows.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <thread>

#include "win32_error.h"

namespace coproc::test {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds left_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

}  // namespace

RawPipeClient::RawPipeClient(const std::string& pipe) {
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

void RawPipeClient::send_request(rpc::MsgId msgid, const std::string& method,
                                 const rpc::Packed& params) {
  send_bytes(rpc::encode_request(msgid, method, params));
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

std::optional<rpc::Message> RawPipeClient::receive(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    msgpack::object_handle oh;
    auto st = decoder_.next(oh);
    if (st == rpc::StreamDecoder::Status::message) return rpc::classify(std::move(oh));
    if (st == rpc::StreamDecoder::Status::error) {
      throw std::runtime_error("server sent undecodable bytes: " + decoder_.error().message);
    }
    const auto left = left_until(deadline);
    if (left.count() == 0) return std::nullopt;
    auto buf = decoder_.prepare();
    const long n = read_some(buf.data, buf.size, left);
    if (n <= 0) return std::nullopt;
    decoder_.commit(static_cast<std::size_t>(n));
  }
}

rpc::Response RawPipeClient::receive_response(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto m = receive(left_until(deadline));
    if (!m) throw std::runtime_error("no response (timeout or connection closed)");
    if (auto* r = std::get_if<rpc::Response>(&*m)) return std::move(*r);
  }
}

rpc::Response RawPipeClient::call(const std::string& method, const rpc::Packed& params,
                                  std::chrono::milliseconds timeout) {
  const rpc::MsgId id = next_id_++;
  send_request(id, method, params);
  auto r = receive_response(timeout);
  if (r.msgid != id) throw std::runtime_error("response for another msgid");
  return r;
}

bool RawPipeClient::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left = left_until(deadline);
    if (left.count() == 0) return false;
    if (read_some(buf, sizeof buf, left) == 0) return true;
  }
}

std::unique_ptr<RawPipeClient> connect_when_ready(const std::string& pipe,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    try {
      return std::make_unique<RawPipeClient>(pipe);
    } catch (const std::runtime_error&) {
      if (Clock::now() >= deadline) return nullptr;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

rpc::Packed string_params(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::map<std::string, std::string> m(kv.begin(), kv.end());
  std::vector<std::map<std::string, std::string>> arr{m};
  return rpc::pack_value(arr);
}

const msgpack::object* map_get(const msgpack::object& map, const std::string& key) {
  if (map.type != msgpack::type::MAP) return nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR &&
        std::string(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
      return &kv.val;
    }
  }
  return nullptr;
}

}  // namespace coproc::test
