// The platform-neutral half of Connection: leader/follower hand-over,
// withdrawal, dispatching answers, failing every call. Writing and reading
// the stream are platform code (connection_posix.cc, connection_win32.cc).
#include "connection.h"

#include <cerrno>
#include <cstring>

#include "status.h"
#include "sync_rpc.h"

namespace coproc {

rpc::DecodeLimits client_decode_limits() {
  // The co-process is trusted more than a random peer, but the stream is
  // still bounded: HTTP bodies may be large, nesting may not.
  rpc::DecodeLimits l;
  l.max_message_bytes = 1024u << 20;
  l.max_str = 1024u << 20;
  l.max_bin = 1024u << 20;
  l.max_array = 1u << 20;
  l.max_map = 1u << 20;
  l.max_depth = 64;
  return l;
}

CallResult result_of(const rpc::Response& answer) {
  if (answer.error) {
    return remote_error(answer.error->code, answer.error->name, answer.error->message);
  }
  CallResult r;
  r.status = COPROC_OK;
  r.result = pack_object(answer.result);
  return r;
}

bool Connection::alive() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !dead_ && write_error_.empty();
}

void Connection::write_failed(int err) {
  std::string message;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_ || !write_error_.empty()) return;
    write_error_ = std::string("writing to the co-process failed: ") + std::strerror(err);
    queue_.clear();  // unwritten calls stay pending, unwritten, so they may be resent
    head_offset_ = 0;
    // Each pending call has a caller in wait(), so someone reads on.
    if (!pending_.empty()) return;
    message = write_error_;
  }
  stop_io();
  fail_all(PendingCall::Outcome::connection_lost, message);
}

bool Connection::was_written(const PendingCall& call) const {
  std::lock_guard<std::mutex> lock(mu_);
  return call.written;
}

bool Connection::notify(std::string bytes) {
  // A notification rides the write queue like a request that is never
  // registered as pending, so it is never answered or resent.
  return submit(PendingCall::notification(std::move(bytes)));
}

bool Connection::withdraw(const std::shared_ptr<PendingCall>& call) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(call->msgid());
  if (it == pending_.end()) return false;
  pending_.erase(it);
  // A request not yet started is dropped; one partly written must finish
  // (its answer will be ignored) or the stream would be corrupt.
  for (auto q = queue_.begin(); q != queue_.end(); ++q) {
    if (*q == call && (q != queue_.begin() || head_offset_ == 0)) {
      queue_.erase(q);
      break;
    }
  }
  return true;
}

void Connection::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (dead_) return;
  }
  // Wakes a reading caller; the pending calls complete as lost.
  stop_io();
  fail_all(PendingCall::Outcome::connection_lost, "the connection was closed by the client");
}

bool Connection::wait(const std::shared_ptr<PendingCall>& call,
                      std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (call->done()) return true;
    if (!reading_ && !dead_) {
      reading_ = true;
      lock.unlock();
      lead(call, deadline);
      lock.lock();
      reading_ = false;
      release_reader_locked(call.get());
      return call->done();
    }
    lock.unlock();
    const auto wake = call->wait_turn(deadline);
    if (wake == PendingCall::Wake::done) return true;
    if (wake == PendingCall::Wake::timeout) {
      // Pass on a turn that may have arrived with the deadline.
      lock.lock();
      if (!reading_) release_reader_locked(call.get());
      return call->done();
    }
    lock.lock();
  }
}

bool Connection::hand_over_locked(const PendingCall* self) {
  for (auto& [id, other] : pending_) {
    if (other.get() != self && !other->async() && !other->done()) {
      other->grant_turn();
      return true;
    }
  }
  return false;
}

void Connection::release_reader_locked(const PendingCall* self) {
  if (!hand_over_locked(self)) arm_background_locked();
}

void Connection::arm_background_locked() {
  if (dead_ || reading_ || background_armed_ || !async_pending_locked()) return;
  background_armed_ = true;
  auto self = shared_from_this();
  // Read first, then wait: bytes that arrived while a blocking caller held
  // the role may already be buffered and signal no new readiness.
  asio::post(io_, [self] { self->background_turn(); });
}

bool Connection::async_pending_locked() const {
  for (auto& [id, call] : pending_) {
    if (call->async()) return true;
  }
  return false;
}

void Connection::background_turn() {
  std::unique_lock<std::mutex> lock(mu_);
  background_armed_ = false;
  if (dead_ || reading_) return;  // the reader gives the role back later
  reading_ = true;
  lock.unlock();
  const ReadState state = read_available();
  lock.lock();
  reading_ = false;
  if (hand_over_locked(nullptr) || state == ReadState::closed) return;
  if (dead_ || !async_pending_locked()) return;
  background_armed_ = true;
  if (state == ReadState::more) {
    auto self = shared_from_this();
    asio::post(io_, [self] { self->background_turn(); });
  } else {
    background_when_readable();
  }
}

Connection::ReadState Connection::consume_read(long n, int err) {
  if (n > 0) {
    decoder_.commit(static_cast<std::size_t>(n));
    return dispatch_buffered() ? ReadState::more : ReadState::closed;
  }
  if (n == 0) {
    fail_all(PendingCall::Outcome::connection_lost, "the co-process closed the connection");
    return ReadState::closed;
  }
  if (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT) return ReadState::drained;
  if (err == ECANCELED) return ReadState::closed;  // close() fired the stop event (Windows)
  fail_all(PendingCall::Outcome::connection_lost,
           std::string("reading from the co-process failed: ") + std::strerror(err));
  return ReadState::closed;
}

bool Connection::dispatch_buffered() {
  for (;;) {
    msgpack::object_handle oh;
    const auto st = decoder_.next(oh);
    if (st == rpc::StreamDecoder::Status::need_more) return true;
    if (st == rpc::StreamDecoder::Status::error) {
      stop_io();
      fail_all(PendingCall::Outcome::failed,
               "the co-process sent bytes that are not MessagePack: " + decoder_.error().message);
      return false;
    }
    rpc::Message m = rpc::classify(std::move(oh));
    if (auto* inv = std::get_if<rpc::Invalid>(&m)) {
      stop_io();
      fail_all(PendingCall::Outcome::failed,
               "the co-process sent an invalid MessagePack-RPC message: " + inv->error.message);
      return false;
    }
    auto* resp = std::get_if<rpc::Response>(&m);
    if (!resp) continue;  // notifications and requests are not used by clients
    std::shared_ptr<PendingCall> call;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = pending_.find(resp->msgid);
      if (it == pending_.end()) continue;  // the caller gave up (timeout)
      call = std::move(it->second);
      pending_.erase(it);
    }
    call->complete(std::move(*resp));
  }
}

void Connection::fail_all(PendingCall::Outcome outcome, const std::string& message) {
  std::unordered_map<rpc::MsgId, std::shared_ptr<PendingCall>> pending;
  std::string text = message;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dead_ = true;
    pending.swap(pending_);
    queue_.clear();
    if (!write_error_.empty() && write_error_ != message) text = write_error_ + "; " + message;
  }
  for (auto& [id, call] : pending) {
    const coproc_status status =
        outcome == PendingCall::Outcome::failed ? COPROC_E_PROTOCOL : COPROC_E_CONNECTION_LOST;
    call->complete(outcome, make_error(status, text));
  }
}

}  // namespace coproc
