// Builds the RFC 5322 / MIME message for a validated MailRequest: UTF-8
// headers as RFC 2047 encoded words, text and HTML as multipart/alternative,
// attachments as base64 parts with RFC 2231 file names, every line ending
// in CRLF. Bcc never appears in the headers (only in the envelope).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mail_types.h"

namespace coproc::mail {

struct MimeOptions {
  std::string message_id;        // "<id@host>"
  std::int64_t date_ms = 0;      // Date header, Unix ms
  std::string boundary_seed;     // makes the multipart boundaries unique
};

/// The whole message, headers and body, CRLF line endings.
std::string build_mime(const MailRequest& request, const MimeOptions& options);

/// Bare CR, bare LF and CRLF all become CRLF.
std::string normalize_crlf(std::string_view text);

/// Quoted-printable (RFC 2045) of CRLF text, lines at most 76 characters.
std::string quoted_printable(std::string_view crlf_text);

/// RFC 2047 "=?UTF-8?B?...?=" words, each at most 75 characters, split on
/// character boundaries and joined with CRLF SP (folding); the first word
/// is shortened so that a line already holding `first_line_used`
/// characters stays within 78.
std::string encoded_words(std::string_view utf8, std::size_t first_line_used = 0);

/// An unstructured header value (Subject, custom headers): plain ASCII
/// folded at spaces, or encoded words when it holds non-ASCII.
std::string header_text(std::string_view name, std::string_view value);

/// "Name <a@b>", with the display name quoted or encoded as needed.
std::string format_address(const Address& address);

/// RFC 5322 date in UTC: "Tue, 15 Nov 1994 08:12:31 +0000".
std::string rfc5322_date(std::int64_t unix_ms);

}  // namespace coproc::mail
