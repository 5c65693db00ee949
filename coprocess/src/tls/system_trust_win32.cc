// Windows: OpenSSL cannot read the certificate store, so the ROOT stores are
// copied into each context's X509_STORE (as curl's CURLSSLOPT_NATIVE_CA does).
#include <winsock2.h>  // before windows.h, as Poco's headers need it
#include <windows.h>
#include <wincrypt.h>

#include <mutex>
#include <utility>
#include <vector>

#include <Poco/Net/NetSSL.h>
#include <Poco/Net/Net.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "system_trust.h"

namespace coproc::tls {
namespace {

struct Store {
  HCERTSTORE h;
  explicit Store(HCERTSTORE store) : h(store) {}
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  Store(Store&& other) noexcept : h(other.h) { other.h = nullptr; }
  ~Store() {
    if (h) ::CertCloseStore(h, 0);
  }
};

Store open_system_store(DWORD location, const wchar_t* name) {
  return Store(::CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                               location | CERT_STORE_READONLY_FLAG | CERT_STORE_OPEN_EXISTING_FLAG,
                               name));
}

bool is_in(const std::vector<Store>& stores, PCCERT_CONTEXT cert) {
  for (const Store& s : stores) {
    if (!s.h) continue;
    PCCERT_CONTEXT found = ::CertFindCertificateInStore(
        s.h, X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, 0, CERT_FIND_EXISTING, cert, nullptr);
    if (found) {
      ::CertFreeCertificateContext(found);
      return true;
    }
  }
  return false;
}

// A root restricted to other purposes (code signing, e-mail) does not vouch
// for servers; no enhanced key usage at all means every purpose.
bool allows_server_auth(PCCERT_CONTEXT cert) {
  DWORD size = 0;
  if (!::CertGetEnhancedKeyUsage(cert, 0, nullptr, &size)) {
    return ::GetLastError() == static_cast<DWORD>(CRYPT_E_NOT_FOUND);
  }
  std::vector<unsigned char> buf(size);
  auto* usage = reinterpret_cast<CERT_ENHKEY_USAGE*>(buf.data());
  if (!::CertGetEnhancedKeyUsage(cert, 0, usage, &size)) return false;
  if (usage->cUsageIdentifier == 0) return ::GetLastError() == static_cast<DWORD>(CRYPT_E_NOT_FOUND);
  for (DWORD i = 0; i < usage->cUsageIdentifier; ++i) {
    if (std::string(usage->rgpszUsageIdentifier[i]) == szOID_PKIX_KP_SERVER_AUTH) return true;
  }
  return false;
}

}  // namespace

void initialize() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Static Poco does not start Winsock ("Net subsystem not initialized").
    Poco::Net::initializeNetwork();
    Poco::Net::initializeSSL();
  });
}

std::size_t add_system_roots(Poco::Net::Context& context) {
  X509_STORE* target = SSL_CTX_get_cert_store(context.sslContext());
  std::vector<Store> disallowed;
  disallowed.push_back(open_system_store(CERT_SYSTEM_STORE_LOCAL_MACHINE, L"Disallowed"));
  disallowed.push_back(open_system_store(CERT_SYSTEM_STORE_CURRENT_USER, L"Disallowed"));
  std::size_t added = 0, skipped = 0;
  // AuthRoot: "Third-Party Root Certification Authorities", where Windows
  // puts the roots it fetched itself; the system's own TLS trusts them too.
  const std::pair<DWORD, const wchar_t*> kRootStores[] = {
      {CERT_SYSTEM_STORE_LOCAL_MACHINE, L"ROOT"},
      {CERT_SYSTEM_STORE_LOCAL_MACHINE, L"AuthRoot"},
      {CERT_SYSTEM_STORE_CURRENT_USER, L"ROOT"},
  };
  for (const auto& [location, name] : kRootStores) {
    Store roots = open_system_store(location, name);
    if (!roots.h) continue;
    PCCERT_CONTEXT cert = nullptr;
    while ((cert = ::CertEnumCertificatesInStore(roots.h, cert)) != nullptr) {
      if (!(cert->dwCertEncodingType & X509_ASN_ENCODING) || is_in(disallowed, cert) ||
          !allows_server_auth(cert)) {
        ++skipped;
        continue;
      }
      const unsigned char* der = cert->pbCertEncoded;
      X509* x509 = d2i_X509(nullptr, &der, static_cast<long>(cert->cbCertEncoded));
      if (!x509) {
        ++skipped;
        continue;
      }
      if (X509_STORE_add_cert(target, x509) == 1) ++added;
      X509_free(x509);
    }
  }
  ERR_clear_error();  // duplicates (a root in both stores) are no error here
  COPROC_LOG(debug, "tls", "Windows certificate store: " << added << " roots trusted, " << skipped
                                                         << " skipped");
  return added;
}

}  // namespace coproc::tls
