// Platform pieces of the HTTP client that look at a raw socket descriptor.
#pragma once

namespace coproc::http {

/// True when `fd` has something to read right now (data, the peer's FIN or
/// an error), without waiting; also true when the check itself fails.
bool socket_has_input(int fd);

}  // namespace coproc::http
