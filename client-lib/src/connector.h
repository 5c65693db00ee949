// Making a connection: connect with a deadline and jittered exponential
// backoff, ask the service to launch an absent co-process (svc.launch on the
// control endpoint), and check the protocol level with sys.hello.
#pragma once

#include <functional>

#include "coproc/client.hpp"
#include "rpc_message.h"
#include "local_stream.h"

namespace coproc {

struct Established {
  int fd = -1;  // connected, non-blocking; owned by the caller
  ServerInfo info;
};

/// `options` must have both endpoints resolved. `next_msgid` gives msgids
/// for the handshake. On success `out->fd` is connected and greeted.
/// `patient` (reconnecting for calls that must be resent): an absent
/// co-process is retried until the deadline instead of failing at once.
CallResult establish(const ClientOptions& options, const std::function<rpc::MsgId()>& next_msgid,
                     net::Clock::time_point deadline, bool patient, Established* out);

}  // namespace coproc
