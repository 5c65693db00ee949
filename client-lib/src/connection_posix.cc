// Connection over a Unix socket: non-blocking sendmsg() from the calling
// thread (SCM_RIGHTS with the first bytes), the I/O thread finishing writes
// the socket buffer could not take, and poll() + one non-blocking recv() per
// answer for the leader (poll's timeout is the call's deadline).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "connection.h"
#include "status.h"
#include "local_stream.h"

namespace coproc {

Connection::Connection(asio::io_context& io, int fd)
    : io_(io), socket_(io), fd_(fd), decoder_(client_decode_limits(), 64 * 1024) {}

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
  // Wait in poll(), then read without waiting. A task asleep in recv() on a
  // Unix stream socket is woken by every wake-up of the socket's queue,
  // among them the one the kernel makes when the co-process *reads* our
  // request (its buffer space comes back to us): the caller would wake, find
  // nothing and sleep again — two wake-ups per answer. poll() sleeps for
  // POLLIN only, so the caller wakes once, when the answer (or the end of
  // the stream, or close()'s shutdown) arrives. Waiting first saves a recv()
  // that would only say EAGAIN: the answer is rarely there already.
  // The clock, not poll()'s return, says when the deadline has passed.
  while (!call->done()) {
    if (net::ms_left(deadline) == 0) return;                 // deadline
    if (!net::wait_ready(fd_, POLLIN, deadline)) continue;  // timed out: check the clock
    if (read_once() == ReadState::closed) return;
  }
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
