// coproc-sendmail's exit codes: the sysexits.h values sendmail callers
// (cron, PHP, mailx, MTAs that hand over) already understand. Defined here
// because Windows has no sysexits.h.
#pragma once

#include "coproc/coproc.h"

namespace coproc::sendmail {

enum SysExit : int {
  kExOk = 0,
  kExUsage = 64,        // EX_USAGE: bad command line
  kExDataErr = 65,      // EX_DATAERR: malformed message or address, or too large
  kExUnavailable = 69,  // EX_UNAVAILABLE: the co-process has no mail service
  kExSoftware = 70,     // EX_SOFTWARE: internal error, protocol trouble
  kExOsErr = 71,        // EX_OSERR: out of memory
  kExIoErr = 74,        // EX_IOERR: standard input could not be read
  kExTempFail = 75,     // EX_TEMPFAIL: the co-process cannot accept now; try later
  kExNoPerm = 77,       // EX_NOPERM: not allowed to use the co-process
};

/// The exit code for the status of the mail.send call.
SysExit exit_for(coproc_status status);

}  // namespace coproc::sendmail
