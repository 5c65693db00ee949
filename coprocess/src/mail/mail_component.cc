// The mail component: wires the outbox, the transport and the delivery
// workers together and serves mail.send, mail.status and mail.list, plus the
// "outbox" section of sys.status.
#include <atomic>
#include <ctime>
#include <memory>
#include <system_error>

#include "component.h"
#include "content_digest.h"
#include "delivery_worker.h"
#include "log.h"
#include "mail_address.h"
#include "mail_messages.h"
#include "mail_outbox.h"
#include "outbox_layout.h"
#include "mail_rate_limit.h"
#include "mail_request.h"
#include "maildir_transport.h"
#include "methods.h"
#include "mime_builder.h"
#include "raw_message.h"
#include "rpc_error.h"
#include "smtp_transport.h"

namespace coproc {
namespace mail {
namespace {

rpc::MailView view_of(const MailRecord& r) {
  rpc::MailView v;
  v.id = r.id;
  v.state = r.state;
  v.owner_uid = r.owner_uid;
  v.from = r.envelope_from;
  v.recipients = r.recipients;
  v.subject = r.subject;
  v.message_id = r.message_id;
  v.created_ms = r.created_ms;
  v.attempts = r.attempts;
  v.last_error = r.last_error;
  v.next_attempt_ms = r.state == "queued" ? r.next_attempt_ms : 0;
  v.sent_ms = r.sent_ms;
  v.size = r.size;
  v.delivered_to = r.delivered_to;
  v.refused = r.refused;
  return v;
}

struct OutboxStatus {
  std::uint64_t queued = 0, sending = 0, sent = 0, failed = 0;
  std::string transport;
  MSGPACK_DEFINE_MAP(queued, sending, sent, failed, transport);
};

std::string local_domain(const Config& config) {
  std::string name = config.str("smtp.helo_name");
  if (!name.empty()) return name;
  return local_host_name();
}

std::shared_ptr<Transport> make_transport(const Config& config, const Paths& paths) {
  std::string kind = config.str("mail.transport");
  if (kind == "auto") kind = config.str("smtp.host").empty() ? "maildir" : "smtp";
  if (kind == "smtp") return std::make_shared<SmtpTransport>(SmtpSettings::from_config(config));
  if (kind == "maildir") {
    std::string dir = config.str("mail.maildir");
    if (dir.empty()) dir = paths.state_dir + "/maildir";
    return std::make_shared<MaildirTransport>(dir);
  }
  throw std::runtime_error("mail.transport must be auto, smtp or maildir, not '" + kind + "'");
}

class MailComponent : public Component {
 public:
  explicit MailComponent(const ComponentEnv& env)
      : max_bytes_(static_cast<std::uint64_t>(env.config.integer("mail.max_message_bytes"))),
        keep_ms_(env.config.integer("mail.keep_days") * 86400000),
        domain_(local_domain(env.config)),
        rate_(env.config.integer("mail.per_uid_per_minute")) {
    ensure_directory(env.paths.state_dir, 0700);
    outbox_ = std::make_unique<Outbox>(outbox_dir(env.paths.state_dir));
    transport_ = make_transport(env.config, env.paths);
    DeliverySettings d;
    d.workers = static_cast<int>(env.config.integer("mail.workers"));
    d.batch = static_cast<int>(env.config.integer("mail.batch"));
    d.retry_initial_ms = env.config.integer("mail.retry_initial_ms");
    d.retry_max_ms = env.config.integer("mail.retry_max_ms");
    d.max_age_ms = env.config.integer("mail.max_age_s") * 1000;
    delivery_ = std::make_unique<DeliveryService>(*outbox_, transport_, d);

    env.dispatcher.add(rpc::method::kMailSend, Execution::worker,
                       [this](CallContext& call, const rpc::Params& p) { return send(call, p); });
    env.dispatcher.add(rpc::method::kMailStatus, Execution::worker,
                       [this](CallContext& call, const rpc::Params& p) { return status(call, p); });
    env.dispatcher.add(rpc::method::kMailList, Execution::worker,
                       [this](CallContext& call, const rpc::Params& p) { return list(call, p); });
    env.dispatcher.add(rpc::method::kMailTest, Execution::worker,
                       [this](CallContext& call, const rpc::Params& p) { return test(call, p); });
    env.dispatcher.add_status_section("outbox", [this](const CallContext&) {
      OutboxStatus s;
      auto counts = outbox_->counts();
      s.queued = counts["queued"];
      s.sending = counts["sending"];
      s.sent = counts["sent"];
      s.failed = counts["failed"];
      s.transport = transport_->describe();
      return rpc::pack_value(s);
    });
    COPROC_LOG(info, "mail", "transport: " << transport_->describe() << ", workers=" << d.workers
                                           << ", batch=" << d.batch);
  }

