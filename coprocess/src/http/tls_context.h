// TLS client contexts for http.request. Every context is explicit (never
// Poco's default one, whose certificate handler would prompt on the console)
// and certificate errors are rejected by a handler that records why, so the
// caller's `upstream` error can name the reason.
#pragma once

#include <list>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include <Poco/Net/Context.h>

namespace coproc::http {

class TlsContexts {
 public:
  /// Initializes OpenSSL through Poco and installs the rejecting handler
  /// (once per process).
  TlsContexts();

  /// A context verifying peers against `ca_file` (a PEM bundle) or, when it is
  /// empty, the system store; host names are checked even for loopback
  /// addresses (VERIFY_STRICT). `verify` false disables all checks.
  /// Throws RpcException(bad_request) when ca_file cannot be loaded.
  /// Thread-safe; contexts are cached.
  Poco::Net::Context::Ptr get(bool verify, const std::string& ca_file);

  /// A verifying context trusting exactly the certificates in `pem` (one or
  /// more PEM certificates, sent by the caller as bytes: the co-process never
  /// opens a caller's path). Throws RpcException(bad_request) when `pem`
  /// holds no certificate or a malformed one. Thread-safe; the most recent
  /// kPemContexts contexts are cached.
  Poco::Net::Context::Ptr get_pem(const std::string& pem);

  static constexpr std::size_t kPemContexts = 16;

 private:
  std::mutex mutex_;
  std::map<std::pair<bool, std::string>, Poco::Net::Context::Ptr> cache_;
  std::list<std::pair<std::string, Poco::Net::Context::Ptr>> pem_cache_;  // newest first
};

/// The reason the last certificate was rejected on this thread ("" if none),
/// e.g. "unable to get local issuer certificate". Cleared by clear_*.
std::string last_certificate_error();
void clear_last_certificate_error();

}  // namespace coproc::http
