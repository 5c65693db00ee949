#include "job_store.h"

#include <msgpack.hpp>

#include "durable_file.h"
#include "log.h"
#include "msgpack_writer.h"

namespace coproc::job {
namespace {

struct ErrorFields {
  int code = 0;
  std::string name;
  std::string message;
  MSGPACK_DEFINE_MAP(code, name, message);
};

constexpr const char* kSuffix = ".job";

}  // namespace

std::string serialize_record(const JobRecord& r) {
  std::string out;
  rpc::StringWriter w{&out};
  rpc::Packer pk(w);
  pk.pack_map(9);
  pk.pack(std::string("id")).pack(r.id);
  pk.pack(std::string("uid")).pack(r.uid);
  pk.pack(std::string("method")).pack(r.method);
  pk.pack(std::string("state")).pack(r.state);
  pk.pack(std::string("created")).pack(r.created);
  pk.pack(std::string("finished")).pack(r.finished);
  pk.pack(std::string("ttl_s")).pack(r.ttl_s);
  pk.pack(std::string("result")).pack_bin(static_cast<std::uint32_t>(r.result.size()));
  pk.pack_bin_body(r.result.data(), static_cast<std::uint32_t>(r.result.size()));
  pk.pack(std::string("error")).pack(ErrorFields{r.error.code, r.error.name, r.error.message});
  return out;
}

std::optional<JobRecord> parse_record(const std::string& content) {
  try {
    auto handle = msgpack::unpack(content.data(), content.size());
    const msgpack::object& o = handle.get();
    if (o.type != msgpack::type::MAP) return std::nullopt;
    JobRecord r;
    ErrorFields e;
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
      const auto& kv = o.via.map.ptr[i];
      const std::string key = kv.key.as<std::string>();
      if (key == "id") r.id = kv.val.as<std::string>();
      else if (key == "uid") r.uid = kv.val.as<std::uint32_t>();
      else if (key == "method") r.method = kv.val.as<std::string>();
      else if (key == "state") r.state = kv.val.as<std::string>();
      else if (key == "created") r.created = kv.val.as<std::int64_t>();
      else if (key == "finished") r.finished = kv.val.as<std::int64_t>();
      else if (key == "ttl_s") r.ttl_s = kv.val.as<std::int64_t>();
      else if (key == "result" && kv.val.type == msgpack::type::BIN)
        r.result.assign(kv.val.via.bin.ptr, kv.val.via.bin.size);
      else if (key == "error") e = kv.val.as<ErrorFields>();
    }
    if (r.id.empty() || r.state.empty()) return std::nullopt;
    r.error.code = e.code;
    r.error.name = e.name;
    r.error.message = e.message;
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

JobStore::JobStore(std::string dir) : dir_(std::move(dir)) { make_private_directory(dir_); }

void JobStore::save(const JobRecord& r) {
  write_file_durably(dir_, r.id + kSuffix, serialize_record(r), true);
}

void JobStore::remove(const std::string& id) {
  const std::string path = dir_ + "/" + id + kSuffix;
  std::string error;
  if (!remove_file(path, &error)) COPROC_LOG(warn, "job", error);
}

std::vector<JobRecord> JobStore::load_all() {
  std::vector<JobRecord> out;
  for (const auto& name : list_directory(dir_)) {
    if (name.size() <= 4 || name[0] == '.' || name.compare(name.size() - 4, 4, kSuffix) != 0) {
      continue;
    }
    const std::string path = dir_ + "/" + name;
    std::optional<JobRecord> r;
    try {
      r = parse_record(read_whole_file(path));
    } catch (const std::exception& ex) {
      COPROC_LOG(warn, "job", "cannot read " << path << ": " << ex.what());
      continue;
    }
    if (!r) {
      COPROC_LOG(warn, "job", path << " is not a job record; ignored");
      continue;
    }
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace coproc::job
