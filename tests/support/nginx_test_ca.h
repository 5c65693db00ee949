// Test certificate authorities made with the `openssl` command line at test
// time: a CA, and a server certificate it signed for "localhost" (which the
// co-process reaches as 127.0.0.1).
#pragma once

#include <string>
#include <vector>

namespace coproc::test {

struct TestCertificates {
  std::string ca_file;      // PEM of the CA (trust this one)
  std::string cert_file;    // server certificate, SAN DNS:localhost
  std::string key_file;     // its key
};

/// Creates `<dir>/<name>-ca.pem`, `<dir>/<name>-server.pem` and the keys.
/// Throws std::runtime_error when openssl fails.
TestCertificates make_test_certificates(const std::string& dir, const std::string& name);

/// Runs a program to completion (argv[0] is a full path); throws
/// std::runtime_error with its output when it exits non-zero.
void run_checked(const std::vector<std::string>& argv, const std::string& log_path);

}  // namespace coproc::test
