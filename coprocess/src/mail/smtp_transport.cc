#include "smtp_transport.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/X509Certificate.h>

#include "log.h"
#include "mail_types.h"
#include "system_trust.h"

namespace coproc::mail {

struct SmtpTransport::LiveSockets {
  std::mutex mutex;
  bool interrupted = false;
  // A copy of each session's socket: it keeps the descriptor open until the
  // session lets go, so interrupt() never shuts down a reused number.
  std::map<const void*, Poco::Net::StreamSocket> sockets;
};

namespace {

using Poco::Net::SMTPClientSession;

// How long closing a session waits for the reply to QUIT: a dead relay must
// not cost another full smtp.timeout_ms on top of the failed attempt.
constexpr int kQuitWaitMs = 1000;

// SMTPClientSession keeps its socket protected; STARTTLS has to swap it.
class RelaySession : public SMTPClientSession {
 public:
  using SMTPClientSession::SMTPClientSession;
  using SMTPClientSession::socket;
};

void init_ssl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    tls::initialize();
    // Never Poco's console handler (it would prompt on stdin): a certificate
    // that fails verification is rejected.
    Poco::Net::SSLManager::instance().initializeClient(
        nullptr, new Poco::Net::RejectCertificateHandler(false), nullptr);
  });
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
  return s;
}

std::string base64(const std::string& data) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << data;
  enc.close();
  return out.str();
}

// Throws DeliveryError for a reply that is not `expected` class (2 or 3).
void expect(int status, int expected_class, const std::string& what, const std::string& reply) {
  if (status / 100 == expected_class) return;
  throw DeliveryError(status / 100 == 5, what + ": " + one_line(reply));
}

// Mechanisms named on "AUTH" lines of the EHLO reply ("250-AUTH PLAIN LOGIN").
std::vector<std::string> auth_mechanisms(const std::string& ehlo) {
  std::vector<std::string> out;
  std::istringstream lines(ehlo);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > 4 && std::isdigit(static_cast<unsigned char>(line[0]))) line = line.substr(4);
    std::string upper = line;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.rfind("AUTH", 0) != 0 || upper.size() < 5 || (upper[4] != ' ' && upper[4] != '=')) {
      continue;
    }
    std::istringstream words(upper.substr(5));
    std::string w;
    while (words >> w) out.push_back(w);
  }
  return out;
}

bool offers(const std::string& ehlo, const std::string& keyword) {
  std::istringstream lines(ehlo);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > 4 && std::isdigit(static_cast<unsigned char>(line[0]))) line = line.substr(4);
    std::string upper;
    for (char c : line) {
      if (c == '\r') continue;
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (upper == keyword || upper.rfind(keyword + " ", 0) == 0) return true;
  }
  return false;
}

class SmtpSession : public TransportSession {
 public:
  SmtpSession(const SmtpSettings& s, Poco::Net::Context::Ptr context,
              std::shared_ptr<SmtpTransport::LiveSockets> live,
              std::function<void(const std::string&)> step = {})
      : s_(s), context_(context), live_(std::move(live)), step_(std::move(step)) {}
  ~SmtpSession() override { close(); }

