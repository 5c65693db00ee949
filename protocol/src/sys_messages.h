// The typed params and results of sys.hello, sys.ping and sys.status, and the
// params of the sys.cancel notification — the
// one definition the server, the client library and the protocol catalogue
// (protocol/catalogue/level1.txt) share.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "rpc_message.h"

namespace coproc::rpc {

/// sys.hello params: the client's protocol level and a free-form name.
struct HelloParams {
  int protocol = 0;
  std::string client;
  MSGPACK_DEFINE_MAP(protocol, client);
  static constexpr std::array<std::string_view, 2> kKeys{"protocol", "client"};
};

/// sys.hello result. `methods` lists every method the endpoint serves.
struct HelloResult {
  int protocol = 0;
  std::string server;
  std::string version;
  std::int64_t pid = 0;
  std::int64_t generation = 0;
  std::vector<std::string> capabilities;
  std::vector<std::string> methods;
  MSGPACK_DEFINE_MAP(protocol, server, version, pid, generation, capabilities, methods);
};

/// sys.cancel params (a notification, never answered): the msgid of a call
/// of the same connection to cancel.
struct CancelParams {
  MsgId msgid = 0;
  MSGPACK_DEFINE_MAP(msgid);
  static constexpr std::array<std::string_view, 1> kKeys{"msgid"};
};

/// sys.ping result.
struct PingResult {
  bool pong = true;
  MSGPACK_DEFINE_MAP(pong);
};

/// sys.status result: the server's counters. Components append their own
/// sections (mail, http, users, ...) after these fields.
struct StatusWorkers {
  std::uint64_t threads = 0, busy = 0, queued = 0;
  MSGPACK_DEFINE_MAP(threads, busy, queued);
};

struct StatusResult {
  std::string server;
  std::string version;
  int protocol = 0;
  std::int64_t pid = 0;
  std::int64_t generation = 0;
  std::int64_t uptime_ms = 0;
  std::uint64_t connections = 0;
  std::uint64_t connections_total = 0;
  std::uint64_t connections_refused = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t requests_in_flight = 0;
  std::uint64_t errors_total = 0;
  std::uint64_t protocol_errors = 0;
  std::uint64_t evictions = 0;
  std::uint64_t memory_held = 0;
  StatusWorkers workers;
  std::uint32_t caller_uid = 0;
  MSGPACK_DEFINE_MAP(server, version, protocol, pid, generation, uptime_ms, connections,
                     connections_total, connections_refused, requests_total, requests_in_flight,
                     errors_total, protocol_errors, evictions, memory_held, workers, caller_uid);
  /// The number of fields above (the map header counts them plus the sections).
  static constexpr std::uint32_t kFieldCount = 17;
};

}  // namespace coproc::rpc
