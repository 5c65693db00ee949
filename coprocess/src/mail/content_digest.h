// What an idempotency key stands for: a digest of the content a mail.send
// asks to send, independent of the call's own id, date and Message-ID. A
// resend of the same request matches; another message under the same key
// does not, and is answered `conflict` (docs/mail.md).
#pragma once

#include <string>
#include <vector>

#include "mail_types.h"

namespace coproc::mail {

/// SHA-256 (hex) of a built-form request: addresses, subject, bodies, extra
/// headers and attachments (name, type and bytes).
std::string content_digest(const MailRequest& request);

/// SHA-256 (hex) of a raw-form request: the message as given and its envelope.
std::string raw_content_digest(const std::string& raw, const std::string& envelope_from,
                               const std::vector<std::string>& recipients);

}  // namespace coproc::mail
