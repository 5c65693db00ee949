// One live connection to the co-process, after the handshake.
//
// No thread hop on the hot path: a calling thread writes its request
// straight to the socket, then — if no other thread is reading — reads the
// socket itself until its own answer arrives (leader/follower). Answers for
// other calls found on the way complete those calls; when the leader is
// done it hands the reading over to one waiting caller. The Client's I/O
// thread (Asio) only finishes writes the socket buffer could not take at
// once. When the connection ends, every pending call learns whether its
// bytes had been written, so the Client can decide to resend it.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <asio.hpp>

#include "local_io.h"
#include "pending_call.h"
#include "stream_decoder.h"

namespace coproc {

/// Limits on what the co-process may send back.
rpc::DecodeLimits client_decode_limits();

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  /// Takes ownership of `fd` (a connected, non-blocking Unix socket).
  Connection(asio::io_context& io, int fd);
  ~Connection();

  /// Registers `call` and sends its request (or queues the rest when the
  /// socket buffer is full). False when the connection is already dead: the
  /// call was not registered and nothing was sent. Thread-safe.
  bool submit(const std::shared_ptr<PendingCall>& call);

  /// Waits for `call` to complete, reading the socket when no other thread
  /// does. False when `deadline` passed first. Thread-safe.
  bool wait(const std::shared_ptr<PendingCall>& call, std::chrono::steady_clock::time_point deadline);

  /// Forgets a call whose caller gave up (timeout). False when the call has
  /// already been completed. Thread-safe.
  bool withdraw(const std::shared_ptr<PendingCall>& call);

  /// Ends the connection; pending calls complete as connection_lost.
  /// Thread-safe.
  void close();

  bool alive() const;

 private:
  /// Reads and dispatches until `call` is done, the deadline passes or the
  /// connection fails. Only the thread holding the reader role calls it.
  void lead(const std::shared_ptr<PendingCall>& call,
            std::chrono::steady_clock::time_point deadline);
  /// Completes calls for every whole message in the decoder; false when the
  /// stream is broken (the connection was failed).
  bool dispatch_buffered();
  /// Passes the reader role to one waiting caller other than `self`. Needs mu_.
  void hand_over_locked(const PendingCall* self);

  void flush_when_writable();
  /// Writes queued requests; false when the socket failed. Needs mu_.
  bool flush_locked();
  /// Ends the stream so a blocked reader wakes up (platform code).
  void stop_io();
  /// Marks the connection dead and completes every pending call. Needs mu_
  /// NOT held.
  void fail_all(PendingCall::Outcome outcome, const std::string& message);
  /// A write failed (errno value `err`). The co-process may have answered
  /// before it closed — `too_large` for a request it refused while we were
  /// still writing it — so the answers already sent are left to the reader,
  /// which fails the remaining calls at the end of the stream. Nothing more
  /// is written. Needs mu_ NOT held.
  void write_failed(int err);

  net::ConnectionIo socket_;  // POSIX: write readiness only; Windows: stop event
  const int fd_;
  rpc::StreamDecoder decoder_;  // touched only by the thread holding the reader role

  mutable std::mutex mu_;
  bool dead_ = false;
  std::string write_error_;  // set once a write failed: nothing more is sent
  bool reading_ = false;  // a caller holds the reader role
  bool flush_scheduled_ = false;
  std::unordered_map<rpc::MsgId, std::shared_ptr<PendingCall>> pending_;
  std::deque<std::shared_ptr<PendingCall>> queue_;  // not fully written yet
  std::size_t head_offset_ = 0;                     // bytes of queue_.front() sent
};

}  // namespace coproc
