// gateway_access.h on POSIX: the passwd and group databases (getpwnam_r,
// getgrnam_r; group membership from common/peer_credentials).
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

#include "config.h"
#include "gateway_access.h"
#include "peer_credentials.h"

namespace coproc::gateway {
namespace {

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::vector<char> nss_buffer() {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  return std::vector<char>(size > 0 ? static_cast<std::size_t>(size) * 4 : 65536);
}

}  // namespace

Principal resolve_principal(const std::string& text) {
  Principal p;
  p.text = text;
  p.group = !text.empty() && text[0] == '@';
  const std::string name = p.group ? text.substr(1) : text;
  if (name.empty()) throw ConfigError("gateway.allow: empty user or group name in '" + text + "'");
  if (all_digits(name)) {
    p.id = static_cast<std::uint32_t>(std::strtoul(name.c_str(), nullptr, 10));
    return p;
  }
  auto buf = nss_buffer();
  if (p.group) {
    struct group gr {};
    struct group* found = nullptr;
    if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) {
      throw ConfigError("gateway.allow: no group '" + name + "'");
    }
    p.id = found->gr_gid;
  } else {
    struct passwd pw {};
    struct passwd* found = nullptr;
    if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
      throw ConfigError("gateway.allow: no user '" + name + "'");
    }
    p.id = found->pw_uid;
  }
  return p;
}

bool principal_matches(const Principal& p, std::uint32_t uid, std::uint32_t gid) {
  return p.group ? in_group(uid, gid, p.id) : uid == p.id;
}

}  // namespace coproc::gateway
