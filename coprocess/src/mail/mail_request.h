// mail.send's parameters → a validated MailRequest. Everything a caller can
// get wrong is reported here as bad_request / too_large with a sentence
// that names the parameter, before anything is queued.
#pragma once

#include <cstdint>

#include "call_context.h"
#include "mail_types.h"
#include "params.h"
#include "utf8.h"

namespace coproc::mail {

/// Envelope recipients of one mail, at most (both forms of mail.send).
constexpr std::size_t kMaxRecipients = 1000;

/// Reads and checks mail.send's params. Attachments given as {"fd": i} are
/// read from the descriptor the client passed (call.take_fd) and closed; a
/// path is never accepted. Throws RpcException(bad_request | too_large).
MailRequest parse_mail_request(const rpc::Params& params, CallContext& call,
                               std::uint64_t max_message_bytes);

/// 'idempotency_key' (both forms of mail.send): "" when absent; at most 200
/// bytes, no control characters. Throws RpcException(bad_request).
std::string parse_idempotency_key(const rpc::Params& params);

/// Splits "a@x, \"B, C\" <b@y>" at the commas outside quotes and <>.
std::vector<std::string> split_address_list(const std::string& text);

/// "application/pdf" for "x.pdf" etc.; application/octet-stream when unknown.
std::string guess_content_type(const std::string& filename);

using coproc::valid_utf8;  // utf8.h

}  // namespace coproc::mail
