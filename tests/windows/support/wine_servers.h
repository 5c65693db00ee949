// The real servers of the wine tests, as tests/windows/support/servers.py
// (run on the Linux side by the CTest fixture "wine_servers") describes them
// in servers.env: aiosmtpd with STARTTLS and with implicit TLS (AUTH user
// and password), nginx with HTTP and HTTPS for "localhost", the test CA.
#pragma once

#include <chrono>
#include <string>

#include "child_process.h"  // wait_until

namespace coproc::test {

class WineServers {
 public:
  /// Reads servers.env once (COPROC_WIN_SERVERS_DIR). Throws
  /// std::runtime_error when the fixture did not start the servers.
  static const WineServers& get();

  /// A value of servers.env; throws std::runtime_error when missing.
  std::string value(const std::string& key) const;
  int port(const std::string& key) const { return std::stoi(value(key)); }

  /// https://localhost:<port><path> (the name the certificate is for).
  std::string https_url(const std::string& path) const;
  /// The same server by address: the certificate does not match.
  std::string wrong_host_url(const std::string& path) const;

  /// Messages an SMTP server received so far (its messages\*.eml).
  static int received(const std::string& smtp_dir);
  /// What an SMTP server logged (EHLO, STARTTLS, AUTH ... per line).
  static std::string events(const std::string& smtp_dir);

 private:
  std::string env_;
};


}  // namespace coproc::test
