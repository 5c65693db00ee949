#include "methods.h"

namespace coproc::rpc {

bool is_idempotent(std::string_view m) {
  return m == method::kHello || m == method::kPing || m == method::kStatus ||
         m == method::kMailSend || m == method::kMailStatus || m == method::kMailList ||
         m == method::kSvcLaunch || m == method::kSvcStatus || m == method::kJobStatus ||
         m == method::kJobWait || m == method::kJobCancel || m == method::kJobList;
}

}  // namespace coproc::rpc
