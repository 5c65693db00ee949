#include "rpc_connection.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "log.h"
#include "methods.h"
#include "params.h"
#include "rpc_server.h"
#include "socket_io.h"
#include "sys_messages.h"

namespace coproc {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMessagesPerTurn = 32;

std::int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count() / 1000;
}

// Runs one handler and turns whatever happens into response bytes.
std::string run_handler(const Method& method, CallContext& call, const msgpack::object& params,
                        rpc::MsgId msgid, RpcError* error_out) {
  try {
    rpc::Params named(params);
    rpc::Packed result = method.handler(call, named);
    return rpc::encode_result(msgid, result);
  } catch (const RpcException& e) {
    *error_out = e.error();
  } catch (const msgpack::type_error&) {
    *error_out = RpcError(Errc::bad_request, "a parameter has the wrong type");
  } catch (const std::bad_alloc&) {
    *error_out = RpcError(Errc::too_large, "not enough memory for this request");
  } catch (const std::exception& e) {
    *error_out = RpcError(Errc::internal, std::string("internal error: ") + e.what());
  } catch (...) {
    *error_out = RpcError(Errc::internal, "internal error");
  }
  return rpc::encode_error(msgid, *error_out);
}

}  // namespace

RpcConnection::RpcConnection(RpcServer& server, Socket socket, std::uint64_t id,
                             PeerCredentials peer)
    : server_(server),
      socket_(std::move(socket)),
      strand_(asio::make_strand(socket_.get_executor())),
      timer_(strand_),
      id_(id),
      peer_(peer),
      admin_(server.is_admin(peer.uid, peer.gid)),
      decoder_(server.settings().decode) {}

RpcConnection::~RpcConnection() {
  for (auto& [offset, fd] : passed_fds_) ::close(fd);
}

std::string RpcConnection::tag() const {
  return "conn=" + std::to_string(id_) + " uid=" + std::to_string(peer_.uid) +
         " pid=" + std::to_string(peer_.pid);
}

void RpcConnection::start(std::string refusal) {
  asio::dispatch(strand_, [self = shared_from_this(), refusal = std::move(refusal)]() mutable {
    self->refusal_ = std::move(refusal);
    const auto& s = self->server_.settings();
    if (s.handshake_timeout.count() > 0) {
      self->arm_timer(s.handshake_timeout, "no request within the handshake timeout");
    }
    self->wait_readable();
  });
}

void RpcConnection::arm_timer(std::chrono::milliseconds timeout, const char* reason) {
  timer_.expires_after(timeout);
  timer_.async_wait([self = shared_from_this(), reason](const std::error_code& ec) {
    if (ec) return;  // re-armed or cancelled: a clean stop, not an error
    self->close_on_strand(reason);
  });
}

void RpcConnection::drain() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->draining_ = true;
    self->maybe_finish_drain();
  });
}

bool RpcConnection::evict() {
  if (evicted_.exchange(true)) return false;
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->close_on_strand("over the memory budget");
  });
  return true;
}

void RpcConnection::account_memory() {
  const std::size_t now = closed_ ? 0 : decoder_.held_bytes() + output_bytes_;
  const std::size_t before = held_.exchange(now);
  if (now != before) {
    server_.memory_changed(static_cast<std::int64_t>(now) - static_cast<std::int64_t>(before));
  }
}

void RpcConnection::close() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->close_on_strand("server stopping"); });
}

bool RpcConnection::may_decode() const {
  const auto& s = server_.settings();
  return !closed_ && !draining_ && !close_after_write_ && in_flight_ < s.max_in_flight_per_connection &&
         output_bytes_ < s.max_output_bytes;
}

void RpcConnection::process_input() {
  // A queued continuation or the loop below (when an event-loop handler's
  // answer calls us back) will do it.
  if (turn_yielded_ || decoding_) return;
  decoding_ = true;
  decode_turn();
  decoding_ = false;
  write_pending();  // the answers of this turn in one write
}

