// coproc-service --check-config: everything the service and the co-process
// will need from the configuration, checked without starting, stopping or
// touching a running service — every option (types, ranges, choices), the
// file's owner and mode, the sockets' mode and group, the users and groups
// it names, the co-process binary, the CA files, and whether the relay's
// host name resolves.
#pragma once

#include <string>
#include <vector>

namespace coproc {

struct ConfigCheck {
  /// "path:line: message" (or "path: message" for an option left at its
  /// default or for the file itself). Any error means the service would
  /// not start or would not work as configured.
  std::vector<std::string> errors;
  /// Same form, "warning: " after the place: works, but probably not as meant.
  std::vector<std::string> warnings;
};

/// Checks the file at `path` with the command line's `--set` overrides.
ConfigCheck check_config(const std::string& path, const std::vector<std::string>& sets);

}  // namespace coproc
