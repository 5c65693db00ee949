#include "mail_address.h"

#include <cstring>

#include "rpc_error.h"

namespace coproc::mail {
namespace {

bool is_atext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

bool valid_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '.' ? prev == '.' : !is_atext(c)) return false;
    prev = c;
  }
  return true;
}

bool valid_quoted_local(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c > 0x7e) return false;
    if (c == '\\') {
      if (++i + 1 >= s.size()) return false;
    } else if (c == '"') {
      return false;
    }
  }
  return true;
}

bool valid_domain(std::string_view d) {
  if (d.size() >= 2 && d.front() == '[' && d.back() == ']') {
    for (char c : d.substr(1, d.size() - 2)) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x21 || u > 0x7e || c == '[' || c == ']' || c == '\\') return false;
    }
    return d.size() > 2;
  }
  if (d.empty() || d.size() > 253) return false;
  std::size_t start = 0;
  while (start <= d.size()) {
    std::size_t end = d.find('.', start);
    if (end == std::string_view::npos) end = d.size();
    std::string_view label = d.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void reject(std::string_view field, std::string_view text, const std::string& why) {
  std::string shown(text.substr(0, 100));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  throw RpcException(Errc::bad_request,
                     "'" + std::string(field) + "': \"" + shown + "\" is not a valid address: " + why);
}

}  // namespace

bool has_line_break(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool valid_addr_spec(std::string_view a) {
  if (a.size() > 254) return false;
  std::size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view local = a.substr(0, at);
  if (local.size() > 64) return false;
  return (valid_dot_atom(local) || valid_quoted_local(local)) && valid_domain(a.substr(at + 1));
}

Address parse_address(std::string_view text, std::string_view field) {
  if (has_line_break(text)) reject(field, text, "it contains a line break or NUL");
  std::string_view t = trim(text);
  if (t.empty()) reject(field, text, "it is empty");
  Address out;
  std::string_view spec = t;
  if (t.back() == '>') {
    std::size_t open = t.rfind('<');
    if (open == std::string_view::npos) reject(field, text, "'>' without '<'");
    spec = t.substr(open + 1, t.size() - open - 2);
    std::string_view name = trim(t.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
    }
    for (char c : name) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) reject(field, text, "control character in the display name");
      if (c == '"' || c == '\\') reject(field, text, "'\"' or '\\' in the display name");
    }
    out.display_name = std::string(name);
  }
  if (!valid_addr_spec(spec)) {
    reject(field, text, "expected local@domain (ASCII, a host name or [address] after '@')");
  }
  out.addr_spec = std::string(spec);
  return out;
}

}  // namespace coproc::mail
