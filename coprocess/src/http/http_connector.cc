#include "http_connector.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <vector>

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketDefs.h>

#include "rpc_error.h"

namespace coproc::http {
namespace {

using std::chrono::milliseconds;

// A session on a connection made by the Connector. Poco's session would
// connect by itself: at the first request, again when its keep-alive time
// passed, and after a failed write on a kept-alive connection (sending the
// request twice). Here only the Connector opens connections, so every
// connect attempt of Poco's is an error.
template <class Base>
class EstablishedSession : public Base, public WatchedSession {
 public:
  /// `twin`: of `socket`, or nullptr when no request watches this session.
  template <class... Args>
  EstablishedSession(const Poco::Net::StreamSocket& socket, std::shared_ptr<SocketTwin> twin,
                     Args&&... args)
      : Base(std::forward<Args>(args)...), twin_(std::move(twin)) {
    this->attachSocket(socket);
    this->setKeepAlive(true);
    this->setKeepAliveTimeout(Poco::Timespan(365 * Poco::Timespan::DAYS));  // the pool decides
  }

 protected:
  void connect(const Poco::Net::SocketAddress&) override {
    throw Poco::IOException("the connection was closed");
  }
  int write(const char* buffer, std::streamsize length) override {
    return Poco::Net::HTTPSession::write(buffer, length);
  }

 public:
  const std::shared_ptr<SocketTwin>& socket_twin() const override { return twin_; }

 private:
  const std::shared_ptr<SocketTwin> twin_;
};

Poco::Timespan to_timespan(milliseconds ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(std::max<long long>(ms.count(), 1)) *
                        1000);
}

milliseconds left_until(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t - Clock::now());
}

void stop_if_fired(RequestWatch& watch, const char* while_doing) {
  if (watch.fired() != RequestWatch::Fired::no) {
    throw Poco::IOException(std::string("stopped while ") + while_doing);
  }
}

}  // namespace

Poco::Net::StreamSocket Connector::connect_tcp(const std::string& host, std::uint16_t port,
                                               long connect_timeout_ms, RequestWatch& watch,
                                               bool check_policy) {
  // Resolve, and check every address before connecting to any: a name that
  // resolves to one allowed and one refused address is refused.
  std::vector<Poco::Net::IPAddress> addresses;
  Poco::Net::IPAddress literal;
  if (Poco::Net::IPAddress::tryParse(host, literal)) {
    addresses.push_back(literal);
  } else {
    const Poco::Net::HostEntry entry = Poco::Net::DNS::hostByName(host);
    addresses = entry.addresses();
    if (addresses.empty()) throw Poco::Net::NoAddressFoundException(host);
  }
  if (check_policy) {
    for (const auto& a : addresses) policy_.check_address(host, a.toString(), port);
  }

  std::unique_ptr<Poco::Exception> last;
  for (const auto& address : addresses) {
    stop_if_fired(watch, "connecting");
    const auto until =
        std::min(Clock::now() + milliseconds(connect_timeout_ms), watch.deadline());
    Poco::Net::StreamSocket socket(address.family());
    try {
      socket.connectNB(Poco::Net::SocketAddress(address, port));
      // Waited for in slices, so a cancelled request stops connecting soon.
      for (;;) {
        stop_if_fired(watch, "connecting");
        const milliseconds left = left_until(until);
        if (left.count() <= 0) {
          throw Poco::TimeoutException("connecting to " + host + ":" + std::to_string(port) +
                                       " timed out");
        }
        if (socket.poll(to_timespan(std::min(left, milliseconds(50))),
                        Poco::Net::Socket::SELECT_WRITE | Poco::Net::Socket::SELECT_ERROR)) {
          break;
        }
      }
      const int error = socket.impl()->socketError();
      if (error == POCO_ECONNREFUSED) throw Poco::Net::ConnectionRefusedException(host);
      if (error != 0) {
        throw Poco::Net::NetException("connecting to " + address.toString() + " failed: " +
                                      std::strerror(error));
      }
      socket.setBlocking(true);
      socket.setNoDelay(true);
      return socket;
    } catch (const Poco::TimeoutException&) {
      throw;
    } catch (const Poco::Exception& e) {
      last.reset(e.clone());
    }
  }
  last->rethrow();
  throw Poco::Net::NoAddressFoundException(host);  // not reached
}

void Connector::open_tunnel(Poco::Net::StreamSocket& socket, const Poco::URI& uri) {
  const std::string target = uri.getHost() + ":" + std::to_string(uri.getPort());
  EstablishedSession<Poco::Net::HTTPClientSession> proxy(socket, nullptr, proxy_.host, proxy_.port);
  Poco::Net::HTTPRequest connect(Poco::Net::HTTPRequest::HTTP_CONNECT, target,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
  connect.setHost(uri.getHost(), uri.getPort());
  if (!proxy_.authorization.empty()) connect.set("Proxy-Authorization", proxy_.authorization);
  proxy.sendRequest(connect);
  Poco::Net::HTTPResponse answer;
  proxy.receiveResponse(answer);
  socket = proxy.detachSocket();  // or the session's destructor closes it
  if (answer.getStatus() / 100 != 2) {
    throw RpcException(Errc::upstream, "the proxy " + proxy_.host + ":" +
                                           std::to_string(proxy_.port) + " refused the tunnel to " +
                                           target + ": " + std::to_string(answer.getStatus()) +
                                           " " + answer.getReason());
  }
}

std::unique_ptr<Poco::Net::HTTPClientSession> Connector::open(const Poco::URI& uri,
                                                              const Poco::Net::Context::Ptr& tls,
                                                              long connect_timeout_ms,
                                                              RequestWatch& watch) {
  const std::string host = uri.getHost();
  const std::uint16_t port = uri.getPort();
  policy_.check_name(host, port);
  Poco::Net::StreamSocket socket;
  if (proxy_.host.empty()) {
    socket = connect_tcp(host, port, connect_timeout_ms, watch, true);
  } else {
    // The proxy resolves the target; it is checked here by name and by the
    // addresses it resolves to locally, when it does.
    std::vector<Poco::Net::IPAddress> addresses;
    try {
      const Poco::Net::HostEntry entry = Poco::Net::DNS::hostByName(host);
      addresses = entry.addresses();
    } catch (const Poco::Net::NetException&) {
    }
    if (addresses.empty()) policy_.check_address(host, "", port);
    for (const auto& a : addresses) policy_.check_address(host, a.toString(), port);
    // The proxy is the administrator's own hop; it is not checked.
    socket = connect_tcp(proxy_.host, proxy_.port, connect_timeout_ms, watch, false);
  }
  // From here the watchdog can stop the exchange by shutting the socket down,
  // and the socket's own timeouts end at the deadline.
  auto twin = std::make_shared<SocketTwin>(socket.impl()->sockfd());
  watch.arm(twin);
  const auto left = to_timespan(left_until(watch.deadline()));
  socket.setReceiveTimeout(left);
  socket.setSendTimeout(left);

  if (uri.getScheme() != "https") {
    return std::make_unique<EstablishedSession<Poco::Net::HTTPClientSession>>(socket, twin, host,
                                                                             port);
  }
  if (!proxy_.host.empty()) open_tunnel(socket, uri);
  stop_if_fired(watch, "starting TLS");
  Poco::Net::SecureStreamSocket secure = Poco::Net::SecureStreamSocket::attach(socket, host, tls);
  return std::make_unique<EstablishedSession<Poco::Net::HTTPSClientSession>>(secure, twin, host,
                                                                            port, tls);
}

}  // namespace coproc::http
