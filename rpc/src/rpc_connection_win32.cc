// Reading a client's named pipe: an overlapped read into a buffer the size
// the decoder asks for, then a copy into the decoder (its buffer may move
// while the read is in flight). Pipes carry no descriptors.
#include <windows.h>

#include <algorithm>
#include <cstring>

#include "rpc_connection.h"
#include "rpc_server.h"

namespace coproc {

void RpcConnection::wait_readable() {
  // While a turn runs or is yielded, complete messages may still be
  // buffered: read nothing more until they are decoded, or a client that
  // pipelines faster than one turn decodes grows the buffer without bound
  // (an answer finished inside the turn calls us too; whoever ran the turn
  // calls us again once it ends).
  if (waiting_readable_ || decoding_ || turn_yielded_ || !may_decode()) return;
  waiting_readable_ = true;
  read_buffer_.resize(decoder_.prepare().size);
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      asio::bind_executor(strand_, [self = shared_from_this()](const std::error_code& ec,
                                                               std::size_t n) {
        self->waiting_readable_ = false;
        self->on_readable(ec, n);
      }));
}

void RpcConnection::on_readable(const std::error_code& ec, std::size_t bytes_read) {
  if (closed_) return;
  if (ec) {
    const bool gone = ec == asio::error::eof || ec.value() == ERROR_BROKEN_PIPE ||
                      ec.value() == ERROR_PIPE_NOT_CONNECTED;
    close_on_strand(gone ? "peer closed"
                         : ec == asio::error::operation_aborted ? "closed" : "read error");
    return;
  }
  // The bytes are ours now, even if decoding must wait (backpressure): one
  // read buffer is the most a connection holds beyond its limits.
  for (std::size_t copied = 0; copied < bytes_read;) {
    auto buffer = decoder_.prepare();
    const std::size_t n = std::min(buffer.size, bytes_read - copied);
    std::memcpy(buffer.data, read_buffer_.data() + copied, n);
    decoder_.commit(n);
    account_memory();
    copied += n;
  }
  received_bytes_ += bytes_read;
  process_input();
  wait_readable();
}

// Overlapped pipe writes always complete through the io_context.
std::size_t RpcConnection::write_now() { return 0; }

void RpcConnection::close_stream() {
  std::error_code ignored;
  socket_.close(ignored);
}

}  // namespace coproc
