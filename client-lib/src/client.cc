#include "coproc/client.hpp"

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <asio.hpp>

#include "async_call.h"
#include "client_internals.h"
#include "connection.h"
#include "connector.h"
#include "idempotency.h"
#include "json_bridge.h"
#include "methods.h"
#include "status.h"
#include "sync_rpc.h"

namespace coproc {

class Client::Impl {
 public:
  explicit Impl(ClientOptions options)
      : options_(std::move(options)), work_(asio::make_work_guard(io_)) {
    resolve_endpoints();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    // Closing shuts the socket down, so a pending wait for writability
    // completes; the I/O thread then runs out of work and returns, and no
    // handler is left to outlive the io_context. Asynchronous calls still
    // in flight complete as connection_lost, not resent.
    closing_ = true;
    disconnect();
    work_.reset();
    if (thread_.joinable()) thread_.join();
  }

  void resolve_endpoints() {
    if (options_.endpoint.empty()) options_.endpoint = default_endpoint();
    if (options_.control_endpoint.empty()) {
      options_.control_endpoint = default_control_endpoint(options_.endpoint);
    }
  }

  const ClientOptions& options() const { return options_; }
  void set_options(ClientOptions o) {
    std::lock_guard<std::mutex> lock(connect_mu_);
    options_ = std::move(o);
    resolve_endpoints();
  }

  rpc::MsgId next_msgid() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  std::shared_ptr<Connection> current() const {
    std::lock_guard<std::mutex> lock(conn_mu_);
    return conn_ && conn_->alive() ? conn_ : nullptr;
  }

  /// The live connection, making one if needed (one connector at a time).
  std::shared_ptr<Connection> connection(net::Clock::time_point call_deadline, bool patient,
                                         CallResult* err) {
    if (auto c = current()) return c;
    std::lock_guard<std::mutex> connecting(connect_mu_);
    if (auto c = current()) return c;  // another thread connected meanwhile
    const auto deadline = std::min(
        call_deadline, net::Clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms));
    Established e;
    *err = establish(options_, [this] { return next_msgid(); }, deadline, patient, &e);
    if (!err->ok()) return nullptr;
    auto c = std::make_shared<Connection>(io_, e.fd);
    std::lock_guard<std::mutex> lock(conn_mu_);
    conn_ = c;
    info_ = e.info;
    return c;
  }

