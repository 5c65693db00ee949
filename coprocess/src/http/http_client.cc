#include "http_client.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <sstream>
#include <stdexcept>

#include <openssl/sha.h>

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "http_framing.h"
#include "http_session_io.h"
#include "ordered_response.h"
#include "log.h"
#include "rpc_error.h"

namespace coproc::http {
namespace {

using Session = HttpPool::Session;

constexpr std::size_t kChunk = 64 * 1024;
// A request body up to this size is sent in one write with the head.
constexpr std::size_t kInlineBody = 16 * 1024;
// A redirect's own body is read (so the connection can be reused) up to this
// size; a larger one closes the connection instead.
constexpr std::uint64_t kMaxRedirectBody = 1 << 20;
// Socket timeouts of an established connection: above the largest
// timeout_ms, so only the watchdog ends a request early.
const Poco::Timespan kSocketTimeout(3601, 0);

bool iequals(const std::string& a, const char* b) {
  return Poco::icompare(a, std::string(b)) == 0;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}


std::string host_port(const Poco::URI& uri) {
  return uri.getHost() + ":" + std::to_string(uri.getPort());
}

std::string origin_key(const Poco::URI& uri, const HttpRequestParams& r) {
  std::string key = uri.getScheme() + "://" + host_port(uri);
  if (uri.getScheme() == "https") {
    if (!r.verify_tls) {
      key += "|noverify";
    } else if (!r.ca_pem.empty()) {
      unsigned char digest[SHA256_DIGEST_LENGTH];
      SHA256(reinterpret_cast<const unsigned char*>(r.ca_pem.data()), r.ca_pem.size(), digest);
      key += "|pem|";
      for (unsigned char b : digest) key += "0123456789abcdef"[b >> 4], key += "0123456789abcdef"[b & 15];
    } else {
      key += "|verify|" + r.ca_file;
    }
  }
  return key;
}

std::string describe_tls_failure(const Poco::URI& uri, const Poco::Net::SSLException& e) {
  const std::string who = "TLS certificate of " + uri.getHost();
  if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&e)) {
    if (e.displayText().find("application verification failure") != std::string::npos) {
      return who + " rejected: it does not match the host name '" + uri.getHost() + "'";
    }
    return who + " rejected: " + e.message();
  }
  std::string reason = last_certificate_error();
  if (!reason.empty()) return who + " rejected: " + reason + " (unknown or untrusted CA?)";
  return "TLS handshake with " + host_port(uri) + " failed: " + e.displayText();
}

