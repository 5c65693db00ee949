#include "gateway_connection.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include <Poco/Net/HTTPChunkedStream.h>
#include <Poco/Net/HTTPFixedLengthStream.h>
#include <Poco/Net/HTTPHeaderStream.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/HTTPStream.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/PollSet.h>

#include "gateway_answer.h"
#include "gateway_socket.h"
#include "log.h"

namespace coproc::gateway {
namespace {

bool idempotent_method(const std::string& m) {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS";
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// A request as Poco's HTTPServerRequestImpl reads it (HTTPRequest::read
// through HTTPHeaderInputStream, then the same body stream for the same
// framing), without the getpeername() and getsockname() it asks on every
// request: two system calls for addresses the connection already knows.
class Request : public Poco::Net::HTTPRequest {
 public:
  explicit Request(Poco::Net::HTTPServerSession& session) {
    Poco::Net::HTTPHeaderInputStream header(session);
    read(header);
    // No stream where there is no body (a GET's): making one is ~2 000
    // instructions.
    if (getChunkedTransferEncoding()) {
      body_ = std::make_unique<Poco::Net::HTTPChunkedInputStream>(session);
    } else if (hasContentLength()) {
      if (getContentLength64() > 0) {
        body_ =
            std::make_unique<Poco::Net::HTTPFixedLengthInputStream>(session, getContentLength64());
      }
    } else if (getMethod() != HTTP_GET && getMethod() != HTTP_HEAD && getMethod() != HTTP_DELETE) {
      body_ = std::make_unique<Poco::Net::HTTPInputStream>(session);
    }
  }
  /// The body, or null when there is none.
  std::istream* body() { return body_.get(); }

 private:
  std::unique_ptr<std::istream> body_;
};

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

  /// Bytes of the client's already read from the socket, not yet parsed.
  bool has_buffered() { return buffered() > 0; }

  /// The last answer went out at `t` (FastAnswer): the keep-alive timeout
  /// counts from then, not from the next_request() call. `readable`: the
  /// socket was seen readable since (no need to ask again).
  void answered(Clock::time_point t, bool readable) {
    answered_at_ = t;
    readable_seen_ = readable;
  }

  bool next_request() {
    if (first_) {
      first_ = false;
      return hasMoreRequests();
    }
    if (!socket().impl()->initialized() || !canKeepAlive() || !getKeepAlive()) return false;
    const bool readable_seen = std::exchange(readable_seen_, false);
    const auto answered_at = std::exchange(answered_at_, std::nullopt);
    if (buffered() > 0 || readable_seen) return true;
    Poco::Timespan timeout = keepalive_timeout_;
    if (answered_at) {
      const auto idle =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - *answered_at);
      timeout = std::max<Poco::Timespan::TimeDiff>(
          0, keepalive_timeout_.totalMicroseconds() - idle.count());
    }
    return !readable_.poll(timeout).empty();
  }

  const Poco::Timespan& keepalive_timeout() const { return keepalive_timeout_; }

 private:
  const Poco::Timespan keepalive_timeout_;
  std::optional<Clock::time_point> answered_at_;
  bool readable_seen_ = false;
  Poco::Net::PollSet readable_;
  bool first_ = true;
};

struct ClientWaker final : Waker {
  explicit ClientWaker(std::shared_ptr<ClientWait> w) : wait(std::move(w)) {}
  void wake() override { wait->wake(); }
  const std::shared_ptr<ClientWait> wait;
};

class Connection : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, const ConnectionEnv& env)
      : TCPServerConnection(socket),
        env_(env),
        entry_(this->socket()),
        wait_(std::make_shared<ClientWait>(this->socket())),
        waker_(std::make_shared<ClientWaker>(wait_)) {}

  void run() override;

 private:
  enum class After { next_request, close, linger_and_close };
  // Serves one parsed request and says what the connection does next.
  After serve(Session& session, Request& request, AnswerShape& shape, Clock::time_point started);
  void send_error(Poco::Net::HTTPServerSession& session, int status, const std::string& method,
                  const std::string& path, Clock::time_point started, const std::string& why);
  void write(const AnswerShape& shape, const Outcome& o);
  void send_all(const std::string& bytes);
  void log(const std::string& method, const std::string& path, int status, double ms,
           const Outcome* o, const std::string& why);
  void linger();

  const ConnectionEnv& env_;
  LiveConnections::Entry entry_;
  std::string remote_;
  // Shared: a Broker::reply may wake it after this connection ended.
  std::shared_ptr<ClientWait> wait_;
  std::shared_ptr<Waker> waker_;
};

// The answer of a request on a plain, kept-alive connection, sent by the
// thread that gets the worker's reply (Broker::reply) while this
// connection's thread sleeps until the client's next request: one wake-up
// of this thread per request instead of two (the reply, then the next
// request). What the socket does not take at once, this thread sends.
class FastAnswer final : public AnswerChannel {
 public:
  FastAnswer(ClientWait& wait, std::shared_ptr<Waker> waker, bool client_readable,
             std::function<void(const Outcome&)> log, AnswerShape shape,
             std::chrono::microseconds keepalive)
      : wait_(wait),
        waker_(std::move(waker)),
        client_readable_(client_readable),
        log_(std::move(log)),
        shape_(std::move(shape)),
        keepalive_(keepalive) {}

