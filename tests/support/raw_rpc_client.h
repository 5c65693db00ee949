// The platform-free half of the tests' raw MessagePack-RPC clients: framing,
// msgid matching and deadlines over a transport that a subclass provides
// (RawClient over a Unix socket, raw_client_posix.cc; RawPipeClient over a
// named pipe, tests/windows/support/raw_pipe_client_win32.cc). Deliberately
// simple and blocking; it sends exactly the bytes it is given, so tests can
// also send malformed input, and shares no code with client-lib, so it
// checks the server independently.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "rpc_message.h"
#include "stream_decoder.h"

namespace coproc::test {

class RawRpcClient {
 public:
  virtual ~RawRpcClient() = default;
  RawRpcClient(const RawRpcClient&) = delete;
  RawRpcClient& operator=(const RawRpcClient&) = delete;

  /// Sends exactly these bytes; throws std::runtime_error on failure.
  virtual void send_bytes(const std::string& bytes) = 0;
  void send_request(rpc::MsgId msgid, const std::string& method, const rpc::Packed& params);

  /// Next message from the server, or nullopt on timeout / end of stream.
  std::optional<rpc::Message> receive() { return receive(default_timeout_); }
  std::optional<rpc::Message> receive(std::chrono::milliseconds timeout);
  /// Next response (skipping notifications); throws on timeout or end.
  rpc::Response receive_response() { return receive_response(default_timeout_); }
  rpc::Response receive_response(std::chrono::milliseconds timeout);
  /// Sends a request and waits for its response.
  rpc::Response call(const std::string& method, const rpc::Packed& params = rpc::empty_params()) {
    return call(method, params, default_timeout_);
  }
  rpc::Response call(const std::string& method, const rpc::Packed& params,
                     std::chrono::milliseconds timeout);
  /// True when the server closed the connection within `timeout` (by
  /// default half the client's default timeout).
  bool closed_by_peer() { return closed_by_peer(default_timeout_ / 2); }
  bool closed_by_peer(std::chrono::milliseconds timeout);

 protected:
  /// `default_timeout`: how long a receive or call waits when not told.
  explicit RawRpcClient(std::chrono::milliseconds default_timeout)
      : default_timeout_(default_timeout) {}

  /// Reads some bytes within `timeout`: their count (> 0), 0 when the
  /// connection ended, -1 when nothing came (yet).
  virtual long read_some(char* buffer, std::size_t len, std::chrono::milliseconds timeout) = 0;

 private:
  std::chrono::milliseconds default_timeout_;
  rpc::MsgId next_id_ = 1;
  rpc::StreamDecoder decoder_{rpc::DecodeLimits{}};
};

/// `[ {protocol: 1, client: name} ]`: the params of a valid sys.hello.
rpc::Packed hello_params(const std::string& client = "test");

/// `[ {k: v, ...} ]` from string pairs.
rpc::Packed string_params(const std::vector<std::pair<std::string, std::string>>& kv);

/// Finds key in a msgpack map; nullptr when missing.
const msgpack::object* map_get(const msgpack::object& map, const std::string& key);

}  // namespace coproc::test
