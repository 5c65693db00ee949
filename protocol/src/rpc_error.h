// The error model shared by every part: a stable numeric code, a stable name
// and a message for people. Codes are part of the wire protocol and of the C
// ABI (coproc_status uses the same numbers); never renumber them.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace coproc {

enum class Errc : int {
  bad_request = 1,
  not_found = 2,
  timeout = 3,
  unavailable = 4,
  permission_denied = 5,
  too_large = 6,
  upstream = 7,
  internal = 8,
  rate_limited = 9,
  protocol_mismatch = 10,
  cancelled = 11,
  conflict = 12,
};

/// Stable name of a code ("bad_request", ...); "unknown" for other numbers.
const char* errc_name(int code);

/// One error as it travels on the wire: {code, name, message}.
struct RpcError {
  int code = static_cast<int>(Errc::internal);
  std::string name;
  std::string message;

  RpcError() = default;
  RpcError(Errc c, std::string msg)
      : code(static_cast<int>(c)), name(errc_name(code)), message(std::move(msg)) {}
  RpcError(int c, std::string n, std::string msg)
      : code(c), name(std::move(n)), message(std::move(msg)) {}
};

/// Thrown by handlers and parameter readers; the dispatcher turns it into an
/// error response. Never crosses a C ABI boundary.
class RpcException : public std::runtime_error {
 public:
  RpcException(Errc code, const std::string& message)
      : std::runtime_error(message), error_(code, message) {}
  const RpcError& error() const { return error_; }

 private:
  RpcError error_;
};

}  // namespace coproc