// Every failure of an exchange becomes one of our wire errors. The watchdog's
// verdict comes first: a shut-down socket produces arbitrary I/O errors.
RpcException map_error(const RequestWatch& watch, const Poco::URI& uri, long timeout_ms,
                       const Poco::Exception& e) {
  switch (watch.fired()) {
    case RequestWatch::Fired::deadline:
      return RpcException(Errc::timeout, "no complete response from " + uri.toString() +
                                             " within timeout_ms=" + std::to_string(timeout_ms));
    case RequestWatch::Fired::cancelled:
      return RpcException(Errc::cancelled,
                          "the request to " + uri.toString() +
                              " was cancelled (sys.cancel, the caller disconnected or the co-process is stopping); "
                              "its connection was closed");
    case RequestWatch::Fired::no:
      break;
  }
  if (dynamic_cast<const Poco::TimeoutException*>(&e)) {
    return RpcException(Errc::timeout, "timed out talking to " + host_port(uri) + ": " +
                                           e.displayText());
  }
  if (auto* ssl = dynamic_cast<const Poco::Net::SSLException*>(&e)) {
    return RpcException(Errc::upstream, describe_tls_failure(uri, *ssl));
  }
  if (dynamic_cast<const Poco::Net::ConnectionRefusedException*>(&e)) {
    return RpcException(Errc::upstream, "connection to " + host_port(uri) + " refused");
  }
  if (dynamic_cast<const Poco::Net::HostNotFoundException*>(&e) ||
      dynamic_cast<const Poco::Net::NoAddressFoundException*>(&e)) {
    return RpcException(Errc::upstream, "host '" + uri.getHost() + "' could not be resolved");
  }
  if (dynamic_cast<const Poco::Net::NoMessageException*>(&e)) {
    return RpcException(Errc::upstream,
                        host_port(uri) + " closed the connection without answering");
  }
  return RpcException(Errc::upstream, "request to " + uri.toString() + " failed: " + e.displayText());
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      throw RpcException(err == EBADF || err == EINVAL ? Errc::bad_request : Errc::internal,
                         std::string("writing the response body to the passed descriptor failed: ") +
                             std::strerror(err));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

using Sink = std::function<void(const char*, std::size_t)>;

// Copies what `read(buffer, size)` gives to `sink` until it gives nothing;
// returns the bytes copied. Throws too_large past `limit` (negative = no
// limit).
template <class Read>
std::uint64_t pump_from(const Read& read, const Sink& sink, std::int64_t limit, const std::string& url) {
  thread_local std::unique_ptr<char[]> buffer(new char[kChunk]);  // not zeroed: it is overwritten
  std::uint64_t total = 0;
  for (;;) {
    const std::size_t n = read(buffer.get(), kChunk);
    if (n == 0) break;
    if (limit >= 0 && total + n > static_cast<std::uint64_t>(limit)) {
      throw RpcException(Errc::too_large, "the response body of " + url +
                                              " is larger than max_body_bytes=" +
                                              std::to_string(limit));
    }
    total += n;
    sink(buffer.get(), n);
  }
  return total;
}

// Until EOF or a failure (which the stream's state records).
std::uint64_t pump(std::istream& in, const Sink& sink, std::int64_t limit, const std::string& url) {
  auto read = [&in](char* out, std::size_t size) -> std::size_t {
    if (!in) return 0;
    in.read(out, static_cast<std::streamsize>(size));
    return static_cast<std::size_t>(in.gcount());
  };
  return pump_from(read, sink, limit, url);
}

// Straight from the body's buffer, without a stream around it: a BodyBuf
// records its own failures (rethrow_if_failed).
std::uint64_t pump(BodyBuf& body, const Sink& sink, std::int64_t limit, const std::string& url) {
  auto read = [&body](char* out, std::size_t size) -> std::size_t {
    return static_cast<std::size_t>(body.sgetn(out, static_cast<std::streamsize>(size)));
  };
  return pump_from(read, sink, limit, url);
}

}  // namespace

ProxySettings parse_proxy(const std::string& text, const std::string& password) {
  ProxySettings proxy;
  if (text.empty()) return proxy;
  std::string t = text;
  if (t.rfind("http://", 0) == 0) t = t.substr(7);
  while (!t.empty() && t.back() == '/') t.pop_back();
  const auto at = t.rfind('@');
  std::string credentials;
  if (at != std::string::npos) {
    credentials = t.substr(0, at);
    t = t.substr(at + 1);
  }
  const auto colon = t.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == t.size()) {
    throw std::runtime_error("http.proxy must be [user[:password]@]host:port");
  }
  const std::string p = t.substr(colon + 1);
  if (p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5 ||
      std::stoi(p) < 1 || std::stoi(p) > 65535) {
    throw std::runtime_error("http.proxy has an invalid port: '" + p + "'");
  }
  proxy.host = t.substr(0, colon);
  proxy.port = static_cast<std::uint16_t>(std::stoi(p));
  if (!credentials.empty() || !password.empty()) {
    std::string user = credentials;
    std::string secret = password;
    const auto separator = credentials.find(':');
    if (separator != std::string::npos) {
      user = credentials.substr(0, separator);
      if (secret.empty()) secret = credentials.substr(separator + 1);
    }
    std::ostringstream encoded;
    Poco::Base64Encoder encoder(encoded);
    encoder.rdbuf()->setLineLength(0);
    encoder << user << ':' << secret;
    encoder.close();
    proxy.authorization = "Basic " + encoded.str();
  }
  return proxy;
}

