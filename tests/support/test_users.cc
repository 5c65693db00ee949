#include "test_users.h"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace coproc::test {
namespace {

void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

}  // namespace

TestUser ensure_user(const std::string& name, const std::string& extra_group) {
  if (::geteuid() != 0) {
    throw std::runtime_error("permission tests need root to create user '" + name +
                             "' (CI runs as root)");
  }
  if (!extra_group.empty() && !::getgrnam(extra_group.c_str())) {
    run("groupadd --system " + extra_group);
  }
  if (!::getpwnam(name.c_str())) {
    run("useradd --system --user-group --no-create-home --shell /usr/sbin/nologin " + name);
  }
  if (!extra_group.empty()) run("usermod -a -G " + extra_group + " " + name);
  struct passwd* pw = ::getpwnam(name.c_str());
  if (!pw) throw std::runtime_error("user " + name + " missing after useradd");
  return TestUser{name, pw->pw_uid, pw->pw_gid};
}

std::string run_as(const TestUser& user, const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    std::string out;
    if (::setgid(user.gid) != 0 || ::initgroups(user.name.c_str(), user.gid) != 0 ||
        ::setuid(user.uid) != 0) {
      out = "exception: cannot become " + user.name;
    } else {
      try {
        out = body();
      } catch (const std::exception& e) {
        out = std::string("exception: ") + e.what();
      }
    }
    ssize_t ignored = ::write(fds[1], out.data(), out.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return out;
}

}  // namespace coproc::test