void RpcConnection::decode_turn() {
  int budget = kMessagesPerTurn;
  while (may_decode()) {
    if (budget-- == 0) {
      turn_yielded_ = true;
      asio::post(strand_, [self = shared_from_this()] {
        self->turn_yielded_ = false;
        self->process_input();
        self->wait_readable();
      });
      return;
    }
    msgpack::object_handle handle;
    const auto status = decoder_.next(handle);
    if (status == rpc::StreamDecoder::Status::need_more) return;
    if (status == rpc::StreamDecoder::Status::error) {
      server_.stats().protocol_errors++;
      const RpcError& err = decoder_.error();
      COPROC_LOG(info, server_.settings().component,
                 tag() << " undecodable input, closing: " << err.name << ": " << err.message);
      if (auto msgid = decoder_.error_msgid()) {
        server_.stats().errors_total++;
        answer(rpc::encode_error(*msgid, err));
        close_after_write_ = true;
        write_pending();
      } else {
        close_on_strand("undecodable input");
      }
      return;
    }
    const std::uint64_t message_end = received_bytes_ - decoder_.buffered();
    handle_message(rpc::classify(std::move(handle)), message_end);
  }
}

void RpcConnection::handle_message(rpc::Message message, std::uint64_t message_end) {
  // Descriptors that arrived with this message's bytes belong to it.
  std::vector<int> fds;
  while (!passed_fds_.empty() && passed_fds_.front().first < message_end) {
    fds.push_back(passed_fds_.front().second);
    passed_fds_.pop_front();
  }
  if (auto* request = std::get_if<rpc::Request>(&message)) {
    if (!greeted_) {
      greeted_ = true;
      timer_.cancel();
    }
    const auto& s = server_.settings();
    if (s.idle_timeout.count() > 0) arm_timer(s.idle_timeout, "idle timeout");
    handle_request(std::move(*request), std::move(fds));
    return;
  }
  close_fds(&fds);
  if (auto* invalid = std::get_if<rpc::Invalid>(&message)) {
    server_.stats().protocol_errors++;
    COPROC_LOG(info, server_.settings().component,
               tag() << " invalid message" << (invalid->notification ? " (notification, dropped)" : "")
                     << ": " << invalid->error.message);
    if (invalid->notification) return;  // nobody to answer; the stream is in sync
    if (invalid->msgid) {
      server_.stats().errors_total++;
      answer(rpc::encode_error(*invalid->msgid, invalid->error));  // the stream is still in sync
    } else {
      answer(std::string());  // nothing to answer; close once earlier answers are out
      close_after_write_ = true;
      write_pending();
    }
    return;
  }
  if (auto* note = std::get_if<rpc::Notification>(&message)) {
    if (note->method == rpc::method::kCancel) {
      handle_cancel(*note);
      return;
    }
    COPROC_LOG(debug, server_.settings().component,
               tag() << " ignored notification method=" << note->method);
    return;
  }
  // A response sent to a server has no request to match.
  server_.stats().protocol_errors++;
  close_after_write_ = true;
  write_pending();
}