struct HttpClient::Hop {
  std::string url;
  Poco::URI uri;
  std::string method;
  std::string body;
  bool has_body = false;
  HeaderList headers;
};

struct HttpClient::Exchange {
  std::unique_ptr<Session> session;
  OrderedResponse response;
  ReadAhead ahead;      // received past the response head
  bool decode = false;  // we asked for gzip, so we undo it
  std::string server;   // host:port, for messages
  // Set once the body was read: the connection may carry another exchange.
  bool framing_reusable = false;
  bool body_complete = false;
};

HttpResponse HttpClient::perform(const HttpRequestParams& request, const Caller& caller,
                                 int out_fd) {
  ++stats_.requests;
  ++stats_.in_flight;
  struct Done {
    ClientStats& s;
    ~Done() { --s.in_flight; }
  } done{stats_};
  pool_.expire();
  const auto deadline = caller.received + std::chrono::milliseconds(request.timeout_ms);
  ScopedWatch watch(watchdog_, deadline, caller.cancel);
  try {
    refuse_if_stale(request, caller, deadline);
    return run(request, caller, *watch, out_fd);
  } catch (const RpcException& e) {
    ++stats_.errors;
    if (e.error().code == static_cast<int>(Errc::timeout)) ++stats_.timeouts;
    if (e.error().code == static_cast<int>(Errc::cancelled)) {
      ++stats_.cancelled;
      if (watch->fired() == RequestWatch::Fired::cancelled) ++stats_.aborted;
    }
    throw;
  }
}

void HttpClient::refuse_if_stale(const HttpRequestParams& r, const Caller& caller,
                                 Clock::time_point deadline) {
  if (caller.cancel && caller.cancel->load()) {
    throw RpcException(Errc::cancelled, "the caller disconnected before the request to " + r.url +
                                            " was sent; it was not sent");
  }
  const auto now = Clock::now();
  if (now >= deadline) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - caller.received);
    throw RpcException(Errc::timeout, "timeout_ms=" + std::to_string(r.timeout_ms) +
                                          " passed while waiting for a worker (" +
                                          std::to_string(waited.count()) + " ms); the request to " +
                                          r.url + " was not sent");
  }
}

HttpResponse HttpClient::run(const HttpRequestParams& r, const Caller& caller,
                             RequestWatch& watch, int out_fd) {
  Hop hop{r.url, Poco::URI(r.url), r.method, r.body, r.has_body, r.headers};
  HttpResponse out;
  for (;;) {
    // Idle connections are kept per user: even a connection that looked
    // clean never carries one user's exchange into another's.
    const std::string pool_key = "uid " + std::to_string(caller.uid) + " " + origin_key(hop.uri, r);
    if (hop.uri.getScheme() == "https" && !r.verify_tls) {
      COPROC_LOG(warn, "http",
                 "TLS verification disabled (verify_tls=false) for " << host_port(hop.uri));
    }
    Exchange ex = exchange(hop, r, pool_key, watch);
    try {
      const int status = ex.response.status();
      if (r.follow_redirects && is_redirect(status) && ex.response.has("Location")) {
        if (out.redirects >= r.max_redirects) {
          throw RpcException(Errc::upstream, "too many redirects: stopped after " +
                                                 std::to_string(r.max_redirects) + " (at " +
                                                 hop.url + ")");
        }
        hop = follow_redirect(hop, ex, pool_key, watch);
        ++out.redirects;
        ++stats_.redirects;
        continue;
      }
      read_final_body(hop, ex, r, watch, out_fd, out);
      finish_connection(ex, pool_key, watch);
      return out;
    } catch (const RpcException&) {
      watch.disarm();
      throw;
    } catch (const Poco::Exception& e) {
      watch.disarm();
      throw map_error(watch, hop.uri, static_cast<long>(r.timeout_ms), e);
    }
  }
}