  coproc_status connect(std::string* message) {
    CallResult err;
    if (connection(net::Clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms),
                   false, &err)) {
      return COPROC_OK;
    }
    if (message) *message = err.error_message;
    return err.status;
  }

  void disconnect() {
    std::shared_ptr<Connection> c;
    {
      std::lock_guard<std::mutex> lock(conn_mu_);
      c.swap(conn_);
    }
    if (c) c->close();
  }

  bool connected() const { return current() != nullptr; }

  ServerInfo server_info() const {
    std::lock_guard<std::mutex> lock(conn_mu_);
    return info_;
  }

  /// Checks a call's method and params; `*packed_params` becomes `[{}]`
  /// when empty. COPROC_OK or the reason.
  static CallResult check_call(std::string_view method, std::string_view* packed_params) {
    if (method.empty()) return make_error(COPROC_E_MISUSE, "method name is empty");
    std::string checked;
    if (packed_params->empty()) {
      *packed_params = std::string_view("\x91\x80", 2);  // [{}]
    } else if (*packed_params != std::string_view("\x91\x80", 2) &&
               *packed_params != std::string_view("\x90", 1) &&
               !params_are_one_array(*packed_params, &checked)) {
      if (checked.empty()) {
        return make_error(COPROC_E_TOO_LARGE,
                          "params hold an array or map of more than " +
                              std::to_string(kMaxEntries) +
                              " entries (the co-process accepts at most limits.max_array / "
                              "limits.max_map)");
      }
      return make_error(COPROC_E_MISUSE, "params must be one packed MessagePack array: " + checked);
    }
    CallResult ok;
    ok.status = COPROC_OK;
    return ok;
  }

  /// With `decoded`, a successful answer goes there as decoded and the
  /// result's bytes stay empty (PendingCall::take_result); the params are
  /// then the library's own, packed by protocol/, and not checked again.
  CallResult call(std::string_view method, std::string_view packed_params,
                  const CallOptions& co, rpc::Response* decoded = nullptr) {
    if (!decoded) {
      if (CallResult bad = check_call(method, &packed_params); !bad.ok()) return bad;
    }
    const int timeout_ms = co.timeout_ms > 0 ? co.timeout_ms : options_.call_timeout_ms;
    const auto deadline = net::Clock::now() + std::chrono::milliseconds(timeout_ms);
    const bool idempotent = co.idempotent < 0 ? rpc::is_idempotent(method) : co.idempotent != 0;
    // mail.send is resent after a lost connection only with a key (docs/protocol.md).
    const rpc::Packed params{params_for(method, packed_params)};
    int resends = 0;
    bool lost_before = false;
    for (;;) {
      if (lost_before && net::Clock::now() >= deadline) {
        return make_error(COPROC_E_TIMEOUT, "the connection kept breaking during " +
                                                std::string(method) + " until its deadline (" +
                                                std::to_string(timeout_ms) + " ms) passed");
      }
      CallResult err;
      auto conn = connection(deadline, lost_before, &err);
      if (!conn) {
        if (lost_before) {
          err.error_message = "lost the connection during " + std::string(method) +
                              " and could not reconnect: " + err.error_message;
        }
        return err;
      }
      const rpc::MsgId id = next_msgid();
      auto call =
          std::make_shared<PendingCall>(id, rpc::encode_request(id, method, params), co.fds);
      call->set_spin(spin_);
      if (!conn->submit(call)) continue;  // died just now: nothing was sent
      if (!conn->wait(call, deadline) && conn->withdraw(call)) {
        return make_error(COPROC_E_TIMEOUT, "no answer to " + std::string(method) + " within " +
                                                std::to_string(timeout_ms) + " ms");
      }
      if (call->outcome() != PendingCall::Outcome::connection_lost) {
        return call->take_result(decoded);
      }
      CallResult lost = call->take_result();
      lost_before = true;
      if (!call->written) continue;  // never reached the co-process: just send it again
      if (!idempotent) {
        return make_error(COPROC_E_CONNECTION_LOST,
                          "the connection to the co-process was lost while " +
                              std::string(method) +
                              " was in flight; it may or may not have been carried out, and "
                              "it is not idempotent, so it was not resent (" +
                              lost.error_message + ")");
      }
      if (++resends > options_.retries) {
        return make_error(COPROC_E_CONNECTION_LOST,
                          "the connection to the co-process was lost " + std::to_string(resends) +
                              " times during " + std::string(method) + " (retries: " +
                              std::to_string(options_.retries) + "); last: " +
                              lost.error_message);
      }
    }
  }

  /// mail.send is resent after a lost connection only with a key (docs/protocol.md).
  static std::string params_for(std::string_view method, std::string_view packed_params) {
    return method == rpc::method::kMailSend ? with_idempotency_key(packed_params)
                                            : std::string(packed_params);
  }

  std::shared_ptr<AsyncCall> call_async(std::string_view method, std::string_view packed_params,
                                        const CallOptions& co, CallResult* error) {
    *error = check_call(method, &packed_params);
    if (!error->ok()) return nullptr;
    if (!co.fds.empty()) {
      *error = make_error(COPROC_E_MISUSE,
                          "asynchronous calls carry no file descriptors (the caller would have "
                          "to keep them open until the call completes)");
      return nullptr;
    }
    const bool idempotent = co.idempotent < 0 ? rpc::is_idempotent(method) : co.idempotent != 0;
    auto a = std::make_shared<AsyncCall>(hub_, std::string(method),
                                         params_for(method, packed_params), idempotent);
    *error = start_attempt(a, false);
    if (!error->ok()) return nullptr;
    return a;
  }

  const std::shared_ptr<AsyncHub>& hub() const { return hub_; }

 private:
  /// Sends one attempt of `a` on the live connection (connecting if needed):
  /// in the caller's thread for the first, on the I/O thread for resends.
  CallResult start_attempt(const std::shared_ptr<AsyncCall>& a, bool lost_before) {
    for (int died = 0;; ++died) {
      if (closing_) {
        return make_error(COPROC_E_CONNECTION_LOST,
                          "the client was closed while " + a->method() + " was in flight");
      }
      const auto deadline =
          net::Clock::now() + std::chrono::milliseconds(options_.connect_timeout_ms);
      CallResult err;
      auto conn = connection(deadline, lost_before, &err);
      if (!conn) {
        if (lost_before) {
          err.error_message = "lost the connection during " + a->method() +
                              " and could not reconnect: " + err.error_message;
        }
        return err;
      }
      const rpc::MsgId id = next_msgid();
      auto call = std::make_shared<PendingCall>(
          id, rpc::encode_request(id, a->method(), rpc::Packed{a->params()}), std::vector<int>{});
      std::weak_ptr<AsyncCall> weak = a;
      call->make_async([this, weak](PendingCall& done) {
        if (auto live = weak.lock()) attempt_done(live, done);
      });
      if (!a->attach(conn, call)) {
        CallResult ok;  // cancelled meanwhile: finished already
        ok.status = COPROC_OK;
        return ok;
      }
      if (conn->submit(call)) {
        // A cancel that came between attach() and submit() found nothing
        // to withdraw yet: cancel again now that the call is registered.
        if (a->cancel_requested()) a->cancel();
        // The client began closing while this (I/O thread) attempt
        // connected: end the connection it opened, or its reads would keep
        // the I/O thread that the destructor joins busy.
        if (closing_) disconnect();
        CallResult ok;
        ok.status = COPROC_OK;
        return ok;
      }
      a->detach();  // died just now: nothing was sent
      lost_before = true;
      if (died >= options_.retries) {
        return make_error(COPROC_E_CONNECTION_LOST,
                          "the connection kept breaking before " + a->method() + " was sent");
      }
    }
  }

  /// An attempt of an asynchronous call ended; any thread, no lock held.
  /// The same rules as call(): a request never sent, or an idempotent one,
  /// is sent again on a new connection (on the I/O thread, which may wait
  /// for the connect); others complete as connection_lost.
  void attempt_done(const std::shared_ptr<AsyncCall>& a, PendingCall& done) {
    a->detach();
    if (done.outcome() != PendingCall::Outcome::connection_lost || a->cancel_requested()) {
      a->finish(done.take_result());
      return;
    }
    CallResult lost = done.take_result();
    if (done.written && !a->idempotent()) {
      a->finish(make_error(COPROC_E_CONNECTION_LOST,
                           "the connection to the co-process was lost while " + a->method() +
                               " was in flight; it may or may not have been carried out, and it "
                               "is not idempotent, so it was not resent (" +
                               lost.error_message + ")"));
      return;
    }
    if (done.written && !a->count_resend(options_.retries)) {
      a->finish(make_error(COPROC_E_CONNECTION_LOST,
                           "the connection to the co-process was lost " +
                               std::to_string(a->resends()) + " times during " + a->method() +
                               " (retries: " + std::to_string(options_.retries) +
                               "); last: " + lost.error_message));
      return;
    }
    if (closing_) {
      a->finish(make_error(COPROC_E_CONNECTION_LOST, "the client was closed while " +
                                                         a->method() + " was in flight (" +
                                                         lost.error_message + ")"));
      return;
    }
    asio::post(io_, [this, a] {
      CallResult r = start_attempt(a, true);
      if (!r.ok()) a->finish(std::move(r));
    });
  }

  // Above any sensible server limit (limits.max_array defaults to 100000);
  // params beyond it are too large, whatever else is wrong with them.
  static constexpr std::uint32_t kMaxEntries = 1u << 20;

  /// Walks one msgpack value without building it: accepts only an array
  /// within the entry and depth limits (stricter on depth than msgpack's
  /// count), so what it accepts unpack() would accept too.
  struct ParamsCheck : msgpack::null_visitor {
    int depth = 0;
    bool top_is_array = false;
    bool seen_any = false;
    bool open(std::uint32_t entries, bool array) {
      if (!seen_any) top_is_array = array;
      seen_any = true;
      return entries <= kMaxEntries && ++depth < 64;
    }
    bool scalar() {
      seen_any = true;
      return top_is_array;
    }
    bool visit_nil() { return scalar(); }
    bool visit_boolean(bool) { return scalar(); }
    bool visit_positive_integer(std::uint64_t) { return scalar(); }
    bool visit_negative_integer(std::int64_t) { return scalar(); }
    bool visit_float32(float) { return scalar(); }
    bool visit_float64(double) { return scalar(); }
    bool visit_str(const char*, std::uint32_t) { return scalar(); }
    bool visit_bin(const char*, std::uint32_t) { return scalar(); }
    bool visit_ext(const char*, std::uint32_t) { return scalar(); }
    bool start_array(std::uint32_t n) { return open(n, true) && top_is_array; }
    bool start_map(std::uint32_t n) { return open(n, false) && top_is_array; }
    bool end_array() { return --depth >= 0; }
    bool end_map() { return --depth >= 0; }
  };

  /// False with the reason in `*why`; an empty reason means too many entries.
  static bool params_are_one_array(std::string_view bytes, std::string* why) {
    // Every call's params pass here: the common case, valid params, is
    // checked without allocating; anything else is unpacked for the reason.
    ParamsCheck check;
    std::size_t checked = 0;
    if (msgpack::parse(bytes.data(), bytes.size(), checked, check) && checked == bytes.size() &&
        check.top_is_array) {
      return true;
    }
    try {
      std::size_t offset = 0;
      msgpack::object_handle oh = msgpack::unpack(
          bytes.data(), bytes.size(), offset, nullptr, nullptr,
          msgpack::unpack_limit(kMaxEntries, kMaxEntries, 0xffffffff, 0xffffffff, 0xffffffff, 64));
      if (offset != bytes.size()) {
        *why = "trailing bytes after the first value";
        return false;
      }
      if (oh.get().type != msgpack::type::ARRAY) {
        *why = std::string("got ") + rpc::type_name(oh.get());
        return false;
      }
      return true;
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const msgpack::array_size_overflow&) {
      why->clear();
      return false;
    } catch (const msgpack::map_size_overflow&) {
      why->clear();
      return false;
    } catch (const std::exception& e) {
      *why = e.what();
      return false;
    }
  }

  ClientOptions options_;
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
  std::atomic<rpc::MsgId> next_id_{1};
  std::atomic<bool> closing_{false};
  const std::shared_ptr<AsyncHub> hub_ = std::make_shared<AsyncHub>();
  int spin_ = 2000;

  std::mutex connect_mu_;
  mutable std::mutex conn_mu_;
  std::shared_ptr<Connection> conn_;
  ServerInfo info_;
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

