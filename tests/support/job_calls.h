// Requests and answers of job.* for the tests of both systems
// (tests/coprocess/job_test.cc over a Unix socket, tests/windows/
// job_win_test.cc over a named pipe). Header-only and platform-free: the
// client type only needs `rpc::Response call(method, params)`.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "rpc_message.h"

namespace coproc::test {

/// Defined by each system's raw client (raw_client.cc, raw_pipe_client.cc).
const msgpack::object* map_get(const msgpack::object& map, const std::string& key);

/// `[{method: "debug.sleep", params: {ms}, ttl_s?}]` for job.submit.
inline rpc::Packed sleep_job(std::int64_t ms, std::int64_t ttl_s = 0) {
  msgpack::sbuffer out;
  msgpack::packer<msgpack::sbuffer> pk(out);
  pk.pack_array(1);
  pk.pack_map(ttl_s ? 3 : 2);
  pk.pack(std::string("method")).pack(std::string("debug.sleep"));
  pk.pack(std::string("params")).pack_map(1);
  pk.pack(std::string("ms")).pack(ms);
  if (ttl_s) pk.pack(std::string("ttl_s")).pack(ttl_s);
  return rpc::Packed{std::string(out.data(), out.size())};
}

/// `[{method, params: {name: value...}}]` for job.submit with string params.
inline rpc::Packed job_of(const std::string& method,
                          const std::vector<std::pair<std::string, std::string>>& params) {
  msgpack::sbuffer out;
  msgpack::packer<msgpack::sbuffer> pk(out);
  pk.pack_array(1);
  pk.pack_map(2);
  pk.pack(std::string("method")).pack(method);
  pk.pack(std::string("params")).pack_map(static_cast<std::uint32_t>(params.size()));
  for (const auto& [k, v] : params) pk.pack(k).pack(v);
  return rpc::Packed{std::string(out.data(), out.size())};
}

/// `[{job_id, timeout_ms}]` for job.wait.
inline rpc::Packed wait_params(const std::string& id, std::int64_t timeout_ms) {
  msgpack::sbuffer out;
  msgpack::packer<msgpack::sbuffer> pk(out);
  pk.pack_array(1);
  pk.pack_map(2);
  pk.pack(std::string("job_id")).pack(id);
  pk.pack(std::string("timeout_ms")).pack(timeout_ms);
  return rpc::Packed{std::string(out.data(), out.size())};
}

/// The job id, or "error:<name> <message>".
template <typename Client>
std::string submit(Client& c, const rpc::Packed& params) {
  const rpc::Response r = c.call("job.submit", params);
  if (r.error) return "error:" + r.error->name + " " + r.error->message;
  return map_get(r.result, "job_id")->as<std::string>();
}

/// The answer's "state", or "error:<name>".
inline std::string state_of(const rpc::Response& r) {
  if (r.error) return "error:" + r.error->name;
  return map_get(r.result, "state")->as<std::string>();
}

}  // namespace coproc::test
