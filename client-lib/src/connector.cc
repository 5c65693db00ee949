#include "connector.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include "methods.h"
#include "status.h"
#include "sync_rpc.h"
#include "svc_messages.h"
#include "sys_messages.h"

namespace coproc {
namespace {

using namespace std::chrono_literals;

bool absent(int err) { return err == ENOENT || err == ECONNREFUSED || err == ENOTDIR; }

std::string describe(int err) {
  if (err == ENOENT) return "no such socket";
  if (err == ECONNREFUSED) return "connection refused";
  return std::strerror(err);
}

// How long sys.hello may go unanswered before the service is asked why: a
// co-process answers in well under a millisecond, so silence means none
// serves the socket (a launch failed, a crash loop, start-up in progress).
constexpr auto kHelloProbe = 300ms;

CallResult launch(const ClientOptions& o, rpc::MsgId id, net::Clock::time_point deadline,
                  int endpoint_err, ServerInfo* info);

// sys.hello on a fresh connection. When the answer is slow and auto-launch
// is on, asks the service (svc.launch) once: its refusal (user missing,
// binary missing, crash loop) is returned at once instead of a timeout at
// the deadline; when it answers that the co-process is ready, or cannot be
// reached, the wait for the hello answer goes on.
CallResult hello(int fd, const ClientOptions& o, const std::function<rpc::MsgId()>& next_msgid,
                 net::Clock::time_point deadline, bool* asked_service, ServerInfo* launch_info,
                 ServerInfo* info) {
  const std::vector<rpc::HelloParams> params{rpc::HelloParams{rpc::kProtocolLevel, o.client_name}};
  const std::string what = "sys.hello on " + o.endpoint;
  const rpc::MsgId id = next_msgid();
  CallResult r = send_request(fd, id, rpc::method::kHello, rpc::pack_value(params), deadline, what);
  rpc::StreamDecoder decoder = response_decoder();
  if (r.ok()) {
    const auto probe = std::min(deadline, net::Clock::now() + kHelloProbe);
    r = await_response(fd, id, decoder, o.auto_launch && !*asked_service ? probe : deadline, what);
    if (r.status == COPROC_E_TIMEOUT && net::Clock::now() < deadline) {
      *asked_service = true;
      CallResult launched = launch(o, next_msgid(), deadline, 0, launch_info);
      if (!launched.ok() && launched.status != COPROC_E_SERVICE_NOT_RUNNING &&
          launched.status != COPROC_E_PERMISSION_DENIED && launched.status != COPROC_E_TIMEOUT) {
        return launched;
      }
      r = await_response(fd, id, decoder, deadline, what);
    }
  }
  if (!r.ok()) {
    if (r.status == COPROC_E_PROTOCOL_MISMATCH) {
      r.error_message = "the co-process at " + o.endpoint + " refused protocol level " +
                        std::to_string(rpc::kProtocolLevel) + ": " + r.error_message;
    }
    return r;
  }
  msgpack::object_handle oh = msgpack::unpack(r.result.data(), r.result.size());
  const msgpack::object& m = oh.get();
  info->protocol = static_cast<int>(map_int(m, "protocol", 0));
  info->server = map_str(m, "server");
  info->version = map_str(m, "version");
  info->pid = map_int(m, "pid", 0);
  info->generation = map_int(m, "generation", 0);
  if (info->protocol != rpc::kProtocolLevel) {
    return make_error(COPROC_E_PROTOCOL_MISMATCH,
                      "the co-process at " + o.endpoint + " speaks protocol level " +
                          std::to_string(info->protocol) + ", this libcoproc speaks " +
                          std::to_string(rpc::kProtocolLevel));
  }
  return r;
}

// svc.launch on the control endpoint; `endpoint_err` is why the client
// endpoint failed (0: it accepted but nothing answered).
CallResult launch(const ClientOptions& o, rpc::MsgId id, net::Clock::time_point deadline,
                  int endpoint_err, ServerInfo* info) {
  int err = 0;
  const int fd = net::connect_local(o.control_endpoint, &err);
  if (fd < 0) {
    if (err == EACCES || err == EPERM) {
      return make_error(COPROC_E_PERMISSION_DENIED,
                        "permission denied on the service's control socket " + o.control_endpoint);
    }
    const std::string endpoint_state =
        endpoint_err != 0 ? describe(endpoint_err) : "no answer to sys.hello";
    return make_error(COPROC_E_SERVICE_NOT_RUNNING,
                      "the co-process is not running (" + o.endpoint + ": " + endpoint_state +
                          ") and the coproc service that launches it " +
                          "is not running either (" + o.control_endpoint + ": " + describe(err) +
                          "); start the service (e.g. systemctl start coproc)");
  }
  CallResult r = sync_call(fd, id, rpc::method::kSvcLaunch, rpc::pack_params(rpc::SvcLaunchParams{}), deadline,
                           "svc.launch on " + o.control_endpoint);
  ::close(fd);
  if (!r.ok()) {
    r.error_message = "the service could not launch the co-process: " + r.error_message;
    return r;
  }
  msgpack::object_handle oh = msgpack::unpack(r.result.data(), r.result.size());
  info->launched = map_bool(oh.get(), "launched", false);
  info->launch_ms = map_int(oh.get(), "launch_ms", -1);
  return r;
}

}  // namespace

CallResult establish(const ClientOptions& o, const std::function<rpc::MsgId()>& next_msgid,
                     net::Clock::time_point deadline, bool patient, Established* out) {
  thread_local std::minstd_rand rng(std::random_device{}());
  auto backoff = 2ms;
  bool asked_service = false;
  ServerInfo launch_info;
  std::string last_error;
  coproc_status absent_status = COPROC_OK;  // set when patient and absent
  for (;;) {
    int err = 0;
    const int fd = net::connect_local(o.endpoint, &err);
    if (fd >= 0) {
      ServerInfo info;
      CallResult r = hello(fd, o, next_msgid, deadline, &asked_service, &launch_info, &info);
      if (r.ok()) {
        info.launched = launch_info.launched;
        info.launch_ms = launch_info.launch_ms;
        out->fd = fd;
        out->info = info;
        return r;
      }
      ::close(fd);
      // A connection closed during the handshake (co-process stopping or at
      // its connection limit) is worth another try; anything else is final.
      if (r.status != COPROC_E_CONNECTION_LOST) return r;
      last_error = r.error_message;
    } else if (err == EACCES || err == EPERM) {
      return make_error(COPROC_E_PERMISSION_DENIED,
                        "permission denied connecting to " + o.endpoint +
                            " (the socket's mode or group does not admit this user)");
    } else if (err == ENAMETOOLONG) {
      return make_error(COPROC_E_MISUSE, "endpoint path is too long for a Unix socket: " +
                                             o.endpoint);
    } else if (absent(err)) {
      if (!o.auto_launch) {
        CallResult r = make_error(COPROC_E_NOT_RUNNING, "the co-process is not running: " +
                                                            o.endpoint + ": " + describe(err) +
                                                            " (auto-launch is off)");
        if (!patient) return r;
        absent_status = r.status;
        last_error = r.error_message;
      } else if (!asked_service) {
        asked_service = true;
        CallResult r = launch(o, next_msgid(), deadline, err, &launch_info);
        if (r.ok()) continue;  // the service answered once the co-process was ready
        if (!patient || r.status != COPROC_E_SERVICE_NOT_RUNNING) return r;
        absent_status = r.status;
        last_error = r.error_message;
      } else if (absent_status == COPROC_OK) {
        last_error = o.endpoint + ": " + describe(err) + " after the service launched it";
      }
    } else {
      last_error = o.endpoint + ": " + describe(err);  // e.g. EAGAIN: backlog full
    }
    // Jittered exponential backoff, never past the deadline.
    const auto now = net::Clock::now();
    if (now >= deadline) break;
    std::uniform_int_distribution<long> jitter(backoff.count() / 2, backoff.count());
    auto pause = std::chrono::milliseconds(jitter(rng));
    pause = std::min<std::chrono::milliseconds>(
        pause, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now) + 1ms);
    std::this_thread::sleep_for(pause);
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 250ms);
    if (net::Clock::now() >= deadline) break;
  }
  if (absent_status != COPROC_OK) {
    return make_error(absent_status, last_error + "; still so when the connect deadline (" +
                                         std::to_string(o.connect_timeout_ms) + " ms) passed");
  }
  return make_error(COPROC_E_TIMEOUT, "could not connect to the co-process before the connect "
                                      "deadline (" + std::to_string(o.connect_timeout_ms) +
                                      " ms): " + last_error);
}

}  // namespace coproc
