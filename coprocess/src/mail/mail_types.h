// The values the mail component passes between its parts: a validated
// request, and the record the outbox keeps for every accepted message.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "mail_messages.h"

namespace coproc::mail {

/// One address as written by the caller: "Name <a@b.example>" or "a@b.example".
struct Address {
  std::string display_name;  // UTF-8, may be empty
  std::string addr_spec;     // "local@domain", ASCII
};

struct Attachment {
  std::string filename;      // UTF-8, no path separators or control characters
  std::string content_type;  // "type/subtype"
  std::string data;          // the bytes
};

/// A mail.send request after validation: every header value is free of CR
/// and LF, every address parsed.
struct MailRequest {
  Address from;
  std::vector<Address> to, cc, bcc;
  std::vector<Address> reply_to;
  std::string subject;  // UTF-8
  std::string text;     // UTF-8, any line endings
  std::string html;     // UTF-8, any line endings
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::vector<Attachment> attachments;
  std::string idempotency_key;

  /// Every envelope recipient (to, cc, bcc), in that order.
  std::vector<std::string> envelope_recipients() const;
};

enum class MailState { queued, sending, sent, failed };

const char* state_name(MailState state);
/// False for anything but the four names.
bool parse_state(const std::string& name, MailState* out);

/// A recipient the relay refused for good (5xx to RCPT TO), or that was
/// still deferred (4xx) when mail.max_age_s ran out: {address, reply}, the
/// same shape mail.status shows.
using RecipientRefusal = rpc::MailRefusal;

/// What the outbox stores next to each message (<id>.meta, MessagePack).
/// `recipients` never changes; each delivery attempt goes to the ones not
/// yet in `delivered_to` or `refused`. Records written before these two
/// fields existed read them as empty.
struct MailRecord {
  std::string id;
  std::uint32_t owner_uid = 0;
  std::string state = "queued";  // state_name() of a MailState
  std::string envelope_from;
  std::vector<std::string> recipients;
  std::string subject;
  std::string message_id;  // "<...@...>"
  std::string idempotency_key;
  std::string content_digest;  // content_digest.h; empty in records older than it
  std::int64_t created_ms = 0;       // Unix time, milliseconds
  std::int64_t next_attempt_ms = 0;  // 0: as soon as possible
  std::int64_t sent_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t attempts = 0;
  std::string last_error;
  std::uint64_t size = 0;  // bytes of the MIME message
  std::vector<std::string> delivered_to;   // accepted by the relay
  std::vector<RecipientRefusal> refused;   // refused for good

  /// Recipients still to deliver to: neither delivered nor refused.
  std::vector<std::string> pending_recipients() const;

  MSGPACK_DEFINE_MAP(id, owner_uid, state, envelope_from, recipients, subject, message_id,
                     idempotency_key, content_digest, created_ms, next_attempt_ms, sent_ms, updated_ms, attempts,
                     last_error, size, delivered_to, refused);
};

/// Unix time now in milliseconds.
std::int64_t now_ms();

/// This machine's name ("localhost" when it has none), for HELO/EHLO and
/// file names.
std::string local_host_name();

}  // namespace coproc::mail
