#include "gateway_connection.h"

#include <algorithm>
#include <cctype>

#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/PollSet.h>
#include <Poco/Timestamp.h>

#include "log.h"

namespace coproc::gateway {
namespace {

using Poco::Net::HTTPResponse;

bool iequals(const std::string& a, const char* b) {
  const std::size_t n = std::char_traits<char>::length(b);
  if (a.size() != n) return false;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return true;
}

// Headers about this hop, which the gateway sets itself.
bool hop_by_hop(const std::string& name) {
  for (const char* h : {"connection", "keep-alive", "transfer-encoding", "content-length", "te",
                        "trailer", "upgrade", "proxy-connection"}) {
    if (iequals(name, h)) return true;
  }
  return false;
}

bool idempotent_method(const std::string& m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Poco's server session, with a cheaper wait for the requests after the
// first: Poco's hasMoreRequests() polls through a new epoll instance each
// time (epoll_create, epoll_ctl, epoll_wait, close: four system calls per
// request, the close alone ~3.5% of the co-process's time in gateway_bench);
// next_request() waits on one set kept for the connection. Same rules
// otherwise: keep-alive on and allowed, bytes already buffered, or new
// ones within the keep-alive timeout.
class Session : public Poco::Net::HTTPServerSession {
 public:
  Session(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params)
      : HTTPServerSession(socket, params), keepalive_timeout_(params->getKeepAliveTimeout()) {
    readable_.add(socket, Poco::Net::PollSet::POLL_READ);
  }

  bool next_request() {
    if (first_) {
      first_ = false;
      return hasMoreRequests();
    }
    if (!socket().impl()->initialized() || !canKeepAlive() || !getKeepAlive()) return false;
    if (buffered() > 0) return true;
    return !readable_.poll(keepalive_timeout_).empty();
  }

 private:
  const Poco::Timespan keepalive_timeout_;
  Poco::Net::PollSet readable_;
  bool first_ = true;
};

class Connection : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, const ConnectionEnv& env)
      : TCPServerConnection(socket), env_(env), params_(env.params), entry_(this->socket()) {}

  void run() override;

 private:
  enum class After { next_request, close, linger_and_close };
  // Serves one parsed request and says what the connection does next.
  After serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
             Clock::time_point started);
  void send_error(Poco::Net::HTTPServerSession& session, int status, const std::string& method,
                  const std::string& path, Clock::time_point started, const std::string& why);
  void write(Poco::Net::HTTPServerResponse& response, const Outcome& o);
  void log(const std::string& method, const std::string& path, int status, double ms,
           const Outcome* o, const std::string& why);
  void linger();

  const ConnectionEnv& env_;
  Poco::Net::HTTPServerParams::Ptr params_;  // Poco wants it non-const
  LiveConnections::Entry entry_;
  std::string remote_;
};

void Connection::run() {
  if (!env_.live.add(&entry_)) return;
  try {
    socket().setNoDelay(true);  // answers go out whole; no wait for the client's ACK
  } catch (const Poco::Exception&) {
  }
  env_.stats.connection_opened();
  try {
    remote_ = socket().peerAddress().toString();
  } catch (const Poco::Exception&) {
    remote_ = "?";
  }
  try {
    Session session(socket(), env_.params);
    while (session.next_request()) {
      const auto started = Clock::now();
      env_.live.arm(&entry_, started + env_.config.request_timeout);
      After after = After::close;
      try {
        Poco::Net::HTTPServerResponseImpl response(session);
        Poco::Net::HTTPServerRequestImpl request(response, session, params_.get());
        response.setDate(Poco::Timestamp());
        response.setVersion(request.getVersion());
        response.setKeepAlive(env_.params->getKeepAlive() && request.getKeepAlive() &&
                              session.canKeepAlive());
        after = serve(request, response, started);
        session.setKeepAlive(after == After::next_request && response.getKeepAlive() &&
                             session.canKeepAlive());
      } catch (const Poco::Net::NoMessageException&) {
        break;  // the client closed between requests
      } catch (const Poco::Net::MessageException& e) {
        env_.live.disarm(&entry_);
        const int status = entry_.expired ? 408 : status_for_parse_error(e.message());
        send_error(session, status, "-", "-", started,
                   entry_.expired ? "request not received in time" : e.message());
        break;
      } catch (const Poco::TimeoutException&) {
        env_.live.disarm(&entry_);
        send_error(session, 408, "-", "-", started, "request not received in time");
        break;
      } catch (const Poco::IOException&) {
        if (!entry_.expired) throw;
        // Windows: the deadline cancelled the read, which fails (gateway_socket.h).
        env_.live.disarm(&entry_);
        send_error(session, 408, "-", "-", started, "request not received in time");
        break;
      }
      env_.live.disarm(&entry_);
      // The answer is out: the response object flushed it when it ended.
      if (after == After::linger_and_close) linger();
      if (after != After::next_request) break;
    }
  } catch (const Poco::Exception& e) {
    // Reset, TLS failure, or the socket shut at stop: nothing to answer.
    COPROC_LOG(debug, "gateway", "connection from " << remote_ << " ended: " << e.displayText());
  }
  env_.live.remove(&entry_);
  env_.stats.connection_closed();
}