// The request head, as Poco's HTTPRequest::write would write it (caller's
// fields in their order, then Host, User-Agent, Proxy-Authorization,
// Accept-Encoding, Content-Length, Connection), built in one string: Poco's
// header map and stream writer cost more than the rest of the request.
std::string HttpClient::request_head(const Hop& hop, bool* decode) const {
  std::string target = hop.uri.getPathAndQuery();
  if (target.empty()) target = "/";
  // Plain http through the proxy: the absolute URI (HTTPS goes through a
  // CONNECT tunnel and sees the origin form).
  const bool proxied = connector_.proxies_http() && hop.uri.getScheme() == "http";
  if (proxied) target = "http://" + host_port(hop.uri) + target;
  std::string head;
  head.reserve(256 + target.size());
  head.append(hop.method).append(" ").append(target).append(" HTTP/1.1\r\n");
  bool has_host = false, has_agent = false, has_proxy_auth = false, caller_encoding = false;
  for (const auto& [name, value] : hop.headers) {
    head.append(name).append(": ").append(value).append("\r\n");
    has_host = has_host || iequals(name, "Host");
    has_agent = has_agent || iequals(name, "User-Agent");
    has_proxy_auth = has_proxy_auth || iequals(name, "Proxy-Authorization");
    caller_encoding = caller_encoding || iequals(name, "Accept-Encoding");
  }
  if (!has_host) {
    // Poco's HTTPRequest::setHost(host, port): IPv6 in brackets, the port
    // unless it is 80 or 443.
    const std::string& host = hop.uri.getHost();
    const bool v6 = host.find(':') != std::string::npos;
    head.append("Host: ").append(v6 ? "[" : "").append(host).append(v6 ? "]" : "");
    if (hop.uri.getPort() != 80 && hop.uri.getPort() != 443) {
      head.append(":").append(std::to_string(hop.uri.getPort()));
    }
    head.append("\r\n");
  }
  if (!has_agent) head.append("User-Agent: coproc/" COPROC_VERSION "\r\n");
  if (proxied && !connector_.proxy().authorization.empty() && !has_proxy_auth) {
    head.append("Proxy-Authorization: ").append(connector_.proxy().authorization).append("\r\n");
  }
  *decode = !caller_encoding && hop.method != "HEAD";
  if (*decode) head.append("Accept-Encoding: gzip, deflate\r\n");
  if (hop.has_body || hop.method == "POST" || hop.method == "PUT" || hop.method == "PATCH") {
    head.append("Content-Length: ").append(std::to_string(hop.body.size())).append("\r\n");
  }
  head.append("Connection: Keep-Alive\r\n\r\n");
  return head;
}

