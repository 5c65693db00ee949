#include "rpc_error.h"

namespace coproc {

const char* errc_name(int code) {
  switch (static_cast<Errc>(code)) {
    case Errc::bad_request: return "bad_request";
    case Errc::not_found: return "not_found";
    case Errc::timeout: return "timeout";
    case Errc::unavailable: return "unavailable";
    case Errc::permission_denied: return "permission_denied";
    case Errc::too_large: return "too_large";
    case Errc::upstream: return "upstream";
    case Errc::internal: return "internal";
    case Errc::rate_limited: return "rate_limited";
    case Errc::protocol_mismatch: return "protocol_mismatch";
    case Errc::cancelled: return "cancelled";
    case Errc::conflict: return "conflict";
  }
  return "unknown";
}

}  // namespace coproc
