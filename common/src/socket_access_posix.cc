#include "socket_access.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "endpoint.h"

namespace coproc {
namespace {

std::string user_name(uid_t uid) {
  const passwd* pw = ::getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

std::string group_name(gid_t gid) {
  const group* gr = ::getgrgid(gid);
  return gr ? gr->gr_name : std::to_string(gid);
}

std::string describe(const struct stat& st) {
  return octal_mode(st.st_mode) + " " + user_name(st.st_uid) + ":" + group_name(st.st_gid);
}

}  // namespace

std::string octal_mode(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

bool socket_access_from_config(const Config& config, SocketAccess* out, std::string* error) {
  const std::string mode = config.str("server.socket_mode");
  if (!parse_mode(mode, &out->mode)) {
    *error = "server.socket_mode must be an octal mode such as 0666 or 0660, not '" + mode + "'";
    return false;
  }
  out->group = config.str("server.allowed_group");
  if (!out->group.empty() && ::getgrnam(out->group.c_str()) == nullptr) {
    *error = "server.allowed_group: there is no group '" + out->group + "' on this machine";
    return false;
  }
  return true;
}

bool apply_socket_access(const std::string& path, const SocketAccess& access, std::string* changed,
                         std::string* error) {
  changed->clear();
  struct stat before;
  if (::lstat(path.c_str(), &before) != 0 || !S_ISSOCK(before.st_mode)) {
    *error = path + " is not a socket";
    return false;
  }
  gid_t gid = before.st_gid;
  if (!access.group.empty()) {
    const group* gr = ::getgrnam(access.group.c_str());
    if (!gr) {
      *error = "server.allowed_group: there is no group '" + access.group + "' on this machine";
      return false;
    }
    gid = gr->gr_gid;
  }
  if (gid != before.st_gid && ::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
    const int err = errno;
    ::chmod(path.c_str(), 0600);
    *error = "cannot give " + path + " (" + describe(before) + ") to group '" + access.group +
             "': " + std::strerror(err) + " (user " + user_name(::geteuid()) +
             " is not a member of it); until this is fixed only root and " +
             user_name(before.st_uid) + " may connect";
    return false;
  }
  if ((before.st_mode & 07777) != access.mode &&
      ::chmod(path.c_str(), static_cast<mode_t>(access.mode)) != 0) {
    const int err = errno;
    ::chmod(path.c_str(), 0600);
    *error = "cannot change the mode of " + path + " to " + octal_mode(access.mode) + ": " +
             std::strerror(err);
    return false;
  }
  struct stat after;
  if (::lstat(path.c_str(), &after) != 0) {
    *error = path + " vanished while its mode was set";
    return false;
  }
  if (after.st_mode != before.st_mode || after.st_gid != before.st_gid) {
    *changed = describe(before) + " -> " + describe(after);
  }
  return true;
}

std::string socket_unit_settings(const SocketAccess& access, const std::string& config_path) {
  std::string out =
      "# Who may connect to /run/coproc/coproc.sock and control.sock: server.socket_mode\n"
      "# and server.allowed_group of " +
      config_path +
      ", written by\n"
      "# `coproc-service --print-socket-unit` (the coproc systemd generator runs it at\n"
      "# boot and on every `systemctl daemon-reload`). Edit coproc.conf, not this.\n"
      "[Socket]\n"
      "SocketMode=" +
      octal_mode(access.mode) + "\n";
  if (!access.group.empty()) out += "SocketGroup=" + access.group + "\n";
  return out;
}

}  // namespace coproc
