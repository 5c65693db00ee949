// A real nginx (Debian's nginx-light with the echo module) for HTTP tests,
// configured at test time on free 127.0.0.1 ports, with TLS certificates
// from a test CA. Everything (config, pid, logs, temp files, document root)
// lives in a temporary directory.
//
// Locations (all servers):
//   /echo           method, X-Test header, content type, then the request body
//   /body           the request body, byte for byte
//   /files/...      static files (put them in www_dir()/files)
//   /gz/...         static files served gzip-compressed when asked
//   /status/404, /status/500
//   /redirect/301|302|303|307|308  -> /echo ; /redirect/chain -> /redirect/302
//   /loop           redirects to itself
//   /to-http        (https only) redirects to http://127.0.0.1:<http>/echo
//   /slow2, /slow5  answer after 2 s / 5 s
//   /chunked        a chunked response in two parts
//   /drop           closes the connection without answering
//   /slow50ms, /slow300ms  answer after 50 ms / 300 ms (async calls, benches)
//   /stream         a first chunk at once, the rest after 5 s (cancel mid-body)
#pragma once

#include <cstddef>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "nginx_test_ca.h"
#include "tcp_port.h"
#include "temp_dir.h"
#include "test_process.h"

namespace coproc::test {

class NginxServer {
 public:
  /// Writes the config and certificates, starts nginx and waits until every
  /// port accepts connections (on fresh ports again when another process
  /// took one first). Throws std::runtime_error when 3 attempts fail.
  NginxServer();
  ~NginxServer();

  int http_port() const { return http_port_; }
  int https_port() const { return https_port_; }
  /// HTTPS with a certificate from a CA the tests do not trust.
  int untrusted_port() const { return untrusted_port_; }
  /// HTTP that closes idle keep-alive connections after 200 ms.
  int short_keepalive_port() const { return short_keepalive_port_; }

  std::string http_url(const std::string& path) const;
  std::string https_url(const std::string& path) const;  // https://localhost:<port>
  const std::string& ca_file() const { return certs_.ca_file; }
  std::string www_dir() const { return dir_.file("www"); }

  /// Access log lines so far ("<connection> <requests-on-it> <method> <uri> <status> <port>
  /// <end time, s.ms> <duration, s.ms>").
  std::string access_log() const;
  /// When nginx served `uri` (start and end in seconds, from the access log), in log order.
  struct Served {
    double start_s = 0;
    double end_s = 0;
  };
  std::vector<Served> served(const std::string& uri) const;
  /// Distinct TCP connections that served requests to `port` so far.
  std::size_t connections_seen(int port) const;
  std::string error_log() const;

 private:
  /// Picks four free ports, writes nginx.conf for them and starts nginx;
  /// false (nginx stopped, its output appended to *failures) if it failed.
  bool start_on_fresh_ports(std::string* failures);

  TempDir dir_;
  TestCertificates certs_;
  TestCertificates untrusted_;
  int http_port_ = 0, https_port_ = 0, untrusted_port_ = 0, short_keepalive_port_ = 0;
  TestProcess nginx_;
};

}  // namespace coproc::test