  void connect() {
    const Poco::Timespan timeout(static_cast<Poco::Timespan::TimeDiff>(s_.timeout_ms) * 1000);
    Poco::Net::SocketAddress address(s_.host, static_cast<Poco::UInt16>(s_.port));
    Poco::Net::StreamSocket tcp(address.family());
    watch(tcp);  // from here interrupt() can end a blocked connect or read
    tcp.connect(address, timeout);
    if (s_.security == SmtpSecurity::tls) {
      Poco::Net::SecureStreamSocket secure =
          Poco::Net::SecureStreamSocket::attach(tcp, s_.host, context_);
      check_peer_name(secure);
      session_ = std::make_unique<RelaySession>(secure);
      tell("connected to " + address.toString() + " with TLS; certificate verified for '" +
           s_.host + "'" + (s_.verify_tls ? "" : " (NOT: smtp.verify_tls = false)"));
    } else {
      session_ = std::make_unique<RelaySession>(tcp);
      tell("connected to " + address.toString());
    }
    // The end of DATA (".") often follows the message in a second small
    // write; without TCP_NODELAY it waits for the relay's delayed ACK.
    session_->socket().setNoDelay(true);
    session_->socket().setReceiveTimeout(timeout);
    session_->socket().setSendTimeout(timeout);
    session_->setTimeout(timeout);
    session_->open();  // reads the greeting; 4xx/5xx throw SMTPException
    tell("greeting received");

    std::string ehlo = hello();
    tell("EHLO " + helo_name() + ": " + first_line(ehlo));
    if (s_.security == SmtpSecurity::starttls) {
      if (!offers(ehlo, "STARTTLS")) {
        throw DeliveryError(false,
                            "the relay does not offer STARTTLS and smtp.security=starttls requires "
                            "it; nothing (no credentials, no message) was sent in clear text");
      }
      std::string reply;
      int status = session_->sendCommand("STARTTLS", reply);
      expect(status, 2, "the relay refused STARTTLS", reply);
      Poco::Net::SecureStreamSocket secure =
          Poco::Net::SecureStreamSocket::attach(session_->socket(), s_.host, context_);
      check_peer_name(secure);
      secure.setReceiveTimeout(timeout);
      secure.setSendTimeout(timeout);
      session_->socket() = secure;
      tell("STARTTLS: certificate verified for '" + s_.host + "'" +
           (s_.verify_tls ? "" : " (NOT: smtp.verify_tls = false)"));
      ehlo = hello();
      tell("EHLO again over TLS: " + first_line(ehlo));
    }
    authenticate(ehlo);
  }

  std::vector<Refusal> send(const Envelope& e, const std::string& message) override {
    std::vector<Refusal> refused;
    try {
      std::string reply;
      int status = session_->sendCommand("MAIL FROM:<" + e.from + ">", reply);
      expect(status, 2, "MAIL FROM:<" + e.from + "> refused", reply);
      // Each recipient on its own: one unknown mailbox must not keep the
      // mail from the others (what every MTA does).
      for (const std::string& r : e.recipients) {
        status = session_->sendCommand("RCPT TO:<" + r + ">", reply);
        if (status / 100 == 2) continue;
        if (status / 100 != 4 && status / 100 != 5) {
          expect(status, 2, "RCPT TO:<" + r + "> answered oddly", reply);  // ends the session
        }
        refused.push_back(Refusal{r, one_line(reply), status / 100 == 5});
      }
      if (refused.size() == e.recipients.size()) {
        status = session_->sendCommand("RSET", reply);  // end the transaction, keep the session
        expect(status, 2, "RSET refused", reply);
        return refused;
      }
      status = session_->sendCommand("DATA", reply);
      expect(status, 3, "DATA refused", reply);
      std::istringstream in(message);
      session_->sendMessage(in);  // dot-stuffing, final ".", checks the reply
    } catch (const Poco::Net::SMTPException& ex) {
      throw DeliveryError(ex.code() / 100 == 5, "the relay rejected the message: " +
                                                    one_line(ex.message()));
    } catch (const Poco::TimeoutException& ex) {
      throw DeliveryError(false, "timeout talking to the relay: " + ex.displayText());
    } catch (const Poco::Exception& ex) {
      throw DeliveryError(false, "connection to the relay failed: " + ex.displayText());
    }
    return refused;
  }

  void close() noexcept override {
    try {
      if (session_) {
        // QUIT is a courtesy: wait briefly for its reply, never a full timeout.
        const Poco::Timespan quick(
            static_cast<Poco::Timespan::TimeDiff>(std::min(s_.timeout_ms, kQuitWaitMs)) * 1000);
        session_->socket().setReceiveTimeout(quick);
        session_->socket().setSendTimeout(quick);
        session_->setTimeout(quick);
        session_->close();
      }
    } catch (...) {
    }
    session_.reset();
    std::lock_guard<std::mutex> lock(live_->mutex);
    live_->sockets.erase(this);
  }

 private:
  void watch(const Poco::Net::StreamSocket& socket) {
    std::lock_guard<std::mutex> lock(live_->mutex);
    if (live_->interrupted) {
      throw DeliveryError(false, "not connecting to the relay: the co-process is stopping");
    }
    live_->sockets[this] = socket;
  }

