#include "control_server.h"

#include <unistd.h>


#include "log.h"
#include "methods.h"
#include "rpc_error.h"
#include "svc_messages.h"
#include "sys_methods.h"

namespace coproc {
namespace {

rpc::Packed launch_result(const LaunchOutcome& o) {
  if (!o.ok) throw RpcException(o.unavailable ? Errc::unavailable : Errc::timeout, o.error);
  return rpc::pack_value(rpc::SvcLaunchResult{o.pid, o.generation, o.launched, o.launch_ms, o.waited_ms});
}

std::chrono::milliseconds deadline_param(const rpc::Params& params,
                                         std::chrono::milliseconds fallback) {
  return std::chrono::milliseconds(params.int_or("timeout_ms", fallback.count(), 1, 3600000));
}

}  // namespace

void register_control_methods(Dispatcher& dispatcher, Supervisor& supervisor,
                              const ControlSettings& settings, const ServerStats& stats) {
  dispatcher.add(rpc::method::kSvcLaunch, Execution::worker,
                 [&supervisor, settings](CallContext& call, const rpc::Params& params) {
                   params.allow_only(rpc::SvcLaunchParams::kKeys);
                   const LaunchOutcome o = supervisor.launch(
                       deadline_param(params, settings.default_launch_deadline));
                   COPROC_LOG(debug, "control",
                              "svc.launch uid=" << call.peer.uid << " pid=" << call.peer.pid
                                                << (o.ok ? " ok" : " failed: ") << o.error
                                                << " waited_ms=" << o.waited_ms);
                   return launch_result(o);
                 });

  dispatcher.add(rpc::method::kSvcStatus, Execution::event_loop,
                 [&supervisor, settings, &stats](CallContext&, const rpc::Params& params) {
                   params.allow_only({});
                   const SupervisorStatus s = supervisor.status();
                   return rpc::pack_value(rpc::SvcStatusResult{
                       state_name(s.state), s.pid, s.generation, s.restarts,
                       s.consecutive_failures, s.last_exit_status, s.last_exit_reason,
                       s.crash_loop, s.next_restart_ms, s.uptime_ms, s.launch_ms,
                       static_cast<std::int64_t>(::getpid()), stats.uptime_ms(),
                       settings.version});
                 });

  dispatcher.add(rpc::method::kSvcRestart, Execution::worker,
                 [&supervisor, settings](CallContext& call, const rpc::Params& params) {
                   params.allow_only(rpc::SvcLaunchParams::kKeys);
                   if (!call.admin) {
                     COPROC_LOG(warn, "control", "svc.restart refused for uid " << call.peer.uid);
                     throw RpcException(Errc::permission_denied,
                                        "svc.restart is for administrators (root or "
                                        "service.admin_group); uid " +
                                            std::to_string(call.peer.uid) + " is neither");
                   }
                   COPROC_LOG(info, "control", "svc.restart requested by uid " << call.peer.uid
                                                                               << " pid "
                                                                               << call.peer.pid);
                   return launch_result(supervisor.restart(
                       deadline_param(params, settings.default_launch_deadline)));
                 });
}

ControlServer::ControlServer(const Config& config, Supervisor& supervisor, ControlSettings settings)
    : settings_(ServerSettings::from_config(config)) {
  ServerIdentity identity{"coproc-service", settings.version, 0};
  register_sys_methods(host_.dispatcher(), identity, host_.stats(), host_.workers());
  register_control_methods(host_.dispatcher(), supervisor, settings, host_.stats());
  settings_.component = "control";
}

ControlServer::~ControlServer() { shutdown(std::chrono::milliseconds(1000)); }

void ControlServer::start(ListenTarget target) {
  std::vector<ListenTarget> targets;
  targets.push_back(std::move(target));
  host_.start(std::move(targets), settings_);
}

void ControlServer::stop_accepting() { host_.stop_accepting(); }

void ControlServer::shutdown(std::chrono::milliseconds grace) { host_.shutdown(grace); }

}  // namespace coproc
