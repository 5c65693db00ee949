#include "config_check.h"

#include <grp.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "child_process.h"
#include "config.h"
#include "coprocess_path.h"
#include "log.h"
#include "socket_access.h"

namespace coproc {
namespace {

// Whether the user the service and the co-process run as can read `st`
// (mode bits; ACLs are not looked at).
bool can_read(const struct stat& st, const RunAsUser& reader) {
  if (reader.uid == 0) return true;
  if (st.st_uid == reader.uid) return (st.st_mode & S_IRUSR) != 0;
  const bool in_group =
      reader.gid == st.st_gid ||
      std::find(reader.groups.begin(), reader.groups.end(), st.st_gid) != reader.groups.end();
  if (in_group) return (st.st_mode & S_IRGRP) != 0;
  return (st.st_mode & S_IROTH) != 0;
}

class Checker {
 public:
  Checker(const std::string& path, const Config& config, ConfigCheck* out)
      : path_(path), config_(config), out_(*out) {}

  void run() {
    identify_reader();
    check_file_itself();
    check_sockets();
    check_users_and_programs();
    check_mail();
    check_http();
  }

 private:
  // Where an option's value comes from: its line, or the file for defaults.
  std::string at(const char* option) const {
    const std::string origin = config_.origin(option);
    return origin.empty() ? path_ : origin;
  }
  void error(const std::string& where, const std::string& message) {
    out_.errors.push_back(where + ": " + message);
  }
  void warning(const std::string& where, const std::string& message) {
    out_.warnings.push_back(where + ": warning: " + message);
  }

  // The service reads the config as the user it runs as (coproc under the
  // packaged unit); the co-process reads CA files as service.user. Run as
  // root, check for service.user; otherwise for whoever runs the check.
  void identify_reader() {
    reader_.uid = ::geteuid();
    reader_.gid = ::getegid();
    reader_.name = "this user";
    const std::string user = config_.str("service.user");
    if (user.empty()) return;
    if (::geteuid() != 0) return;  // only root can run the co-process as another user
    RunAsUser u;
    std::string why;
    if (!resolve_user(user, &u, &why)) {
      error(at("service.user"), "service.user: " + why);
      return;
    }
    reader_ = u;
  }

  void check_file_itself() {
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0) return;  // load() already said so
    if (st.st_mode & S_IWOTH) {
      error(path_, "every user may write it (mode " + octal_mode(st.st_mode) +
                       "): chmod 0640, owner root:coproc");
    }
    if (!config_.str("smtp.password").empty() && (st.st_mode & S_IROTH)) {
      error(path_, "it holds smtp.password and every user may read it (mode " +
                       octal_mode(st.st_mode) + "): chmod 0640, owner root:coproc");
    }
    if (!can_read(st, reader_)) {
      error(path_, "user " + reader_.name + " cannot read it (mode " + octal_mode(st.st_mode) +
                       "), and the service runs as that user: chown root:coproc and chmod 0640");
    }
  }

  void check_sockets() {
    SocketAccess access;
    std::string why;
    if (!socket_access_from_config(config_, &access, &why)) {
      const bool mode = why.rfind("server.socket_mode", 0) == 0;
      error(at(mode ? "server.socket_mode" : "server.allowed_group"), why);
      return;
    }
    if ((access.mode & 0006) != 0 && !access.group.empty()) {
      warning(at("server.socket_mode"), "server.allowed_group is set but server.socket_mode " +
                                            octal_mode(access.mode) +
                                            " lets every user connect anyway: use 0660");
    }
    if ((access.mode & 0600) != 0600) {
      error(at("server.socket_mode"), "server.socket_mode " + octal_mode(access.mode) +
                                          " does not let the service's own user connect: "
                                          "keep the owner's rw (06xx)");
    }
  }

  void check_users_and_programs() {
    const std::string admin_group = config_.str("service.admin_group");
    if (!admin_group.empty() && ::getgrnam(admin_group.c_str()) == nullptr) {
      error(at("service.admin_group"),
            "service.admin_group: there is no group '" + admin_group + "' on this machine");
    }
    std::vector<std::string> tried;
    if (locate_coprocess(config_.str("service.coprocess_path"), &tried).empty()) {
      std::string where;
      for (const auto& t : tried) where += (where.empty() ? "" : ", ") + t;
      error(at("service.coprocess_path"),
            "no executable co-process found (looked at " + where + ")");
    }
    const std::string maildir = config_.str("mail.maildir");
    if (!maildir.empty() && maildir[0] != '/') {
      error(at("mail.maildir"), "mail.maildir must be an absolute path, not '" + maildir + "'");
    }
  }

  void check_ca_file(const char* option) {
    const std::string file = config_.str(option);
    if (file.empty()) return;
    struct stat st;
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      error(at(option), std::string(option) + ": '" + file + "' is not a readable file");
      return;
    }
    if (!can_read(st, reader_)) {
      error(at(option), std::string(option) + ": user " + reader_.name + " cannot read '" + file +
                            "' (mode " + octal_mode(st.st_mode) + ")");
      return;
    }
    std::ifstream in(file);
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      error(at(option), std::string(option) + ": '" + file + "' holds no PEM certificate");
    }
  }

  void check_mail() {
    const std::string host = config_.str("smtp.host");
    const std::string transport = config_.str("mail.transport");
    if (transport == "smtp" && host.empty()) {
      error(at("mail.transport"), "mail.transport = smtp needs smtp.host");
    }
    check_ca_file("smtp.ca_file");
    if (!config_.boolean("smtp.verify_tls")) {
      warning(at("smtp.verify_tls"),
              "smtp.verify_tls = false: the relay's certificate and "
              "host name are not checked");
    }
    const std::string user = config_.str("smtp.username");
    const std::string auth = config_.str("smtp.auth");
    if (user.empty() && (auth == "plain" || auth == "login")) {
      error(at("smtp.auth"), "smtp.auth = " + auth + " needs smtp.username");
    }
    if (!user.empty() && config_.str("smtp.password").empty()) {
      error(at("smtp.username"), "smtp.username is set but smtp.password is empty");
    }
    if (!user.empty() && config_.str("smtp.security") == "none") {
      warning(at("smtp.security"),
              "smtp.security = none with smtp.username: the password goes to the relay in "
              "clear text");
    }
    if (host.empty() || (transport == "maildir")) return;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
      error(at("smtp.host"), "smtp.host: cannot resolve '" + host + "': " + ::gai_strerror(rc));
    } else {
      ::freeaddrinfo(found);
    }
  }

  void check_http() { check_ca_file("http.ca_file"); }

  const std::string& path_;
  const Config& config_;
  ConfigCheck& out_;
  RunAsUser reader_;
};

}  // namespace

ConfigCheck check_config(const std::string& path, const std::vector<std::string>& sets) {
  ConfigCheck out;
  Config config;
  try {
    config = Config::load(path, false);
    for (const auto& s : sets) config.set(s);
  } catch (const ConfigError& e) {
    out.errors.push_back(e.what());
    return out;
  }
  Checker(path, config, &out).run();
  return out;
}

}  // namespace coproc
