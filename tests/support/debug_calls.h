// Params and answers of debug.echo and debug.sleep for the coproc::Client
// tests of both systems (tests/client-lib/client_test.cc over a Unix socket,
// tests/windows/pipe_client_test.cc over a named pipe). Header-only and
// platform-free.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "coproc/client.hpp"
#include "raw_rpc_client.h"

namespace coproc::test {

/// `[{"data": data}]`, with data as str.
inline std::string echo_params(const std::string& data) {
  return string_params({{"data", data}}).bytes;
}

/// `[{"ms": ms}]`.
inline std::string sleep_params(int ms) {
  return rpc::pack_value(std::vector<std::map<std::string, int>>{{{"ms", ms}}}).bytes;
}

/// The "data" debug.echo sent back, or "<no data>".
inline std::string echoed(const CallResult& r) {
  auto oh = msgpack::unpack(r.result.data(), r.result.size());
  const msgpack::object* d = map_get(oh.get(), "data");
  return d ? d->as<std::string>() : "<no data>";
}

}  // namespace coproc::test
