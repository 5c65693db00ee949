// The gateway's socket details that differ per platform
// (gateway_socket_posix.cc, gateway_socket_win32.cc): how a listener binds,
// and how a read another thread is blocked in is ended (a client past its
// request deadline, or every connection at stop).
#pragma once

#include <Poco/Net/StreamSocket.h>

namespace coproc::gateway {

/// Whether a listener binds with SO_REUSEADDR. POSIX: yes, so a restarted
/// co-process binds while the old one's connections are in TIME_WAIT.
/// Windows: no; there the option lets another socket bind the same port and
/// take its connections, and TIME_WAIT does not block a listener's bind.
bool listeners_reuse_address();

/// Ends a read another thread is blocked in on `s`, for a client past its
/// request deadline; sending stays possible (the 408). Never throws.
/// POSIX: shuts the receive side of the plain socket (also under TLS, whose
/// override of shutdownReceive does nothing): this read and every later one
/// see end-of-stream. Windows: cancels the socket's pending I/O
/// (CancelIoEx), which fails the read pending now only: shutdown(SD_RECEIVE)
/// neither wakes a waiting recv() there nor is harmless, as Windows resets
/// the connection when more data arrives, before the client reads its 408.
void interrupt_receive(Poco::Net::StreamSocket& s);

}  // namespace coproc::gateway
