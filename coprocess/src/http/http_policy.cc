#include "http_policy.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

#include <Poco/Net/IPAddress.h>

#include "rpc_error.h"

namespace coproc::http {

const char* const kDefaultDeny =
    "169.254.0.0/16 fe80::/10 100.100.100.200 fd00:ec2::254 metadata.google.internal";

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The address as 4 or 16 bytes; an IPv4-mapped IPv6 address counts as IPv4,
// so ::ffff:169.254.169.254 cannot get around a rule for 169.254.0.0/16.
bool address_bytes(const std::string& text, int* family, unsigned char out[16]) {
  Poco::Net::IPAddress ip;
  std::string t = text;
  if (t.size() > 2 && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
  if (!Poco::Net::IPAddress::tryParse(t, ip)) return false;
  const auto* raw = static_cast<const unsigned char*>(ip.addr());
  if (ip.family() == Poco::Net::IPAddress::IPv4) {
    *family = 4;
    std::memcpy(out, raw, 4);
    return true;
  }
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(raw, mapped, 12) == 0) {
    *family = 4;
    std::memcpy(out, raw + 12, 4);
    return true;
  }
  *family = 6;
  std::memcpy(out, raw, 16);
  return true;
}

bool in_range(const DestinationPolicy::Rule& rule, int family, const unsigned char* bytes) {
  if (family != rule.family) return false;
  int bits = rule.prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned char mask =
        bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((bytes[i] & mask) != (rule.bytes[i] & mask)) return false;
  }
  return true;
}

DestinationPolicy::Rule parse_rule(const std::string& text, const char* option) {
  auto bad = [&](const std::string& why) {
    return std::runtime_error(std::string(option) + ": the rule '" + text + "' " + why);
  };
  DestinationPolicy::Rule rule;
  rule.text = text;
  std::string target = text;
  // A trailing ":port"; an IPv6 rule needs brackets to carry one:
  // "[fd00::]/8:443". A bare IPv6 rule ("fe80::/10") has no port.
  std::string port;
  if (!target.empty() && target.front() == '[') {
    const auto close = target.find(']');
    if (close == std::string::npos) throw bad("has no closing ']'");
    std::string rest = target.substr(close + 1);
    const auto colon = rest.find(':');
    if (colon != std::string::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) throw bad("has an invalid port");
      rest = rest.substr(0, colon);
    }
    target = target.substr(1, close - 1) + rest;
  } else if (std::count(target.begin(), target.end(), ':') == 1) {
    const auto colon = target.find(':');
    port = target.substr(colon + 1);
    if (port.empty()) throw bad("has an invalid port");
    target = target.substr(0, colon);
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      throw bad("has an invalid port");
    }
    rule.port = static_cast<std::uint16_t>(std::stoi(port));
  }
  if (target.empty()) throw bad("names no destination");
  if (target == "*") return rule;

  std::string address = target;
  int prefix = -1;
  const auto slash = target.find('/');
  if (slash != std::string::npos) {
    address = target.substr(0, slash);
    const std::string p = target.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos) {
      throw bad("has an invalid prefix length");
    }
    prefix = std::stoi(p);
  }
  if (address_bytes(address, &rule.family, rule.bytes)) {
    const int max = rule.family == 4 ? 32 : 128;
    if (prefix > max) throw bad("has a prefix longer than " + std::to_string(max));
    rule.prefix = prefix < 0 ? max : prefix;
    rule.kind = DestinationPolicy::Rule::Kind::cidr;
    return rule;
  }
  if (prefix >= 0) throw bad("is not an address range");
  std::string name = lower(target);
  if (name.rfind("*.", 0) == 0) {
    rule.kind = DestinationPolicy::Rule::Kind::suffix;
    name = name.substr(1);  // ".example.com"
  } else {
    rule.kind = DestinationPolicy::Rule::Kind::host;
  }
  const std::string bare = rule.kind == DestinationPolicy::Rule::Kind::suffix ? name.substr(1) : name;
  if (bare.empty() || !std::all_of(bare.begin(), bare.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_';
      })) {
    throw bad("is neither an address range nor a host name");
  }
  rule.name = name;
  return rule;
}

}  // namespace

DestinationPolicy::DestinationPolicy(const std::string& allow, const std::string& deny)
    : allow_(parse(allow, "http.allow")), deny_(parse(deny, "http.deny")) {}

std::vector<DestinationPolicy::Rule> DestinationPolicy::parse(const std::string& list,
                                                              const char* option) {
  std::vector<Rule> rules;
  std::string item;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    const char c = i < list.size() ? list[i] : ',';
    if (c == ',' || c == ' ' || c == '\t') {
      if (!item.empty()) rules.push_back(parse_rule(item, option));
      item.clear();
    } else {
      item += c;
    }
  }
  return rules;
}

const DestinationPolicy::Rule* DestinationPolicy::match(const std::vector<Rule>& rules,
                                                        const std::string& host,
                                                        const std::string& address,
                                                        std::uint16_t port) const {
  int family = 0;
  unsigned char bytes[16] = {};
  const bool has_address = !address.empty() && address_bytes(address, &family, bytes);
  const std::string name = lower(host);
  for (const Rule& rule : rules) {
    if (rule.port != 0 && rule.port != port) continue;
    switch (rule.kind) {
      case Rule::Kind::any:
        return &rule;
      case Rule::Kind::cidr:
        if (has_address && in_range(rule, family, bytes)) return &rule;
        break;
      case Rule::Kind::host:
        if (name == rule.name) return &rule;
        break;
      case Rule::Kind::suffix:
        if (name.size() > rule.name.size() &&
            name.compare(name.size() - rule.name.size(), rule.name.size(), rule.name) == 0) {
          return &rule;
        }
        break;
    }
  }
  return nullptr;
}

void DestinationPolicy::check_name(const std::string& host, std::uint16_t port) const {
  std::string literal = host;
  int family = 0;
  unsigned char bytes[16] = {};
  if (!address_bytes(host, &family, bytes)) literal.clear();
  if (const Rule* rule = match(deny_, host, literal, port)) {
    throw RpcException(Errc::permission_denied,
                       "the destination " + host + ":" + std::to_string(port) +
                           " is refused by the http.deny rule '" + rule->text + "'");
  }
}

void DestinationPolicy::check_address(const std::string& host, const std::string& address,
                                      std::uint16_t port) const {
  const std::string where = host + ":" + std::to_string(port) +
                            (address.empty() || address == host ? "" : " (" + address + ")");
  if (const Rule* rule = match(deny_, host, address, port)) {
    throw RpcException(Errc::permission_denied,
                       "the destination " + where + " is refused by the http.deny rule '" +
                           rule->text + "'");
  }
  if (!allow_.empty() && !match(allow_, host, address, port)) {
    throw RpcException(Errc::permission_denied,
                       "the destination " + where + " matches no http.allow rule");
  }
}

}  // namespace coproc::http
