// Where http.request may connect: the administrator's http.allow and
// http.deny rules. Every user's request leaves with the co-process's
// identity, past per-user egress firewall rules, so the destination is
// checked by name and by every address it resolves to, for the first hop and
// again for every redirect; link-local and cloud metadata addresses are
// denied by default.
//
// A rule is one of, optionally followed by ":port" (IPv6 in brackets):
//   10.0.0.0/8, 127.0.0.2, [fd00::]/8   an address range (CIDR) or address
//   example.com, *.example.com          a host name, or any name under one
//   *                                   any destination (e.g. "*:25")
// A destination is refused when it matches a deny rule, or when allow rules
// exist and it matches none of them. Deny wins.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace coproc::http {

/// The default of http.deny: link-local ranges (which hold the cloud
/// metadata endpoint 169.254.169.254) and the other well-known metadata
/// addresses and names.
extern const char* const kDefaultDeny;

class DestinationPolicy {
 public:
  struct Rule {
    std::string text;  // as written, for messages
    enum class Kind { any, cidr, host, suffix } kind = Kind::any;
    int family = 0;                 // 4 or 6 for cidr
    unsigned char bytes[16] = {};   // network address for cidr
    int prefix = 0;                 // prefix length for cidr
    std::string name;               // lower case host, or ".suffix"
    std::uint16_t port = 0;         // 0 = any port
  };

  DestinationPolicy() = default;
  /// Parses comma- or space-separated rule lists; throws std::runtime_error
  /// naming the option and the bad rule.
  DestinationPolicy(const std::string& allow, const std::string& deny);

  /// Checks a destination by name (before resolution). Throws
  /// RpcException(permission_denied) naming the rule.
  void check_name(const std::string& host, std::uint16_t port) const;
  /// Checks one address `host` resolved to (or the literal address). Throws
  /// RpcException(permission_denied) naming the rule.
  void check_address(const std::string& host, const std::string& address,
                     std::uint16_t port) const;

 private:
  static std::vector<Rule> parse(const std::string& list, const char* option);
  const Rule* match(const std::vector<Rule>& rules, const std::string& host,
                    const std::string& address, std::uint16_t port) const;

  std::vector<Rule> allow_;
  std::vector<Rule> deny_;
};

}  // namespace coproc::http
