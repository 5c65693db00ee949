// gateway_access.h on Windows: account and group names resolved to SIDs
// (LookupAccountNameW), literal SIDs taken as written, both matched
// against the SIDs of the pipe client's token (PeerCredentials::sids: the
// user and its enabled groups), so BUILTIN\Users or a domain group works.
#include <windows.h>
#include <sddl.h>

#include <algorithm>
#include <vector>

#include "config.h"
#include "gateway_access.h"
#include "win32_error.h"

namespace coproc::gateway {
namespace {

bool sid_text(PSID sid, std::string* out) {
  wchar_t* text = nullptr;
  if (!::ConvertSidToStringSidW(sid, &text)) return false;
  *out = narrow(text);
  ::LocalFree(text);
  return true;
}

bool looks_like_sid(const std::string& s) {
  return s.size() > 2 && (s[0] == 'S' || s[0] == 's') && s[1] == '-';
}

// "S-1-5-32-545" in the form the token's SIDs are written in (ours are
// ConvertSidToStringSid's too), so that equal SIDs compare equal as text.
std::string canonical_sid(const std::string& text) {
  PSID sid = nullptr;
  if (!::ConvertStringSidToSidW(widen(text).c_str(), &sid)) {
    throw ConfigError("gateway.allow: '" + text + "' is not a valid SID (" +
                      win32_message(::GetLastError()) + ")");
  }
  std::string out;
  const bool ok = sid_text(sid, &out);
  ::LocalFree(sid);
  if (!ok) throw ConfigError("gateway.allow: cannot read the SID '" + text + "'");
  return out;
}

bool is_group(SID_NAME_USE use) {
  return use == SidTypeGroup || use == SidTypeAlias || use == SidTypeWellKnownGroup;
}

// The SID of an account or group name ("alice", "BUILTIN\Users").
std::string account_sid(const std::string& name, bool want_group) {
  const std::wstring wide = widen(name);
  DWORD sid_size = 0;
  DWORD domain_size = 0;
  SID_NAME_USE use = SidTypeUnknown;
  ::LookupAccountNameW(nullptr, wide.c_str(), nullptr, &sid_size, nullptr, &domain_size, &use);
  std::vector<unsigned char> sid(sid_size ? sid_size : 1);
  std::vector<wchar_t> domain(domain_size ? domain_size : 1);
  if (sid_size == 0 ||
      !::LookupAccountNameW(nullptr, wide.c_str(), sid.data(), &sid_size, domain.data(),
                            &domain_size, &use)) {
    throw ConfigError("gateway.allow: no account or group '" + name + "' (" +
                      win32_message(::GetLastError()) + ")");
  }
  if (want_group && !is_group(use)) {
    throw ConfigError("gateway.allow: '@" + name + "' is not a group");
  }
  std::string out;
  if (!sid_text(sid.data(), &out)) {
    throw ConfigError("gateway.allow: cannot read the SID of '" + name + "'");
  }
  return out;
}

}  // namespace

void resolve_account(Principal& p, const std::string& name, bool numeric) {
  if (numeric) {
    throw ConfigError("gateway.allow: '" + p.text +
                      "': Windows has no numeric uids or gids; name the account or group, "
                      "or write its SID (S-1-...)");
  }
  p.sid = looks_like_sid(name) ? canonical_sid(name) : account_sid(name, p.group);
}

bool principal_matches(const Principal& p, const PeerCredentials& peer) {
  if (!peer.sids) return false;
  const auto& sids = *peer.sids;
  return std::find(sids.begin(), sids.end(), p.sid) != sids.end();
}

std::string describe_peer(const PeerCredentials& peer) {
  if (!peer.sids || peer.sids->empty()) return "uid " + std::to_string(peer.uid);
  return "user " + peer.sids->front() + " (uid " + std::to_string(peer.uid) + ")";
}

}  // namespace coproc::gateway
