// HTTP(S) on Windows: coprocess.exe against nginx on loopback with a test
// CA — GET and POST, redirects, a timeout, keep-alive reuse, a certificate
// for another host refused, a body saved to a file by the library, and
// trust through the Windows certificate store (the ROOT stores read, and
// the CA added to LocalMachine's AuthRoot store with
// CertAddEncodedCertificateToStore). Driven through libcoproc.dll's C ABI.
#include <gtest/gtest.h>
#include <windows.h>
#include <wincrypt.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "coproc/coproc.h"
#include "coproc/http.h"
#include "coprocess_win_fixture.h"
#include "wine_servers.h"

namespace coproc::test {
namespace {

struct Response {
  coproc_status status = COPROC_E_INTERNAL;
  int http_status = 0;
  std::string body, url, error;
};

class HttpWinTest : public CoprocessWinFixture {
 protected:
  const WineServers& servers = WineServers::get();

  void TearDown() override {
    coproc_client_close(client_);
    CoprocessWinFixture::TearDown();
  }

  void start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"--set", "http.timeout_ms=20000"};
    args.insert(args.end(), extra.begin(), extra.end());
    start_coprocess(args);
    ASSERT_EQ(coproc_client_new(&client_), COPROC_OK);
    ASSERT_EQ(coproc_client_set_str(client_, COPROC_OPT_ENDPOINT, endpoint().c_str()), COPROC_OK);
    ASSERT_EQ(coproc_client_set_int(client_, COPROC_OPT_AUTO_LAUNCH, 0), COPROC_OK);
  }

  // The co-process trusts the test CA through http.ca_file.
  void start_with_ca_file() { start({"--set", "http.ca_file=" + servers.value("CA_FILE")}); }

  Response perform(const std::string& method, const std::string& url, const std::string& body = "",
                   int timeout_ms = 0, const std::string& output_file = "") {
    coproc_http_request* request = nullptr;
    EXPECT_EQ(coproc_http_request_new(&request, method.c_str(), url.c_str()), COPROC_OK);
    if (!body.empty()) coproc_http_request_set_body(request, body.data(), body.size());
    if (timeout_ms > 0) coproc_http_request_set_timeout_ms(request, timeout_ms);
    if (!output_file.empty()) coproc_http_request_set_output_file(request, output_file.c_str());
    coproc_http_response* response = nullptr;
    Response out;
    out.status = coproc_http_perform(client_, request, &response);
    coproc_http_request_free(request);
    if (out.status != COPROC_OK) {
      out.error = coproc_errmsg(client_);
      return out;
    }
    out.http_status = coproc_http_response_status(response);
    size_t len = 0;
    const void* data = coproc_http_response_body(response, &len);
    out.body.assign(static_cast<const char*>(data), len);
    out.url = coproc_http_response_url(response);
    coproc_http_response_free(response);
    return out;
  }

  // nginx's connections serving requests to `uri` (access log: connection
  // number, then requests on it, method, uri, ...).
  std::size_t connections_for(const std::string& uri) {
    std::istringstream in(read_file(servers.value("NGINX_ACCESS_LOG")));
    std::string line, connection, requests, method, path;
    std::vector<std::string> seen;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      fields >> connection >> requests >> method >> path;
      if (path == uri && std::find(seen.begin(), seen.end(), connection) == seen.end()) {
        seen.push_back(connection);
      }
    }
    return seen.size();
  }

  coproc_client* client_ = nullptr;
};

TEST_F(HttpWinTest, HttpsGetAndPostAreVerifiedAgainstTheCaFile) {
  start_with_ca_file();
  Response get = perform("GET", servers.https_url("/hello.txt"));
  ASSERT_EQ(get.status, COPROC_OK) << get.error << log();
  EXPECT_EQ(get.http_status, 200);
  EXPECT_EQ(get.body, "hello from nginx\n");
  Response post = perform("POST", servers.https_url("/echo"), "from windows");
  ASSERT_EQ(post.status, COPROC_OK) << post.error;
  EXPECT_EQ(post.body, "method=POST\nfrom windows");
}