void RpcConnection::handle_request(rpc::Request request, std::vector<int> fds) {
  auto& stats = server_.stats();
  stats.requests_total++;
  const rpc::MsgId msgid = request.msgid;
  const std::string method_name = request.method;

  auto reject = [&](Errc code, std::string message) {
    close_fds(&fds);
    stats.errors_total++;
    COPROC_LOG(info, server_.settings().component,
               tag() << " method=" << method_name << " msgid=" << msgid
                     << " result=" << errc_name(static_cast<int>(code)) << " " << message);
    answer(rpc::encode_error(msgid, RpcError(code, std::move(message))));
  };

  if (!refusal_.empty()) {
    reject(Errc::rate_limited, refusal_);
    close_after_write_ = true;
    write_pending();
    return;
  }
  const Method* method = server_.dispatcher().find(method_name);
  if (!method) {
    reject(Errc::not_found, "unknown method '" + method_name + "'");
    return;
  }
  if (!server_.admit_request(peer_.uid)) {
    reject(Errc::rate_limited, "too many requests in flight for uid " + std::to_string(peer_.uid));
    return;
  }

  auto call = std::make_shared<CallContext>();
  call->peer = peer_;
  call->admin = admin_;
  call->connection_id = id_;
  call->request_id = server_.next_request_id();
  call->method = method_name;
  call->received = Clock::now();
  // A msgid may be reused while a call with it still runs: sys.cancel then
  // stops every call of that msgid.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.emplace(msgid, call->cancel_flag);
  }
  call->connection_closed = closed_flag_;
  call->fds = std::move(fds);

  ++in_flight_;
  stats.requests_in_flight++;

  // Logs the outcome and hands the answer to the strand; once per call.
  // Holds no reference to `call` (which holds this function in reply_later).
  auto complete = [self = shared_from_this(), request_id = call->request_id, msgid,
                   flag = call->cancel_flag, method_name,
                   received = call->received](std::string bytes,
                                                           const RpcError& error) {
    const bool failed = !error.name.empty();
    if (failed) self->server_.stats().errors_total++;
    if (failed) {
      COPROC_LOG(info, self->server_.settings().component,
                 self->tag() << " req=" << request_id << " method=" << method_name
                             << " ms=" << ms_since(received) << " result=" << error.name
                             << " " << error.message);
    } else {
      COPROC_LOG(debug, self->server_.settings().component,
                 self->tag() << " req=" << request_id << " method=" << method_name
                             << " ms=" << ms_since(received) << " result=ok");
    }
    self->finish_call_anywhere(msgid, flag, std::move(bytes));
  };
  call->reply_later = [complete, msgid](const rpc::Packed& result, const RpcError* error) {
    if (error) {
      complete(rpc::encode_error(msgid, *error), *error);
    } else {
      complete(rpc::encode_result(msgid, result), RpcError());
    }
  };

  auto run = [method, call, complete, request = std::move(request)]() {
    RpcError error;
    std::string bytes = run_handler(*method, *call, request.params, request.msgid, &error);
    if (call->deferred() && error.name.empty()) return;  // answered through reply_later
    complete(std::move(bytes), error);
  };

  if (method->execution == Execution::event_loop) {
    run();
    return;
  }
  if (!server_.workers().try_post(peer_.uid, run)) {
    forget_running(msgid, call->cancel_flag);
    --in_flight_;
    stats.requests_in_flight--;
    server_.request_done(peer_.uid);
    reject(Errc::unavailable, "server busy: every worker is taken and the queue is full");
  }
}

void RpcConnection::forget_running(rpc::MsgId msgid,
                                   const std::shared_ptr<std::atomic<bool>>& flag) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto [first, last] = running_.equal_range(msgid);
  for (auto it = first; it != last; ++it) {
    if (it->second == flag) {
      running_.erase(it);
      return;
    }
  }
}

void RpcConnection::handle_cancel(const rpc::Notification& note) {
  std::optional<rpc::MsgId> target;
  try {
    const rpc::Params params(note.params);
    params.allow_only(rpc::CancelParams::kKeys);
    if (params.has("msgid")) {
      target = static_cast<rpc::MsgId>(params.int_or("msgid", 0, 0, 0xffffffffLL));
    }
  } catch (const std::exception& e) {
    COPROC_LOG(info, server_.settings().component,
               tag() << " invalid sys.cancel (dropped): " << e.what());
    return;
  }
  if (!target) {
    COPROC_LOG(info, server_.settings().component,
               tag() << " invalid sys.cancel (dropped): 'msgid' is required");
    return;
  }
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto [first, last] = running_.equal_range(*target);
    found = first != last;
    for (auto it = first; it != last; ++it) it->second->store(true);
  }
  COPROC_LOG(debug, server_.settings().component,
             tag() << " sys.cancel msgid=" << *target
                   << (found ? " (cancel flag set)" : " (not running: already answered)"));
}

void RpcConnection::finish_call(rpc::MsgId msgid, const std::shared_ptr<std::atomic<bool>>& flag,
                                std::string bytes) {
  forget_running(msgid, flag);
  --in_flight_;
  server_.stats().requests_in_flight--;
  server_.request_done(peer_.uid);
  if (closed_) return;
  answer(std::move(bytes));
  // Room again: decode what is buffered, then read more.
  process_input();
  wait_readable();
  maybe_finish_drain();
}

