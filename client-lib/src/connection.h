// One live connection to the co-process, after the handshake. Calling
// threads write their requests straight to the socket (no thread hop on the
// way out); the Client's I/O thread reads answers and completes the calls,
// matched by msgid. When the connection ends every pending call learns
// whether its bytes had been written, so the Client can decide to resend.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <asio.hpp>

#include "pending_call.h"
#include "stream_decoder.h"

namespace coproc {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// Takes ownership of `fd` (a connected, non-blocking Unix socket).
  Connection(asio::io_context& io, int fd);
  ~Connection();

  /// Starts reading on the I/O thread.
  void start();

  /// Registers `call` and sends its request (or queues the rest when the
  /// socket buffer is full). False when the connection is already dead: the
  /// call was not registered and nothing was sent. Thread-safe.
  bool submit(const std::shared_ptr<PendingCall>& call);

  /// Forgets a call whose caller gave up (timeout). False when the call has
  /// already been completed. Thread-safe.
  bool withdraw(const std::shared_ptr<PendingCall>& call);

  /// Ends the connection; pending calls complete as connection_lost.
  /// Thread-safe.
  void close();

  bool alive() const;

 private:
  void read_more();
  void on_read(const asio::error_code& ec, std::size_t n);
  void flush_when_writable();
  /// Writes queued requests; false when the socket failed. Needs mu_.
  bool flush_locked();
  /// Marks the connection dead and completes every pending call. Needs mu_
  /// NOT held.
  void fail_all(PendingCall::Outcome outcome, const std::string& message);

  asio::local::stream_protocol::socket socket_;
  const int fd_;
  rpc::StreamDecoder decoder_;

  mutable std::mutex mu_;
  bool dead_ = false;
  bool flush_scheduled_ = false;
  std::unordered_map<rpc::MsgId, std::shared_ptr<PendingCall>> pending_;
  std::deque<std::shared_ptr<PendingCall>> queue_;  // not fully written yet
  std::size_t head_offset_ = 0;                     // bytes of queue_.front() sent
};

}  // namespace coproc
