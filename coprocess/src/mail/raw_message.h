// mail.send's raw form: a finished RFC 5322 message given as bytes (what
// sendmail-compatible programs pipe in), with its envelope. The message is
// kept as given: only line endings become CRLF, Bcc fields are removed, and
// From, Date and Message-ID are added when missing. Everything a caller can
// get wrong is reported as bad_request / too_large before anything is
// queued, with a sentence that names the parameter or the header line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "params.h"

namespace coproc::mail {

/// What the raw form needs from the co-process besides the params.
struct RawContext {
  std::uint64_t max_message_bytes = 0;  // mail.max_message_bytes
  std::string local_domain;             // qualifies "root" as "root@<local_domain>"
  std::string message_id;               // "<id@host>", used when the message has none
  std::int64_t date_ms = 0;             // Date header when the message has none
};

/// A raw message ready for the outbox.
struct RawMail {
  std::string envelope_from;            // addr-spec
  std::vector<std::string> recipients;  // addr-specs, each once, in order of appearance
  std::string subject;                  // the Subject header unfolded, as written (may be RFC 2047)
  std::string message_id;               // the message's own, or the added one
  std::string idempotency_key;
  std::string message;                  // CRLF line endings
};

/// True when mail.send's params use the raw form (they hold 'raw').
bool is_raw_request(const rpc::Params& params);

/// Reads and checks the raw form {raw, envelope_from, envelope_to?,
/// recipients_from_headers?, from_name?, idempotency_key?} (docs/mail.md).
/// Throws RpcException(bad_request | too_large).
RawMail prepare_raw_mail(const rpc::Params& params, const RawContext& context);

/// The addresses of one To/Cc/Bcc header value: comments and group names
/// dropped ("undisclosed-recipients:;" is none), addresses without '@'
/// qualified with `local_domain`. Throws RpcException(bad_request) naming
/// `field` for an address that is not valid.
std::vector<std::string> header_addresses(std::string_view value, std::string_view field,
                                          const std::string& local_domain);

}  // namespace coproc::mail