void RpcConnection::finish_call_anywhere(rpc::MsgId msgid,
                                         const std::shared_ptr<std::atomic<bool>>& flag,
                                         std::string bytes) {
  if (!strand_.running_in_this_thread()) {
    bool written = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      written = write_from_other_thread(bytes);
    }
    if (written) {
      forget_running(msgid, flag);
      const std::size_t before = in_flight_--;
      server_.stats().requests_in_flight--;
      server_.request_done(peer_.uid);
      // Reading paused at the in-flight limit, or a drain or a close after
      // an error waits for this call: the strand takes it from here.
      if (before >= server_.settings().max_in_flight_per_connection || draining_ ||
          close_after_write_) {
        asio::post(strand_, [self = shared_from_this()] {
          self->process_input();
          self->wait_readable();
          self->maybe_finish_drain();
          if (self->close_after_write_) self->write_pending();
        });
      }
      return;
    }
    // Not written, or only in part (the rest waits in output_, `bytes` is
    // empty): the strand writes it.
  }
  asio::dispatch(strand_, [self = shared_from_this(), msgid, flag, bytes = std::move(bytes)]() mutable {
    self->finish_call(msgid, flag, std::move(bytes));
  });
}

bool RpcConnection::write_from_other_thread(std::string& bytes) {
  if (closed_flag_->load() || !output_.empty() || !writing_.empty()) return false;
  output_bytes_ += bytes.size();
  output_.push_back(std::move(bytes));
  bytes.clear();
  output_bytes_ -= write_now();
  return output_.empty();
}

void RpcConnection::answer(std::string bytes) {
  if (closed_) return;
  if (!bytes.empty()) {
    output_bytes_ += bytes.size();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      output_.push_back(std::move(bytes));
    }
    account_memory();
  }
  write_pending();
}

void RpcConnection::write_pending() {
  if (closed_ || decoding_) return;
  // Most answers fit the socket buffer: written here, on the strand, they
  // need no write completion handed to another io thread (a wake-up and a
  // reactor interrupt per response). What the socket does not take now goes
  // through async_write below, and output_bytes_ keeps counting it.
  std::vector<asio::const_buffer> buffers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!writing_.empty()) return;
    if (!output_.empty()) output_bytes_ -= write_now();
    while (!output_.empty() && writing_.size() < 64) {
      writing_.push_back(std::move(output_.front()));
      output_.pop_front();
    }
    for (const auto& b : writing_) buffers.emplace_back(asio::buffer(b));
  }
  if (buffers.empty()) {
    if (close_after_write_ && in_flight_ == 0) close_on_strand("closed after error");
    return;
  }
  // writing_ stays untouched until the completion: no other thread writes meanwhile.
  asio::async_write(socket_, buffers,
                    asio::bind_executor(strand_, [self = shared_from_this()](
                                                     const std::error_code& ec, std::size_t n) {
                      {
                        std::lock_guard<std::mutex> lock(self->mutex_);
                        self->output_bytes_ -= n;
                        self->writing_.clear();
                      }
                      self->account_memory();
                      if (ec) {
                        self->close_on_strand("write error");
                        return;
                      }
                      self->write_pending();
                      self->process_input();
                      self->wait_readable();
                      self->maybe_finish_drain();
                    }));
}

void RpcConnection::maybe_finish_drain() {
  if (!draining_ || closed_ || in_flight_ != 0) return;
  bool idle = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    idle = output_.empty() && writing_.empty();
  }
  if (idle) close_on_strand("drained");
}

void RpcConnection::close_on_strand(const char* reason) {
  if (closed_) return;
  closed_ = true;
  timer_.cancel();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_flag_->store(true);
    for (auto& [msgid, flag] : running_) flag->store(true);
    close_stream();
  }
  for (auto& [offset, fd] : passed_fds_) ::close(fd);
  passed_fds_.clear();
  COPROC_LOG(debug, server_.settings().component, tag() << " closed: " << reason);
  account_memory();  // closed: holds nothing any more
  server_.connection_closed(shared_from_this());
}

}  // namespace coproc
