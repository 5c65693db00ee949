#include "gateway_config.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace coproc::gateway {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) {
    part = trim(part);
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// Words of a gateway.allow entry; double quotes keep spaces inside a word
// (@"DOMAIN\Web Workers" on Windows) and are not part of it.
std::vector<std::string> allow_words(const std::string& s, const std::string& entry) {
  std::vector<std::string> out;
  std::string word;
  bool quoted = false;
  bool in_word = false;
  for (char c : s) {
    if (c == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (c == ' ' || c == '\t')) {
      if (in_word) out.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quoted) throw ConfigError("gateway.allow: '" + entry + "': a quote is not closed");
  if (in_word) out.push_back(word);
  return out;
}

bool valid_queue_name(const std::string& q) {
  if (q.empty() || q.size() > 64) return false;
  return std::all_of(q.begin(), q.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.';
  });
}

Listener read_listener(const std::string& entry) {
  const std::string where = "gateway.listen: '" + entry + "': ";
  auto w = words(entry);
  Listener l;
  l.text = entry;
  if (w.size() == 2 && w[1] == "tls") {
    l.tls = true;
  } else if (w.size() != 1) {
    throw ConfigError(where + "expected ADDRESS:PORT, optionally followed by 'tls'");
  }
  const std::string& hp = w[0];
  std::string port;
  if (!hp.empty() && hp[0] == '[') {
    const auto close = hp.find("]:");
    if (close == std::string::npos) throw ConfigError(where + "expected [IPv6]:PORT");
    l.host = hp.substr(1, close - 1);
    port = hp.substr(close + 2);
  } else {
    const auto colon = hp.rfind(':');
    if (colon == std::string::npos || colon == 0) throw ConfigError(where + "expected ADDRESS:PORT");
    l.host = hp.substr(0, colon);
    port = hp.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(port) < 1 || std::stoi(port) > 65535) {
    throw ConfigError(where + "the port must be a number from 1 to 65535");
  }
  l.port = static_cast<std::uint16_t>(std::stoi(port));
  return l;
}

}  // namespace

std::vector<std::string> GatewayConfig::queues() const {
  std::set<std::string> q;
  for (const auto& r : routes) q.insert(r.queue);
  if (!default_queue.empty()) q.insert(default_queue);
  return {q.begin(), q.end()};
}

std::string GatewayConfig::queue_of(const std::string& path) const {
  for (const auto& r : routes) {
    if (path.compare(0, r.prefix.size(), r.prefix) != 0) continue;
    // "/api" covers "/api" and "/api/x", not "/apix"; "/" covers all.
    if (path.size() == r.prefix.size() || r.prefix.back() == '/' || path[r.prefix.size()] == '/') {
      return r.queue;
    }
  }
  return default_queue;
}

GatewayConfig read_gateway_config(const Config& c) {
  GatewayConfig g;
  for (const auto& entry : split(c.str("gateway.listen"), ',')) {
    g.listeners.push_back(read_listener(entry));
  }
  g.tls_cert = c.str("gateway.tls_cert");
  g.tls_key = c.str("gateway.tls_key");
  const bool any_tls =
      std::any_of(g.listeners.begin(), g.listeners.end(), [](const Listener& l) { return l.tls; });
  if (any_tls && (g.tls_cert.empty() || g.tls_key.empty())) {
    throw ConfigError("gateway.listen has a 'tls' listener: set gateway.tls_cert and gateway.tls_key");
  }
  for (const auto& entry : split(c.str("gateway.route"), ',')) {
    const auto eq = entry.find('=');
    Route r;
    if (eq != std::string::npos) {
      r.prefix = trim(entry.substr(0, eq));
      r.queue = trim(entry.substr(eq + 1));
    }
    if (r.prefix.empty() || r.prefix[0] != '/' || !valid_queue_name(r.queue)) {
      throw ConfigError("gateway.route: '" + entry +
                        "': expected /PATH/PREFIX=QUEUE (queue names: letters, digits, - _ .)");
    }
    g.routes.push_back(r);
  }
  std::stable_sort(g.routes.begin(), g.routes.end(), [](const Route& a, const Route& b) {
    return a.prefix.size() > b.prefix.size();
  });
  g.default_queue = c.str("gateway.default_queue");
  if (!g.default_queue.empty() && !valid_queue_name(g.default_queue)) {
    throw ConfigError("gateway.default_queue: '" + g.default_queue +
                      "' is not a queue name (letters, digits, - _ .)");
  }
  const auto known = g.queues();
  for (const auto& entry : split(c.str("gateway.allow"), ';')) {
    const auto eq = entry.find('=');
    const std::string queue = eq == std::string::npos ? "" : trim(entry.substr(0, eq));
    const auto who = eq == std::string::npos ? std::vector<std::string>{}
                                             : allow_words(entry.substr(eq + 1), entry);
    if (!valid_queue_name(queue) || who.empty()) {
      throw ConfigError("gateway.allow: '" + entry + "': expected QUEUE=USER|UID|@GROUP|@GID ...");
    }
    if (std::find(known.begin(), known.end(), queue) == known.end()) {
      throw ConfigError("gateway.allow: queue '" + queue +
                        "' is neither in gateway.route nor gateway.default_queue");
    }
    auto& list = g.allow[queue];
    for (const auto& w : who) list.push_back(resolve_principal(w));
  }
  g.queue_timeout = std::chrono::milliseconds(c.integer("gateway.queue_timeout_ms"));
  g.reply_timeout = std::chrono::milliseconds(c.integer("gateway.reply_timeout_ms"));
  g.request_timeout = std::chrono::milliseconds(c.integer("gateway.request_timeout_ms"));
  g.keepalive_timeout = std::chrono::milliseconds(c.integer("gateway.keepalive_timeout_ms"));
  g.max_connections = static_cast<std::size_t>(c.integer("gateway.max_connections"));
  g.max_queued = static_cast<std::size_t>(c.integer("gateway.max_queued"));
  g.max_body_bytes = static_cast<std::size_t>(c.integer("gateway.max_body_bytes"));
  g.requeue_idempotent = c.boolean("gateway.requeue_idempotent");
  return g;
}

}  // namespace coproc::gateway
