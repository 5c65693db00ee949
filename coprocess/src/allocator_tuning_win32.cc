// Windows: the process heap (low-fragmentation heap) already keeps freed
// blocks for reuse; nothing to tune.
#include "allocator_tuning.h"

namespace coproc {

void tune_allocator() {}

}  // namespace coproc
