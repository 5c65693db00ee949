#include "raw_message.h"

#include <algorithm>
#include <cctype>

#include "mail_address.h"
#include "mail_messages.h"
#include "mail_request.h"
#include "mime_builder.h"
#include "rpc_error.h"

namespace coproc::mail {
namespace {

constexpr std::size_t kMaxHeaderLine = 998;  // RFC 5322 2.1.1
constexpr std::size_t kMaxSubjectBytes = 2000;

[[noreturn]] void bad(const std::string& message) {
  throw RpcException(Errc::bad_request, message);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The start of a line for a message, control characters shown as '?'.
std::string shown(std::string_view line) {
  std::string out(line.substr(0, 60));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return out;
}

// "Name" of a "Name: value" line, or "" when the line is not a header field
// (RFC 5322 ftext: printable ASCII but ':'; obsolete white space before the
// colon is allowed).
std::string_view field_name(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return {};
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return {};
  }
  return name;
}

// The value of a whole field (all its lines), unfolded and trimmed.
std::string unfolded_value(std::string_view field) {
  std::string out;
  for (char c : field.substr(field.find(':') + 1)) {
    if (c != '\r' && c != '\n') out += c;
  }
  return std::string(trim(out));
}

// "root" → "root@domain", "Name <root>" → "Name <root@domain>"; anything
// with an '@' after its last quote is left alone.
std::string qualified(std::string_view address, const std::string& domain) {
  std::string_view spec = address;
  std::size_t open = std::string_view::npos;
  if (!address.empty() && address.back() == '>') {
    open = address.rfind('<');
    if (open == std::string_view::npos) return std::string(address);
    spec = address.substr(open + 1, address.size() - open - 2);
  }
  const std::size_t quote = spec.rfind('"');
  if (spec.empty() || spec.find('@', quote == std::string_view::npos ? 0 : quote) !=
                          std::string_view::npos) {
    return std::string(address);
  }
  if (open == std::string_view::npos) return std::string(address) + "@" + domain;
  return std::string(address.substr(0, address.size() - 1)) + "@" + domain + ">";
}

// Comments "(...)" outside quoted strings become a space (RFC 5322 CFWS).
std::string without_comments(std::string_view value) {
  std::string out;
  bool quoted = false;
  int depth = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if ((quoted || depth > 0) && c == '\\' && i + 1 < value.size()) {
      if (depth == 0) {
        out += c;
        out += value[i + 1];
      }
      ++i;
      continue;
    }
    if (depth == 0 && c == '"') quoted = !quoted;
    if (!quoted && c == '(') {
      ++depth;
      continue;
    }
    if (!quoted && depth > 0 && c == ')') {
      if (--depth == 0) out += ' ';
      continue;
    }
    if (depth == 0) out += c;
  }
  return out;
}

// Group syntax "name: a, b;" becomes ", a, b,": a ':' outside quotes and
// angle brackets ends a group name, a ';' ends the group.
std::string without_groups(std::string_view value) {
  return copy_address_list(value, [](char c, std::string& out) {
    if (c == ':') {
      const std::size_t comma = out.rfind(',');
      out.erase(comma == std::string::npos ? 0 : comma + 1);
    } else if (c != ';') {
      return false;
    }
    out += ',';
    return true;
  });
}

// Every address of a comma-separated list, qualified and checked.
void add_addresses(std::string_view list, std::string_view field, const std::string& domain,
                   std::vector<std::string>* out) {
  if (list.find_first_not_of(" \t,") == std::string_view::npos) return;  // an empty list
  for (const std::string& piece : split_address_list(std::string(list))) {
    std::string_view one = trim(piece);
    if (one.empty()) continue;
    out->push_back(parse_address(qualified(one, domain), field).addr_spec);
  }
}

// One header field, all of its lines, each ending in CRLF.
struct Field {
  std::string name;  // lower case
  std::string text;
};

struct SplitMessage {
  std::vector<Field> fields;
  std::string_view body;  // after the empty line (or everything, without a header)
};

// Splits CRLF text into header fields and body. A first line that is not a
// header field means the message has no header (`echo hi | sendmail a@b`).
SplitMessage split_message(std::string_view text) {
  SplitMessage out;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find("\r\n", pos);
    const std::size_t line_end = end == std::string_view::npos ? text.size() : end;
    const std::size_t next = end == std::string_view::npos ? text.size() : end + 2;
    const std::string_view line = text.substr(pos, line_end - pos);
    ++line_no;
    const std::string where = "line " + std::to_string(line_no) + " of the message header";
    if (line.empty()) {
      out.body = text.substr(next);
      return out;
    }
    if (line.size() > kMaxHeaderLine) bad(where + " is longer than 998 bytes");
    if (line.find('\0') != std::string_view::npos) bad(where + " contains a NUL byte");
    if (!valid_utf8(line)) bad(where + " is neither ASCII nor UTF-8: \"" + shown(line) + "\"");
    if (line.front() == ' ' || line.front() == '\t') {
      if (out.fields.empty()) bad(where + " starts with white space but continues no field");
      out.fields.back().text.append(line);
      out.fields.back().text += "\r\n";
    } else if (std::string_view name = field_name(line); !name.empty()) {
      out.fields.push_back(Field{lower(name), std::string(line) + "\r\n"});
    } else if (out.fields.empty()) {
      out.body = text.substr(pos);
      return out;
    } else {
      bad(where + " is not a 'Name: value' field, and no empty line before it ends the "
          "header: \"" + shown(line) + "\"");
    }
    pos = next;
  }
  return out;  // only header fields, no body
}

}  // namespace

