// One client connection: reads and decodes requests, hands them to the
// dispatcher, writes responses in completion order. All state is touched
// only on the connection's strand.
//
// Fairness: one turn decodes at most kMessagesPerTurn requests, then the
// connection queues its continuation behind the other connections' work, so
// a client pipelining thousands of calls cannot monopolise an io thread.
//
// Backpressure: while the connection has max_in_flight_per_connection calls
// running, or more than max_output_bytes of unsent responses, it neither
// decodes buffered requests nor reads from the socket, so a client that
// pipelines without reading fills its own socket buffer, not our memory.
//
// Answers from other threads: a call answered outside the strand (a worker
// pool thread, or a deferred answer such as gateway.next's from an HTTP
// thread) is written by that thread at once when no other answer is being
// written, so no io thread is woken for it; mutex_ keeps such a write apart
// from the strand's writes and from the close of the stream.
//
// Memory budget: after every read and write the connection reports what it
// holds (partly received message, unsent answers) to the server, which
// closes the biggest holders when all together exceed limits.memory_budget.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "call_context.h"
#include "local_transport.h"
#include "peer_credentials.h"
#include "rpc_message.h"
#include "stream_decoder.h"

namespace coproc {

class RpcServer;

class RpcConnection : public std::enable_shared_from_this<RpcConnection> {
 public:
  using Socket = LocalStream;

  RpcConnection(RpcServer& server, Socket socket, std::uint64_t id, PeerCredentials peer);
  ~RpcConnection();

  /// Begins reading. `refusal`, when set, is answered to every request
  /// before the connection is closed (connection limits).
  void start(std::string refusal = {});
  /// Graceful stop: no new requests are read; the connection closes itself
  /// once its calls are answered and written. Thread-safe.
  void drain();
  /// Immediate close; calls still running are told to cancel. Thread-safe.
  void close();

  std::uint64_t id() const { return id_; }
  const PeerCredentials& peer() const { return peer_; }

  /// Bytes this connection holds in a partly received message and unsent
  /// answers, as last reported to the server's memory budget. Thread-safe.
  std::size_t held_bytes() const { return held_.load(); }
  /// Closes the connection for the memory budget; false when it already was
  /// chosen. Thread-safe.
  bool evict();
  bool evicted() const { return evicted_.load(); }

 private:
  // Reading is platform code (rpc_connection_posix.cc: readiness + recvmsg
  // with SCM_RIGHTS; rpc_connection_win32.cc: overlapped pipe reads).
  void wait_readable();
  void on_readable(const std::error_code& ec, std::size_t bytes_read);
  void close_stream();
  // Writes what the stream takes without waiting and removes it from
  // output_; returns the byte count (0 where the platform has no such write:
  // rpc_connection_win32.cc).
  std::size_t write_now();
  void process_input();
  void decode_turn();
  void handle_message(rpc::Message message, std::uint64_t message_end);
  void handle_request(rpc::Request request, std::vector<int> fds);
  /// sys.cancel {msgid}: sets the cancel flag of that call of this
  /// connection, if it still runs (a notification: nobody is answered).
  void handle_cancel(const rpc::Notification& note);
  void forget_running(rpc::MsgId msgid, const std::shared_ptr<std::atomic<bool>>& flag);
  void answer(std::string bytes);
  void finish_call(rpc::MsgId msgid, const std::shared_ptr<std::atomic<bool>>& flag,
                   std::string bytes);
  /// finish_call from any thread: off the strand, writes the answer itself
  /// when the connection writes nothing else (see "Answers from other threads").
  void finish_call_anywhere(rpc::MsgId msgid, const std::shared_ptr<std::atomic<bool>>& flag,
                            std::string bytes);
  /// Off the strand, with mutex_ held: writes `bytes` when nothing else is
  /// being written; false (and nothing written) otherwise.
  bool write_from_other_thread(std::string& bytes);
  void write_pending();
  bool may_decode() const;
  void close_on_strand(const char* reason);
  void maybe_finish_drain();
  void arm_timer(std::chrono::milliseconds timeout, const char* reason);
  /// Reports the bytes held now (decoder + unsent answers) to the server.
  void account_memory();
  std::string tag() const;

  RpcServer& server_;
  Socket socket_;
  asio::strand<asio::any_io_executor> strand_;
  asio::steady_timer timer_;  // handshake, then idle timeout
  const std::uint64_t id_;
  const PeerCredentials peer_;
  const bool admin_;
  rpc::StreamDecoder decoder_;
  // The cancel flag of each call running on this connection, by msgid:
  // set by sys.cancel for one call, for all when the connection closes.
  // Guarded by mutex_ (a call answered off the strand forgets itself).
  std::unordered_multimap<rpc::MsgId, std::shared_ptr<std::atomic<bool>>> running_;
  // Set at close; every call's CallContext::connection_closed.
  std::shared_ptr<std::atomic<bool>> closed_flag_ = std::make_shared<std::atomic<bool>>(false);

  std::uint64_t received_bytes_ = 0;                    // stream offset after the last read
  std::deque<std::pair<std::uint64_t, int>> passed_fds_;  // (offset of the read's last byte, fd)

  std::vector<char> read_buffer_;  // Windows: target of the pending pipe read

  // Guards running_, output_, writing_, and writing to or closing socket_
  // off the strand's reading.
  std::mutex mutex_;
  std::deque<std::string> output_;
  std::vector<std::string> writing_;  // buffers of the write in progress
  std::atomic<std::size_t> output_bytes_{0};
  std::atomic<std::size_t> held_{0};     // last value given to account_memory()
  std::atomic<bool> evicted_{false};
  std::atomic<std::size_t> in_flight_{0};
  bool waiting_readable_ = false;
  bool turn_yielded_ = false;  // a process_input() continuation is queued
  bool decoding_ = false;      // inside process_input(): answers wait for its end
  bool greeted_ = false;   // a complete request arrived
  std::atomic<bool> draining_{false};
  bool closed_ = false;
  std::atomic<bool> close_after_write_{false};
  std::string refusal_;
};

}  // namespace coproc
