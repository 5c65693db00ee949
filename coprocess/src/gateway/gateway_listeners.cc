#include "gateway_listeners.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/PrivateKeyPassphraseHandler.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "gateway_socket.h"
#include "log.h"

namespace coproc::gateway {
namespace {

// An encrypted key would make Poco ask on the console: refuse instead.
class NoPassphrase : public Poco::Net::PrivateKeyPassphraseHandler {
 public:
  NoPassphrase() : PrivateKeyPassphraseHandler(true) {}
  void onPrivateKeyRequested(const void*, std::string& passphrase) override { passphrase.clear(); }
};

Poco::Net::Context::Ptr server_context(const GatewayConfig& c) {
  static const bool ssl_ready = [] {
    Poco::Net::initializeSSL();
    return true;
  }();
  (void)ssl_ready;
  Poco::Net::Context::Params p;
  p.privateKeyFile = c.tls_key;
  p.certificateFile = c.tls_cert;
  p.verificationMode = Poco::Net::Context::VERIFY_NONE;  // clients present no certificate
  p.loadDefaultCAs = false;
  Poco::Net::Context::Ptr ctx;
  try {
    ctx = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, p);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("gateway.tls_cert '" + c.tls_cert + "' / gateway.tls_key '" +
                             c.tls_key + "': " + e.displayText());
  }
  ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                        Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
  Poco::Net::SSLManager::instance().initializeServer(
      new NoPassphrase, new Poco::Net::RejectCertificateHandler(true), ctx);
  return ctx;
}

}  // namespace

Listeners::Listeners(const GatewayConfig& config, Broker& broker, GatewayStats& stats)
    : config_(config),
      pool_(2, static_cast<int>(config.max_connections) + 2, 60) {
  auto params = Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
  params->setTimeout(Poco::Timespan(config.request_timeout.count() * 1000));
  params->setKeepAlive(config.keepalive_timeout.count() > 0);
  params->setKeepAliveTimeout(Poco::Timespan(config.keepalive_timeout.count() * 1000));
  params->setMaxKeepAliveRequests(0);  // unlimited
  params->setMaxThreads(static_cast<int>(config.max_connections));
  params->setMaxQueued(static_cast<int>(config.max_connections));
  params->setThreadIdleTime(Poco::Timespan(10, 0));
  env_ = std::make_unique<ConnectionEnv>(ConnectionEnv{config, broker, stats, live_, params});
  Poco::Net::Context::Ptr tls;
  for (const auto& l : config.listeners) {
    std::unique_ptr<Poco::Net::ServerSocket> socket;
    try {
      const Poco::Net::SocketAddress address(l.host, l.port);
      if (l.tls) {
        if (!tls) tls = server_context(config);
        socket = std::make_unique<Poco::Net::SecureServerSocket>(tls);
      } else {
        socket = std::make_unique<Poco::Net::ServerSocket>();
      }
      socket->bind(address, listeners_reuse_address());
      socket->listen(static_cast<int>(std::min<std::size_t>(config.max_connections, 1024)));
    } catch (const Poco::Exception& e) {
      throw std::runtime_error("gateway.listen '" + l.text + "': " + e.displayText());
    }
    names_.push_back(socket->address().toString() + (l.tls ? " tls" : ""));
    servers_.push_back(std::make_unique<Poco::Net::TCPServer>(
        new ConnectionFactory(*env_), pool_, *socket, params));
  }
}

Listeners::~Listeners() {
  stop([] {});
}

void Listeners::start() {
  live_.start();
  for (auto& s : servers_) s->start();
  started_ = true;
  for (const auto& n : names_) COPROC_LOG(info, "gateway", "listening on " << n);
}

void Listeners::stop(const std::function<void()>& before_join) {
  if (stopped_) return;
  stopped_ = true;
  for (auto& s : servers_) s->stop();
  before_join();
  live_.stop();
  pool_.joinAll();
  servers_.clear();
}

std::vector<std::string> Listeners::names() const { return names_; }

}  // namespace coproc::gateway