  // The relay's certificate must name smtp.host. Checked here rather than
  // by Poco, so that a mismatch names both sides (Poco says only
  // "Unacceptable certificate from HOST"); the chain itself is verified by
  // OpenSSL during the handshake (VERIFY_STRICT).
  void check_peer_name(Poco::Net::SecureStreamSocket& secure) {
    if (!s_.verify_tls) return;
    const Poco::Net::X509Certificate cert = secure.peerCertificate();
    if (cert.verify(s_.host)) return;
    std::string common_name;
    std::set<std::string> names;
    cert.extractNames(common_name, names);
    if (!common_name.empty()) names.insert(common_name);
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "'" : ", '") + n + "'";
    throw Poco::Net::CertificateValidationException(
        "the relay's certificate is for " + (list.empty() ? std::string("no host name") : list) +
        ", not for '" + s_.host + "' (smtp.host)");
  }

  std::string hello() {
    std::string reply;
    int status = session_->sendCommand("EHLO", helo_name(), reply);
    expect(status, 2, "EHLO refused", reply);
    return reply;
  }

  std::string helo_name() const {
    if (!s_.helo_name.empty()) return s_.helo_name;
    return local_host_name();
  }

  void tell(const std::string& what) {
    if (step_) step_(what);
  }

  static std::string first_line(const std::string& reply) {
    return one_line(reply.substr(0, reply.find('\n')));
  }

  void authenticate(const std::string& ehlo) {
    if (s_.username.empty() || s_.auth == SmtpAuth::none) {
      tell("no AUTH (smtp.username is empty or smtp.auth = none)");
      return;
    }
    const std::vector<std::string> offered = auth_mechanisms(ehlo);
    auto has = [&](const char* m) { return std::find(offered.begin(), offered.end(), m) != offered.end(); };
    std::string method;
    if (s_.auth == SmtpAuth::plain || (s_.auth == SmtpAuth::automatic && has("PLAIN"))) {
      method = "PLAIN";
    } else if (s_.auth == SmtpAuth::login || (s_.auth == SmtpAuth::automatic && has("LOGIN"))) {
      method = "LOGIN";
    }
    if (method.empty() || !has(method.c_str())) {
      std::string list;
      for (const auto& m : offered) list += (list.empty() ? "" : " ") + m;
      throw DeliveryError(true, "the relay offers no usable AUTH mechanism (offered: " +
                                    (list.empty() ? std::string("none") : list) +
                                    "; coproc speaks PLAIN and LOGIN)");
    }
    std::string reply;
    int status;
    if (method == "PLAIN") {
      status = session_->sendCommand(
          "AUTH PLAIN " + base64(std::string(1, '\0') + s_.username + std::string(1, '\0') +
                                 s_.password),
          reply);
    } else {
      status = session_->sendCommand("AUTH LOGIN", reply);
      expect(status, 3, "AUTH LOGIN refused", reply);
      status = session_->sendCommand(base64(s_.username), reply);
      expect(status, 3, "AUTH LOGIN refused the user name", reply);
      status = session_->sendCommand(base64(s_.password), reply);
    }
    expect(status, 2, "AUTH " + method + " as '" + s_.username + "' failed", reply);
    tell("AUTH " + method + " as '" + s_.username + "': " + first_line(reply));
  }

  const SmtpSettings& s_;
  Poco::Net::Context::Ptr context_;
  std::shared_ptr<SmtpTransport::LiveSockets> live_;
  std::function<void(const std::string&)> step_;
  std::unique_ptr<RelaySession> session_;
};

SmtpSecurity parse_security(const std::string& v) {
  if (v == "starttls") return SmtpSecurity::starttls;
  if (v == "tls") return SmtpSecurity::tls;
  if (v == "none") return SmtpSecurity::none;
  throw std::runtime_error("smtp.security must be starttls, tls or none, not '" + v + "'");
}

SmtpAuth parse_auth(const std::string& v) {
  if (v == "auto") return SmtpAuth::automatic;
  if (v == "plain") return SmtpAuth::plain;
  if (v == "login") return SmtpAuth::login;
  if (v == "none") return SmtpAuth::none;
  throw std::runtime_error("smtp.auth must be auto, plain, login or none, not '" + v + "'");
}

const char* security_name(SmtpSecurity s) {
  switch (s) {
    case SmtpSecurity::starttls: return "starttls";
    case SmtpSecurity::tls: return "tls";
    case SmtpSecurity::none: return "none";
  }
  return "?";
}

}  // namespace

