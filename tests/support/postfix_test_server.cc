#include "postfix_test_server.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "test_process.h"
#include "tcp_port.h"

namespace coproc::test {
namespace {

// Postfix's own daemons, none chrooted (the temporary queue has no chroot
// tree), and one smtpd on the loopback port.
std::string master_cf(int port) {
  return "127.0.0.1:" + std::to_string(port) + " inet n - n - - smtpd\n" +
         R"(pickup    unix  n  -  n  60    1  pickup
cleanup   unix  n  -  n  -     0  cleanup
qmgr      unix  n  -  n  300   1  qmgr
rewrite   unix  -  -  n  -     -  trivial-rewrite
bounce    unix  -  -  n  -     0  bounce
defer     unix  -  -  n  -     0  bounce
trace     unix  -  -  n  -     0  bounce
verify    unix  -  -  n  -     1  verify
flush     unix  n  -  n  1000? 0  flush
proxymap  unix  -  -  n  -     -  proxymap
smtp      unix  -  -  n  -     -  smtp
relay     unix  -  -  n  -     -  smtp
showq     unix  n  -  n  -     -  showq
error     unix  -  -  n  -     -  error
retry     unix  -  -  n  -     -  error
discard   unix  -  -  n  -     -  discard
anvil     unix  -  -  n  -     1  anvil
scache    unix  -  -  n  -     1  scache
postlog   unix-dgram n - n - 1 postlogd
)";
}

std::string main_cf(const std::string& d) {
  return "compatibility_level = 3.6\n"
         "queue_directory = " + d + "/queue\n"
         "data_directory = " + d + "/data\n"
         "maillog_file = " + d + "/maillog\n"
         "maillog_file_prefixes = " + d + "\n"
         "mail_owner = postfix\n"
         "setgid_group = postdrop\n"
         "myhostname = postfix.test\n"
         "mydestination =\n"
         "inet_interfaces = 127.0.0.1\n"
         "inet_protocols = ipv4\n"
         "mynetworks = 127.0.0.0/8\n"
         "smtpd_relay_restrictions = permit_mynetworks, reject\n"
         "default_transport = discard:test\n"
         "relay_transport = discard:test\n"
         "local_transport = discard:test\n"
         "alias_maps =\n"
         "alias_database =\n"
         "biff = no\n";
}

// `postfix` writes its reasons to stderr only on a terminal (syslog
// otherwise), so the caller reads the maillog on failure.
int run_postfix(const std::string& config_dir, const std::string& command) {
  pid_t pid = ::fork();
  if (pid == 0) {
    execl("/usr/sbin/postfix", "postfix", "-c", config_dir.c_str(), command.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string PostfixTestServer::unavailable_reason() {
  if (::access("/usr/sbin/postfix", X_OK) != 0) return "no /usr/sbin/postfix (Debian package postfix)";
  if (::geteuid() != 0) return "Postfix's master must start as root";
  if (!::getpwnam("postfix")) return "no 'postfix' user";
  return "";
}

PostfixTestServer::PostfixTestServer() = default;

PostfixTestServer::~PostfixTestServer() {
  try {
    stop();
  } catch (...) {
  }
}

void PostfixTestServer::start() {
  if (const std::string why = unavailable_reason(); !why.empty()) throw std::runtime_error(why);
  const std::string d = dir_.path();
  for (const char* sub : {"/etc", "/queue", "/data"}) ::mkdir((d + sub).c_str(), 0755);
  const passwd* pw = ::getpwnam("postfix");
  if (::chown((d + "/data").c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    throw std::runtime_error("chown of Postfix's data directory failed");
  }
  port_ = free_tcp_port();
  write_file(d + "/etc/main.cf", main_cf(d));
  write_file(d + "/etc/master.cf", master_cf(port_));
  if (run_postfix(d + "/etc", "start") != 0) {
    throw std::runtime_error("postfix start failed:\n" + maillog());
  }
  running_ = true;
  if (!wait_until([&] { return tcp_port_accepts(port_); }, std::chrono::seconds(20))) {
    throw std::runtime_error("Postfix's smtpd does not accept on 127.0.0.1:" +
                             std::to_string(port_) + "\n" + maillog());
  }
}

void PostfixTestServer::stop() {
  if (!running_) return;
  running_ = false;
  const std::string pid_file = dir_.path() + "/queue/pid/master.pid";
  const pid_t master = static_cast<pid_t>(std::atol(read_file(pid_file).c_str()));
  run_postfix(dir_.path() + "/etc", "stop");
  if (master > 0) {
    wait_until([&] { return ::kill(master, 0) != 0; }, std::chrono::seconds(10));
  }
}

std::string PostfixTestServer::maillog() const { return read_file(dir_.path() + "/maillog"); }

std::size_t PostfixTestServer::delivered() const {
  std::ifstream in(dir_.path() + "/maillog", std::ios::binary);
  if (!in) return delivered_;
  in.seekg(static_cast<std::streamoff>(log_offset_));
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  log_offset_ += chunk.size();
  partial_line_ += chunk;
  std::size_t start = 0;
  for (std::size_t nl; (nl = partial_line_.find('\n', start)) != std::string::npos; start = nl + 1) {
    const std::string_view line(partial_line_.data() + start, nl - start);
    if (line.find("postfix/discard[") != std::string_view::npos &&
        line.find(" status=sent ") != std::string_view::npos) {
      ++delivered_;
    }
  }
  partial_line_.erase(0, start);
  return delivered_;
}

bool PostfixTestServer::wait_for_delivered(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([&] { return delivered() >= n; }, timeout);
}

}  // namespace coproc::test
