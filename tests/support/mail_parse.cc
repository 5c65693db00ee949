#include "mail_parse.h"

#include <cctype>
#include <stdexcept>

namespace coproc::test {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t");
  return s.substr(a, b - a + 1);
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string MimePart::header(const std::string& name) const {
  const std::string want = lower(name) + ":";
  size_t pos = 0;
  while (pos < raw_headers.size()) {
    size_t end = raw_headers.find("\r\n", pos);
    if (end == std::string::npos) end = raw_headers.size();
    std::string line = raw_headers.substr(pos, end - pos);
    pos = end + 2;
    if (lower(line.substr(0, want.size())) != want) continue;
    std::string value = line.substr(want.size());
    while (pos < raw_headers.size() && (raw_headers[pos] == ' ' || raw_headers[pos] == '\t')) {
      end = raw_headers.find("\r\n", pos);
      if (end == std::string::npos) end = raw_headers.size();
      value += raw_headers.substr(pos, end - pos);  // unfold: drop the CRLF only
      pos = end + 2;
    }
    return trim(value);
  }
  return "";
}

std::string MimePart::content_type() const {
  std::string v = header("Content-Type");
  if (v.empty()) return "text/plain";
  return lower(trim(v.substr(0, v.find(';'))));
}

std::string MimePart::param(const std::string& header_name, const std::string& p) const {
  std::string v = header(header_name);
  size_t pos = v.find(';');
  while (pos != std::string::npos) {
    size_t next = pos + 1;
    std::string item;
    bool quoted = false;
    for (; next < v.size(); ++next) {
      if (v[next] == '"') quoted = !quoted;
      if (v[next] == ';' && !quoted) break;
      item += v[next];
    }
    size_t eq = item.find('=');
    if (eq != std::string::npos && lower(trim(item.substr(0, eq))) == lower(p)) {
      std::string val = trim(item.substr(eq + 1));
      if (val.size() >= 2 && val.front() == '"') val = val.substr(1, val.size() - 2);
      return val;
    }
    pos = next < v.size() ? next : std::string::npos;
  }
  return "";
}

std::string MimePart::decoded() const {
  std::string cte = lower(header("Content-Transfer-Encoding"));
  if (cte == "base64") return base64_decode(body);
  if (cte == "quoted-printable") return qp_decode(body);
  return body;
}

MimePart parse_mime(const std::string& raw) {
  MimePart part;
  size_t split = raw.find("\r\n\r\n");
  if (raw.rfind("\r\n", 0) == 0) {
    split = 0;
    part.body = raw.substr(2);
  } else if (split == std::string::npos) {
    part.raw_headers = raw;
  } else {
    part.raw_headers = raw.substr(0, split + 2);
    part.body = raw.substr(split + 4);
  }
  if (part.content_type().rfind("multipart/", 0) == 0) {
    const std::string boundary = part.param("Content-Type", "boundary");
    if (boundary.empty()) throw std::runtime_error("multipart without boundary");
    const std::string delim = "--" + boundary;
    std::string body = "\r\n" + part.body;
    size_t pos = body.find("\r\n" + delim);
    while (pos != std::string::npos) {
      size_t start = pos + 2 + delim.size();
      if (body.compare(start, 2, "--") == 0) break;
      start = body.find("\r\n", start) + 2;
      size_t end = body.find("\r\n" + delim, start);
      if (end == std::string::npos) throw std::runtime_error("unterminated multipart");
      part.children.push_back(parse_mime(body.substr(start, end - start)));
      pos = end;
    }
  }
  return part;
}

std::string base64_decode(const std::string& text) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buf = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    size_t v = chars.find(c);
    if (v == std::string::npos) continue;  // CRLF
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xff);
    }
  }
  return out;
}

std::string qp_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out += text[i];
    } else if (i + 2 < text.size() + 1 && text.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;  // soft line break
    } else if (i + 2 < text.size() && hexval(text[i + 1]) >= 0 && hexval(text[i + 2]) >= 0) {
      out += static_cast<char>(hexval(text[i + 1]) * 16 + hexval(text[i + 2]));
      i += 2;
    } else {
      throw std::runtime_error("bad quoted-printable");
    }
  }
  return out;
}

std::string decode_words(const std::string& value) {
  std::string out;
  size_t pos = 0;
  bool last_was_word = false;
  while (pos < value.size()) {
    size_t start = value.find("=?", pos);
    if (start == std::string::npos) {
      out += value.substr(pos);
      break;
    }
    std::string between = value.substr(pos, start - pos);
    if (!(last_was_word && trim(between).empty())) out += between;  // space between words vanishes
    size_t q1 = value.find('?', start + 2);
    size_t q2 = value.find('?', q1 + 1);
    size_t end = value.find("?=", q2 + 1);
    if (q1 == std::string::npos || q2 == std::string::npos || end == std::string::npos) {
      out += value.substr(start);
      break;
    }
    char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(value[q1 + 1])));
    std::string text = value.substr(q2 + 1, end - q2 - 1);
    if (enc == 'B') {
      out += base64_decode(text);
    } else {
      for (char& c : text) {
        if (c == '_') c = ' ';
      }
      out += qp_decode(text);
    }
    pos = end + 2;
    last_was_word = true;
  }
  return out;
}

std::string decode_rfc2231(const std::string& value) {
  size_t first = value.find('\'');
  size_t second = value.find('\'', first + 1);
  std::string enc = value.substr(second + 1);
  std::string out;
  for (size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] == '%' && i + 2 < enc.size() && hexval(enc[i + 1]) >= 0 &&
        hexval(enc[i + 2]) >= 0) {
      out += static_cast<char>(hexval(enc[i + 1]) * 16 + hexval(enc[i + 2]));
      i += 2;
    } else {
      out += enc[i];
    }
  }
  return out;
}

}  // namespace coproc::test
