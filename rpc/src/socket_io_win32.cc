// Windows pipes carry no file descriptors: nothing ever arrives to close,
// and sys.hello does not announce the fd_passing capability.
#include "socket_io.h"

namespace coproc {

bool passes_descriptors() { return false; }

void close_fds(std::vector<int>* fds) { fds->clear(); }

}  // namespace coproc
