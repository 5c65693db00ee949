#include "sys_methods.h"

#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "methods.h"
#include "msgpack_writer.h"
#include "rpc_error.h"
#include "socket_io.h"
#include "sys_messages.h"

namespace coproc {
namespace {

// The fields of StatusResult are packed by its MSGPACK_DEFINE_MAP; the map
// header is then widened to make room for the components' sections.
rpc::Packed pack_status(const rpc::StatusResult& fields,
                        const std::vector<std::pair<std::string, rpc::Packed>>& sections) {
  const std::string packed = rpc::pack_value(fields).bytes;
  // The map header of `packed`: fixmap (1 byte), map16 (3) or map32 (5).
  const auto first = static_cast<unsigned char>(packed.at(0));
  const std::size_t header = first == 0xde ? 3 : first == 0xdf ? 5 : 1;
  rpc::Packed out;
  rpc::StringWriter w{&out.bytes};
  rpc::Packer pk(w);
  pk.pack_map(static_cast<std::uint32_t>(rpc::StatusResult::kFieldCount + sections.size()));
  out.bytes.append(packed, header, std::string::npos);
  for (const auto& [name, value] : sections) {
    pk.pack(name);
    out.bytes += value.bytes.empty() ? std::string("\xc0", 1) : value.bytes;
  }
  return out;
}

}  // namespace

void register_sys_methods(Dispatcher& dispatcher, const ServerIdentity& identity,
                          ServerStats& stats, WorkerPool& workers) {
  dispatcher.add(rpc::method::kHello, Execution::event_loop,
                 [&dispatcher, identity](CallContext&, const rpc::Params& params) {
                   params.allow_only(rpc::HelloParams::kKeys);
                   if (!params.has("protocol")) {
                     throw RpcException(Errc::bad_request,
                                        "'protocol' is required: the protocol level the client "
                                        "speaks (this server speaks " +
                                            std::to_string(rpc::kProtocolLevel) + ")");
                   }
                   params.str_or("client", "");  // a string when given
                   const std::int64_t level = params.int_or("protocol", rpc::kProtocolLevel, 0, 1000000);
                   if (level != rpc::kProtocolLevel) {
                     throw RpcException(Errc::protocol_mismatch,
                                        "client speaks protocol " + std::to_string(level) + ", " +
                                            identity.server + " " + identity.version +
                                            " speaks protocol " +
                                            std::to_string(rpc::kProtocolLevel));
                   }
                   rpc::HelloResult r{rpc::kProtocolLevel, identity.server,       identity.version,
                                 ::getpid(),          identity.generation,  dispatcher.families(),
                                 dispatcher.method_names()};
                   if (passes_descriptors()) r.capabilities.push_back("fd_passing");
                   return rpc::pack_value(r);
                 });

  dispatcher.add(rpc::method::kPing, Execution::event_loop,
                 [](CallContext&, const rpc::Params& params) {
                   params.allow_only({});
                   return rpc::pack_value(rpc::PingResult{});
                 });

  dispatcher.add(
      rpc::method::kStatus, Execution::event_loop,
      [&dispatcher, identity, &stats, &workers](CallContext& call, const rpc::Params& params) {
        params.allow_only({});
        rpc::StatusResult r;
        r.server = identity.server;
        r.version = identity.version;
        r.protocol = rpc::kProtocolLevel;
        r.pid = ::getpid();
        r.generation = identity.generation;
        r.uptime_ms = stats.uptime_ms();
        r.connections = stats.connections.load();
        r.connections_total = stats.connections_total.load();
        r.connections_refused = stats.connections_refused.load();
        r.requests_total = stats.requests_total.load();
        r.requests_in_flight = stats.requests_in_flight.load();
        r.errors_total = stats.errors_total.load();
        r.protocol_errors = stats.protocol_errors.load();
        r.evictions = stats.evictions.load();
        r.memory_held = static_cast<std::uint64_t>(stats.memory_held.load());
        r.workers = {workers.threads(), workers.busy(), workers.queued()};
        r.caller_uid = call.peer.uid;
        std::vector<std::pair<std::string, rpc::Packed>> sections;
        for (const auto& [name, section] : dispatcher.status_sections()) {
          sections.emplace_back(name, section(call));
        }
        return pack_status(r, sections);
      });
}

void register_usage_section(Dispatcher& dispatcher, const RpcServer& server) {
  dispatcher.add_status_section("users", [&server](const CallContext& call) {
    std::map<std::string, std::map<std::string, std::uint64_t>> out;
    for (const auto& [uid, usage] : server.usage_by_uid()) {
      if (!call.admin && uid != call.peer.uid) continue;
      out[std::to_string(uid)] = {{"connections", usage.connections},
                                  {"in_flight", usage.in_flight}};
    }
    return rpc::pack_value(out);
  });
}

}  // namespace coproc
