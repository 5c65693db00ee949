#include "sys_methods.h"

#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include "methods.h"
#include "rpc_error.h"
#include "socket_io.h"

namespace coproc {
namespace {

struct HelloResult {
  int protocol;
  std::string server;
  std::string version;
  std::int64_t pid;
  std::int64_t generation;
  std::vector<std::string> capabilities;
  std::vector<std::string> methods;
  MSGPACK_DEFINE_MAP(protocol, server, version, pid, generation, capabilities, methods);
};

struct PingResult {
  bool pong = true;
  MSGPACK_DEFINE_MAP(pong);
};

struct Writer {
  std::string* out;
  void write(const char* data, std::size_t size) { out->append(data, size); }
};

}  // namespace

void register_sys_methods(Dispatcher& dispatcher, const ServerIdentity& identity,
                          ServerStats& stats, WorkerPool& workers) {
  dispatcher.add(rpc::method::kHello, Execution::event_loop,
                 [&dispatcher, identity](CallContext&, const rpc::Params& params) {
                   params.allow_only({"protocol", "client"});
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
                   HelloResult r{rpc::kProtocolLevel, identity.server,       identity.version,
                                 ::getpid(),          identity.generation,  dispatcher.families(),
                                 dispatcher.method_names()};
                   if (passes_descriptors()) r.capabilities.push_back("fd_passing");
                   return rpc::pack_value(r);
                 });

  dispatcher.add(rpc::method::kPing, Execution::event_loop,
                 [](CallContext&, const rpc::Params& params) {
                   params.allow_only({});
                   return rpc::pack_value(PingResult{});
                 });

  dispatcher.add(
      rpc::method::kStatus, Execution::event_loop,
      [&dispatcher, identity, &stats, &workers](CallContext& call, const rpc::Params& params) {
        params.allow_only({});
        rpc::Packed out;
        Writer w{&out.bytes};
        msgpack::packer<Writer> pk(w);
        const auto& sections = dispatcher.status_sections();
        pk.pack_map(static_cast<std::uint32_t>(17 + sections.size()));
        pk.pack("server"); pk.pack(identity.server);
        pk.pack("version"); pk.pack(identity.version);
        pk.pack("protocol"); pk.pack(rpc::kProtocolLevel);
        pk.pack("pid"); pk.pack(static_cast<std::int64_t>(::getpid()));
        pk.pack("generation"); pk.pack(identity.generation);
        pk.pack("uptime_ms"); pk.pack(stats.uptime_ms());
        pk.pack("connections"); pk.pack(stats.connections.load());
        pk.pack("connections_total"); pk.pack(stats.connections_total.load());
        pk.pack("connections_refused"); pk.pack(stats.connections_refused.load());
        pk.pack("requests_total"); pk.pack(stats.requests_total.load());
        pk.pack("requests_in_flight"); pk.pack(stats.requests_in_flight.load());
        pk.pack("errors_total"); pk.pack(stats.errors_total.load());
        pk.pack("protocol_errors"); pk.pack(stats.protocol_errors.load());
        pk.pack("evictions"); pk.pack(stats.evictions.load());
        pk.pack("memory_held"); pk.pack(static_cast<std::uint64_t>(stats.memory_held.load()));
        pk.pack("workers");
        pk.pack_map(3);
        pk.pack("threads"); pk.pack(workers.threads());
        pk.pack("busy"); pk.pack(workers.busy());
        pk.pack("queued"); pk.pack(workers.queued());
        pk.pack("caller_uid"); pk.pack(call.peer.uid);
        for (const auto& [name, section] : sections) {
          pk.pack(name);
          rpc::Packed value = section(call);
          out.bytes += value.bytes.empty() ? std::string("\xc0", 1) : value.bytes;
        }
        return out;
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
