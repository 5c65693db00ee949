// LocalAcceptor on Windows: Asio has no named-pipe acceptor, so this is the
// usual server loop by hand. There is always one instance of the pipe
// waiting in ConnectNamedPipe (overlapped, completed through Asio's I/O
// completion port); when a client takes it, the next instance is created
// before the connected one is handed to the server, so a client never finds
// the pipe absent while the server runs. The client's identity comes from
// its token (peer_credentials_win32.h).
#include <windows.h>

#include <mutex>

#include "endpoint_win32.h"
#include "local_transport.h"
#include "log.h"
#include "peer_credentials_win32.h"

namespace coproc {

struct LocalAcceptor::State {
  explicit State(asio::io_context& context) : io(context) {}

  void accept(Handler handler);
  void connected(std::error_code ec, Handler handler);
  void fail_later(std::error_code ec, Handler handler);

  asio::io_context& io;
  std::shared_ptr<PipeEndpoint> pipe;
  std::mutex mutex;  // guards the members below
  bool open = false;
  HANDLE next = nullptr;                    // instance for the next client
  std::unique_ptr<LocalStream> connecting;  // instance inside ConnectNamedPipe
};

LocalAcceptor::LocalAcceptor(asio::io_context& io) : state_(std::make_unique<State>(io)) {}

LocalAcceptor::~LocalAcceptor() { close(); }

void LocalAcceptor::open(ListenTarget target) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->pipe = std::move(target.pipe);
  state_->next = static_cast<HANDLE>(state_->pipe->take_first());
  state_->open = true;
}

void LocalAcceptor::async_accept(Handler handler) { state_->accept(std::move(handler)); }

void LocalAcceptor::close() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->open = false;
  if (state_->next) {
    ::CloseHandle(state_->next);
    state_->next = nullptr;
  }
  if (state_->connecting) {
    std::error_code ignored;
    state_->connecting->close(ignored);  // ConnectNamedPipe completes as aborted
  }
}

bool LocalAcceptor::is_open() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->open;
}

void LocalAcceptor::State::fail_later(std::error_code ec, Handler handler) {
  asio::post(io, [this, ec, handler = std::move(handler)] { handler(ec, LocalStream(io), {}); });
}

void LocalAcceptor::State::accept(Handler handler) {
  std::unique_lock<std::mutex> lock(mutex);
  if (!open) {
    lock.unlock();
    fail_later(asio::error::operation_aborted, std::move(handler));
    return;
  }
  HANDLE instance = next;
  next = nullptr;
  if (!instance) {
    std::string error;
    instance = static_cast<HANDLE>(pipe->create_instance(&error));
    if (!instance) {
      const DWORD err = ::GetLastError();
      lock.unlock();
      COPROC_LOG(warn, "rpc", error);
      fail_later(std::error_code(static_cast<int>(err), std::system_category()),
                 std::move(handler));
      return;
    }
  }
  std::error_code ec;
  connecting = std::make_unique<LocalStream>(io);
  connecting->assign(instance, ec);  // registers the handle with the completion port
  if (ec) {
    ::CloseHandle(instance);
    connecting.reset();
    lock.unlock();
    fail_later(ec, std::move(handler));
    return;
  }
  asio::windows::overlapped_ptr overlapped(
      io, [this, handler](const std::error_code& result, std::size_t) mutable {
        connected(result, std::move(handler));
      });
  const BOOL ok = ::ConnectNamedPipe(instance, overlapped.get());
  const DWORD err = ::GetLastError();
  if (ok || err == ERROR_IO_PENDING) {
    overlapped.release();  // the completion port reports the outcome
  } else if (err == ERROR_PIPE_CONNECTED) {
    overlapped.complete(std::error_code(), 0);  // a client came before we waited
  } else {
    overlapped.complete(std::error_code(static_cast<int>(err), std::system_category()), 0);
  }
}

void LocalAcceptor::State::connected(std::error_code ec, Handler handler) {
  std::unique_lock<std::mutex> lock(mutex);
  std::unique_ptr<LocalStream> stream = std::move(connecting);
  if (!open) {
    lock.unlock();
    handler(asio::error::operation_aborted, LocalStream(io), {});
    return;
  }
  // Keep one instance waiting while this one is being set up.
  if (!next) {
    std::string error;
    next = static_cast<HANDLE>(pipe->create_instance(&error));
    if (!next) COPROC_LOG(warn, "rpc", error);
  }
  if (ec.value() == ERROR_NO_DATA || ec.value() == ERROR_BROKEN_PIPE) {
    // The client left before we saw it: nothing to serve, wait for the next.
    lock.unlock();
    stream.reset();
    accept(std::move(handler));
    return;
  }
  if (ec) {
    lock.unlock();
    handler(ec, LocalStream(io), {});
    return;
  }
  lock.unlock();
  PeerCredentials peer;
  std::string user_sid;
  if (read_pipe_client_credentials(stream->native_handle(), &peer, &user_sid)) {
    COPROC_LOG(debug, "rpc", "pipe client pid=" << peer.pid << " user=" << user_sid
                                                << " uid=" << peer.uid
                                                << (peer.gid == kWindowsAdminGid ? " admin" : ""));
  } else {
    COPROC_LOG(warn, "rpc", "cannot read the identity of a pipe client (pid="
                                << peer.pid << "): " << ::GetLastError());
  }
  handler(std::error_code(), std::move(*stream), peer);
}

}  // namespace coproc
