#include "sendmail_exit.h"

namespace coproc::sendmail {

SysExit exit_for(coproc_status status) {
  switch (status) {
    case COPROC_OK: return kExOk;
    case COPROC_E_BAD_REQUEST:
    case COPROC_E_TOO_LARGE: return kExDataErr;
    case COPROC_E_TIMEOUT:
    case COPROC_E_UNAVAILABLE:
    case COPROC_E_RATE_LIMITED:
    case COPROC_E_CANCELLED:
    case COPROC_E_NOT_RUNNING:
    case COPROC_E_SERVICE_NOT_RUNNING:
    case COPROC_E_CONNECTION_LOST: return kExTempFail;
    case COPROC_E_PERMISSION_DENIED: return kExNoPerm;
    case COPROC_E_NOT_FOUND:  // a co-process without the mail component
    case COPROC_E_UPSTREAM: return kExUnavailable;
    case COPROC_E_NOMEM: return kExOsErr;
    case COPROC_E_IO: return kExIoErr;
    default: return kExSoftware;  // internal, protocol, misuse, conflict
  }
}

}  // namespace coproc::sendmail
