// Statuses inside the client: names, and the mapping of remote error codes.
#pragma once

#include <string>

#include "coproc/client.hpp"

namespace coproc {

/// A failed CallResult with the status's stable name.
CallResult make_error(coproc_status status, std::string message);

/// A failed CallResult for an error response {code, name, message}. Codes
/// 1..99 are passed through; anything else becomes COPROC_E_INTERNAL.
CallResult remote_error(int code, const std::string& name, const std::string& message);

}  // namespace coproc
