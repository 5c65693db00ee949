// The typed params and results of mail.send, mail.status and mail.list — the
// one definition the co-process, the C ABI, coprocctl and the protocol
// catalogue (protocol/catalogue/level1.txt) share.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <msgpack.hpp>

#include "rpc_message.h"

namespace coproc::rpc {

/// One attachment of mail.send: exactly one of `data`, `data_base64` or `fd`.
struct MailAttachmentParams {
  std::string filename;
  std::string content_type;  // "" = guessed by the co-process from the name
  std::optional<std::string> data;         // the bytes (packed as bin)
  std::optional<std::string> data_base64;  // for callers that cannot send bin
  std::optional<std::uint64_t> fd;         // index of a descriptor passed with the call
  static constexpr std::array<std::string_view, 5> kKeys{"filename", "content_type", "data",
                                                         "data_base64", "fd"};
};

/// mail.send params. Empty optional fields are left out of the map.
struct MailSendParams {
  std::string from;
  std::vector<std::string> to, cc, bcc;  // each item may hold "a@x, b@y"
  std::vector<std::string> reply_to;
  std::string subject;
  std::string text, html;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, in order
  std::vector<MailAttachmentParams> attachments;
  std::string idempotency_key;  // "" = none (the client library always sets one)
  static constexpr std::array<std::string_view, 11> kKeys{
      "from", "to",   "cc",      "bcc",         "reply_to",       "subject",
      "text", "html", "headers", "attachments", "idempotency_key"};
};

/// `[{...}]`, the params array of mail.send.
Packed pack_params(const MailSendParams& params);

/// mail.send's raw form: a finished message sent as given (coproc-sendmail).
/// The co-process tells the forms apart by the `raw` key.
struct MailSendRawParams {
  std::string raw;  // the whole message, header and body (packed as bin)
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  bool recipients_from_headers = false;
  std::string from_name;        // "" = none
  std::string idempotency_key;  // "" = none
  static constexpr std::array<std::string_view, 6> kKeys{
      "raw", "envelope_from", "envelope_to", "recipients_from_headers", "from_name",
      "idempotency_key"};
};

Packed pack_params(const MailSendRawParams& params);

/// mail.send result; `duplicate` is true when the idempotency key was seen.
struct MailSendResult {
  std::string id;
  std::string state;
  bool duplicate = false;
  MSGPACK_DEFINE_MAP(id, state, duplicate);
};

/// mail.status params.
struct MailStatusParams {
  std::string id;
  MSGPACK_DEFINE_MAP(id);
  static constexpr std::array<std::string_view, 1> kKeys{"id"};
};

/// A recipient the relay refused for good, with its reply.
struct MailRefusal {
  std::string address;
  std::string reply;
  MSGPACK_DEFINE_MAP(address, reply);
};

/// mail.status result, and one entry of mail.list.
struct MailView {
  std::string id;
  std::string state;
  std::uint32_t owner_uid = 0;
  std::string from;
  std::vector<std::string> recipients;
  std::string subject;
  std::string message_id;
  std::int64_t created_ms = 0;
  std::int64_t attempts = 0;
  std::string last_error;
  std::int64_t next_attempt_ms = 0;
  std::int64_t sent_ms = 0;
  std::uint64_t size = 0;
  std::vector<std::string> delivered_to;
  std::vector<MailRefusal> refused;
  MSGPACK_DEFINE_MAP(id, state, owner_uid, from, recipients, subject, message_id, created_ms,
                     attempts, last_error, next_attempt_ms, sent_ms, size, delivered_to, refused);
};

/// mail.list params: an optional state filter and a limit (default 100).
struct MailListParams {
  std::optional<std::string> state;
  std::int64_t limit = 100;
  static constexpr std::array<std::string_view, 2> kKeys{"state", "limit"};
};

Packed pack_params(const MailStatusParams& params);
Packed pack_params(const MailListParams& params);

/// mail.test params (admins only): a test message goes to `to` when given.
struct MailTestParams {
  std::optional<std::string> to;
  std::optional<std::string> from;  // default postmaster@<helo name>
  static constexpr std::array<std::string_view, 2> kKeys{"to", "from"};
};

Packed pack_params(const MailTestParams& params);

/// mail.test result: the stages that worked, and why the next one did not.
struct MailTestResult {
  std::string transport;
  std::vector<std::string> steps;
  bool ok = false;
  std::string error;
  MSGPACK_DEFINE_MAP(transport, steps, ok, error);
};

/// mail.list result.
struct MailListResult {
  std::vector<MailView> mails;
  MSGPACK_DEFINE_MAP(mails);
};

}  // namespace coproc::rpc
