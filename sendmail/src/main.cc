// coproc-sendmail: a sendmail-compatible command. Reads a message on
// standard input and queues it with mail.send's raw form, under the
// caller's own identity (the co-process reads it from the kernel), so
// per-user limits, mail.list and mail.status work for it as for any other
// client. Exit codes from sysexits.h with a one-line reason on stderr
// (docs/sendmail.md).
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "coproc/client.hpp"
#include "idempotency.h"
#include "mail_messages.h"
#include "methods.h"
#include "message_input.h"
#include "result_fields.h"
#include "sendmail_exit.h"
#include "sendmail_options.h"
#include "sendmail_platform.h"

namespace coproc::sendmail {
namespace {

// Read limit before the co-process is asked: its mail.max_message_bytes
// cannot be larger (config range), and nothing bigger fits in one frame.
constexpr std::uint64_t kMaxInputBytes = 1ULL << 31;

int fail(int code, const std::string& reason) {
  std::string line = reason;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cerr << "coproc-sendmail: " << line << "\n";
  return code;
}

// A login name as a local part: a dot-atom as it is, anything else quoted.
std::string local_part(const std::string& login) {
  bool atom = !login.empty() && login.front() != '.' && login.back() != '.';
  for (char c : login) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || std::strchr("()<>[]:;@\\,\"", c)) atom = false;
  }
  if (atom) return login;
  std::string quoted = "\"";
  for (char c : login) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string pack_send(const SendmailOptions& o, const std::string& sender,
                      const std::string& message) {
  rpc::MailSendRawParams p;
  p.raw = message;
  p.envelope_from = sender;
  p.envelope_to = o.recipients;
  p.recipients_from_headers = o.recipients_from_headers;
  p.idempotency_key = new_idempotency_key();
  p.from_name = o.full_name;
  return rpc::pack_params(p).bytes;
}

ClientOptions client_options(const SendmailOptions& o) {
  ClientOptions c;
  c.client_name = "coproc-sendmail";
  if (!o.endpoint.empty()) {
    c.endpoint = o.endpoint;
  } else if (!o.runtime_dir.empty()) {
    c.endpoint = o.runtime_dir + "/coproc.sock";
    c.control_endpoint = o.runtime_dir + "/control.sock";
  }
  if (o.timeout_ms > 0) c.connect_timeout_ms = c.call_timeout_ms = o.timeout_ms;
  c.auto_launch = !o.no_launch;
  return c;
}

int run(int argc, char** argv) {
  SendmailOptions o;
  std::string error;
  if (!parse_sendmail_args(std::vector<std::string>(argv + 1, argv + argc), &o, &error)) {
    return fail(kExUsage, error + " (coproc-sendmail --help)");
  }
  if (o.help) {
    std::cout << sendmail_usage();
    return kExOk;
  }
  if (o.version) {
    std::cout << "coproc-sendmail " << coproc_version() << "\n";
    return kExOk;
  }
  if (o.queue_run) return kExOk;  // the co-process runs its queue by itself
  if (o.recipients.empty() && !o.recipients_from_headers) {
    return fail(kExUsage, "no recipients: give them as arguments, or use -t to read them "
                          "from the message");
  }
  std::string sender = o.sender;
  if (sender.empty()) {
    const std::string login = login_name();
    if (login.empty()) return fail(kExUsage, "cannot tell your login name: give the sender with -f");
    sender = local_part(login);
  }

  binary_stdin();
  std::string message;
  switch (read_message(stdin, o.dot_ends_input, kMaxInputBytes, &message)) {
    case InputResult::ok: break;
    case InputResult::too_large:
      return fail(kExDataErr, "the message is larger than " + std::to_string(kMaxInputBytes) +
                                  " bytes");
    case InputResult::io_error:
      return fail(kExIoErr, std::string("cannot read the message: ") + std::strerror(errno));
  }

  Client client(client_options(o));
  CallResult r = client.call(rpc::method::kMailSend, pack_send(o, sender, message));
  if (!r.ok()) {
    const int code = exit_for(r.status);
    std::string reason = r.error_message.empty() ? status_name(r.status) : r.error_message;
    if (code == kExTempFail) reason = "cannot queue the message now, try again later: " + reason;
    return fail(code, reason + " (" + status_name(r.status) + ")");
  }
  if (o.verbose) {
    std::cerr << "coproc-sendmail: queued as " << string_field(r.result, "id") << "\n";
  }
  return kExOk;
}

}  // namespace
}  // namespace coproc::sendmail

int main(int argc, char** argv) {
  try {
    return coproc::sendmail::run(argc, argv);
  } catch (const std::bad_alloc&) {
    return coproc::sendmail::fail(coproc::sendmail::kExOsErr, "out of memory");
  } catch (const std::exception& e) {
    return coproc::sendmail::fail(coproc::sendmail::kExSoftware, e.what());
  }
}
