#include "nginx_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

namespace coproc::test {

NginxServer::NginxServer() {
  const std::string d = dir_.path();
  certs_ = make_test_certificates(d, "trusted");
  untrusted_ = make_test_certificates(d, "untrusted");
  ::mkdir((d + "/www").c_str(), 0755);
  ::mkdir((d + "/www/files").c_str(), 0755);
  ::mkdir((d + "/www/gz").c_str(), 0755);
  ::mkdir((d + "/tmp").c_str(), 0755);
  // The ports are free when picked but another test may bind one before
  // nginx does (the suite runs in parallel): then start over on fresh ports.
  std::string failures;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    if (start_on_fresh_ports(&failures)) return;
  }
  throw std::runtime_error("nginx did not come up in 3 attempts:\n" + failures);
}

bool NginxServer::start_on_fresh_ports(std::string* failures) {
  const std::string d = dir_.path();
  std::set<int> ports;
  while (ports.size() < 4) ports.insert(free_tcp_port());
  auto port = ports.begin();
  http_port_ = *port++;
  https_port_ = *port++;
  untrusted_port_ = *port++;
  short_keepalive_port_ = *port++;

  const std::string locations = R"(
    root )" + d + R"(/www;
    location = /echo {
      echo_read_request_body;
      echo "method=$request_method";
      echo "x-test=$http_x_test";
      echo "content-type=$content_type";
      echo_request_body;
    }
    location = /body { echo_read_request_body; echo_request_body; }
    location = /echo-agent { echo "$http_user_agent"; }
    location = /status/404 { return 404 "no such thing\n"; }
    location = /status/500 { return 500 "it broke\n"; }
    location = /redirect/301 { return 301 /echo; }
    location = /redirect/302 { return 302 /echo; }
    location = /redirect/303 { return 303 /echo; }
    location = /redirect/307 { return 307 /echo; }
    location = /redirect/308 { return 308 /echo; }
    location = /redirect/chain { return 302 /redirect/302; }
    location = /loop { return 302 /loop; }
    location = /to-http { return 302 http://127.0.0.1:)" + std::to_string(http_port_) + R"(/echo; }
    location = /slow2 { echo_sleep 2; echo "slow answer"; }
    location = /slow5 { echo_sleep 5; echo "slow answer"; }
    location = /slow50ms { echo_sleep 0.05; echo "slow answer"; }
    location = /slow300ms { echo_sleep 0.3; echo "slow answer"; }
    location = /slow10s { echo_sleep 10; echo "very slow answer"; }
    location = /stream { echo "first part"; echo_flush; echo_sleep 5; echo "last part"; }
    location = /chunked { echo "part one"; echo_flush; echo_sleep 0.1; echo "part two"; }
    location = /drop { return 444; }
    location /gz/ { gzip on; gzip_min_length 1; gzip_types text/plain; }
)";

  std::ostringstream conf;
  conf << "load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;\n"
       << (::geteuid() == 0 ? "user root root;\n" : "")
       << "worker_processes 1;\n"
       << "pid " << d << "/nginx.pid;\n"
       << "error_log " << d << "/error.log info;\n"
       << "events { worker_connections 1024; }\n"
       << "http {\n"
       << "  log_format conn '$connection $connection_requests $request_method $request_uri "
          "$status $server_port $msec $request_time';\n"
       << "  access_log " << d << "/access.log conn;\n"
       << "  client_body_temp_path " << d << "/tmp/body;\n"
       << "  proxy_temp_path " << d << "/tmp/proxy;\n"
       << "  fastcgi_temp_path " << d << "/tmp/fastcgi;\n"
       << "  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
       << "  scgi_temp_path " << d << "/tmp/scgi;\n"
       << "  client_max_body_size 64m;\n"
       << "  client_body_buffer_size 32m;\n"
       << "  keepalive_requests 100000;\n"
       << "  keepalive_timeout 60s;\n"
       << "  types { text/plain txt; application/octet-stream bin; }\n"
       << "  default_type application/octet-stream;\n"
       << "  server {\n"
       << "    listen 127.0.0.1:" << http_port_ << ";\n"
       << "    listen 127.0.0.1:" << https_port_ << " ssl;\n"
       << "    listen 127.0.0.2:" << https_port_ << " ssl;\n"
       << "    ssl_certificate " << certs_.cert_file << ";\n"
       << "    ssl_certificate_key " << certs_.key_file << ";\n"
       << locations << "  }\n"
       << "  server {\n"
       << "    listen 127.0.0.1:" << untrusted_port_ << " ssl;\n"
       << "    ssl_certificate " << untrusted_.cert_file << ";\n"
       << "    ssl_certificate_key " << untrusted_.key_file << ";\n"
       << locations << "  }\n"
       << "  server {\n"
       << "    listen 127.0.0.1:" << short_keepalive_port_ << ";\n"
       << "    keepalive_timeout 200ms;\n"
       << locations << "  }\n"
       << "}\n";
  write_file(d + "/nginx.conf", conf.str());

  run_checked({"/usr/sbin/nginx", "-t", "-c", d + "/nginx.conf", "-g", "daemon off;"},
              d + "/nginx-check.log");
  TestProcess::Options o;
  o.argv = {"/usr/sbin/nginx", "-c", d + "/nginx.conf", "-g", "daemon off;"};
  o.output_path = d + "/nginx.out";
  ::unlink(o.output_path.c_str());
  nginx_ = TestProcess(o);
  const bool up = wait_until(
      [&] {
        if (!nginx_.running()) return true;  // exited: no use waiting
        return tcp_port_accepts(http_port_, "127.0.0.1") && tcp_port_accepts(https_port_, "127.0.0.1") &&
               tcp_port_accepts(https_port_, "127.0.0.2") &&
               tcp_port_accepts(untrusted_port_, "127.0.0.1") &&
               tcp_port_accepts(short_keepalive_port_, "127.0.0.1");
      },
      std::chrono::seconds(20));
  if (up && nginx_.running()) return true;
  nginx_.stop(std::chrono::seconds(5));
  *failures += read_file(d + "/nginx.out") + read_file(d + "/error.log");
  ::unlink((d + "/error.log").c_str());
  return false;
}

NginxServer::~NginxServer() { nginx_.stop(std::chrono::seconds(5)); }

std::string NginxServer::http_url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(http_port_) + path;
}

std::string NginxServer::https_url(const std::string& path) const {
  return "https://localhost:" + std::to_string(https_port_) + path;
}

std::string NginxServer::access_log() const { return read_file(dir_.file("access.log")); }
std::string NginxServer::error_log() const { return read_file(dir_.file("error.log")); }

std::vector<NginxServer::Served> NginxServer::served(const std::string& uri) const {
  std::istringstream in(access_log());
  std::string line;
  std::vector<Served> out;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string connection, requests, method, logged_uri, status, server_port;
    double end_s = 0, duration_s = 0;
    fields >> connection >> requests >> method >> logged_uri >> status >> server_port >> end_s >>
        duration_s;
    if (fields && logged_uri == uri) out.push_back({end_s - duration_s, end_s});
  }
  return out;
}

std::size_t NginxServer::connections_seen(int port) const {
  std::istringstream in(access_log());
  std::string line;
  std::set<std::string> connections;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string connection, requests, method, uri, status, server_port;
    fields >> connection >> requests >> method >> uri >> status >> server_port;
    if (server_port == std::to_string(port)) connections.insert(connection);
  }
  return connections.size();
}

}  // namespace coproc::test
