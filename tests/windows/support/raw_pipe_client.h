// The tests' raw MessagePack-RPC client over a Windows named pipe (the
// framing and the waiting are tests/support/raw_rpc_client.h's; the POSIX
// twin is tests/support/raw_client.h).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "raw_rpc_client.h"

namespace coproc::test {

class RawPipeClient : public RawRpcClient {
 public:
  /// Connects to `pipe` (\\.\pipe\...), waiting while every instance is
  /// busy; throws std::runtime_error naming the Win32 error on failure.
  explicit RawPipeClient(const std::string& pipe);
  ~RawPipeClient() override;

  void send_bytes(const std::string& bytes) override;

 protected:
  long read_some(char* buffer, std::size_t len, std::chrono::milliseconds timeout) override;

 private:
  void* pipe_ = nullptr;
  void* event_ = nullptr;
};

/// Connects, retrying while the pipe does not exist yet or is busy, until
/// `timeout`; nullptr when it never came up.
std::unique_ptr<RawPipeClient> connect_when_ready(const std::string& pipe,
                                                  std::chrono::milliseconds timeout);

}  // namespace coproc::test