const ClientOptions& Client::options() const { return impl_->options(); }
void Client::set_options(ClientOptions options) { impl_->set_options(std::move(options)); }
coproc_status Client::connect(std::string* error_message) {
  return impl_->connect(error_message);
}
void Client::disconnect() { impl_->disconnect(); }
bool Client::connected() const { return impl_->connected(); }
ServerInfo Client::server_info() const { return impl_->server_info(); }

CallResult Client::call(std::string_view method, std::string_view packed_params,
                        const CallOptions& options) {
  return impl_->call(method, packed_params, options);
}

CallResult ClientInternals::call_decoded(Client& client, std::string_view method,
                                         std::string_view packed_params,
                                         const CallOptions& options, rpc::Response* answer) {
  return client.impl_->call(method, packed_params, options, answer);
}

std::shared_ptr<AsyncCall> Client::call_async(std::string_view method,
                                              std::string_view packed_params,
                                              CallResult* error, const CallOptions& options) {
  return impl_->call_async(method, packed_params, options, error);
}

AsyncHub& Client::async_hub() const { return *impl_->hub(); }

CallResult Client::call_json(std::string_view method, std::string_view params_json,
                             const CallOptions& options) {
  std::string packed, error;
  if (!json::params_to_msgpack(params_json, &packed, &error)) {
    return make_error(COPROC_E_JSON, error);
  }
  CallResult r = impl_->call(method, packed, options);
  if (!r.ok()) return r;
  std::string text;
  if (!msgpack_to_json(r.result, &text, &error)) {
    return make_error(COPROC_E_PROTOCOL, "the result of " + std::string(method) +
                                             " cannot be shown as JSON: " + error);
  }
  r.result = std::move(text);
  return r;
}

CallResult Client::ping(long long* rtt_us) {
  // Connect first, so the figure is one round trip, not the connection set-up.
  std::string message;
  const coproc_status st = impl_->connect(&message);
  if (st != COPROC_OK) return make_error(st, message);
  const auto start = std::chrono::steady_clock::now();
  CallResult r = impl_->call(rpc::method::kPing, std::string_view(), CallOptions{});
  if (r.ok() && rtt_us) {
    *rtt_us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  }
  return r;
}

}  // namespace coproc
