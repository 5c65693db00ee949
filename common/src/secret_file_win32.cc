#include "secret_file.h"

namespace coproc {

// The ACL decides on Windows; mode bits say nothing there (docs/windows.md).
bool secret_file_is_private(const std::string&, std::string*) { return true; }

}  // namespace coproc
