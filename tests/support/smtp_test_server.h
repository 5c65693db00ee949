// Runs tests/support/smtp_server.py (aiosmtpd, /usr/bin/python3) on
// 127.0.0.1 for a test, and a throw-away test CA made with the openssl CLI.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {

/// A CA and two server certificates signed by it: "good" for localhost /
/// 127.0.0.1 and "wrong" for wrong-host.invalid. Made once per process.
struct TestPki {
  std::string ca;
  std::string good_cert, good_key;
  std::string wrong_cert, wrong_key;
};
const TestPki& test_pki();

class SmtpTestServer {
 public:
  struct Options {
    std::string tls = "none";  // none | starttls | implicit
    std::string cert, key;
    std::string user, password;  // AUTH enabled when user is set
    std::string mechanisms = "PLAIN LOGIN";
    bool auth_in_clear = false;  // offer AUTH without TLS
    std::string data_reply;      // e.g. "550 5.7.1 no"
    bool sink = false;           // only count messages
    int delay_ms = 0;            // slow down each DATA
    int port = 0;                // 0: a free one

    /// TLS (`tls`: "starttls" or "implicit") with the test CA's certificate
    /// for 127.0.0.1, and AUTH for `user` / `password` when `user` is set.
    static Options secure(const std::string& tls, const std::string& user = "",
                          const std::string& password = "");
  };

  explicit SmtpTestServer(Options options);
  ~SmtpTestServer();

  /// Starts and waits until it accepts connections; throws on failure.
  void start();
  void stop();
  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }

  /// Raw messages received, in arrival order.
  std::vector<std::string> messages() const;
  /// The JSON envelope of each message, in arrival order.
  std::vector<std::string> envelopes() const;
  std::size_t count() const;
  std::string events() const;
  bool wait_for_count(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  Options options_;
  TempDir dir_;
  TestProcess process_;
  int port_ = 0;
};

}  // namespace coproc::test
