#include "mime_builder.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <sstream>
#include <vector>

#include <Poco/Base64Encoder.h>

namespace coproc::mail {
namespace {

constexpr std::size_t kMaxLine = 998;

bool is_ascii_printable(std::string_view s) {
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) return false;
  }
  return true;
}

std::string base64(std::string_view data, int line_length) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(line_length);
  encoder.write(data.data(), static_cast<std::streamsize>(data.size()));
  encoder.close();
  return out.str();
}

// Length of the UTF-8 sequence starting with `lead` (1 for stray bytes).
std::size_t utf8_len(unsigned char lead) {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

bool needs_quoting(std::string_view name) {
  for (char c : name) {
    bool atext_or_space = std::isalnum(static_cast<unsigned char>(c)) || c == ' ' ||
                          std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
    if (!atext_or_space) return true;
  }
  return false;
}

std::string percent_encode(std::string_view s) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos) {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

bool simple_quoted_ok(std::string_view s) {
  return is_ascii_printable(s) && s.find_first_of("\"\\") == std::string_view::npos;
}

struct Entity {
  std::string headers;  // CRLF-terminated lines
  std::string body;     // for leaves
  std::vector<Entity> parts;
  std::string boundary;  // set for multiparts
};

Entity text_leaf(std::string_view text, const char* subtype) {
  Entity e;
  std::string crlf = normalize_crlf(text);
  bool plain = true;  // 7bit: ASCII without control characters, lines <= 998
  std::size_t line = 0;
  for (char c : crlf) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') {
      line = 0;
      continue;
    }
    if (u >= 0x80 || (u < 0x20 && c != '\r' && c != '\t') || u == 0x7f || ++line > kMaxLine) {
      plain = false;
      break;
    }
  }
  e.headers = std::string("Content-Type: text/") + subtype + "; charset=utf-8\r\n";
  if (plain) {
    e.headers += "Content-Transfer-Encoding: 7bit\r\n";
    e.body = std::move(crlf);
  } else {
    e.headers += "Content-Transfer-Encoding: quoted-printable\r\n";
    e.body = quoted_printable(crlf);
  }
  return e;
}

Entity attachment_leaf(const Attachment& a) {
  Entity e;
  e.headers = "Content-Type: " + a.content_type + ";\r\n name=\"";
  e.headers += simple_quoted_ok(a.filename) ? a.filename : encoded_words(a.filename, 7);
  e.headers += "\"\r\nContent-Disposition: attachment;\r\n ";
  if (simple_quoted_ok(a.filename)) {
    e.headers += "filename=\"" + a.filename + "\"\r\n";
  } else {
    e.headers += "filename*=UTF-8''" + percent_encode(a.filename) + "\r\n";
  }
  e.headers += "Content-Transfer-Encoding: base64\r\n";
  e.body = base64(a.data, 76);
  if (!e.body.empty()) e.body += "\r\n";
  return e;
}

void write_entity(std::string& out, const Entity& e) {
  out += e.headers;
  if (e.parts.empty()) {
    out += "\r\n";
    out += e.body;
    return;
  }
  out += "\r\n";
  for (const Entity& part : e.parts) {
    out += "--" + e.boundary + "\r\n";
    write_entity(out, part);
    // The CRLF before the delimiter belongs to the delimiter, not the part.
    out += "\r\n";
  }
  out += "--" + e.boundary + "--\r\n";
}

std::string address_list(const std::vector<Address>& list) {
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ",\r\n ";
    out += format_address(list[i]);
  }
  return out;
}

}  // namespace

std::string normalize_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t line = 0;
  auto emit = [&](const std::string& piece) {
    if (line + piece.size() > 75) {
      out += "=\r\n";
      line = 0;
    }
    out += piece;
    line += piece.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      out += "\r\n";
      line = 0;
      ++i;
      continue;
    }
    bool at_line_end = i + 1 == text.size() || text[i + 1] == '\r';
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end);
    if (c == '.' && line == 0) literal = false;  // never a lone "." line after soft breaks
    if (literal) {
      emit(std::string(1, static_cast<char>(c)));
    } else {
      emit(std::string{'=', hex[c >> 4], hex[c & 15]});
    }
  }
  return out;
}

