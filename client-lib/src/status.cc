#include "status.h"

namespace coproc {

const char* status_name(coproc_status status) {
  switch (status) {
    case COPROC_OK: return "ok";
    case COPROC_E_BAD_REQUEST: return "bad_request";
    case COPROC_E_NOT_FOUND: return "not_found";
    case COPROC_E_TIMEOUT: return "timeout";
    case COPROC_E_UNAVAILABLE: return "unavailable";
    case COPROC_E_PERMISSION_DENIED: return "permission_denied";
    case COPROC_E_TOO_LARGE: return "too_large";
    case COPROC_E_UPSTREAM: return "upstream";
    case COPROC_E_INTERNAL: return "internal";
    case COPROC_E_RATE_LIMITED: return "rate_limited";
    case COPROC_E_PROTOCOL_MISMATCH: return "protocol_mismatch";
    case COPROC_E_CANCELLED: return "cancelled";
    case COPROC_E_CONFLICT: return "conflict";
    case COPROC_E_MISUSE: return "misuse";
    case COPROC_E_NOT_RUNNING: return "not_running";
    case COPROC_E_SERVICE_NOT_RUNNING: return "service_not_running";
    case COPROC_E_CONNECTION_LOST: return "connection_lost";
    case COPROC_E_PROTOCOL: return "protocol";
    case COPROC_E_JSON: return "json";
    case COPROC_E_NOMEM: return "nomem";
    case COPROC_E_IO: return "io";
    case COPROC_STATUS_FORCE_INT: break;
  }
  return "unknown";
}

CallResult make_error(coproc_status status, std::string message) {
  CallResult r;
  r.status = status;
  r.error_name = status_name(status);
  r.error_message = std::move(message);
  return r;
}

CallResult remote_error(int code, const std::string& name, const std::string& message) {
  CallResult r;
  if (code >= 1 && code <= 99) {
    r.status = static_cast<coproc_status>(code);
    r.error_name = name.empty() ? status_name(r.status) : name;
  } else {
    r.status = COPROC_E_INTERNAL;
    r.error_name = name.empty() ? "internal" : name;
  }
  r.error_message = message;
  return r;
}

}  // namespace coproc
