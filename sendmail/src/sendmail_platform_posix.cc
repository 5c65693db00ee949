#include <pwd.h>
#include <unistd.h>

#include <vector>

#include "sendmail_platform.h"

namespace coproc::sendmail {

std::string login_name() {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found) {
    return found->pw_name;
  }
  return "";
}

void binary_stdin() {}

}  // namespace coproc::sendmail