  void start() override {
    expire_finished();
    delivery_->start();
  }

  void stop() override { delivery_->stop(); }

 private:
  // What the outbox needs of a mail.send, from either form.
  struct Submission {
    std::string envelope_from;
    std::vector<std::string> recipients;
    std::string subject;
    std::string message_id;
    std::string idempotency_key;
    std::string message;
    std::string content_digest;
  };

  // The built form: MailRequest → MIME.
  Submission built(CallContext& call, const rpc::Params& params, const std::string& id,
                   const std::string& message_id, std::int64_t now) {
    MailRequest req = parse_mail_request(params, call, max_bytes_);
    Submission s{req.from.addr_spec, req.envelope_recipients(), req.subject, message_id,
                 req.idempotency_key, build_mime(req, MimeOptions{message_id, now, id}),
                 req.idempotency_key.empty() ? std::string() : content_digest(req)};
    if (s.message.size() > max_bytes_) {
      throw RpcException(Errc::too_large, "the message is " + std::to_string(s.message.size()) +
                                              " bytes once MIME-encoded; mail.max_message_bytes "
                                              "is " + std::to_string(max_bytes_));
    }
    return s;
  }

  // The raw form: a finished message, kept as given (raw_message.h).
  Submission raw(const rpc::Params& params, const std::string& message_id, std::int64_t now) {
    RawMail m = prepare_raw_mail(params, RawContext{max_bytes_, domain_, message_id, now});
    const std::string digest =
        m.idempotency_key.empty()
            ? std::string()
            : raw_content_digest(params.opt_bytes("raw").value_or(""), m.envelope_from,
                                 m.recipients);
    return Submission{std::move(m.envelope_from), std::move(m.recipients), std::move(m.subject),
                      std::move(m.message_id),    std::move(m.idempotency_key),
                      std::move(m.message),       digest};
  }

  rpc::Packed send(CallContext& call, const rpc::Params& params) {
    const std::uint32_t uid = call.peer.uid;
    const std::int64_t now = now_ms();
    const std::string id = Outbox::new_id();
    const std::string message_id = "<" + id + "@" + domain_ + ">";
    Submission sub = is_raw_request(params) ? raw(params, message_id, now)
                                            : built(call, params, id, message_id, now);
    if (auto existing = outbox_->reserve(uid, sub.idempotency_key)) {
      if (!existing->content_digest.empty() && existing->content_digest != sub.content_digest) {
        COPROC_LOG(info, "mail", "uid=" << uid << " id=" << existing->id << " req="
                                        << call.request_id
                                        << " idempotency key reused for other content: conflict");
        throw RpcException(Errc::conflict,
                           "idempotency_key '" + sub.idempotency_key.substr(0, 64) +
                               "' was already used for mail " + existing->id +
                               " with different content; use a new key for a new message");
      }
      COPROC_LOG(info, "mail", "uid=" << uid << " id=" << existing->id << " req=" << call.request_id
                                      << " repeated send (same idempotency key), not queued again");
      return rpc::pack_value(rpc::MailSendResult{existing->id, existing->state, true});
    }
    struct KeyGuard {
      Outbox& outbox;
      std::uint32_t uid;
      const std::string& key;
      bool done = false;
      ~KeyGuard() {
        if (!done) outbox.release(uid, key);
      }
    } guard{*outbox_, uid, sub.idempotency_key};

    if (!rate_.admit(uid, now)) {
      COPROC_LOG(warn, "mail", "uid=" << uid << " req=" << call.request_id << " rate limited");
      throw RpcException(Errc::rate_limited,
                         "you submitted " + std::to_string(rate_.per_minute()) +
                             " mails within the last minute (mail.per_uid_per_minute); try later");
    }
    MailRecord rec;
    rec.id = id;
    rec.owner_uid = uid;
    rec.message_id = sub.message_id;
    rec.envelope_from = sub.envelope_from;
    rec.recipients = sub.recipients;
    rec.subject = sub.subject;
    rec.idempotency_key = sub.idempotency_key;
    rec.content_digest = sub.content_digest;
    rec.created_ms = rec.updated_ms = now;
    rec.size = sub.message.size();
    try {
      outbox_->add(rec, sub.message);
    } catch (const std::system_error& e) {
      COPROC_LOG(error, "mail", "uid=" << uid << " cannot store a mail: " << e.what());
      throw RpcException(Errc::unavailable,
                         std::string("the outbox cannot store the mail right now: ") + e.what());
    }
    guard.done = true;
    delivery_->enqueue(rec.id);
    COPROC_LOG(info, "mail", "uid=" << uid << " id=" << rec.id << " req=" << call.request_id
                                    << " queued from=" << rec.envelope_from << " rcpts="
                                    << rec.recipients.size() << " bytes=" << rec.size);
    maybe_expire(now);
    return rpc::pack_value(rpc::MailSendResult{rec.id, "queued", false});
  }

