// What a handler knows about the call it serves.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "peer_credentials.h"

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

  /// File descriptors the client passed with this request (SCM_RIGHTS), in
  /// the order sent. Params refer to them by index ({"fd": 0}).
  std::vector<int> fds;
  /// Takes ownership of fds[index]; throws RpcException(bad_request) when the
  /// request carried no such descriptor. Descriptors not taken are closed
  /// when the call ends.
  int take_fd(std::size_t index);
};

}  // namespace coproc
