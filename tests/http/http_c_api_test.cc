// The HTTP convenience C ABI (coproc/http.h), the JSON bridge and
// `coprocctl http`, against the real co-process and a real nginx.
#include "coproc/http.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "c_client_fixture.h"
#include "nginx_server.h"

namespace coproc::test {
namespace {

class HttpCApiTest : public CClientFixture {
 protected:
  static void SetUpTestSuite() {
    nginx_ = new NginxServer();
    std::mt19937 gen(7);
    big_.resize(10 << 20);
    for (auto& c : big_) c = static_cast<char>(gen() & 0xff);
    write_file(nginx_->www_dir() + "/files/10m.bin", big_);
    write_file(nginx_->www_dir() + "/files/hello.txt", "hello from nginx\n");
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }

  void SetUp() override { start_with_client({"--set", "http.ca_file=" + nginx_->ca_file()}); }

  /// Runs coprocctl with `args`; returns its exit code, stdout in *out.
  int coprocctl(const std::vector<std::string>& args, std::string* out) {
    std::vector<std::string> argv = {bin_path("coprocctl"), "--endpoint", socket_path(),
                                     "--no-launch"};
    argv.insert(argv.end(), args.begin(), args.end());
    TestProcess::Options o;
    o.argv = argv;
    o.output_path = dir_.file("ctl.out");
    ::unlink(o.output_path.c_str());
    TestProcess p(o);
    const int status = p.wait(std::chrono::seconds(60));
    *out = read_file(o.output_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  static NginxServer* nginx_;
  static std::string big_;
};

NginxServer* HttpCApiTest::nginx_ = nullptr;
std::string HttpCApiTest::big_;

TEST_F(HttpCApiTest, GetReturnsStatusHeadersAndBody) {
  coproc_http_response* resp = nullptr;
  ASSERT_EQ(coproc_http_get(client_, nginx_->http_url("/files/hello.txt").c_str(), &resp), COPROC_OK)
      << coproc_errmsg(client_);
  EXPECT_EQ(coproc_http_response_status(resp), 200);
  EXPECT_STREQ(coproc_http_response_reason(resp), "OK");
  ASSERT_NE(coproc_http_response_header(resp, "content-length"), nullptr);
  EXPECT_STREQ(coproc_http_response_header(resp, "content-length"), "17");
  EXPECT_EQ(coproc_http_response_header(resp, "X-Not-There"), nullptr);
  size_t len = 0;
  const void* body = coproc_http_response_body(resp, &len);
  EXPECT_EQ(std::string(static_cast<const char*>(body), len), "hello from nginx\n");
  ASSERT_GT(coproc_http_response_header_count(resp), 0u);
  const char* name = nullptr;
  const char* value = nullptr;
  EXPECT_EQ(coproc_http_response_header_at(resp, 0, &name, &value), COPROC_OK);
  EXPECT_NE(name, nullptr);
  EXPECT_EQ(coproc_http_response_header_at(resp, 1000, &name, &value), COPROC_E_MISUSE);
  coproc_http_response_free(resp);
}

TEST_F(HttpCApiTest, RequestBuilderSendsMethodHeadersAndBody) {
  coproc_http_request* req = nullptr;
  ASSERT_EQ(coproc_http_request_new(&req, "post", nginx_->http_url("/echo").c_str()), COPROC_OK);
  ASSERT_EQ(coproc_http_request_add_header(req, "X-Test", "from C"), COPROC_OK);
  ASSERT_EQ(coproc_http_request_set_body(req, "a\0b", 3), COPROC_OK);
  ASSERT_EQ(coproc_http_request_set_timeout_ms(req, 10000), COPROC_OK);
  coproc_http_response* resp = nullptr;
  ASSERT_EQ(coproc_http_perform(client_, req, &resp), COPROC_OK) << coproc_errmsg(client_);
  size_t len = 0;
  const char* body = static_cast<const char*>(coproc_http_response_body(resp, &len));
  EXPECT_EQ(std::string(body, len),
            std::string("method=POST\nx-test=from C\ncontent-type=\na") + std::string("\0b", 2));
  coproc_http_response_free(resp);
  coproc_http_request_free(req);
}

TEST_F(HttpCApiTest, OutputFileReceivesTheBodyOpenedByTheLibrary) {
  const std::string path = dir_.file("out.bin");
  coproc_http_request* req = nullptr;
  ASSERT_EQ(coproc_http_request_new(&req, "GET", nginx_->http_url("/files/10m.bin").c_str()), COPROC_OK);
  ASSERT_EQ(coproc_http_request_set_output_file(req, path.c_str()), COPROC_OK);
  coproc_http_response* resp = nullptr;
  ASSERT_EQ(coproc_http_perform(client_, req, &resp), COPROC_OK) << coproc_errmsg(client_);
  EXPECT_EQ(coproc_http_response_bytes_written(resp), static_cast<long long>(big_.size()));
  size_t len = 1;
  coproc_http_response_body(resp, &len);
  EXPECT_EQ(len, 0u);
  EXPECT_TRUE(read_file(path) == big_) << "output file differs";
  coproc_http_response_free(resp);

  // A path the caller cannot open is a local I/O error.
  ASSERT_EQ(coproc_http_request_set_output_file(req, "/nonexistent-dir/x.bin"), COPROC_OK);
  EXPECT_EQ(coproc_http_perform(client_, req, &resp), COPROC_E_IO);
  EXPECT_EQ(resp, nullptr);
  EXPECT_NE(std::string(coproc_errmsg(client_)).find("/nonexistent-dir/x.bin"), std::string::npos);
  coproc_http_request_free(req);
}

TEST_F(HttpCApiTest, FailedDownloadLeavesAnExistingOutputFileUntouched) {
  const std::string path = dir_.file("keep.txt");
  write_file(path, "precious");
  coproc_http_request* req = nullptr;
  ASSERT_EQ(coproc_http_request_new(&req, "GET", "ftp://127.0.0.1/x"), COPROC_OK);
  ASSERT_EQ(coproc_http_request_set_output_file(req, path.c_str()), COPROC_OK);
  coproc_http_response* resp = nullptr;
  EXPECT_EQ(coproc_http_perform(client_, req, &resp), COPROC_E_BAD_REQUEST);
  const std::string drop = "http://127.0.0.1:" + std::to_string(nginx_->http_port()) + "/drop";
  coproc_http_request_free(req);
  ASSERT_EQ(coproc_http_request_new(&req, "GET", drop.c_str()), COPROC_OK);
  ASSERT_EQ(coproc_http_request_set_output_file(req, path.c_str()), COPROC_OK);
  EXPECT_EQ(coproc_http_perform(client_, req, &resp), COPROC_E_UPSTREAM);
  EXPECT_EQ(read_file(path), "precious");
  const std::string fresh = dir_.file("never-created.txt");
  ASSERT_EQ(coproc_http_request_set_output_file(req, fresh.c_str()), COPROC_OK);
  EXPECT_EQ(coproc_http_perform(client_, req, &resp), COPROC_E_UPSTREAM);
  EXPECT_NE(::access(fresh.c_str(), F_OK), 0) << "a failed request left a file behind";
  DIR* d = ::opendir(dir_.path().c_str());
  ASSERT_NE(d, nullptr);
  while (const dirent* e = ::readdir(d)) {
    EXPECT_EQ(std::string(e->d_name).find(".coproc-"), std::string::npos)
        << "temporary file left behind: " << e->d_name;
  }
  ::closedir(d);
  coproc_http_request_free(req);
}

TEST_F(HttpCApiTest, CaFileIsReadByTheLibraryAndSentAsBytes) {
  stop_coprocess();
  start_coprocess();  // the system store only: the test CA is unknown
  const std::string url = nginx_->https_url("/echo");
  coproc_http_request* req = nullptr;
  ASSERT_EQ(coproc_http_request_new(&req, "GET", url.c_str()), COPROC_OK);
  coproc_http_response* resp = nullptr;
  EXPECT_EQ(coproc_http_perform(client_, req, &resp), COPROC_E_UPSTREAM);
  ASSERT_EQ(coproc_http_request_set_ca_file(req, nginx_->ca_file().c_str()), COPROC_OK);
  ASSERT_EQ(coproc_http_perform(client_, req, &resp), COPROC_OK) << coproc_errmsg(client_);
  EXPECT_EQ(coproc_http_response_status(resp), 200);
  coproc_http_response_free(resp);
  EXPECT_EQ(coproc_http_request_set_ca_file(req, "/nonexistent/ca.pem"), COPROC_E_IO);
  EXPECT_NE(std::string(coproc_errmsg(nullptr)).find("/nonexistent/ca.pem"), std::string::npos);
  // A directory opens as a stream on Linux but cannot be read: a file error
  // too, not "empty".
  EXPECT_EQ(coproc_http_request_set_ca_file(req, dir_.path().c_str()), COPROC_E_IO);
  EXPECT_NE(std::string(coproc_errmsg(nullptr)).find("is a directory"), std::string::npos)
      << coproc_errmsg(nullptr);
  coproc_http_request_free(req);
}

TEST_F(HttpCApiTest, FailuresCarryTheStatusAndAClearMessage) {
  coproc_http_response* resp = nullptr;
  EXPECT_EQ(coproc_http_get(client_, "ftp://127.0.0.1/x", &resp), COPROC_E_BAD_REQUEST);
  EXPECT_EQ(resp, nullptr);
  EXPECT_NE(std::string(coproc_errmsg(client_)).find("unsupported scheme"), std::string::npos)
      << coproc_errmsg(client_);
  const std::string untrusted = "https://localhost:" + std::to_string(nginx_->untrusted_port()) + "/";
  EXPECT_EQ(coproc_http_get(client_, untrusted.c_str(), &resp), COPROC_E_UPSTREAM);
  EXPECT_NE(std::string(coproc_errmsg(client_)).find("upstream: TLS certificate"), std::string::npos)
      << coproc_errmsg(client_);
  // 404 is an answer, not a failure.
  ASSERT_EQ(coproc_http_get(client_, nginx_->http_url("/status/404").c_str(), &resp), COPROC_OK);
  EXPECT_EQ(coproc_http_response_status(resp), 404);
  coproc_http_response_free(resp);
}

// Without a timeout on the request the co-process applies http.timeout_ms
// (30 s here); the blocking call waits the client's call timeout + 5 s, so a
// caller can bound it (and must raise it where http.timeout_ms was raised).
TEST_F(HttpCApiTest, BlockingRequestWithoutATimeoutWaitsTheClientsCallTimeout) {
  ASSERT_EQ(coproc_client_set_int(client_, COPROC_OPT_CALL_TIMEOUT_MS, 1000), COPROC_OK);
  coproc_http_response* resp = nullptr;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(coproc_http_get(client_, nginx_->http_url("/slow10s").c_str(), &resp),
            COPROC_E_TIMEOUT)
      << coproc_errmsg(client_);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(resp, nullptr);
  EXPECT_GE(took, std::chrono::milliseconds(5900));
  EXPECT_LT(took, std::chrono::milliseconds(9500)) << "it waited for nginx's answer at 10 s";
}

TEST_F(HttpCApiTest, MisuseIsReportedWithoutAHandle) {
  coproc_http_request* req = nullptr;
  EXPECT_EQ(coproc_http_request_new(&req, "GET", nullptr), COPROC_E_MISUSE);
  EXPECT_NE(std::string(coproc_errmsg(nullptr)).find("url is NULL"), std::string::npos);
  ASSERT_EQ(coproc_http_request_new(&req, nullptr, "http://127.0.0.1/"), COPROC_OK);
  EXPECT_EQ(coproc_http_request_add_header(req, "X", "a\r\nInjected: 1"), COPROC_E_MISUSE);
  EXPECT_NE(std::string(coproc_errmsg(nullptr)).find("CR or LF"), std::string::npos);
  EXPECT_EQ(coproc_http_request_set_timeout_ms(req, -5), COPROC_E_MISUSE);
  EXPECT_EQ(coproc_http_perform(client_, req, nullptr), COPROC_E_MISUSE);
  coproc_http_request_free(req);
  coproc_http_request_free(nullptr);
  coproc_http_response_free(nullptr);
  EXPECT_EQ(coproc_http_response_status(nullptr), 0);
}

TEST_F(HttpCApiTest, JsonBridgeReachesHttpRequest) {
  char* json = nullptr;
  const std::string params = "{\"url\": \"" + nginx_->http_url("/files/hello.txt") + "\"}";
  ASSERT_EQ(coproc_call_json(client_, "http.request", params.c_str(), &json), COPROC_OK)
      << coproc_errmsg(client_);
  const std::string text = json;
  coproc_free(json);
  EXPECT_NE(text.find("\"status\":200"), std::string::npos) << text;
  EXPECT_NE(text.find("hello from nginx"), std::string::npos) << text;
}

TEST_F(HttpCApiTest, CoprocctlPrintsStatusAndHeadersLikeCurl) {
  std::string out;
  ASSERT_EQ(coprocctl({"http", "GET", nginx_->http_url("/files/hello.txt"), "-i"}, &out), 0) << out;
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Content-Length: 17\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\nhello from nginx\n"), std::string::npos) << out;

  write_file(dir_.file("payload.txt"), "file payload");
  ASSERT_EQ(coprocctl({"http", "PUT", nginx_->http_url("/echo"), "-H", "X-Test: ctl", "-d",
                       "@" + dir_.file("payload.txt")},
                      &out),
            0)
      << out;
  EXPECT_EQ(out, "method=PUT\nx-test=ctl\ncontent-type=application/x-www-form-urlencoded\nfile payload");

  const std::string saved = dir_.file("saved.bin");
  ASSERT_EQ(coprocctl({"http", "GET", nginx_->http_url("/files/10m.bin"), "-o", saved}, &out), 0)
      << out;
  EXPECT_TRUE(read_file(saved) == big_);
  EXPECT_NE(out.find("saved 10485760 bytes"), std::string::npos) << out;

  EXPECT_EQ(coprocctl({"http", "GET", "gopher://x/"}, &out), 1);
  EXPECT_NE(out.find("bad_request"), std::string::npos) << out;
  EXPECT_EQ(coprocctl({"http"}, &out), 2);
  EXPECT_EQ(coprocctl({"http", "GET", "http://a/", "extra"}, &out), 2);
  EXPECT_EQ(coprocctl({"http", "PUT", "http://a/", "-X", "POST"}, &out), 2);
}

TEST_F(HttpCApiTest, CoprocctlMeetsCurlUsersHalfway) {
  std::string out;
  const std::string echo = nginx_->http_url("/echo");
  // -X, and -d: POST with the form content type unless one is given.
  ASSERT_EQ(coprocctl({"http", echo, "-X", "PATCH", "-d", "a=1"}, &out), 0) << out;
  EXPECT_EQ(out, "method=PATCH\nx-test=\ncontent-type=application/x-www-form-urlencoded\na=1");
  ASSERT_EQ(coprocctl({"http", "-d", "{}", "-H", "Content-Type: application/json", echo}, &out), 0);
  EXPECT_EQ(out, "method=POST\nx-test=\ncontent-type=application/json\n{}");
  // -I: HEAD, headers only.
  ASSERT_EQ(coprocctl({"http", "-I", nginx_->http_url("/files/hello.txt")}, &out), 0) << out;
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_EQ(out.find("hello from nginx"), std::string::npos) << out;
  // -f: an HTTP error exits 22 and prints no body.
  EXPECT_EQ(coprocctl({"http", "-f", nginx_->http_url("/status/404")}, &out), 22);
  EXPECT_EQ(out.find("no such thing"), std::string::npos) << out;
  EXPECT_EQ(coprocctl({"http", nginx_->http_url("/status/404")}, &out), 0) << "without -f a 404 is an answer";
  // -v shows the request and the response head; -s hides the "saved" line.
  ASSERT_EQ(coprocctl({"http", "-v", nginx_->http_url("/files/hello.txt")}, &out), 0);
  EXPECT_NE(out.find("> GET " + nginx_->http_url("/files/hello.txt")), std::string::npos) << out;
  EXPECT_NE(out.find("< HTTP/1.1 200 OK"), std::string::npos) << out;
  const std::string saved = dir_.file("hello.txt");
  ASSERT_EQ(coprocctl({"http", "-s", "-o", saved, nginx_->http_url("/files/hello.txt")}, &out), 0);
  EXPECT_EQ(out, "");
  EXPECT_EQ(read_file(saved), "hello from nginx\n");
  // --max-time in seconds.
  EXPECT_EQ(coprocctl({"http", "--max-time", "0.3", nginx_->http_url("/slow2")}, &out), 4) << out;
  // A failed request leaves an existing -o file as it was.
  const std::string drop = "http://127.0.0.1:" + std::to_string(nginx_->http_port()) + "/drop";
  EXPECT_EQ(coprocctl({"http", "-o", saved, drop}, &out), 1) << out;
  EXPECT_EQ(read_file(saved), "hello from nginx\n");
  EXPECT_EQ(coprocctl({"http", "-f", "-o", saved, nginx_->http_url("/status/404")}, &out), 22);
  EXPECT_EQ(read_file(saved), "hello from nginx\n");
  // --cacert: coprocctl reads the file and sends its bytes.
  stop_coprocess();
  start_coprocess();  // the system store only
  const std::string tls = nginx_->https_url("/files/hello.txt");
  EXPECT_EQ(coprocctl({"http", tls}, &out), 1) << out;
  ASSERT_EQ(coprocctl({"http", "--cacert", nginx_->ca_file(), tls}, &out), 0) << out;
  EXPECT_EQ(out, "hello from nginx\n");
}

}  // namespace
}  // namespace coproc::test
