// Requests and answers of job.* for the tests of both systems
// (tests/coprocess/job_test.cc over a Unix socket, tests/windows/
// job_win_test.cc over a named pipe). Header-only and platform-free: the
// client type only needs `rpc::Response call(method, params)`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "job_messages.h"
#include "methods.h"
#include "raw_rpc_client.h"  // map_get
#include "rpc_message.h"

namespace coproc::test {


/// `[{method: "debug.sleep", params: {ms}, ttl_s?}]` for job.submit.
inline rpc::Packed sleep_job(std::int64_t ms, std::int64_t ttl_s = 0) {
  rpc::JobSubmitParams p;
  p.method = std::string(rpc::method::kDebugSleep);
  p.params = rpc::pack_value(std::map<std::string, std::int64_t>{{"ms", ms}}).bytes;
  if (ttl_s) p.ttl_s = ttl_s;
  return rpc::pack_params(p);
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
  return rpc::pack_params(rpc::JobWaitParams{id, timeout_ms});
}

/// `[{job_id}]` for job.status and job.cancel.
inline rpc::Packed id_params(const std::string& job_id) {
  return string_params({{"job_id", job_id}});
}

/// The name of a job's error in its record (job.status, job.wait), or
/// "<no error>".
inline std::string job_error_name(const rpc::Response& r) {
  const msgpack::object* error = map_get(r.result, "error");
  const msgpack::object* name = error ? map_get(*error, "name") : nullptr;
  return name ? name->as<std::string>() : "<no error>";
}

/// The slept_ms of a finished debug.sleep job's result, or -1.
inline std::int64_t slept_ms_of(const rpc::Response& r) {
  const msgpack::object* result = map_get(r.result, "result");
  const msgpack::object* ms = result ? map_get(*result, "slept_ms") : nullptr;
  return ms ? ms->as<std::int64_t>() : -1;
}

/// The job id, or "error:<name> <message>".
template <typename Client>
std::string submit(Client& c, const rpc::Packed& params) {
  const rpc::Response r = c.call(std::string(rpc::method::kJobSubmit), params);
  if (r.error) return "error:" + r.error->name + " " + r.error->message;
  return map_get(r.result, "job_id")->as<std::string>();
}

/// The answer's "state", or "error:<name>".
inline std::string state_of(const rpc::Response& r) {
  if (r.error) return "error:" + r.error->name;
  return map_get(r.result, "state")->as<std::string>();
}

}  // namespace coproc::test
