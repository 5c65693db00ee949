// A fixture for http.request tests against tests/support/
// http_misbehaving_server.py, a server that breaks the rules on purpose.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "coprocess_fixture.h"
#include "http_test_params.h"
#include "python_server.h"

namespace coproc::test {

class MisbehavingServerTest : public CoprocessFixture {
 protected:
  void SetUp() override {
    server_ = start_python_server("http_misbehaving_server.py", server_log(), &port_);
    ASSERT_GT(port_, 0) << read_file(server_log());
  }
  void TearDown() override {
    if (coprocess_.pid() > 0 && coprocess_.running()) {
      const int status = stop_coprocess();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    }
    server_.stop();
    CoprocessFixture::TearDown();
  }

  std::string server_log() const { return dir_.file("server.log"); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  rpc::Response get(RawClient& c, const std::string& path, const std::string& method = "GET") {
    return c.call("http.request", HttpParams(url(path)).str("method", method).packed(),
                  std::chrono::seconds(30));
  }
  /// How many connections the server accepted.
  int connections_seen() const { return count_lines_starting("connection "); }
  /// True when the server received a request for `path`.
  bool saw(const std::string& path) const {
    return read_file(server_log()).find(" " + path + "\n") != std::string::npos;
  }
  int count_lines_containing(const std::string& text) const {
    std::istringstream lines(read_file(server_log()));
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) n += line.find(text) != std::string::npos ? 1 : 0;
    return n;
  }
  int count_lines_starting(const std::string& prefix) const {
    std::istringstream lines(read_file(server_log()));
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }
  /// The server's connection id of the last request for `path`.
  int connection_of_last(const std::string& path) const {
    std::istringstream lines(read_file(server_log()));
    std::string line;
    int conn = -1;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      int id = 0, n = 0;
      std::string method, p;
      if (fields >> id >> n >> method >> p && p == path) conn = id;
    }
    return conn;
  }
  /// Saves `path` into a passed descriptor; returns the response.
  rpc::Response save(RawClient& c, const std::string& path, const std::string& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_GE(fd, 0);
    c.send_bytes(rpc::encode_request(
                     5, "http.request", HttpParams(url(path)).integer("save_to_fd", 0).packed()),
                 {fd});
    ::close(fd);
    return c.receive_response(std::chrono::seconds(30));
  }
  void expect_upstream(const rpc::Response& r, const std::string& words) {
    ASSERT_TRUE(r.error) << "a malformed response was returned as a success";
    EXPECT_EQ(r.error->name, "upstream");
    EXPECT_NE(r.error->message.find(words), std::string::npos) << r.error->message;
  }

  TestProcess server_;
  int port_ = 0;
};

}  // namespace coproc::test
