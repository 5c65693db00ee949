#include "smtp_test_server.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace coproc::test {
namespace {

void run(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) {
    throw std::runtime_error("failed: " + command);
  }
}

void make_cert(const std::string& dir, const std::string& name, const std::string& cn,
               const std::string& san) {
  const std::string base = dir + "/" + name;
  write_file(base + ".ext", "subjectAltName=" + san + "\nextendedKeyUsage=serverAuth\n");
  run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + base +
      ".key -out " + base + ".csr -subj /CN=" + cn);
  run("openssl x509 -req -in " + base + ".csr -CA " + dir + "/ca.pem -CAkey " + dir +
      "/ca.key -CAcreateserial -days 2 -out " + base + ".pem -extfile " + base + ".ext");
}

std::vector<std::string> files_with(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n[0] != '.' && n.size() > suffix.size() &&
          n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
        names.push_back(dir + "/" + n);
      }
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

const TestPki& test_pki() {
  static TempDir dir;
  static TestPki pki = [] {
    const std::string d = dir.path();
    run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + d +
        "/ca.key -out " + d + "/ca.pem -days 2 -subj /CN=coproc-test-CA -addext "
        "basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
    make_cert(d, "good", "localhost", "DNS:localhost,IP:127.0.0.1");
    make_cert(d, "wrong", "wrong-host.invalid", "DNS:wrong-host.invalid");
    return TestPki{d + "/ca.pem", d + "/good.pem", d + "/good.key", d + "/wrong.pem",
                   d + "/wrong.key"};
  }();
  return pki;
}

SmtpTestServer::Options SmtpTestServer::Options::secure(const std::string& tls,
                                                        const std::string& user,
                                                        const std::string& password) {
  Options o;
  o.tls = tls;
  o.cert = test_pki().good_cert;
  o.key = test_pki().good_key;
  o.user = user;
  o.password = password;
  return o;
}

SmtpTestServer::SmtpTestServer(Options options) : options_(std::move(options)) {
  port_ = options_.port;
}

SmtpTestServer::~SmtpTestServer() { stop(); }

void SmtpTestServer::start() {
  ::unlink((dir() + "/port").c_str());
  TestProcess::Options o;
  o.argv = {"/usr/bin/python3", std::string(COPROC_SOURCE_DIR) + "/tests/support/smtp_server.py",
            "--dir", dir(), "--port", std::to_string(port_), "--tls", options_.tls};
  if (!options_.cert.empty()) o.argv.insert(o.argv.end(), {"--cert", options_.cert, "--key", options_.key});
  if (!options_.user.empty()) {
    o.argv.insert(o.argv.end(), {"--user", options_.user, "--password", options_.password,
                                 "--mechanisms", options_.mechanisms});
  }
  if (options_.auth_in_clear) o.argv.push_back("--auth-in-clear");
  if (!options_.data_reply.empty()) o.argv.insert(o.argv.end(), {"--data-reply", options_.data_reply});
  if (options_.sink) o.argv.push_back("--sink");
  if (options_.delay_ms) o.argv.insert(o.argv.end(), {"--delay-ms", std::to_string(options_.delay_ms)});
  o.output_path = dir() + "/server.log";
  process_ = TestProcess(o);
  const bool up = wait_until(
      [&] { return !process_.running() || !read_file(dir() + "/port").empty(); },
      std::chrono::seconds(20));
  if (!up || !process_.running()) {
    throw std::runtime_error("smtp_server.py did not start: " + read_file(dir() + "/server.log"));
  }
  port_ = std::stoi(read_file(dir() + "/port"));
}

void SmtpTestServer::stop() {
  if (process_.pid() > 0) process_.stop(std::chrono::seconds(5));
}

std::vector<std::string> SmtpTestServer::messages() const {
  std::vector<std::string> out;
  for (const auto& f : files_with(dir() + "/messages", ".eml")) out.push_back(read_file(f));
  return out;
}

std::vector<std::string> SmtpTestServer::envelopes() const {
  std::vector<std::string> out;
  for (const auto& f : files_with(dir() + "/messages", ".env")) out.push_back(read_file(f));
  return out;
}

std::size_t SmtpTestServer::count() const {
  if (options_.sink) {
    std::string c = read_file(dir() + "/count");
    return c.empty() ? 0 : std::stoul(c);
  }
  return files_with(dir() + "/messages", ".eml").size();
}

std::string SmtpTestServer::events() const { return read_file(dir() + "/events.log"); }

bool SmtpTestServer::wait_for_count(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return count() >= n; }, timeout);
}

}  // namespace coproc::test
