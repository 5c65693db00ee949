// Real local users for permission tests. CI runs as root; these helpers
// create the users once (useradd/groupadd) and run code as them in a forked
// child, so the kernel reports that user's uid through SO_PEERCRED.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

namespace coproc::test {

struct TestUser {
  std::string name;
  uid_t uid;
  gid_t gid;
};

/// Creates (if missing) a system user `name` with its own group, and adds it
/// to `extra_group` when given (creating that group too). Needs root; throws
/// std::runtime_error with the reason otherwise.
TestUser ensure_user(const std::string& name, const std::string& extra_group = "");

/// Runs `body` in a child process as `user` (setgid, initgroups, setuid) and
/// returns what it wrote to the string it was given (or "exception: ...").
std::string run_as(const TestUser& user, const std::function<std::string()>& body);

}  // namespace coproc::test
