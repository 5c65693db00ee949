// One HTTP connection of the gateway, on its own Poco thread. Poco parses
// every request (HTTPServerSession, HTTPServerRequestImpl); this loop is
// Poco's HTTPServerConnection::run with the answers the gateway owes its
// clients: 431 for oversized headers, 408 past gateway.request_timeout_ms,
// 413 for a body over gateway.max_body_bytes, 400 for the rest of malformed
// input (Poco's own loop answers 400 to all of them), and a lingering close
// after an error so the client reads the answer instead of a reset.
// Each request goes to the broker, which finds it a worker.
#pragma once

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include "gateway_broker.h"
#include "gateway_config.h"
#include "gateway_live.h"
#include "gateway_stats.h"

namespace coproc::gateway {

/// What every connection shares; outlives them all.
struct ConnectionEnv {
  const GatewayConfig& config;
  Broker& broker;
  GatewayStats& stats;
  LiveConnections& live;
  Poco::Net::HTTPServerParams::Ptr params;
};

/// The HTTP status for a request Poco could not parse (its exception text):
/// 431 for a header value over 8 KiB or more than 100 header fields (Poco's
/// limits), 414 for a request target over 16 KiB, 400 otherwise.
int status_for_parse_error(const std::string& poco_message);

class ConnectionFactory : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit ConnectionFactory(const ConnectionEnv& env) : env_(env) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override;

 private:
  const ConnectionEnv& env_;
};

}  // namespace coproc::gateway
