// Loopback TCP ports for test servers (nginx, Postfix, Python servers).
#pragma once

namespace coproc::test {

/// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int free_tcp_port();

/// True when something accepts a connection on `address`:`port` now.
bool tcp_port_accepts(int port, const char* address = "127.0.0.1");

}  // namespace coproc::test
