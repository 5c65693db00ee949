// How delivery workers hand a message on: a Transport opens sessions, a
// session delivers messages one after the other (an SMTP connection is
// reused for several). Failures are DeliveryError, transient or permanent.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace coproc::mail {

struct Envelope {
  std::string id;  // outbox id, for logs
  std::string from;
  std::vector<std::string> recipients;
};

/// `permanent`: retrying cannot help (a 5xx reply); otherwise the message is
/// retried with backoff. what() is the reason, with the server's reply.
class DeliveryError : public std::runtime_error {
 public:
  DeliveryError(bool permanent, const std::string& what)
      : std::runtime_error(what), permanent_(permanent) {}
  bool permanent() const { return permanent_; }

 private:
  bool permanent_;
};

/// A recipient the relay did not take in this attempt.
struct Refusal {
  std::string address;
  std::string reply;  // the relay's reply, one line
  bool permanent;     // 5xx; a 4xx may succeed on a later attempt
};

class TransportSession {
 public:
  virtual ~TransportSession() = default;
  /// Delivers one message (CRLF lines) to the envelope's recipients and
  /// returns those the relay refused; the others have the message. When it
  /// refuses every recipient, nothing is sent and the session stays usable.
  /// Throws DeliveryError when the message as a whole was not delivered;
  /// after a throw the session is not used again.
  virtual std::vector<Refusal> send(const Envelope& envelope, const std::string& message) = 0;
  /// Ends the session politely (QUIT); never throws.
  virtual void close() noexcept {}
};

class Transport {
 public:
  virtual ~Transport() = default;
  /// A new session. Throws DeliveryError. Called from several delivery
  /// threads at once.
  virtual std::unique_ptr<TransportSession> open() = 0;
  /// "smtp 127.0.0.1:587 starttls" / "maildir /var/spool/coproc/maildir".
  virtual std::string describe() const = 0;
  /// open() for `coprocctl mail test` (mail.test): `step` is told each stage
  /// that worked ("connected to ...", "EHLO: 250 ...", "STARTTLS: ...",
  /// "AUTH PLAIN as 'app': 235 ..."); the DeliveryError of the first that
  /// fails starts with what failed (certificate, host name, AUTH, timeout).
  /// A transport without stages (maildir) just opens.
  virtual std::unique_ptr<TransportSession> open_traced(
      const std::function<void(const std::string&)>& step) {
    (void)step;
    return open();
  }
  /// Stopping: ends every session's connection now (from any thread), so a
  /// call blocked on a slow server throws a transient DeliveryError at once
  /// instead of waiting for its timeout; later open() calls fail the same
  /// way. The default does nothing (local transports do not block).
  virtual void interrupt() noexcept {}
};

}  // namespace coproc::mail
