// Connection over a named pipe. A pipe has no readiness to wait for, so
// the calling thread writes its request itself with an overlapped write
// (the lock is released while it waits, so the reader can keep draining
// answers and the server never stalls on us); requests submitted meanwhile
// queue behind it and the same thread writes them too. The leader reads
// with an overlapped read bounded by its deadline; close() fires a stop
// event that ends present and future reads and writes.
#include <io.h>

#include <cerrno>
#include <cstring>

#include "connection.h"
#include "pipe_io_win32.h"
#include "status.h"

namespace coproc {

Connection::Connection(asio::io_context& io, int fd)
    : io_(io), socket_(io), fd_(fd), decoder_(client_decode_limits(), 64 * 1024) {}

Connection::~Connection() { ::_close(fd_); }

bool Connection::submit(const std::shared_ptr<PendingCall>& call) {
  if (!call->fds().empty()) {
    call->complete(PendingCall::Outcome::failed,
                   make_error(COPROC_E_MISUSE,
                              "passing file descriptors is not available on Windows pipes"));
    return true;
  }
  std::unique_lock<std::mutex> lock(mu_);
  if (dead_ || !write_error_.empty()) return false;
  if (call->expects_answer()) pending_.emplace(call->msgid(), call);
  queue_.push_back(call);
  if (call->async()) arm_background_locked();
  if (flush_scheduled_) return true;  // the thread writing now sends it too
  flush_scheduled_ = true;
  while (!queue_.empty() && !dead_ && write_error_.empty()) {
    const std::shared_ptr<PendingCall> head = queue_.front();
    head->written = true;  // from here its bytes may reach the co-process
    head_offset_ = head->request().size();  // withdraw() must not drop it mid-write
    lock.unlock();
    const int err = net::pipe_write(fd_, head->request().data(), head->request().size(),
                                    socket_.event());
    lock.lock();
    if (!queue_.empty() && queue_.front() == head) queue_.pop_front();
    head_offset_ = 0;
    if (err != 0) {
      flush_scheduled_ = false;
      lock.unlock();
      if (err != ECANCELED) write_failed(err);
      return true;
    }
  }
  flush_scheduled_ = false;
  return true;
}

void Connection::lead(const std::shared_ptr<PendingCall>& call,
                      std::chrono::steady_clock::time_point deadline) {
  while (!call->done()) {
    auto buf = decoder_.prepare();
    int err = 0;
    const long n = net::pipe_read(fd_, buf.data, buf.size, deadline, socket_.event(), &err);
    if (n > 0) {
      decoder_.commit(static_cast<std::size_t>(n));
      if (!dispatch_buffered()) return;
      continue;
    }
    if (n == 0) {
      fail_all(PendingCall::Outcome::connection_lost, "the co-process closed the connection");
      return;
    }
    // A wait may end up to a timer tick early (Windows rounds timeouts to
    // its clock): read on until the deadline has passed, as POSIX does.
    if (err == ETIMEDOUT && std::chrono::steady_clock::now() < deadline) continue;
    if (err == ETIMEDOUT || err == ECANCELED) return;  // deadline, or close()
    fail_all(PendingCall::Outcome::connection_lost,
             std::string("reading from the co-process failed: ") + std::strerror(err));
    return;
  }
}

// A pipe has no readiness to wait for: the I/O thread reads in slices of
// 10 ms, so a blocking caller waits at most that long for the role.
Connection::ReadState Connection::read_available() { return read_once(); }

Connection::ReadState Connection::read_once() {
  auto buf = decoder_.prepare();
  int err = 0;
  const long n = net::pipe_read(fd_, buf.data, buf.size,
                                std::chrono::steady_clock::now() + std::chrono::milliseconds(10),
                                socket_.event(), &err);
  return consume_read(n, err);
}

void Connection::background_when_readable() {
  auto self = shared_from_this();
  asio::post(io_, [self] { self->background_turn(); });
}

void Connection::stop_io() { socket_.fire(); }

}  // namespace coproc