  bool answer_now(const Outcome& o) override;
  bool needs_wake() const override { return client_readable_; }
  std::shared_ptr<Waker> waker() override { return waker_; }
  void wait_until(std::unique_lock<std::mutex>& lock, Clock::time_point deadline) override {
    const bool watch_client = !client_readable_;
    lock.unlock();
    // Never longer than the keep-alive timeout: once the answer is out, this
    // thread must see it in time to close an idle connection.
    const bool readable = wait_.wait(watch_client, std::min(deadline, Clock::now() + keepalive_));
    lock.lock();
    if (readable) client_readable_ = true;  // no use watching it again: it stays readable
  }

  /// After serve(), when the answer went out whole: when.
  Clock::time_point answered_at() const { return answered_at_; }
  /// After serve(): whether the client's socket was seen readable.
  bool client_readable() const { return client_readable_; }
  /// After serve(): what answer_now() began and could not finish ("" if none).
  std::string rest() const { return unsent_.substr(std::min(sent_, unsent_.size())); }

 private:
  ClientWait& wait_;
  const std::shared_ptr<Waker> waker_;
  bool client_readable_;  // under the broker's lock
  const std::function<void(const Outcome&)> log_;
  const AnswerShape shape_;
  const std::chrono::microseconds keepalive_;
  Clock::time_point answered_at_;
  std::string unsent_;
  std::size_t sent_ = 0;
};

bool FastAnswer::answer_now(const Outcome& o) {
  try {
    std::string all = answer_bytes(shape_, o);
    sent_ = wait_.send_now(all.data(), all.size());
    if (sent_ == all.size()) {
      answered_at_ = Clock::now();
      log_(o);
      return true;
    }
    if (sent_ > 0) unsent_ = std::move(all);
  } catch (const std::exception&) {
    // Nothing sent: the connection thread answers as it would without this.
  }
  return false;
}

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
        Request request(session);
        AnswerShape shape{
            request.getVersion(),
            env_.params->getKeepAlive() && request.getKeepAlive() && session.canKeepAlive(),
            request.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD};
        after = serve(session, request, shape, started);
        session.setKeepAlive(after == After::next_request && shape.keep_alive &&
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
      // The answer is out: sent whole (write, send_all) or by FastAnswer.
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

Connection::After Connection::serve(Session& session, Request& request, AnswerShape& shape,
                                    Clock::time_point started) {
  const std::string method = request.getMethod();
  const std::string& uri = request.getURI();
  const auto q = uri.find('?');
  const std::string path = uri.substr(0, q);
  auto refuse = [&](int status, const std::string& why) {
    Outcome o;
    o.status = status;
    o.failure = why;
    env_.live.disarm(&entry_);
    shape.keep_alive = false;
    write(shape, o);
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
  if (request.getExpectContinue()) send_all(shape.version + " 100 Continue\r\n\r\n");
  rpc::GatewayRequest r;
  if (std::istream* body = request.body()) {
    std::istream& in = *body;
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
  // A plain kept-alive connection: the worker's answer goes out from the
  // thread that gets it (FastAnswer). Bytes of the client's already
  // buffered would never wake this thread: it is then woken at the answer.
  std::optional<FastAnswer> fast;
  if (wait_->available() && shape.keep_alive && !socket().secure()) {
    fast.emplace(
        *wait_, waker_, session.has_buffered(),
        [this, &method, &path, started](const Outcome& o) {
          log(method, path, o.status, ms_since(started), &o, o.failure);
        },
        shape, std::chrono::microseconds(session.keepalive_timeout().totalMicroseconds()));
  }
  const Outcome o =
      env_.broker.serve(std::move(r), idempotent_method(method), fast ? &*fast : nullptr);
  if (o.answered) {  // sent and logged by FastAnswer
    session.answered(fast->answered_at(), fast->client_readable());
    return After::next_request;
  }
  if (const std::string rest = fast ? fast->rest() : std::string(); !rest.empty()) {
    send_all(rest);  // what the socket did not take at once
  } else {
    write(shape, o);
  }
  log(method, path, o.status, ms_since(started), &o, o.failure);
  return After::next_request;
}

void Connection::write(const AnswerShape& shape, const Outcome& o) {
  send_all(answer_bytes(shape, o));
}

void Connection::send_all(const std::string& bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    const int n = socket().sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    if (n <= 0) throw Poco::IOException("the client stopped taking the answer");
    sent += static_cast<std::size_t>(n);
  }
}

void Connection::send_error(Poco::Net::HTTPServerSession& session, int status,
                            const std::string& method, const std::string& path,
                            Clock::time_point started, const std::string& why) {
  try {
    Outcome o;
    o.status = status;
    o.failure = why;
    write(AnswerShape{Poco::Net::HTTPMessage::HTTP_1_1, false, false}, o);
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
