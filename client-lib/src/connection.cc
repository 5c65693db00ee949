#include "connection.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "status.h"
#include "sync_rpc.h"
#include "unix_socket_posix.h"

namespace coproc {
namespace {

// The co-process is trusted more than a random peer, but the stream is
// still bounded: HTTP bodies may be large, nesting may not.
rpc::DecodeLimits client_limits() {
  rpc::DecodeLimits l;
  l.max_message_bytes = 1024u << 20;
  l.max_str = 1024u << 20;
  l.max_bin = 1024u << 20;
  l.max_array = 1u << 20;
  l.max_map = 1u << 20;
  l.max_depth = 64;
  return l;
}

}  // namespace

Connection::Connection(asio::io_context& io, int fd)
    : socket_(io), fd_(fd), decoder_(client_limits(), 64 * 1024) {
  socket_.assign(asio::local::stream_protocol(), fd);
  socket_.non_blocking(true);
}

Connection::~Connection() {
  asio::error_code ignored;
  socket_.close(ignored);
}

bool Connection::alive() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !dead_;
}

bool Connection::submit(const std::shared_ptr<PendingCall>& call) {
  std::unique_lock<std::mutex> lock(mu_);
  if (dead_) return false;
  pending_.emplace(call->msgid(), call);
  queue_.push_back(call);
  if (queue_.size() > 1) return true;  // the flusher will get to it
  head_offset_ = 0;
  if (flush_locked()) return true;
  const int err = errno;
  lock.unlock();
  fail_all(PendingCall::Outcome::connection_lost,
           std::string("writing to the co-process failed: ") + std::strerror(err));
  return true;
}

bool Connection::flush_locked() {
  while (!queue_.empty()) {
    const auto& call = queue_.front();
    const std::string& bytes = call->request();
    const bool first = head_offset_ == 0;
    const ssize_t n = net::send_some(fd_, bytes.data() + head_offset_, bytes.size() - head_offset_,
                                     first ? call->fds().data() : nullptr,
                                     first ? call->fds().size() : 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!flush_scheduled_) {
          flush_scheduled_ = true;
          auto self = shared_from_this();
          asio::post(socket_.get_executor(), [self] { self->flush_when_writable(); });
        }
        return true;
      }
      return false;
    }
    if (n > 0) call->written = true;
    head_offset_ += static_cast<std::size_t>(n);
    if (head_offset_ == bytes.size()) {
      queue_.pop_front();
      head_offset_ = 0;
    }
  }
  return true;
}

void Connection::flush_when_writable() {
  auto self = shared_from_this();
  socket_.async_wait(asio::socket_base::wait_write, [self](const asio::error_code& ec) {
    std::unique_lock<std::mutex> lock(self->mu_);
    self->flush_scheduled_ = false;
    if (ec || self->dead_) return;
    if (self->flush_locked()) return;
    const int err = errno;
    lock.unlock();
    self->fail_all(PendingCall::Outcome::connection_lost,
                   std::string("writing to the co-process failed: ") + std::strerror(err));
  });
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
  ::shutdown(fd_, SHUT_RDWR);
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
      hand_over_locked(call.get());
      return call->done();
    }
    lock.unlock();
    const auto wake = call->wait_turn(deadline);
    if (wake == PendingCall::Wake::done) return true;
    if (wake == PendingCall::Wake::timeout) {
      // Pass on a turn that may have arrived with the deadline.
      lock.lock();
      if (!reading_) hand_over_locked(call.get());
      return call->done();
    }
    lock.lock();
  }
}

void Connection::hand_over_locked(const PendingCall* self) {
  for (auto& [id, other] : pending_) {
    if (other.get() != self && !other->done()) {
      other->grant_turn();
      return;
    }
  }
}

void Connection::lead(const std::shared_ptr<PendingCall>& call,
                      std::chrono::steady_clock::time_point deadline) {
  // Wait first, then read: an answer is rarely there already, and this
  // saves a recv() that would only say EAGAIN.
  while (!call->done()) {
    if (!net::wait_ready(fd_, POLLIN, deadline)) return;  // deadline
    auto buf = decoder_.prepare();
    ssize_t n;
    do {
      n = ::recv(fd_, buf.data, buf.size, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
      decoder_.commit(static_cast<std::size_t>(n));
      if (!dispatch_buffered()) return;
      continue;
    }
    if (n == 0) {
      fail_all(PendingCall::Outcome::connection_lost, "the co-process closed the connection");
      return;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      fail_all(PendingCall::Outcome::connection_lost,
               std::string("reading from the co-process failed: ") + std::strerror(errno));
      return;
    }
  }
}

bool Connection::dispatch_buffered() {
  for (;;) {
    msgpack::object_handle oh;
    const auto st = decoder_.next(oh);
    if (st == rpc::StreamDecoder::Status::need_more) return true;
    if (st == rpc::StreamDecoder::Status::error) {
      ::shutdown(fd_, SHUT_RDWR);
      fail_all(PendingCall::Outcome::failed,
               "the co-process sent bytes that are not MessagePack: " + decoder_.error().message);
      return false;
    }
    rpc::Message m = rpc::classify(std::move(oh));
    if (auto* inv = std::get_if<rpc::Invalid>(&m)) {
      ::shutdown(fd_, SHUT_RDWR);
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
    CallResult r;
    if (resp->error) {
      r = remote_error(resp->error->code, resp->error->name, resp->error->message);
    } else {
      r.status = COPROC_OK;
      r.result = pack_object(resp->result);
    }
    call->complete(PendingCall::Outcome::answered, std::move(r));
  }
}

void Connection::fail_all(PendingCall::Outcome outcome, const std::string& message) {
  std::unordered_map<rpc::MsgId, std::shared_ptr<PendingCall>> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dead_ = true;
    pending.swap(pending_);
    queue_.clear();
  }
  for (auto& [id, call] : pending) {
    const coproc_status status =
        outcome == PendingCall::Outcome::failed ? COPROC_E_PROTOCOL : COPROC_E_CONNECTION_LOST;
    call->complete(outcome, make_error(status, message));
  }
}

}  // namespace coproc
