// Connection over a Unix socket: non-blocking sendmsg() from the calling
// thread (SCM_RIGHTS with the first bytes), the I/O thread finishing writes
// the socket buffer could not take, and one blocking recv() per answer for
// the leader (SO_RCVTIMEO bounds it by the call's deadline).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

#include "connection.h"
#include "status.h"
#include "local_stream.h"

namespace coproc {

Connection::Connection(asio::io_context& io, int fd)
    : io_(io), socket_(io), fd_(fd), decoder_(client_decode_limits(), 64 * 1024) {
  // Blocking, so that the leader waits in recv() itself; every other
  // operation passes MSG_DONTWAIT.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

Connection::~Connection() {
  socket_.forget();
  ::close(fd_);
}

bool Connection::submit(const std::shared_ptr<PendingCall>& call) {
  std::unique_lock<std::mutex> lock(mu_);
  if (dead_ || !write_error_.empty()) return false;
  if (call->expects_answer()) pending_.emplace(call->msgid(), call);
  queue_.push_back(call);
  if (call->async()) arm_background_locked();
  if (queue_.size() > 1) return true;  // the flusher will get to it
  head_offset_ = 0;
  if (flush_locked()) return true;
  const int err = errno;
  lock.unlock();
  write_failed(err);
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
          asio::post(io_, [self] { self->flush_when_writable(); });
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
  socket_.async_wait(fd_, asio::socket_base::wait_write, [self](const asio::error_code& ec) {
    std::unique_lock<std::mutex> lock(self->mu_);
    self->flush_scheduled_ = false;
    if (self->dead_ || !self->write_error_.empty()) return;
    // An error here means the socket could not be watched at all.
    if (!ec && self->flush_locked()) return;
    const int err = ec ? ec.value() : errno;
    lock.unlock();
    self->write_failed(err);
  });
}

void Connection::lead(const std::shared_ptr<PendingCall>& call,
                      std::chrono::steady_clock::time_point deadline) {
  // One blocking recv() per answer, as a program reading its own socket
  // would: a poll() first would be a second system call on every call.
  while (!call->done()) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;  // deadline
    // SO_RCVTIMEO is set only when the deadline is nearer than what is set
    // (or after a wait that ended early), so calls with ordinary timeouts
    // never touch it.
    if (receive_timeout_ > left || receive_timeout_ == receive_timeout_.zero()) {
      set_receive_timeout(std::min<std::chrono::steady_clock::duration>(left, kReceiveSlice));
    }
    auto buf = decoder_.prepare();
    const ssize_t n = ::recv(fd_, buf.data, buf.size, 0);
    const int err = n < 0 ? errno : 0;
    if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
      // The slice ran out: wait on with the whole slice, or what is left.
      const auto now_left = deadline - std::chrono::steady_clock::now();
      if (receive_timeout_ < kReceiveSlice && now_left > receive_timeout_) {
        receive_timeout_ = receive_timeout_.zero();
      }
      continue;
    }
    if (n < 0 && err == EINTR) continue;
    if (consume_read(static_cast<long>(n), err) == ReadState::closed) return;
  }
}

void Connection::set_receive_timeout(std::chrono::steady_clock::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  if (us < 1) us = 1;  // zero would mean "wait forever"
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  receive_timeout_ = std::chrono::microseconds(us);
}

Connection::ReadState Connection::read_once() {
  auto buf = decoder_.prepare();
  ssize_t n;
  do {
    n = ::recv(fd_, buf.data, buf.size, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return consume_read(static_cast<long>(n), n < 0 ? errno : 0);
}

Connection::ReadState Connection::read_available() {
  // Bounded, so a co-process answering without pause cannot keep a
  // blocking caller from the reader role.
  for (int reads = 0; reads < 64; ++reads) {
    const ReadState state = read_once();
    if (state != ReadState::more) return state;
  }
  return ReadState::more;
}

void Connection::background_when_readable() {
  auto self = shared_from_this();
  socket_.async_wait(fd_, asio::socket_base::wait_read, [self](const asio::error_code& ec) {
    if (ec) {  // the socket could not be watched: nobody would read on
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->background_armed_ = false;
      }
      self->stop_io();
      self->fail_all(PendingCall::Outcome::connection_lost,
                     "waiting for the co-process's answers failed: " + ec.message());
      return;
    }
    self->background_turn();
  });
}

void Connection::stop_io() { ::shutdown(fd_, SHUT_RDWR); }

}  // namespace coproc