std::string encoded_words(std::string_view utf8, std::size_t first_line_used) {
  constexpr std::size_t kChunk = 45;  // 60 base64 chars + 12 = 72 <= 75
  std::string out;
  std::size_t i = 0;
  while (i < utf8.size()) {
    // 78 - 1 (folding space) - 12 (=?UTF-8?B? ?=) leaves 65 base64 chars.
    const std::size_t room = out.empty() && first_line_used > 0
                                 ? std::max<std::size_t>(12, 78 - 12 - std::min<std::size_t>(first_line_used, 54)) / 4 * 3
                                 : kChunk;
    std::size_t end = i;
    while (end < utf8.size()) {
      std::size_t n = utf8_len(static_cast<unsigned char>(utf8[end]));
      if (end + n - i > std::min(room, kChunk)) break;
      end += n;
    }
    if (end == i) end = std::min(utf8.size(), i + kChunk);
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(utf8.substr(i, end - i), 0) + "?=";
    i = end;
  }
  return out;
}

std::string header_text(std::string_view name, std::string_view value) {
  if (!is_ascii_printable(value)) return encoded_words(value, name.size() + 2);
  // Fold at spaces so lines stay near 78 characters; a word too long for
  // one line (over 998) is sent as encoded words instead.
  std::string out;
  std::size_t line = name.size() + 2;
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t space = value.find(' ', start + 1);
    if (space == std::string_view::npos) space = value.size();
    std::string_view word = value.substr(start, space - start);
    if (line + word.size() > kMaxLine) return encoded_words(value, name.size() + 2);
    if (line + word.size() > 78 && !out.empty() && word.front() == ' ') {
      out += "\r\n";
      line = 0;
    }
    out += word;
    line += word.size();
    if (space == value.size()) break;
    start = space;
  }
  return out;
}

std::string format_address(const Address& a) {
  if (a.display_name.empty()) return a.addr_spec;
  std::string name;
  if (!is_ascii_printable(a.display_name)) {
    name = encoded_words(a.display_name);
  } else if (needs_quoting(a.display_name)) {
    name = "\"" + a.display_name + "\"";
  } else {
    name = a.display_name;
  }
  return name + " <" + a.addr_spec + ">";
}

std::string rfc5322_date(std::int64_t unix_ms) {
  static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string build_mime(const MailRequest& r, const MimeOptions& o) {
  std::string out;
  out += "Date: " + rfc5322_date(o.date_ms) + "\r\n";
  out += "From: " + format_address(r.from) + "\r\n";
  out += "To: " + (r.to.empty() ? std::string("undisclosed-recipients:;") : address_list(r.to)) +
         "\r\n";
  if (!r.cc.empty()) out += "Cc: " + address_list(r.cc) + "\r\n";
  if (!r.reply_to.empty()) out += "Reply-To: " + address_list(r.reply_to) + "\r\n";
  out += "Subject: " + header_text("Subject", r.subject) + "\r\n";
  out += "Message-ID: " + o.message_id + "\r\n";
  for (const auto& [name, value] : r.headers) {
    out += name + ": " + header_text(name, value) + "\r\n";
  }
  out += "MIME-Version: 1.0\r\n";

  std::size_t boundaries = 0;
  auto boundary = [&] {
    std::size_t h = std::hash<std::string>{}(o.boundary_seed + o.message_id);
    char buf[64];
    std::snprintf(buf, sizeof buf, "=_coproc_%016zx_%zu", h, ++boundaries);
    return std::string(buf);
  };
  auto multipart = [&](const char* subtype, std::vector<Entity> parts) {
    Entity e;
    e.boundary = boundary();
    e.headers = std::string("Content-Type: multipart/") + subtype + ";\r\n boundary=\"" +
                e.boundary + "\"\r\n";
    e.parts = std::move(parts);
    return e;
  };

  Entity body;
  const bool has_html = !r.html.empty();
  const bool has_text = !r.text.empty() || !has_html;
  if (has_text && has_html) {
    body = multipart("alternative", {text_leaf(r.text, "plain"), text_leaf(r.html, "html")});
  } else if (has_html) {
    body = text_leaf(r.html, "html");
  } else {
    body = text_leaf(r.text, "plain");
  }
  if (!r.attachments.empty()) {
    std::vector<Entity> parts{std::move(body)};
    for (const Attachment& a : r.attachments) parts.push_back(attachment_leaf(a));
    body = multipart("mixed", std::move(parts));
  }
  write_entity(out, body);
  return out;
}

}  // namespace coproc::mail