std::vector<std::string> header_addresses(std::string_view value, std::string_view field,
                                          const std::string& local_domain) {
  std::vector<std::string> out;
  add_addresses(without_groups(without_comments(value)), field, local_domain, &out);
  return out;
}

bool is_raw_request(const rpc::Params& params) { return params.has("raw"); }

RawMail prepare_raw_mail(const rpc::Params& params, const RawContext& context) {
  params.allow_only(rpc::MailSendRawParams::kKeys);
  const std::string raw = params.opt_bytes("raw").value_or("");
  if (raw.size() > context.max_message_bytes) {
    throw RpcException(Errc::too_large, "the message is " + std::to_string(raw.size()) +
                                            " bytes; mail.max_message_bytes is " +
                                            std::to_string(context.max_message_bytes));
  }
  if (raw.empty()) bad("'raw' is empty: give the whole message, header and body");

  RawMail out;
  out.idempotency_key = parse_idempotency_key(params);
  const std::string sender(trim(params.str_or("envelope_from", "")));
  if (sender.empty()) {
    bad("'envelope_from' is required with 'raw': the envelope sender (sendmail's -f)");
  }
  out.envelope_from =
      parse_address(qualified(sender, context.local_domain), "envelope_from").addr_spec;
  const std::string from_name = params.str_or("from_name", "");
  if (has_line_break(from_name)) bad("'from_name' contains a CR, LF or NUL");
  if (!valid_utf8(from_name)) bad("'from_name' is not valid UTF-8");

  std::vector<std::string> recipients;
  for (const std::string& item : params.str_list("envelope_to")) {
    add_addresses(item, "envelope_to", context.local_domain, &recipients);
  }
  const bool from_headers = params.bool_or("recipients_from_headers", false);

  std::string text = normalize_crlf(raw);
  // An mbox "From " line before the header is not part of the message.
  if (text.rfind("From ", 0) == 0) {
    const std::size_t eol = text.find("\r\n");
    text.erase(0, eol == std::string::npos ? text.size() : eol + 2);
  }
  const SplitMessage split = split_message(text);

  std::string header;
  bool has_from = false, has_date = false;
  for (const Field& f : split.fields) {
    if (from_headers && (f.name == "to" || f.name == "cc" || f.name == "bcc")) {
      const std::string field = "header " + f.text.substr(0, f.name.size());
      for (std::string& a : header_addresses(unfolded_value(f.text), field, context.local_domain)) {
        recipients.push_back(std::move(a));
      }
    }
    if (f.name == "bcc" || f.name == "resent-bcc") continue;  // never passed on
    if (f.name == "from") has_from = true;
    if (f.name == "date") has_date = true;
    if (f.name == "message-id") out.message_id = unfolded_value(f.text);
    if (f.name == "subject") out.subject = unfolded_value(f.text).substr(0, kMaxSubjectBytes);
    header += f.text;
  }
  if (!has_from) {
    header += "From: " + format_address(Address{from_name, out.envelope_from}) + "\r\n";
  }
  if (!has_date) header += "Date: " + rfc5322_date(context.date_ms) + "\r\n";
  if (out.message_id.empty()) {
    out.message_id = context.message_id;
    header += "Message-ID: " + out.message_id + "\r\n";
  }

  for (const std::string& r : recipients) {
    const std::string key = lower(r);
    if (std::none_of(out.recipients.begin(), out.recipients.end(),
                     [&](const std::string& seen) { return lower(seen) == key; })) {
      out.recipients.push_back(r);
    }
  }
  if (out.recipients.empty()) {
    bad(from_headers ? "no recipients: the message has no address in To, Cc or Bcc, and "
                       "'envelope_to' is empty"
                     : "no recipients: give 'envelope_to', or set 'recipients_from_headers' "
                       "(sendmail -t)");
  }
  if (out.recipients.size() > kMaxRecipients) {
    bad("too many recipients (" + std::to_string(out.recipients.size()) + "; at most " +
        std::to_string(kMaxRecipients) + ")");
  }

  out.message = header + "\r\n" + std::string(split.body);
  if (out.message.size() > context.max_message_bytes) {
    throw RpcException(Errc::too_large,
                       "the message is " + std::to_string(out.message.size()) +
                           " bytes with CRLF line endings and the added header fields; "
                           "mail.max_message_bytes is " +
                           std::to_string(context.max_message_bytes));
  }
  return out;
}

}  // namespace coproc::mail
