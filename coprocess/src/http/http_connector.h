// Opens the connection of one http.request hop: name resolution, the
// destination policy for every address (and the proxy's), the TCP connect
// and the TLS handshake, each bounded by the request's deadline and stopped
// by its cancellation. Poco's sessions would connect by themselves (with a
// timeout of their own, a second connect after a failed write, and the TLS
// handshake outside any deadline); the sessions made here are handed an
// established connection and never reconnect.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/URI.h>

#include "http_policy.h"
#include "http_watchdog.h"

namespace coproc::http {

struct ProxySettings {
  std::string host;  // empty = direct
  std::uint16_t port = 0;
  std::string authorization;  // the Proxy-Authorization value, "" = none
};

/// What a session made by the Connector carries besides Poco's state: the
/// twin of its socket, which every request's watch borrows.
class WatchedSession {
 public:
  virtual ~WatchedSession() = default;
  virtual const std::shared_ptr<SocketTwin>& socket_twin() const = 0;
};

class Connector {
 public:
  Connector(const ProxySettings& proxy, const DestinationPolicy& policy)
      : proxy_(proxy), policy_(policy) {}

  /// A connected session for `uri` (through the proxy when one is set), for
  /// https with the TLS handshake done against `tls`; it is a
  /// WatchedSession, and `watch` is armed with its socket. Throws
  /// RpcException(permission_denied) when the policy refuses a destination,
  /// Poco exceptions for network failures (the caller maps them, the watch's
  /// verdict first). `connect_timeout_ms` bounds each TCP connect.
  std::unique_ptr<Poco::Net::HTTPClientSession> open(const Poco::URI& uri,
                                                    const Poco::Net::Context::Ptr& tls,
                                                    long connect_timeout_ms, RequestWatch& watch);

  /// True when plain-http requests go to the proxy (absolute-URI form).
  bool proxies_http() const { return !proxy_.host.empty(); }
  const ProxySettings& proxy() const { return proxy_; }

 private:
  Poco::Net::StreamSocket connect_tcp(const std::string& host, std::uint16_t port,
                                      long connect_timeout_ms, RequestWatch& watch,
                                      bool check_policy);
  void open_tunnel(Poco::Net::StreamSocket& socket, const Poco::URI& uri);

  const ProxySettings proxy_;
  const DestinationPolicy& policy_;
};

}  // namespace coproc::http
