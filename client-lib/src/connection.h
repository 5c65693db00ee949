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
//
// Asynchronous calls (PendingCall::async) have no waiting thread. While one
// is pending and no caller holds the reader role, the I/O thread holds it
// in short turns (background_turn): it reads what has arrived, completes
// the calls it finds and gives the role back — to a blocking caller that
// waits for it first. A blocking call made with no asynchronous call
// pending takes exactly the path it took before.
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

  /// Sends a notification (encoded) after the requests queued before it.
  /// False when the connection is dead. Thread-safe.
  bool notify(std::string bytes);

  /// Whether any byte of `call`'s request was sent. Thread-safe.
  bool was_written(const PendingCall& call) const;

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
  /// Passes the reader role to one waiting (blocking) caller other than
  /// `self`; false when there is none. Needs mu_.
  bool hand_over_locked(const PendingCall* self);
  /// Gives the reader role back: to a waiting caller, else to the I/O
  /// thread while asynchronous calls are pending. Needs mu_.
  void release_reader_locked(const PendingCall* self);
  /// Lets the I/O thread take a reading turn soon when an asynchronous call
  /// is pending and nobody reads. Needs mu_.
  void arm_background_locked();
  /// One reading turn of the I/O thread (see the class comment).
  void background_turn();
  bool async_pending_locked() const;
  enum class ReadState { drained, more, closed };
  /// Reads and dispatches what has arrived without waiting (POSIX), or for a
  /// short slice (Windows pipes have no readiness); `more` when it stopped
  /// with bytes left (a turn is bounded), `closed` when the connection
  /// ended. Only the holder of the reader role calls it.
  ReadState read_available();
  /// One read — without waiting (POSIX), or of at most 10 ms (Windows):
  /// `more` when bytes came (dispatched), `drained` when none, `closed`
  /// when the connection ended.
  ReadState read_once();
  /// What a read of `n` bytes means (n < 0: it failed with errno value
  /// `err`): bytes are dispatched, the end or an error fails every call.
  ReadState consume_read(long n, int err);
  /// Runs background_turn() on the I/O thread once the stream may be
  /// readable (platform code).
  void background_when_readable();

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

  asio::io_context& io_;
  net::ConnectionIo socket_;  // POSIX: write readiness only; Windows: stop event
  const int fd_;
  rpc::StreamDecoder decoder_;  // touched only by the thread holding the reader role

  mutable std::mutex mu_;
  bool dead_ = false;
  std::string write_error_;  // set once a write failed: nothing more is sent
  bool reading_ = false;  // a caller holds the reader role
  bool flush_scheduled_ = false;
  bool background_armed_ = false;  // a background_turn() is due
  std::unordered_map<rpc::MsgId, std::shared_ptr<PendingCall>> pending_;
  std::deque<std::shared_ptr<PendingCall>> queue_;  // not fully written yet
  std::size_t head_offset_ = 0;                     // bytes of queue_.front() sent
};

}  // namespace coproc