// Connect (or reuse) and send; a reused connection the server closed
// meanwhile is retried once on a fresh one when the method is idempotent.
HttpClient::Exchange HttpClient::exchange(const Hop& hop, const HttpRequestParams& r,
                                          const std::string& pool_key, RequestWatch& watch) {
  const Poco::URI& uri = hop.uri;
  Exchange ex;
  ex.server = host_port(uri);
  for (int attempt = 0;; ++attempt) {
    ex.session = pool_.acquire(pool_key);
    ex.ahead = ReadAhead();
    const bool reused = ex.session != nullptr;
    try {
      if (reused) {
        const auto* made = dynamic_cast<const WatchedSession*>(ex.session.get());
        if (made && made->socket_twin()) {
          watch.arm(made->socket_twin());
        } else {
          watch.arm(ex.session->socket().impl()->sockfd());
        }
      } else {
        clear_last_certificate_error();
        Poco::Net::Context::Ptr tls;
        if (uri.getScheme() == "https") {
          tls = r.verify_tls && !r.ca_pem.empty() ? tls_.get_pem(r.ca_pem)
                                                   : tls_.get(r.verify_tls, r.ca_file);
        }
        ex.session = connector_.open(uri, tls, static_cast<long>(r.connect_timeout_ms), watch);
        ++stats_.connections_opened;
        // The connection is up; from now on the watchdog enforces every
        // request's deadline, so the socket gets timeouts no request can
        // outlast.
        ex.session->socket().setReceiveTimeout(kSocketTimeout);
        ex.session->socket().setSendTimeout(kSocketTimeout);
      }
      if (watch.fired() != RequestWatch::Fired::no) {
        throw Poco::IOException("stopped before sending");
      }
      // Head and a small body in one send; a large body is not copied.
      std::string head = request_head(hop, &ex.decode);
      if (hop.body.size() <= kInlineBody) {
        head += hop.body;
        SessionIo::write_all(*ex.session, head.data(), head.size());
      } else {
        SessionIo::write_all(*ex.session, head.data(), head.size());
        SessionIo::write_all(*ex.session, hop.body.data(), hop.body.size());
      }
      ex.response.receive(*ex.session, ex.ahead);
      return ex;
    } catch (const Poco::Exception& e) {
      watch.disarm();
      const bool stale = reused && attempt == 0 && is_idempotent(hop.method) &&
                         watch.fired() == RequestWatch::Fired::no &&
                         !dynamic_cast<const Poco::TimeoutException*>(&e);
      if (!stale) throw map_error(watch, uri, static_cast<long>(r.timeout_ms), e);
      COPROC_LOG(debug, "http", "pooled connection to " << host_port(uri)
                                    << " was closed by the server (" << e.displayText()
                                    << "); retrying on a new one");
      ++stats_.stale_retries;
      ex.session.reset();
    }
  }
}

HttpClient::Hop HttpClient::follow_redirect(const Hop& hop, Exchange& ex,
                                            const std::string& pool_key, RequestWatch& watch) {
  const int status = ex.response.status();
  Hop next = hop;
  const std::string location = ex.response.get("Location", std::string());
  if (location.rfind("//", 0) == 0) {
    // Protocol-relative ("//host/path"): Poco would take it as a path.
    next.uri = Poco::URI(hop.uri.getScheme() + ":" + location);
  } else {
    next.uri = hop.uri;
    next.uri.resolve(location);
  }
  next.url = next.uri.toString();
  try {
    check_url(next.url, "redirect target");
  } catch (const RpcException& e) {
    throw RpcException(Errc::upstream, hop.url + " redirected to an unusable URL: " + e.what());
  }
  if (hop.uri.getScheme() == "https" && next.uri.getScheme() == "http" &&
      !settings_.allow_https_downgrade) {
    throw RpcException(Errc::upstream,
                       "refused the redirect from " + hop.url + " to " + next.url +
                           ": it downgrades https to http (set http.allow_https_downgrade "
                           "to allow it)");
  }
  // Read the redirect's own body so the connection can be reused; a large or
  // malformed one closes the connection instead.
  {
    const Framing framing = response_framing(ex.response, hop.method, ex.server);
    BodyBuf raw(*ex.session, ex.ahead, framing, ex.server);
    std::istream in(&raw);
    bool small = true;
    try {
      pump(in, [](const char*, std::size_t) {}, static_cast<std::int64_t>(kMaxRedirectBody), hop.url);
    } catch (const RpcException&) {
      small = false;
    }
    ex.framing_reusable = framing.reusable;
    ex.body_complete = small && raw.complete();
    finish_connection(ex, pool_key, watch);
  }

  // 303, and 301/302 after POST, turn into GET without a body (what every
  // browser does); 307/308 repeat the method and body.
  if ((status == 303 && hop.method != "HEAD") ||
      ((status == 301 || status == 302) && hop.method == "POST")) {
    next.method = "GET";
    next.body.clear();
    next.has_body = false;
    next.headers.erase(std::remove_if(next.headers.begin(), next.headers.end(),
                                      [](const auto& h) {
                                        return iequals(h.first, "Content-Type") ||
                                               iequals(h.first, "Content-Encoding");
                                      }),
                       next.headers.end());
  }
  // Credentials never follow a redirect to another origin.
  if (next.uri.getScheme() != hop.uri.getScheme() || next.uri.getHost() != hop.uri.getHost() ||
      next.uri.getPort() != hop.uri.getPort()) {
    next.headers.erase(std::remove_if(next.headers.begin(), next.headers.end(),
                                      [](const auto& h) {
                                        return iequals(h.first, "Authorization") ||
                                               iequals(h.first, "Cookie") ||
                                               iequals(h.first, "Proxy-Authorization");
                                      }),
                       next.headers.end());
  }
  return next;
}

