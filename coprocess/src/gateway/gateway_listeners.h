// The gateway's listening sockets (plain or TLS, from gateway.listen) and
// the Poco TCPServer on each; one thread per connection from a shared pool
// of gateway.max_connections threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>

#include "gateway_connection.h"

namespace coproc::gateway {

class Listeners {
 public:
  /// Binds every listener now, so a port in use or an unreadable
  /// certificate stops start-up. Throws std::runtime_error naming the
  /// listener and the reason.
  Listeners(const GatewayConfig& config, Broker& broker, GatewayStats& stats);
  ~Listeners();

  /// Starts accepting.
  void start();
  /// Stops accepting, closes every connection and joins their threads.
  /// `before_join` runs in between (the broker's stop, which answers the
  /// requests still waiting).
  void stop(const std::function<void()>& before_join);

  /// "127.0.0.1:8080" / "127.0.0.1:8443 tls" with the port bound (useful
  /// with port 0).
  std::vector<std::string> names() const;
  std::size_t connections() const { return live_.size(); }

 private:
  const GatewayConfig& config_;
  LiveConnections live_;
  std::unique_ptr<ConnectionEnv> env_;
  Poco::ThreadPool pool_;
  std::vector<std::unique_ptr<Poco::Net::TCPServer>> servers_;
  std::vector<std::string> names_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace coproc::gateway
