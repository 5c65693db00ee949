#include "http_client.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/InflatingStream.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "log.h"
#include "rpc_error.h"

namespace coproc::http {
namespace {

using Session = HttpPool::Session;

constexpr std::size_t kChunk = 64 * 1024;
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

Poco::Timespan millis(long ms) { return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms) * 1000); }

std::string host_port(const Poco::URI& uri) {
  return uri.getHost() + ":" + std::to_string(uri.getPort());
}

std::string origin_key(const Poco::URI& uri, const HttpRequestParams& r) {
  std::string key = uri.getScheme() + "://" + host_port(uri);
  if (uri.getScheme() == "https") key += r.verify_tls ? "|verify|" + r.ca_file : "|noverify";
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
                              " was cancelled (the caller disconnected or the co-process is stopping)");
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

// Counts the raw (still encoded) body bytes read through it, in large reads.
class CountingBuf : public std::streambuf {
 public:
  explicit CountingBuf(std::istream& in) : in_(in), buffer_(new char[kChunk]) {}
  std::uint64_t count() const { return count_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    in_.read(buffer_.get(), static_cast<std::streamsize>(kChunk));
    const auto n = in_.gcount();
    if (n <= 0) return traits_type::eof();
    count_ += static_cast<std::uint64_t>(n);
    setg(buffer_.get(), buffer_.get(), buffer_.get() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::istream& in_;
  std::unique_ptr<char[]> buffer_;  // not zeroed: it is overwritten
  std::uint64_t count_ = 0;
};

// Copies `in` to `sink` until EOF; returns the bytes copied. Throws too_large
// past `limit` (negative = no limit).
std::uint64_t pump(std::istream& in, const Sink& sink, std::int64_t limit, const std::string& url) {
  thread_local std::unique_ptr<char[]> buffer(new char[kChunk]);  // not zeroed: it is overwritten
  std::uint64_t total = 0;
  while (in) {
    in.read(buffer.get(), static_cast<std::streamsize>(kChunk));
    const auto n = static_cast<std::size_t>(in.gcount());
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

}  // namespace

void parse_proxy(const std::string& text, std::string* host, std::uint16_t* port) {
  host->clear();
  *port = 0;
  if (text.empty()) return;
  std::string t = text;
  if (t.rfind("http://", 0) == 0) t = t.substr(7);
  while (!t.empty() && t.back() == '/') t.pop_back();
  const auto colon = t.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == t.size()) {
    throw std::runtime_error("http.proxy must be host:port, got '" + text + "'");
  }
  const std::string p = t.substr(colon + 1);
  if (p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5 ||
      std::stoi(p) < 1 || std::stoi(p) > 65535) {
    throw std::runtime_error("http.proxy has an invalid port: '" + text + "'");
  }
  *host = t.substr(0, colon);
  *port = static_cast<std::uint16_t>(std::stoi(p));
}

struct HttpClient::Exchange {
  std::unique_ptr<Session> session;
  Poco::Net::HTTPResponse response;
  std::istream* body = nullptr;
  bool decode = false;  // we asked for gzip, so we undo it
};

HttpResponse HttpClient::perform(const HttpRequestParams& request,
                                 const std::shared_ptr<std::atomic<bool>>& cancel, int out_fd) {
  ++stats_.requests;
  ++stats_.in_flight;
  struct Done {
    ClientStats& s;
    ~Done() { --s.in_flight; }
  } done{stats_};
  pool_.expire();
  const auto deadline = Clock::now() + std::chrono::milliseconds(request.timeout_ms);
  ScopedWatch watch(watchdog_, deadline, cancel);
  try {
    return run(request, *watch, out_fd);
  } catch (const RpcException& e) {
    ++stats_.errors;
    if (e.error().code == static_cast<int>(Errc::timeout)) ++stats_.timeouts;
    if (e.error().code == static_cast<int>(Errc::cancelled)) ++stats_.cancelled;
    throw;
  }
}

HttpResponse HttpClient::run(const HttpRequestParams& r, RequestWatch& watch, int out_fd) {
  std::string url = r.url;
  std::string method = r.method;
  std::string body = r.body;
  bool has_body = r.has_body;
  HeaderList headers = r.headers;
  HttpResponse out;

  for (;;) {
    const Poco::URI uri(url);
    const std::string origin = origin_key(uri, r);
    if (uri.getScheme() == "https" && !r.verify_tls) {
      COPROC_LOG(warn, "http", "TLS verification disabled (verify_tls=false) for " << host_port(uri));
    }

    // Connect (or reuse) and send; a reused connection the server closed
    // meanwhile is retried once on a fresh one when the method is idempotent.
    Exchange ex;
    for (int attempt = 0;; ++attempt) {
      ex.session = pool_.acquire(origin);
      const bool reused = ex.session != nullptr;
      if (!reused) {
        if (uri.getScheme() == "https") {
          ex.session = std::make_unique<Poco::Net::HTTPSClientSession>(
              uri.getHost(), uri.getPort(), tls_.get(r.verify_tls, r.ca_file));
        } else {
          ex.session = std::make_unique<Session>(uri.getHost(), uri.getPort());
        }
        ex.session->setKeepAlive(true);
        ex.session->setKeepAliveTimeout(millis(settings_.keep_alive.count()));
        if (!settings_.proxy_host.empty()) {
          ex.session->setProxy(settings_.proxy_host, settings_.proxy_port);
        }
      }
      try {
        const long left = watch.remaining_ms();
        ex.session->setTimeout(millis(std::min<long>(left, static_cast<long>(r.connect_timeout_ms))),
                               millis(left), millis(left));
        if (ex.session->connected()) watch.arm(ex.session->socket().impl()->sockfd());
        if (watch.fired() != RequestWatch::Fired::no) {
          throw Poco::IOException("stopped before sending");
        }

        std::string path = uri.getPathAndQuery();
        if (path.empty()) path = "/";
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        bool caller_encoding = false;
        for (const auto& [name, value] : headers) {
          request.add(name, value);
          if (iequals(name, "Accept-Encoding")) caller_encoding = true;
        }
        ex.decode = !caller_encoding && method != "HEAD";
        if (ex.decode) request.set("Accept-Encoding", "gzip, deflate");
        if (has_body || method == "POST" || method == "PUT" || method == "PATCH") {
          request.setContentLength(static_cast<std::streamsize>(body.size()));
        }

        clear_last_certificate_error();
        std::ostream& os = ex.session->sendRequest(request);
        if (watch.arm(ex.session->socket().impl()->sockfd())) {
          // A new connection (also one Poco reopened inside sendRequest):
          // Poco applied the time left as its socket timeouts, which bounded
          // the connect and the TLS handshake. From now on the watchdog
          // enforces every request's deadline, so the socket gets timeouts
          // no request can outlast.
          ++stats_.connections_opened;
          ex.session->socket().setReceiveTimeout(kSocketTimeout);
          ex.session->socket().setSendTimeout(kSocketTimeout);
        }
        if (!body.empty()) os.write(body.data(), static_cast<std::streamsize>(body.size()));
        if (!os.good() && ex.session->networkException()) ex.session->networkException()->rethrow();
        ex.body = &ex.session->receiveResponse(ex.response);
        break;
      } catch (const Poco::Exception& e) {
        watch.disarm();
        const bool stale = reused && attempt == 0 && is_idempotent(method) &&
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

    const int status = ex.response.getStatus();
    try {
      if (r.follow_redirects && is_redirect(status) && ex.response.has("Location")) {
        if (out.redirects >= r.max_redirects) {
          throw RpcException(Errc::upstream, "too many redirects: stopped after " +
                                                 std::to_string(r.max_redirects) + " (at " + url +
                                                 ")");
        }
        Poco::URI next(uri);
        next.resolve(ex.response.get("Location"));
        const std::string next_url = next.toString();
        try {
          check_url(next_url, "redirect target");
        } catch (const RpcException& e) {
          throw RpcException(Errc::upstream, url + " redirected to an unusable URL: " + e.what());
        }
        if (uri.getScheme() == "https" && next.getScheme() == "http" &&
            !settings_.allow_https_downgrade) {
          throw RpcException(Errc::upstream,
                             "refused the redirect from " + url + " to " + next_url +
                                 ": it downgrades https to http (set http.allow_https_downgrade "
                                 "to allow it)");
        }
        // Read the redirect's own body so the connection can be reused.
        std::uint64_t drained = 0;
        bool reusable = true;
        try {
          drained = pump(*ex.body, [](const char*, std::size_t) {},
                         static_cast<std::int64_t>(kMaxRedirectBody), url);
        } catch (const RpcException&) {
          reusable = false;
        }
        (void)drained;
        watch.disarm();
        if (reusable && ex.body->eof() && !ex.body->bad() && ex.response.getKeepAlive()) {
          pool_.release(origin, std::move(ex.session));
        }

        // 303, and 301/302 after POST, turn into GET without a body (what
        // every browser does); 307/308 repeat the method and body.
        if ((status == 303 && method != "HEAD") ||
            ((status == 301 || status == 302) && method == "POST")) {
          method = "GET";
          body.clear();
          has_body = false;
          headers.erase(std::remove_if(headers.begin(), headers.end(),
                                       [](const auto& h) {
                                         return iequals(h.first, "Content-Type") ||
                                                iequals(h.first, "Content-Encoding");
                                       }),
                        headers.end());
        }
        // Credentials never follow a redirect to another origin.
        if (next.getScheme() != uri.getScheme() || next.getHost() != uri.getHost() ||
            next.getPort() != uri.getPort()) {
          headers.erase(std::remove_if(headers.begin(), headers.end(),
                                       [](const auto& h) {
                                         return iequals(h.first, "Authorization") ||
                                                iequals(h.first, "Cookie") ||
                                                iequals(h.first, "Proxy-Authorization");
                                       }),
                        headers.end());
        }
        ++out.redirects;
        ++stats_.redirects;
        url = next_url;
        continue;
      }

      // The final response.
      out.status = status;
      out.reason = ex.response.getReason();
      out.url = url;
      const std::string encoding = Poco::toLower(ex.response.get("Content-Encoding", ""));
      const bool gzip = ex.decode && (encoding == "gzip" || encoding == "x-gzip");
      const bool deflate = ex.decode && encoding == "deflate";
      for (const auto& [name, value] : ex.response) {
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

      CountingBuf counting(*ex.body);
      std::istream raw(&counting);
      std::uint64_t received = 0;
      if (gzip || deflate) {
        Poco::InflatingInputStream inflater(raw, gzip ? Poco::InflatingStreamBuf::STREAM_GZIP
                                                      : Poco::InflatingStreamBuf::STREAM_ZLIB);
        received = pump(inflater, sink, limit, url);
        if (inflater.bad() && !ex.body->bad()) {
          throw RpcException(Errc::upstream, "the " + encoding + " body from " + url +
                                                 " could not be decoded");
        }
        pump(raw, [](const char*, std::size_t) {}, -1, url);  // trailing bytes, if any
      } else {
        received = pump(raw, sink, limit, url);
      }
      stats_.body_bytes += received;
      if (watch.fired() != RequestWatch::Fired::no || ex.body->bad()) {
        const Poco::Exception* net = ex.session->networkException();
        if (net) throw map_error(watch, uri, static_cast<long>(r.timeout_ms), *net);
        throw map_error(watch, uri, static_cast<long>(r.timeout_ms),
                        Poco::IOException("the connection failed while reading the body"));
      }
      const bool bodyless = method == "HEAD" || status < 200 || status == 204 || status == 304;
      if (!bodyless && ex.response.hasContentLength() && !ex.response.getChunkedTransferEncoding() &&
          counting.count() != static_cast<std::uint64_t>(ex.response.getContentLength64())) {
        throw RpcException(Errc::upstream,
                           host_port(uri) + " closed the connection after " +
                               std::to_string(counting.count()) + " of " +
                               std::to_string(ex.response.getContentLength64()) + " body bytes");
      }
      watch.disarm();
      if (ex.response.getKeepAlive()) pool_.release(origin, std::move(ex.session));
      return out;
    } catch (const RpcException&) {
      watch.disarm();
      throw;
    } catch (const Poco::Exception& e) {
      watch.disarm();
      throw map_error(watch, uri, static_cast<long>(r.timeout_ms), e);
    }
  }
}

}  // namespace coproc::http
