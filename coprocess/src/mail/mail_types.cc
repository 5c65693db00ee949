#include "mail_types.h"

#include <algorithm>
#include <chrono>

#include <Poco/Environment.h>
#include <Poco/Exception.h>

namespace coproc::mail {

std::vector<std::string> MailRequest::envelope_recipients() const {
  std::vector<std::string> out;
  for (const auto* list : {&to, &cc, &bcc}) {
    for (const Address& a : *list) out.push_back(a.addr_spec);
  }
  return out;
}

std::vector<std::string> MailRecord::pending_recipients() const {
  std::vector<std::string> out;
  for (const std::string& r : recipients) {
    const bool delivered = std::find(delivered_to.begin(), delivered_to.end(), r) != delivered_to.end();
    const bool refused_for_good =
        std::find_if(refused.begin(), refused.end(),
                     [&](const RecipientRefusal& x) { return x.address == r; }) != refused.end();
    if (!delivered && !refused_for_good) out.push_back(r);
  }
  return out;
}

const char* state_name(MailState state) {
  switch (state) {
    case MailState::queued: return "queued";
    case MailState::sending: return "sending";
    case MailState::sent: return "sent";
    case MailState::failed: return "failed";
  }
  return "queued";
}

bool parse_state(const std::string& name, MailState* out) {
  for (MailState s : {MailState::queued, MailState::sending, MailState::sent, MailState::failed}) {
    if (name == state_name(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string local_host_name() {
  try {
    std::string name = Poco::Environment::nodeName();
    if (!name.empty()) return name;
  } catch (const Poco::Exception&) {
  }
  return "localhost";
}

}  // namespace coproc::mail