void HttpClient::read_final_body(const Hop& hop, Exchange& ex, const HttpRequestParams& r,
                                 RequestWatch& watch, int out_fd, HttpResponse& out) {
  out.status = ex.response.status();
  out.reason = ex.response.reason();
  out.url = hop.url;
  const Framing framing = response_framing(ex.response, hop.method, ex.server);
  const std::string encoding = Poco::toLower(ex.response.get("Content-Encoding", std::string()));
  const bool gzip = ex.decode && (encoding == "gzip" || encoding == "x-gzip");
  const bool deflate = ex.decode && encoding == "deflate";
  for (const auto& [name, value] : ex.response.in_order()) {
    if ((gzip || deflate) && (iequals(name, "Content-Encoding") || iequals(name, "Content-Length")))
      continue;
    out.headers.emplace_back(name, value);
  }

  std::int64_t limit = r.max_body_bytes;
  Sink sink;
  if (out_fd >= 0) {
    if (!r.max_body_given) limit = -1;
    sink = [&out, out_fd](const char* p, std::size_t n) {
      write_all(out_fd, p, n);
      out.bytes_written += n;
    };
  } else {
    sink = [&out](const char* p, std::size_t n) { out.body.append(p, n); };
  }

  BodyBuf body(*ex.session, ex.ahead, framing, ex.server);
  std::uint64_t received = 0;
  if (gzip || deflate) {
    std::istream raw(&body);
    Poco::InflatingInputStream inflater(raw, gzip ? Poco::InflatingStreamBuf::STREAM_GZIP
                                                  : Poco::InflatingStreamBuf::STREAM_ZLIB);
    try {
      received = pump(inflater, sink, limit, hop.url);
    } catch (const Poco::Exception&) {
      body.rethrow_if_failed();  // a framing or network error comes first
      throw;
    }
    body.rethrow_if_failed();
    if (inflater.bad()) {
      throw RpcException(Errc::upstream, "the " + encoding + " body from " + hop.url +
                                             " could not be decoded");
    }
    pump(raw, [](const char*, std::size_t) {}, -1, hop.url);  // trailing bytes, if any
  } else {
    received = pump(body, sink, limit, hop.url);
  }
  stats_.body_bytes += received;
  if (watch.fired() != RequestWatch::Fired::no) {
    throw map_error(watch, hop.uri, static_cast<long>(r.timeout_ms),
                    Poco::IOException("the connection failed while reading the body"));
  }
  body.rethrow_if_failed();
  if (!body.complete()) {
    throw RpcException(Errc::upstream, "the response from " + ex.server + " ended early");
  }
  ex.framing_reusable = framing.reusable;
  ex.body_complete = true;
}

void HttpClient::finish_connection(Exchange& ex, const std::string& pool_key,
                                   RequestWatch& watch) {
  watch.disarm();
  std::unique_ptr<Session> session = std::move(ex.session);
  if (ex.body_complete && ex.framing_reusable && ex.response.keep_alive() &&
      session_is_drained(*session, ex.ahead)) {
    pool_.release(pool_key, std::move(session));
  }
}

}  // namespace coproc::http