SmtpSettings SmtpSettings::from_config(const Config& c) {
  SmtpSettings s;
  s.host = c.str("smtp.host");
  s.port = static_cast<int>(c.integer("smtp.port"));
  s.security = parse_security(c.str("smtp.security"));
  s.auth = parse_auth(c.str("smtp.auth"));
  s.username = c.str("smtp.username");
  s.password = c.str("smtp.password");
  s.verify_tls = c.boolean("smtp.verify_tls");
  s.ca_file = c.str("smtp.ca_file");
  s.helo_name = c.str("smtp.helo_name");
  s.timeout_ms = static_cast<int>(c.integer("smtp.timeout_ms"));
  if (s.host.empty()) throw std::runtime_error("the smtp transport needs smtp.host");
  return s;
}

SmtpTransport::SmtpTransport(SmtpSettings settings)
    : settings_(std::move(settings)), live_(std::make_shared<LiveSockets>()) {
  init_ssl_once();
  if (settings_.security != SmtpSecurity::none) {
    using Poco::Net::Context;
    Context::Params p;
    p.verificationMode = settings_.verify_tls ? Context::VERIFY_STRICT : Context::VERIFY_NONE;
    p.caLocation = settings_.ca_file;
    p.loadDefaultCAs = settings_.ca_file.empty();
    try {
      context_ = new Context(Context::TLS_CLIENT_USE, p);
      if (settings_.ca_file.empty()) tls::add_system_roots(*context_);
    } catch (const Poco::Exception& ex) {
      throw std::runtime_error("cannot set up TLS for the relay (smtp.ca_file='" +
                               settings_.ca_file + "'): " + ex.displayText());
    }
    // The host name is checked by SmtpSession::check_peer_name, which can
    // say which names the certificate holds.
    context_->enableExtendedCertificateVerification(false);
    if (!settings_.verify_tls) {
      COPROC_LOG(warn, "mail", "smtp.verify_tls=false: the relay's certificate and host name are "
                               "NOT checked; anyone on the path can read the mail and password");
    }
  }
  if (settings_.security == SmtpSecurity::none && !settings_.username.empty()) {
    COPROC_LOG(warn, "mail", "smtp.security=none with smtp.username set: the password goes to "
                             "the relay in clear text");
  }
}

void SmtpTransport::interrupt() noexcept {
  std::lock_guard<std::mutex> lock(live_->mutex);
  live_->interrupted = true;
  for (auto& [session, socket] : live_->sockets) {
    try {
      socket.shutdown();  // a blocked connect, read or write returns at once
    } catch (...) {
      // Not connected (yet or any more): nothing blocks on it.
    }
  }
}

std::unique_ptr<TransportSession> SmtpTransport::open() { return open_traced({}); }

std::unique_ptr<TransportSession> SmtpTransport::open_traced(
    const std::function<void(const std::string&)>& step) {
  auto session = std::make_unique<SmtpSession>(settings_, context_, live_, step);
  try {
    session->connect();
  } catch (const DeliveryError&) {
    session->close();
    throw;
  } catch (const Poco::Net::SMTPException& ex) {
    throw DeliveryError(ex.code() / 100 == 5, "the relay refused the session: " +
                                                  one_line(ex.message()));
  } catch (const Poco::Net::CertificateValidationException& ex) {
    throw DeliveryError(false, "certificate: TLS with " + settings_.host +
                                   " failed: the relay's certificate is not valid for the host "
                                   "name '" + settings_.host + "': " + ex.displayText());
  } catch (const Poco::Net::SSLException& ex) {
    throw DeliveryError(false, "TLS with " + settings_.host + " failed: " + ex.displayText());
  } catch (const Poco::TimeoutException& ex) {
    throw DeliveryError(false, "timeout talking to " + settings_.host + " (smtp.timeout_ms = " +
                                   std::to_string(settings_.timeout_ms) + "): " + ex.displayText());
  } catch (const Poco::Net::HostNotFoundException& ex) {
    throw DeliveryError(false, "host name: cannot resolve the relay " + settings_.host + ": " +
                                   ex.displayText());
  } catch (const Poco::Exception& ex) {
    throw DeliveryError(false, "cannot reach the relay " + settings_.host + ":" +
                                   std::to_string(settings_.port) + ": " + ex.displayText());
  }
  return session;
}

std::string SmtpTransport::describe() const {
  return "smtp " + settings_.host + ":" + std::to_string(settings_.port) + " " +
         security_name(settings_.security);
}

}  // namespace coproc::mail
