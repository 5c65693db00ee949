// Delivery to an SMTP relay with Poco: STARTTLS (required, never a fallback
// to clear text), implicit TLS or plain; AUTH PLAIN / LOGIN chosen from the
// EHLO reply; certificates verified against the system store or a CA file
// with host-name checks, unless verification is explicitly switched off.
// Connect, send and receive are all bounded by smtp.timeout_ms; the QUIT
// that ends a session waits at most kQuitWaitMs for its reply.
#pragma once

#include <string>

#include <Poco/Net/Context.h>

#include "config.h"
#include "mail_transport.h"

namespace coproc::mail {

enum class SmtpSecurity { starttls, tls, none };
enum class SmtpAuth { automatic, plain, login, none };

struct SmtpSettings {
  std::string host;
  int port = 587;
  SmtpSecurity security = SmtpSecurity::starttls;
  SmtpAuth auth = SmtpAuth::automatic;
  std::string username;
  std::string password;  // never logged
  bool verify_tls = true;
  std::string ca_file;
  std::string helo_name;  // empty: this host's name
  int timeout_ms = 30000;

  /// Reads smtp.*; throws std::runtime_error naming a bad value.
  static SmtpSettings from_config(const Config& config);
};

class SmtpTransport : public Transport {
 public:
  /// Builds the TLS context once (throws std::runtime_error when the CA
  /// file cannot be loaded). Logs a warning when verification is off.
  explicit SmtpTransport(SmtpSettings settings);
  std::unique_ptr<TransportSession> open() override;
  std::unique_ptr<TransportSession> open_traced(
      const std::function<void(const std::string&)>& step) override;
  std::string describe() const override;
  /// Shuts down the socket of every open session (SIGTERM must not wait for
  /// a slow relay: the service would SIGKILL us, and every SIGKILL can
  /// duplicate the mails in flight).
  void interrupt() noexcept override;

  /// The sockets of the sessions alive now; shared with the sessions.
  struct LiveSockets;

 private:
  SmtpSettings settings_;
  Poco::Net::Context::Ptr context_;
  std::shared_ptr<LiveSockets> live_;
};

}  // namespace coproc::mail
