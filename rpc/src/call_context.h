// What a handler knows about the call it serves.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "peer_credentials.h"
#include "rpc_error.h"
#include "rpc_message.h"

namespace coproc {

struct CallContext {
  CallContext() = default;
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;
  ~CallContext();

  /// The caller, from SO_PEERCRED. Use this, never a value in params.
  PeerCredentials peer;
  /// uid 0 or a member of service.admin_group.
  bool admin = false;
  std::uint64_t connection_id = 0;
  std::uint64_t request_id = 0;  // unique in this process, for logs
  std::string method;
  std::chrono::steady_clock::time_point received;

  /// Set when the client disconnects or the server stops; long handlers
  /// poll it and give up early.
  std::shared_ptr<std::atomic<bool>> cancel_flag = std::make_shared<std::atomic<bool>>(false);
  bool cancelled() const { return cancel_flag->load(std::memory_order_relaxed); }

  /// Set when the caller's connection closes, also long after this call was
  /// answered: for what a caller holds beyond its call (a request taken
  /// with gateway.next, answered by a later gateway.reply).
  std::shared_ptr<const std::atomic<bool>> connection_closed =
      std::make_shared<std::atomic<bool>>(false);

  /// File descriptors the client passed with this request (SCM_RIGHTS), in
  /// the order sent. Params refer to them by index ({"fd": 0}).
  std::vector<int> fds;
  /// Takes ownership of fds[index]; throws RpcException(bad_request) when the
  /// request carried no such descriptor. Descriptors not taken are closed
  /// when the call ends.
  int take_fd(std::size_t index);

  /// Asynchronous completion, for a handler that waits for something
  /// (job.wait) without holding a thread: it calls defer() and returns any
  /// value (ignored); the call is answered when the returned function is
  /// called, exactly once, from any thread, with the result or, when `error`
  /// is not null, that error. Until then the call counts as in flight.
  using Reply = std::function<void(const rpc::Packed& result, const RpcError* error)>;
  Reply defer();
  bool deferred() const { return deferred_; }

  /// Set by the server before the handler runs (unset: defer() throws).
  Reply reply_later;

 private:
  bool deferred_ = false;
};

}  // namespace coproc
