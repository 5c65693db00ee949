// The method table: name -> handler, and where the handler runs. Filled at
// start-up, read-only afterwards, so lookups need no lock.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "call_context.h"
#include "params.h"
#include "rpc_message.h"

namespace coproc {

enum class Execution {
  event_loop,  // fast, never blocks (sys.ping): runs on the connection's strand
  worker,      // may block (disk, network): runs on the bounded worker pool
};

/// Returns the packed result, or throws RpcException for an error result.
/// Any other exception becomes an `internal` error; msgpack::type_error a
/// `bad_request`.
using Handler = std::function<rpc::Packed(CallContext& call, const rpc::Params& params)>;

/// A section of sys.status, e.g. "outbox": {queued: 3, ...}.
using StatusSection = std::function<rpc::Packed(const CallContext& call)>;

struct Method {
  std::string name;
  Execution execution;
  Handler handler;
};

class Dispatcher {
 public:
  void add(std::string_view name, Execution execution, Handler handler);
  /// The method of that name; else the fallback when one is set; else null.
  const Method* find(std::string_view name) const;
  /// Answers every method not in the table (the service's configuration
  /// error mode answers all of them with the same error). Not listed by
  /// method_names() or families().
  void set_fallback(Execution execution, Handler handler);
  std::vector<std::string> method_names() const;

  void add_status_section(std::string name, StatusSection section);
  const std::vector<std::pair<std::string, StatusSection>>& status_sections() const {
    return sections_;
  }

  /// Method families ("sys", "mail", ...) for sys.hello's capabilities.
  std::vector<std::string> families() const;

 private:
  std::map<std::string, Method, std::less<>> methods_;
  std::optional<Method> fallback_;
  std::vector<std::pair<std::string, StatusSection>> sections_;
};

}  // namespace coproc
