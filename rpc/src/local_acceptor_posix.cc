// LocalAcceptor on POSIX: a listening Unix stream socket; the peer's
// identity from SO_PEERCRED.
#include "local_transport.h"

namespace coproc {

struct LocalAcceptor::State {
  explicit State(asio::io_context& io) : acceptor(io) {}
  asio::local::stream_protocol::acceptor acceptor;
};

LocalAcceptor::LocalAcceptor(asio::io_context& io) : state_(std::make_unique<State>(io)) {}
LocalAcceptor::~LocalAcceptor() = default;

void LocalAcceptor::open(ListenTarget target) {
  state_->acceptor.assign(asio::local::stream_protocol(), target.fd);
}

void LocalAcceptor::async_accept(Handler handler) {
  state_->acceptor.async_accept(
      [handler = std::move(handler)](const std::error_code& ec, LocalStream socket) {
        PeerCredentials peer;
        if (!ec) read_peer_credentials(socket.native_handle(), &peer);
        handler(ec, std::move(socket), peer);
      });
}

void LocalAcceptor::close() {
  std::error_code ignored;
  state_->acceptor.close(ignored);
}

bool LocalAcceptor::is_open() const { return state_->acceptor.is_open(); }

}  // namespace coproc
