// A deliberately simple blocking MessagePack-RPC client for tests: it sends
// exactly the bytes it is given, so tests can also send malformed input.
// It shares no code with client-lib, so it checks the server independently.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "rpc_message.h"
#include "stream_decoder.h"

namespace coproc::test {

class RawClient {
 public:
  /// Connects to a Unix socket; throws std::runtime_error on failure.
  explicit RawClient(const std::string& socket_path);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  int fd() const { return fd_; }
  /// Sends raw bytes (and optional file descriptors with them).
  void send_bytes(const std::string& bytes, const std::vector<int>& fds = {});
  void send_request(rpc::MsgId msgid, const std::string& method, const rpc::Packed& params);

  /// Next message from the server, or nullopt on timeout / EOF.
  std::optional<rpc::Message> receive(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Next response (skipping notifications); throws on timeout or EOF.
  rpc::Response receive_response(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Sends a request and waits for its response.
  rpc::Response call(const std::string& method, const rpc::Packed& params = rpc::empty_params(),
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// True when the server closed the connection within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));

 private:
  int fd_ = -1;
  rpc::MsgId next_id_ = 1;
  rpc::StreamDecoder decoder_{rpc::DecodeLimits{}};
};

/// `[ {protocol: 1, client: name} ]`: the params of a valid sys.hello.
rpc::Packed hello_params(const std::string& client = "test");

/// `[ {k: v, ...} ]` from alternating key/value strings.
rpc::Packed string_params(const std::vector<std::pair<std::string, std::string>>& kv);

/// Finds key in a msgpack map; nullptr when missing.
const msgpack::object* map_get(const msgpack::object& map, const std::string& key);

}  // namespace coproc::test
