// The tests' raw MessagePack-RPC client over a Unix socket (the framing and
// the waiting are raw_rpc_client.h's; the Windows twin is
// tests/windows/support/raw_pipe_client.h). Also sends file descriptors.
#pragma once

#include <string>
#include <vector>

#include "raw_rpc_client.h"

namespace coproc::test {

class RawClient : public RawRpcClient {
 public:
  /// Connects to a Unix socket; throws std::runtime_error on failure.
  explicit RawClient(const std::string& socket_path);
  ~RawClient() override;

  int fd() const { return fd_; }
  void send_bytes(const std::string& bytes) override { send_bytes(bytes, {}); }
  /// Sends raw bytes with file descriptors (SCM_RIGHTS on the first write).
  void send_bytes(const std::string& bytes, const std::vector<int>& fds);

 protected:
  long read_some(char* buffer, std::size_t len, std::chrono::milliseconds timeout) override;

 private:
  int fd_ = -1;
};

}  // namespace coproc::test