TEST_F(HttpWinTest, RedirectsAreFollowed) {
  start_with_ca_file();
  Response r = perform("GET", servers.https_url("/redirect/chain"));
  ASSERT_EQ(r.status, COPROC_OK) << r.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body, "method=GET\n");
  EXPECT_EQ(r.url, servers.https_url("/echo"));
}

TEST_F(HttpWinTest, ASlowServerTimesOut) {
  start_with_ca_file();
  const auto begin = std::chrono::steady_clock::now();
  Response r = perform("GET", servers.https_url("/slow5"), "", 1000);
  EXPECT_EQ(r.status, COPROC_E_TIMEOUT) << r.error;
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(4));
}

TEST_F(HttpWinTest, KeepAliveReusesOneConnection) {
  start_with_ca_file();
  const std::string uri = "/echo?keepalive-" + space();
  for (int i = 0; i < 3; ++i) {
    Response r = perform("GET", servers.https_url(uri));
    ASSERT_EQ(r.status, COPROC_OK) << r.error;
  }
  EXPECT_EQ(connections_for(uri), 1u) << read_file(servers.value("NGINX_ACCESS_LOG"));
}

TEST_F(HttpWinTest, CertificateForAnotherHostIsRefused) {
  start_with_ca_file();
  Response r = perform("GET", servers.wrong_host_url("/hello.txt"));
  EXPECT_EQ(r.status, COPROC_E_UPSTREAM);
  EXPECT_NE(r.error.find("does not match the host name '127.0.0.1'"), std::string::npos) << r.error;
}

TEST_F(HttpWinTest, OutputFileIsWrittenByTheLibrary) {
  start_with_ca_file();
  char buffer[MAX_PATH + 1];
  ::GetTempPathA(sizeof buffer, buffer);
  const std::string path = std::string(buffer) + space() + "-body.txt";
  Response r = perform("GET", servers.https_url("/hello.txt"), "", 0, path);
  ASSERT_EQ(r.status, COPROC_OK) << r.error;
  EXPECT_EQ(read_file(path), "hello from nginx\n");
  ::DeleteFileA(path.c_str());
}

// Also proves an unknown CA is refused: the request fails before the CA is
// in the store and works after (each co-process reads the store once).
TEST_F(HttpWinTest, TheWindowsCertificateStoreIsTrusted) {
  start();
  Response before = perform("GET", servers.https_url("/hello.txt"));
  EXPECT_EQ(before.status, COPROC_E_UPSTREAM) << before.error;
  // The ROOT stores were read (wine fills them from the host's CA bundle).
  std::smatch roots;
  const std::string first_log = log();
  ASSERT_TRUE(std::regex_search(first_log, roots,
                                std::regex("Windows certificate store: ([0-9]+) roots trusted")))
      << first_log;
  EXPECT_GT(std::stoi(roots[1].str()), 50) << first_log;

  const std::string der = read_file(servers.value("CA_DER"));
  ASSERT_FALSE(der.empty());
  // LocalMachine's third-party roots (adding to CurrentUser's ROOT store asks
  // the user to confirm on Windows; wine's ROOT store is the host's CA bundle
  // and takes no additions that another process would see).
  HCERTSTORE root = ::CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
                                    CERT_SYSTEM_STORE_LOCAL_MACHINE, L"AuthRoot");
  ASSERT_NE(root, nullptr);
  PCCERT_CONTEXT added = nullptr;
  ASSERT_TRUE(::CertAddEncodedCertificateToStore(
      root, X509_ASN_ENCODING, reinterpret_cast<const BYTE*>(der.data()),
      static_cast<DWORD>(der.size()), CERT_STORE_ADD_REPLACE_EXISTING, &added));
  // Written to the registry now, not when the store is closed.
  ASSERT_TRUE(::CertControlStore(root, 0, CERT_STORE_CTRL_COMMIT, nullptr));

  coproc_client_close(client_);
  client_ = nullptr;
  start();
  Response after = perform("GET", servers.https_url("/hello.txt"));
  ::CertDeleteCertificateFromStore(added);  // frees `added`
  ::CertCloseStore(root, 0);
  ASSERT_EQ(after.status, COPROC_OK) << after.error << log();
  EXPECT_EQ(after.body, "hello from nginx\n");
}

}  // namespace
}  // namespace coproc::test
