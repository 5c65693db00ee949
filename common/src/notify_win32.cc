// Windows has no sd_notify socket: the Windows service learns that the
// co-process is ready by connecting to its pipe (docs/windows.md), so there
// is never a supervisor to notify here.
#include "notify.h"

namespace coproc {

bool notify_supervisor(std::string_view /*state*/) { return false; }

}  // namespace coproc
