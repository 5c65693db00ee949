#include "tls_context.h"

#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <Poco/Net/InvalidCertificateHandler.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/VerificationErrorArgs.h>

#include "rpc_error.h"
#include "system_trust.h"

namespace coproc::http {
namespace {

thread_local std::string t_certificate_error;

// Rejects every certificate OpenSSL could not verify, remembering why.
class RecordingRejectHandler : public Poco::Net::InvalidCertificateHandler {
 public:
  RecordingRejectHandler() : InvalidCertificateHandler(false) {}
  void onInvalidCertificate(const void*, Poco::Net::VerificationErrorArgs& args) override {
    t_certificate_error = args.errorMessage();
    args.setIgnoreError(false);
  }
};

void initialize_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    tls::initialize();
    Poco::Net::Context::Ptr fallback = new Poco::Net::Context(
        Poco::Net::Context::CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_STRICT, 9, true);
    Poco::Net::SSLManager::InvalidCertificateHandlerPtr handler(new RecordingRejectHandler);
    Poco::Net::SSLManager::instance().initializeClient(nullptr, handler, fallback);
  });
}

}  // namespace

std::string last_certificate_error() { return t_certificate_error; }
void clear_last_certificate_error() { t_certificate_error.clear(); }

TlsContexts::TlsContexts() { initialize_once(); }

Poco::Net::Context::Ptr TlsContexts::get(bool verify, const std::string& ca_file) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto key = std::make_pair(verify, verify ? ca_file : std::string());
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;

  if (verify && !ca_file.empty() && ::access(ca_file.c_str(), R_OK) != 0) {
    throw RpcException(Errc::bad_request,
                       "CA file '" + ca_file + "' cannot be read by the co-process");
  }
  Poco::Net::Context::Ptr context;
  try {
    using Poco::Net::Context;
    context = new Context(Context::CLIENT_USE, "", "", verify ? ca_file : std::string(),
                          verify ? Context::VERIFY_STRICT : Context::VERIFY_NONE, 9,
                          verify && ca_file.empty());
    if (verify && ca_file.empty()) tls::add_system_roots(*context);
    context->enableExtendedCertificateVerification(verify);
    context->disableProtocols(Context::PROTO_SSLV2 | Context::PROTO_SSLV3 | Context::PROTO_TLSV1 |
                              Context::PROTO_TLSV1_1);
  } catch (const Poco::Exception& e) {
    throw RpcException(Errc::bad_request,
                       "CA file '" + ca_file + "' could not be loaded: " + e.displayText());
  }
  cache_.emplace(key, context);
  return context;
}

Poco::Net::Context::Ptr TlsContexts::get_pem(const std::string& pem) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = pem_cache_.begin(); it != pem_cache_.end(); ++it) {
    if (it->first == pem) {
      pem_cache_.splice(pem_cache_.begin(), pem_cache_, it);
      return it->second;
    }
  }
  using Poco::Net::Context;
  Context::Ptr context = new Context(Context::CLIENT_USE, "", "", "", Context::VERIFY_STRICT, 9, false);
  context->enableExtendedCertificateVerification(true);
  context->disableProtocols(Context::PROTO_SSLV2 | Context::PROTO_SSLV3 | Context::PROTO_TLSV1 |
                            Context::PROTO_TLSV1_1);
  X509_STORE* store = SSL_CTX_get_cert_store(context->sslContext());
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) throw RpcException(Errc::internal, "out of memory reading ca_pem");
  int added = 0;
  for (;;) {
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (!cert) break;
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    ++added;
  }
  // The loop ends with "no start line" once the input is used up; anything
  // else means a malformed certificate.
  const unsigned long error = ERR_peek_last_error();
  const bool clean_end = ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  BIO_free(bio);
  if (added == 0 || !clean_end) {
    throw RpcException(Errc::bad_request,
                       clean_end ? "parameter 'ca_pem' holds no PEM certificate"
                                 : "parameter 'ca_pem' holds a malformed PEM certificate");
  }
  pem_cache_.emplace_front(pem, context);
  if (pem_cache_.size() > kPemContexts) pem_cache_.pop_back();
  return context;
}

}  // namespace coproc::http
