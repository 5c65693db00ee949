// A client's Unix socket: wait for readiness, then recvmsg() straight into
// the decoder's buffer, collecting descriptors passed with SCM_RIGHTS; answers
// go out with a non-blocking sendmsg() first (write_now).
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>

#include "rpc_connection.h"
#include "rpc_server.h"
#include "socket_io.h"

namespace coproc {

void RpcConnection::wait_readable() {
  // While a turn runs or is yielded, complete messages may still be
  // buffered: read nothing more until they are decoded, or a client that
  // pipelines faster than one turn decodes grows the buffer without bound
  // (an answer finished inside the turn calls us too; whoever ran the turn
  // calls us again once it ends).
  if (waiting_readable_ || decoding_ || turn_yielded_ || !may_decode()) return;
  waiting_readable_ = true;
  socket_.async_wait(Socket::wait_read,
                     asio::bind_executor(strand_, [self = shared_from_this()](const std::error_code& ec) {
                       self->waiting_readable_ = false;
                       self->on_readable(ec, 0);
                     }));
}

void RpcConnection::on_readable(const std::error_code& ec, std::size_t /*bytes_read*/) {
  if (closed_) return;
  if (ec) {
    close_on_strand(ec == asio::error::operation_aborted ? "closed" : "read error");
    return;
  }
  if (!may_decode()) return;  // resumes from finish_call
  auto buffer = decoder_.prepare();
  std::vector<int> fds;
  const ssize_t n = receive_with_fds(socket_.native_handle(), buffer.data, buffer.size, &fds);
  if (n < 0) {
    close_fds(&fds);
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      wait_readable();
      return;
    }
    close_on_strand(errno == ECONNRESET ? "reset by peer" : std::strerror(errno));
    return;
  }
  if (n == 0) {
    close_fds(&fds);
    close_on_strand("peer closed");
    return;
  }
  decoder_.commit(static_cast<std::size_t>(n));
  account_memory();
  received_bytes_ += static_cast<std::uint64_t>(n);
  // The kernel delivers passed descriptors with the read that ends inside
  // the sendmsg() that carried them: tag them with that read's last byte.
  for (int fd : fds) passed_fds_.emplace_back(received_bytes_ - 1, fd);
  if (passed_fds_.size() > kMaxFdsPerRead * 4) {
    close_on_strand("too many passed file descriptors not claimed by a request");
    return;
  }
  process_input();
  account_memory();  // complete messages left the decoder
  wait_readable();
}

std::size_t RpcConnection::write_now() {
  iovec iov[64];
  int count = 0;
  for (auto it = output_.begin(); it != output_.end() && count < 64; ++it) {
    iov[count++] = iovec{it->data(), it->size()};
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(count);
  ssize_t n;
  do {
    n = ::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  // Full buffer or an error: async_write waits for room or reports it.
  if (n <= 0) return 0;
  std::size_t left = static_cast<std::size_t>(n);
  while (left > 0 && left >= output_.front().size()) {
    left -= output_.front().size();
    output_.pop_front();
  }
  if (left > 0) output_.front().erase(0, left);
  return static_cast<std::size_t>(n);
}

void RpcConnection::close_stream() {
  std::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace coproc
