// The local transport the server speaks: a Unix stream socket on POSIX
// (local_acceptor_posix.cc), a named pipe on Windows
// (local_acceptor_win32.cc). RpcServer and RpcConnection are written
// against these names; the platform files fill them in.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include <asio.hpp>

#include "peer_credentials.h"

namespace coproc {

#ifdef _WIN32
class PipeEndpoint;
/// One connected pipe instance.
using LocalStream = asio::windows::stream_handle;
/// What the server accepts on: the pipe, whose first instance is already
/// created (endpoint_win32.h).
struct ListenTarget {
  std::shared_ptr<PipeEndpoint> pipe;
};
#else
/// One connected Unix stream socket.
using LocalStream = asio::local::stream_protocol::socket;
/// What the server accepts on: a listening Unix stream socket (ownership
/// passes to the server).
struct ListenTarget {
  ListenTarget(int listening_fd) : fd(listening_fd) {}  // NOLINT: an fd is a target
  int fd;
};
#endif

/// Accepts local connections and says who connected (the kernel's word).
/// Used from the io_context's threads; one accept at a time.
class LocalAcceptor {
 public:
  using Handler = std::function<void(const std::error_code&, LocalStream, const PeerCredentials&)>;

  explicit LocalAcceptor(asio::io_context& io);
  ~LocalAcceptor();
  LocalAcceptor(const LocalAcceptor&) = delete;
  LocalAcceptor& operator=(const LocalAcceptor&) = delete;

  void open(ListenTarget target);
  /// Calls `handler` once with the next connection (or an error;
  /// operation_aborted after close()).
  void async_accept(Handler handler);
  void close();
  bool is_open() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace coproc
