// A deliberately simple blocking MessagePack-RPC client over a Windows named
// pipe, for tests: it sends exactly the bytes it is given (so tests can send
// malformed input) and shares no code with client-lib, so it checks the
// server independently. The Windows twin of tests/support/raw_client.h.
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

class RawPipeClient {
 public:
  /// Connects to `pipe` (\\.\pipe\...), waiting while every instance is
  /// busy; throws std::runtime_error naming the Win32 error on failure.
  explicit RawPipeClient(const std::string& pipe);
  ~RawPipeClient();
  RawPipeClient(const RawPipeClient&) = delete;
  RawPipeClient& operator=(const RawPipeClient&) = delete;

  void send_bytes(const std::string& bytes);
  void send_request(rpc::MsgId msgid, const std::string& method, const rpc::Packed& params);

  /// Next message from the server, or nullopt on timeout / end of stream.
  std::optional<rpc::Message> receive(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Next response (skipping notifications); throws on timeout or end.
  rpc::Response receive_response(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// Sends a request and waits for its response.
  rpc::Response call(const std::string& method, const rpc::Packed& params = rpc::empty_params(),
                     std::chrono::milliseconds timeout = std::chrono::seconds(20));
  /// True when the server closed the pipe within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  /// Reads some bytes: >0, 0 at end of stream, -1 on timeout.
  long read_some(char* buffer, std::size_t len, std::chrono::milliseconds timeout);

  void* pipe_ = nullptr;
  void* event_ = nullptr;
  rpc::MsgId next_id_ = 1;
  rpc::StreamDecoder decoder_{rpc::DecodeLimits{}};
};

/// Connects, retrying while the pipe does not exist yet or is busy, until
/// `timeout`; nullopt-like empty pointer when it never came up.
std::unique_ptr<RawPipeClient> connect_when_ready(const std::string& pipe,
                                                  std::chrono::milliseconds timeout);

/// `[ {k: v, ...} ]` from string pairs.
rpc::Packed string_params(const std::vector<std::pair<std::string, std::string>>& kv);

/// Finds key in a msgpack map; nullptr when missing.
const msgpack::object* map_get(const msgpack::object& map, const std::string& key);

}  // namespace coproc::test
