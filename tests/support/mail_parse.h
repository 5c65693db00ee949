// A small, independent MIME reader for tests: checks what the co-process
// sent without using any of its code (or Poco's).
#pragma once

#include <string>
#include <vector>

namespace coproc::test {

struct MimePart {
  std::string raw_headers;         // as received, CRLF lines
  std::string body;                // raw, transfer-encoded
  std::vector<MimePart> children;  // for multipart/*

  /// Unfolded value of the first header `name` (case-insensitive), "" if none.
  std::string header(const std::string& name) const;
  /// "text/plain" (lower case), from Content-Type; "text/plain" if absent.
  std::string content_type() const;
  /// A parameter of Content-Type / Content-Disposition ("boundary", "filename").
  std::string param(const std::string& header_name, const std::string& param) const;
  /// The body after base64 / quoted-printable decoding.
  std::string decoded() const;
};

/// Parses a whole message (or part), recursing into multiparts.
MimePart parse_mime(const std::string& raw);

std::string base64_decode(const std::string& text);
std::string qp_decode(const std::string& text);
/// Decodes RFC 2047 encoded words (B and Q, UTF-8) in an unfolded header value.
std::string decode_words(const std::string& value);
/// Decodes an RFC 2231 value "UTF-8''%E2%82%AC.txt".
std::string decode_rfc2231(const std::string& value);

}  // namespace coproc::test
