#include "gateway_access.h"

#include <algorithm>

#include "config.h"

namespace coproc::gateway {

Principal resolve_principal(const std::string& text) {
  Principal p;
  p.text = text;
  p.group = !text.empty() && text[0] == '@';
  const std::string name = p.group ? text.substr(1) : text;
  if (name.empty()) throw ConfigError("gateway.allow: empty user or group name in '" + text + "'");
  const bool numeric =
      std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  resolve_account(p, name, numeric);
  return p;
}

}  // namespace coproc::gateway
