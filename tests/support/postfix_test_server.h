// Runs a private instance of Debian's Postfix on 127.0.0.1 for a test or a
// benchmark: its own main.cf/master.cf, queue and data directories under a
// temporary folder, an smtpd on a free loopback port, every message
// delivered to the discard transport, and a maillog_file instead of syslog.
// Nothing system-wide is read or changed (a system Postfix, if any, keeps
// running untouched). Needs root (Postfix's master drops to `postfix`).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "temp_dir.h"

namespace coproc::test {

class PostfixTestServer {
 public:
  PostfixTestServer();
  ~PostfixTestServer();
  PostfixTestServer(const PostfixTestServer&) = delete;
  PostfixTestServer& operator=(const PostfixTestServer&) = delete;

  /// Empty when this machine can run one; otherwise why not (no postfix
  /// binary, not root).
  static std::string unavailable_reason();

  /// Writes the configuration, starts the master and waits until smtpd
  /// accepts connections. Throws std::runtime_error with the maillog.
  void start();
  /// `postfix stop`, then waits for the master to exit.
  void stop();

  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  std::string maillog() const;

  /// Messages Postfix has delivered (discard: `status=sent`), read
  /// incrementally from the maillog.
  std::size_t delivered() const;
  bool wait_for_delivered(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  TempDir dir_;
  int port_ = 0;
  bool running_ = false;
  mutable std::size_t log_offset_ = 0;
  mutable std::size_t delivered_ = 0;
  mutable std::string partial_line_;
};

}  // namespace coproc::test
