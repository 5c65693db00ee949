// debug.sleep, debug.echo and debug.read_fd: only registered with `debug.methods = true`.
// They let tests and operators put a slow call, a large answer or a passed
// file descriptor on the wire without an SMTP or HTTP server.
#pragma once

#include "dispatcher.h"

namespace coproc {

void register_debug_methods(Dispatcher& dispatcher);

}  // namespace coproc