  // Opens a session to the relay as delivery would, step by step, and with
  // `to` sends a short test message through it (not through the outbox).
  // Admins only: it shows the relay set-up and sends mail as the service.
  rpc::Packed test(CallContext& call, const rpc::Params& params) {
    params.allow_only(rpc::MailTestParams::kKeys);
    if (!call.admin) {
      throw RpcException(Errc::permission_denied,
                         "mail.test is for administrators (root or service.admin_group); uid " +
                             std::to_string(call.peer.uid) + " is neither");
    }
    const auto to = params.opt_str("to");
    const std::string from = params.str_or("from", "postmaster@" + domain_);
    const std::string to_addr = to ? parse_address(*to, "to").addr_spec : std::string();
    const std::string from_addr = parse_address(from, "from").addr_spec;
    rpc::MailTestResult r;
    r.transport = transport_->describe();
    try {
      auto session = transport_->open_traced([&r](const std::string& s) { r.steps.push_back(s); });
      if (to) {
        char date[64];
        const std::time_t now = std::time(nullptr);
        std::tm tm{};
        ::gmtime_r(&now, &tm);
        std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
        const std::string id = Outbox::new_id();
        const std::string message =
            "From: " + from + "\r\nTo: " + *to + "\r\nSubject: coproc mail test\r\nDate: " +
            date + "\r\nMessage-ID: <test-" + id + "@" + domain_ +
            ">\r\n\r\nA test message sent by `coprocctl mail test` through " + r.transport +
            ".\r\n";
        const auto refused = session->send(Envelope{"test-" + id, from_addr, {to_addr}}, message);
        if (!refused.empty()) {
          throw DeliveryError(true, "RCPT TO:<" + to_addr + "> refused: " + refused[0].reply);
        }
        r.steps.push_back("test message to " + *to + " accepted by the relay");
      }
      session->close();
      r.ok = true;
    } catch (const DeliveryError& e) {
      r.error = e.what();
    }
    COPROC_LOG(info, "mail", "uid=" << call.peer.uid << " req=" << call.request_id
                                    << " mail.test " << (r.ok ? "ok" : "failed: " + r.error)
                                    << (to ? " to=" + *to : std::string()));
    return rpc::pack_value(r);
  }

  rpc::Packed status(CallContext& call, const rpc::Params& params) {
    params.allow_only(rpc::MailStatusParams::kKeys);
    const std::string id = params.str("id");
    std::optional<MailRecord> r = outbox_->get(id);
    // Someone else's mail looks exactly like a mail that does not exist.
    if (!r || (!call.admin && r->owner_uid != call.peer.uid)) {
      throw RpcException(Errc::not_found, "no mail with id '" + id.substr(0, 64) + "'");
    }
    return rpc::pack_value(view_of(*r));
  }

  rpc::Packed list(CallContext& call, const rpc::Params& params) {
    params.allow_only(rpc::MailListParams::kKeys);
    std::optional<std::string> state = params.opt_str("state");
    MailState parsed;
    if (state && !parse_state(*state, &parsed)) {
      throw RpcException(Errc::bad_request,
                         "'state' must be queued, sending, sent or failed, not '" + *state + "'");
    }
    const auto limit = static_cast<std::size_t>(params.int_or("limit", 100, 1, 10000));
    std::optional<std::uint32_t> owner;
    if (!call.admin) owner = call.peer.uid;
    rpc::MailListResult out;
    for (const MailRecord& r : outbox_->list(owner, state, limit)) out.mails.push_back(view_of(r));
    return rpc::pack_value(out);
  }

  void maybe_expire(std::int64_t now) {
    std::int64_t last = last_expiry_.load();
    if (now - last < 3600000 || !last_expiry_.compare_exchange_strong(last, now)) return;
    expire_finished();
  }

  void expire_finished() {
    last_expiry_ = now_ms();
    std::size_t n = outbox_->remove_finished_before(now_ms() - keep_ms_);
    if (n) COPROC_LOG(info, "mail", "removed " << n << " sent/failed mails older than mail.keep_days");
  }

  const std::uint64_t max_bytes_;
  const std::int64_t keep_ms_;
  const std::string domain_;
  RateLimit rate_;
  std::atomic<std::int64_t> last_expiry_{0};
  std::unique_ptr<Outbox> outbox_;
  std::shared_ptr<Transport> transport_;
  std::unique_ptr<DeliveryService> delivery_;
};

}  // namespace
}  // namespace mail

std::unique_ptr<Component> make_mail_component(const ComponentEnv& env) {
  return std::make_unique<mail::MailComponent>(env);
}

}  // namespace coproc
