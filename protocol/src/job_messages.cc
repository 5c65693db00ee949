#include "job_messages.h"

#include "msgpack_writer.h"

namespace coproc::rpc {
namespace {

void pack_status(Packer& pk, std::string* out, const JobStatusResult& r) {
  pk.pack_map(4 + r.finished.has_value() + r.result.has_value() + r.error.has_value());
  pack_entry(pk, "job_id", r.job_id);
  pack_entry(pk, "method", r.method);
  pack_entry(pk, "state", r.state);
  pack_entry(pk, "created", r.created);
  pack_entry_if(pk, "finished", r.finished);
  if (r.result) {
    pk.pack("result");
    *out += *r.result;  // already one packed value
  }
  if (r.error) {
    pk.pack("error");
    pk.pack_map(3);
    pack_entry(pk, "code", r.error->code);
    pack_entry(pk, "name", r.error->name);
    pack_entry(pk, "message", r.error->message);
  }
}

}  // namespace

Packed pack_params(const JobSubmitParams& p) {
  return pack_params_map(1 + p.params.has_value() + p.ttl_s.has_value(),
                         [&](Packer& pk, std::string& bytes) {
                           pack_entry(pk, "method", p.method);
                           if (p.params) {
                             pk.pack("params");
                             bytes += *p.params;  // already one packed map
                           }
                           pack_entry_if(pk, "ttl_s", p.ttl_s);
                         });
}

Packed pack_params(const JobIdParams& p) { return pack_value(std::vector<JobIdParams>{p}); }

Packed pack_params(const JobWaitParams& p) {
  return pack_params_map(1 + p.timeout_ms.has_value(), [&](Packer& pk) {
    pack_entry(pk, "job_id", p.job_id);
    pack_entry_if(pk, "timeout_ms", p.timeout_ms);
  });
}

Packed pack_result(const JobStatusResult& r) {
  return pack_with([&](Packer& pk, std::string& bytes) { pack_status(pk, &bytes, r); });
}

Packed pack_result(const JobListResult& r) {
  return pack_with([&](Packer& pk, std::string& bytes) {
    pk.pack_map(1);
    pk.pack("jobs");
    pk.pack_array(static_cast<std::uint32_t>(r.jobs.size()));
    for (const auto& job : r.jobs) pack_status(pk, &bytes, job);
  });
}

}  // namespace coproc::rpc
