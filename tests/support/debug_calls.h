// Params and answers of debug.echo and debug.sleep for the coproc::Client
// tests of both systems (tests/client-lib/client_test.cc over a Unix socket,
// tests/windows/pipe_client_test.cc over a named pipe). Header-only and
// platform-free.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>
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

/// Calls debug.echo `calls` times from each of `threads` threads at once on
/// one client, each call with data of its own ("thread/call"); how many
/// answers came back ok with their own call's data.
inline int echoes_matched_from_threads(Client& client, int threads, int calls) {
  std::atomic<int> matched{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < calls; ++i) {
        const std::string data = std::to_string(t) + "/" + std::to_string(i);
        CallResult r = client.call("debug.echo", echo_params(data));
        if (r.ok() && echoed(r) == data) ++matched;
      }
    });
  }
  for (auto& th : pool) th.join();
  return matched.load();
}

}  // namespace coproc::test
