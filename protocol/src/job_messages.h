// The typed params and results of job.submit, job.status, job.wait,
// job.cancel and job.list — the one definition the co-process, the client
// library and the protocol catalogue (protocol/catalogue/level1.txt) share.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <msgpack.hpp>

#include "rpc_error.h"
#include "rpc_message.h"

namespace coproc::rpc {

/// job.submit params: the method to run as a job, its named arguments (one
/// packed map; absent = no arguments) and how long the finished job is kept.
struct JobSubmitParams {
  std::string method;
  std::optional<std::string> params;  // a packed map, sent as is
  std::optional<std::int64_t> ttl_s;  // absent = job.ttl_default_s
  static constexpr std::array<std::string_view, 3> kKeys{"method", "params", "ttl_s"};
};

Packed pack_params(const JobSubmitParams& params);

/// job.submit result.
struct JobSubmitResult {
  std::string job_id;
  MSGPACK_DEFINE_MAP(job_id);
};

/// job.status and job.cancel params.
struct JobIdParams {
  std::string job_id;
  MSGPACK_DEFINE_MAP(job_id);
  static constexpr std::array<std::string_view, 1> kKeys{"job_id"};
};

Packed pack_params(const JobIdParams& params);

/// job.wait params: how long to wait for the job's end (absent = 30 s).
struct JobWaitParams {
  std::string job_id;
  std::optional<std::int64_t> timeout_ms;
  static constexpr std::array<std::string_view, 2> kKeys{"job_id", "timeout_ms"};
};

Packed pack_params(const JobWaitParams& params);

/// The result of job.status, job.wait and job.cancel, and one entry of
/// job.list. `finished` is set once the job has ended; `result` (the
/// method's packed result) when it is `done`; `error` when it failed, was
/// cancelled or interrupted.
struct JobStatusResult {
  std::string job_id;
  std::string method;
  std::string state;  // running, done, failed, cancelled, interrupted
  std::int64_t created = 0;                // unix seconds
  std::optional<std::int64_t> finished;    // unix seconds
  std::optional<std::string> result;       // one packed value, sent as is
  std::optional<RpcError> error;           // packed as {code, name, message}
};

Packed pack_result(const JobStatusResult& result);

/// job.list result: the caller's jobs, oldest first.
struct JobListResult {
  std::vector<JobStatusResult> jobs;
};

Packed pack_result(const JobListResult& result);

}  // namespace coproc::rpc