Connection::After Connection::serve(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response, Clock::time_point started) {
  const std::string method = request.getMethod();
  const std::string& uri = request.getURI();
  const auto q = uri.find('?');
  const std::string path = uri.substr(0, q);
  auto refuse = [&](int status, const std::string& why) {
    Outcome o;
    o.status = status;
    o.failure = why;
    env_.live.disarm(&entry_);
    response.setKeepAlive(false);
    write(response, o);
    log(method, path, status, ms_since(started), &o, why);
    return After::linger_and_close;
  };
  if (path.empty() || path[0] != '/') {
    return refuse(400, "the request target must be a path starting with '/'");
  }
  const std::string queue = env_.config.queue_of(path);
  if (queue.empty()) return refuse(404, "no gateway.route matches and there is no default queue");
  const auto max_body = env_.config.max_body_bytes;
  if (request.hasContentLength() &&
      request.getContentLength64() > static_cast<Poco::Int64>(max_body)) {
    return refuse(413, "the body is over gateway.max_body_bytes");
  }
  if (request.getExpectContinue()) response.sendContinue();
  rpc::GatewayRequest r;
  {
    std::istream& in = request.stream();
    char buf[16384];
    while (in && r.body.size() <= max_body) {
      in.read(buf, sizeof buf);
      r.body.append(buf, static_cast<std::size_t>(in.gcount()));
    }
  }
  if (entry_.expired) return refuse(408, "request not received in time");
  if (r.body.size() > max_body) return refuse(413, "the body is over gateway.max_body_bytes");
  if (request.hasContentLength() &&
      static_cast<Poco::Int64>(r.body.size()) < request.getContentLength64()) {
    env_.live.disarm(&entry_);
    return After::close;  // the client went away mid-body: nobody to answer
  }
  env_.live.disarm(&entry_);
  r.method = method;
  r.path = path;
  r.query = q == std::string::npos ? "" : uri.substr(q + 1);
  for (const auto& [name, value] : request) r.headers.emplace_back(name, value);
  r.remote_addr = remote_;
  r.queue = queue;
  const Outcome o = env_.broker.serve(std::move(r), idempotent_method(method));
  write(response, o);
  log(method, path, o.status, ms_since(started), &o, o.failure);
  return After::next_request;
}

void Connection::write(Poco::Net::HTTPServerResponse& response, const Outcome& o) {
  response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(o.status));
  std::string body = o.body;
  if (o.worker_pid == 0 || !o.failure.empty()) {
    // The gateway's own answer: the status line says it; no internals.
    response.setContentType("text/plain; charset=utf-8");
    body = std::to_string(o.status) + " " + HTTPResponse::getReasonForStatus(
                                                  static_cast<HTTPResponse::HTTPStatus>(o.status)) +
           "\n";
  } else {
    for (const auto& [name, value] : o.headers) {
      if (!hop_by_hop(name)) response.add(name, value);
    }
  }
  const bool no_body = o.status == 204 || o.status == 304;
  if (no_body) body.clear();
  // Header and body in one buffer: one write for a small answer.
  response.sendBuffer(body.data(), body.size());
}

void Connection::send_error(Poco::Net::HTTPServerSession& session, int status,
                            const std::string& method, const std::string& path,
                            Clock::time_point started, const std::string& why) {
  try {
    Poco::Net::HTTPServerResponseImpl response(session);
    response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
    response.setKeepAlive(false);
    response.setDate(Poco::Timestamp());
    Outcome o;
    o.status = status;
    o.failure = why;
    write(response, o);
    session.setKeepAlive(false);
    log(method, path, status, ms_since(started), &o, why);
  } catch (const Poco::Exception& e) {
    COPROC_LOG(debug, "gateway", "cannot answer " << status << " to " << remote_ << ": "
                                                  << e.displayText());
  }
  linger();
}

// After an error answer the client may still be sending (a big header or
// body): read and drop what comes for a short while, so closing does not
// reset the connection before the client has read the answer.
void Connection::linger() {
  try {
    socket().impl()->Poco::Net::SocketImpl::shutdownSend();
    socket().setReceiveTimeout(Poco::Timespan(0, 200000));
    char buf[16384];
    std::size_t dropped = 0;
    const auto until = Clock::now() + std::chrono::seconds(1);
    while (dropped < (4u << 20) && Clock::now() < until) {
      const int n = socket().receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      dropped += static_cast<std::size_t>(n);
    }
  } catch (const Poco::Exception&) {
    // timeout or reset: done either way
  }
}

void Connection::log(const std::string& method, const std::string& path, int status, double ms,
                     const Outcome* o, const std::string& why) {
  env_.stats.record(status, ms);
  // A client's bytes: no control characters in the log.
  auto shown = [](std::string text) {
    for (char& c : text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return text;
  };
  COPROC_LOG(info, "gateway",
             shown(method) << " " << shown(path) << " status=" << status << " ms=" << static_cast<long>(ms)
                    << " worker_pid=" << (o ? o->worker_pid : 0) << " remote=" << remote_
                    << (why.empty() ? "" : " reason=\"" + why + "\""));
}

}  // namespace

int status_for_parse_error(const std::string& m) {
  if (m.find("URI invalid or too long") != std::string::npos) return 414;
  if (m.find("Too many header fields") != std::string::npos ||
      m.find("ield value too long") != std::string::npos) {
    return 431;
  }
  return 400;
}

Poco::Net::TCPServerConnection* ConnectionFactory::createConnection(
    const Poco::Net::StreamSocket& socket) {
  return new Connection(socket, env_);
}

}  // namespace coproc::gateway
