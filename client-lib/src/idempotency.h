// mail.send is retried after a lost connection only because it carries an
// idempotency key: the outbox maps the same key to the same mail. Callers
// of the raw and JSON calls may not send one, so the library adds it.
#pragma once

#include <string>
#include <string_view>

namespace coproc {

/// 32 hex characters from the system's random source.
std::string new_idempotency_key();

/// `packed_params` (`[{...}]` or `[]`) with an "idempotency_key" entry
/// added to the argument map when it has none. Any other shape is returned
/// unchanged: the server answers it with a clear bad_request.
std::string with_idempotency_key(std::string_view packed_params);

}  // namespace coproc
