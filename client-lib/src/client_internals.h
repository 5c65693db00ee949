// What the library's own C functions use of a Client beyond its public
// C++ API.
#pragma once

#include <string_view>

#include "coproc/client.hpp"
#include "rpc_message.h"

namespace coproc {

struct ClientInternals {
  /// Client::call, but a successful answer is handed over decoded in
  /// `*answer` (the result's bytes stay empty): for callers that read the
  /// result's fields themselves, so it is neither packed again nor decoded
  /// a second time. Errors exactly as Client::call. `packed_params` must
  /// be one packed array made by the library (protocol/'s pack_params): it
  /// is not checked.
  static CallResult call_decoded(Client& client, std::string_view method,
                                 std::string_view packed_params, const CallOptions& options,
                                 rpc::Response* answer);
};

}  // namespace coproc
