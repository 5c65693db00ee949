// The embedded default transport when no relay is configured: every
// delivered message becomes one file <maildir>/new/<unique>.eml, written
// in <maildir>/tmp first and renamed (the maildir convention), so readers
// never see half a message. A fresh install thereby "sends" mail end to end.
#pragma once

#include <string>

#include "mail_transport.h"

namespace coproc::mail {

class MaildirTransport : public Transport {
 public:
  /// Creates dir, dir/tmp, dir/new and dir/cur (0700) if missing. Throws
  /// std::system_error.
  explicit MaildirTransport(std::string dir);
  std::unique_ptr<TransportSession> open() override;
  std::string describe() const override { return "maildir " + dir_; }

 private:
  std::string dir_;
};

}  // namespace coproc::mail
