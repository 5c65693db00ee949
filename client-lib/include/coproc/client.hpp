// The C++ client of the co-process. The C ABI (coproc.h) is a thin layer
// over this class. No Asio or msgpack type appears here, so the header can
// be used without them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "coproc/coproc.h"

namespace coproc {

class AsyncCall;  // client-lib/src/async_call.h
class AsyncHub;

/// How a Client finds and talks to the co-process. Empty paths use the
/// defaults described in coproc.h (environment, then /run/coproc).
struct ClientOptions {
  std::string endpoint;
  std::string control_endpoint;
  int connect_timeout_ms = 5000;
  int call_timeout_ms = 30000;
  int retries = 3;  // resends of one call after lost connections
  bool auto_launch = true;
  std::string client_name = "libcoproc";
};

/// Per-call settings.
struct CallOptions {
  int timeout_ms = -1;    // -1: ClientOptions::call_timeout_ms
  std::vector<int> fds;   // sent with SCM_RIGHTS with the request's first bytes; not closed
  int idempotent = -1;    // -1: by method name, 0: no, 1: yes (safe to resend)
};

/// Outcome of one call.
struct CallResult {
  coproc_status status = COPROC_E_INTERNAL;
  std::string error_name;     // stable name, e.g. "bad_request", "not_running"
  std::string error_message;  // for people
  std::string result;         // one packed msgpack value (call) or JSON text (call_json)
  bool ok() const { return status == COPROC_OK; }
};

/// What sys.hello (and, when it happened, svc.launch) said on the current
/// connection.
struct ServerInfo {
  int protocol = 0;
  std::string server;   // e.g. "coprocess"
  std::string version;
  std::int64_t pid = 0;
  std::int64_t generation = 0;
  bool launched = false;        // this client asked the service to launch it
  std::int64_t launch_ms = -1;  // the service's launch time when launched
};

/// A client of the co-process. Thread-safe: any number of threads may call
/// at once; their calls are pipelined on one connection and matched by
/// msgid. Owns one background I/O thread. Reconnects transparently: a call
/// that was not yet sent, or an idempotent one, is resent on a new
/// connection; a non-idempotent call lost mid-flight fails with
/// COPROC_E_CONNECTION_LOST.
class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// Options in effect (endpoint paths resolved at the first connect).
  const ClientOptions& options() const;
  /// Replaces the options; applies to the next connection. Not thread-safe
  /// against concurrent calls.
  void set_options(ClientOptions options);

  /// Connects now if not connected (see coproc_client_connect). On failure
  /// `error_message` (if given) receives the reason.
  coproc_status connect(std::string* error_message = nullptr);
  /// Closes the connection; the next call reconnects.
  void disconnect();
  bool connected() const;
  /// Information from the last successful handshake.
  ServerInfo server_info() const;

  /// Calls `method`; `packed_params` is one packed msgpack array ("" means
  /// `[{}]`). `result` holds the packed msgpack result.
  CallResult call(std::string_view method, std::string_view packed_params,
                  const CallOptions& options = {});
  /// Same with JSON params (object, array, or "" for none); `result` holds
  /// JSON text. Bin values: see coproc_call_json in coproc.h.
  CallResult call_json(std::string_view method, std::string_view params_json,
                       const CallOptions& options = {});

  /// Starts `method` without waiting (see coproc_call_async): nullptr with
  /// the reason in `*error` when it cannot be sent (bad params, no
  /// connection). Asynchronous calls have no client-side deadline and carry
  /// no file descriptors; a lost connection resends them under the rules of
  /// call().
  std::shared_ptr<AsyncCall> call_async(std::string_view method, std::string_view packed_params,
                                        CallResult* error, const CallOptions& options = {});
  /// What this client's asynchronous calls share (waiting, the descriptor).
  AsyncHub& async_hub() const;

  /// sys.ping; on success `*rtt_us` is the round trip in microseconds.
  CallResult ping(long long* rtt_us);

 private:
  friend struct ClientInternals;  // the library's own C functions (not installed)
  class Impl;
  std::unique_ptr<Impl> impl_;
};

/// Resolved default endpoint (see COPROC_OPT_ENDPOINT).
std::string default_endpoint();
/// Resolved default control endpoint for `endpoint`.
std::string default_control_endpoint(const std::string& endpoint);

/// JSON text -> one packed msgpack value; false with a message on bad JSON.
bool json_to_msgpack(std::string_view json, std::string* packed, std::string* error);
/// One packed msgpack value -> JSON text; false with a message when the
/// bytes are not one valid msgpack value.
bool msgpack_to_json(std::string_view packed, std::string* json, std::string* error);

/// Stable name of a status (same as coproc_status_str).
const char* status_name(coproc_status status);

}  // namespace coproc
