// One job's record and its file in <state-dir>/jobs/<id>.job: a MessagePack
// map written durably (write, fsync, rename), once when the job is submitted
// and once when it ends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rpc_error.h"

namespace coproc::job {

struct JobRecord {
  std::string id;
  std::uint32_t uid = 0;
  std::string method;
  std::string state;  // running | done | failed | cancelled | interrupted
  std::int64_t created = 0;   // unix seconds
  std::int64_t finished = 0;  // unix seconds; 0 while running
  std::int64_t ttl_s = 0;     // the record is dropped at finished + ttl_s
  std::string result;         // packed MessagePack value, when done
  RpcError error;             // when failed / cancelled / interrupted
};

/// The record as file content, and back. parse_record returns nothing when
/// the content is not a job record.
std::string serialize_record(const JobRecord& r);
std::optional<JobRecord> parse_record(const std::string& content);

class JobStore {
 public:
  /// Creates `dir` (mode 0700) when missing. Throws std::system_error.
  explicit JobStore(std::string dir);
  void save(const JobRecord& r);  // durable; throws std::system_error
  void remove(const std::string& id);
  /// Every readable record; unreadable files are logged and skipped.
  std::vector<JobRecord> load_all();

 private:
  std::string dir_;
};

}  // namespace coproc::job
