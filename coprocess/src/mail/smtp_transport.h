// Delivery to an SMTP relay with Poco: STARTTLS (required, never a fallback
// to clear text), implicit TLS or plain; AUTH PLAIN / LOGIN chosen from the
// EHLO reply; certificates verified against the system store or a CA file
// with host-name checks, unless verification is explicitly switched off.
// Connect, send and receive are all bounded by smtp.timeout_ms.
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

 private:
  SmtpSettings settings_;
  Poco::Net::Context::Ptr context_;
};

}  // namespace coproc::mail
