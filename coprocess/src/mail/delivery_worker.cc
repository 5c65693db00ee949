#include "delivery_worker.h"

#include <algorithm>
#include <chrono>

#include "log.h"

namespace coproc::mail {

DeliveryService::DeliveryService(Outbox& outbox, std::shared_ptr<Transport> transport,
                                 DeliverySettings settings)
    : outbox_(outbox), transport_(std::move(transport)), settings_(settings) {}

DeliveryService::~DeliveryService() { stop(); }

std::int64_t DeliveryService::backoff_ms(const DeliverySettings& s, std::int64_t attempts) {
  std::int64_t delay = s.retry_initial_ms;
  for (std::int64_t i = 1; i < attempts && delay < s.retry_max_ms; ++i) delay *= 2;
  return std::min(delay, s.retry_max_ms);
}

void DeliveryService::start() {
  std::vector<MailRecord> pending = outbox_.unfinished();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const MailRecord& r : pending) due_.emplace(r.next_attempt_ms, r.id);
  }
  if (!pending.empty()) {
    COPROC_LOG(info, "mail", "recovered " << pending.size() << " unsent messages from the outbox");
  }
  for (int i = 0; i < settings_.workers; ++i) threads_.emplace_back([this, i] { run(i); });
}

void DeliveryService::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  transport_->interrupt();  // deliveries blocked on a slow relay end now
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void DeliveryService::enqueue(const std::string& id, std::int64_t when_ms) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    due_.emplace(when_ms, id);
  }
  wake_.notify_one();
}

std::string DeliveryService::next(std::int64_t idle_ms) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(idle_ms);
  for (;;) {
    if (stopping_) return "";
    const std::int64_t now = now_ms();
    if (!due_.empty() && due_.begin()->first <= now) {
      std::string id = due_.begin()->second;
      due_.erase(due_.begin());
      return id;
    }
    auto until = std::chrono::steady_clock::time_point::max();
    if (!due_.empty()) {
      until = std::chrono::steady_clock::now() +
              std::chrono::milliseconds(due_.begin()->first - now);
    }
    if (idle_ms >= 0) {
      if (std::chrono::steady_clock::now() >= give_up) return "";
      until = std::min(until, give_up);
    }
    if (until == std::chrono::steady_clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, until);
    }
  }
}

void DeliveryService::run(int worker) {
  std::unique_ptr<TransportSession> session;
  int used = 0;
  for (;;) {
    std::string id = next(session ? settings_.session_idle_ms : -1);
    if (id.empty()) {
      if (session) {
        session->close();
        session.reset();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
      continue;
    }
    std::optional<MailRecord> record = outbox_.claim(id);
    if (!record) continue;  // a stale schedule entry
    COPROC_LOG(debug, "mail", "worker=" << worker << " uid=" << record->owner_uid
                                        << " id=" << id << " sending");
    deliver(std::move(*record), session, used);
  }
}

namespace {

std::string describe(const std::vector<Refusal>& refusals) {
  std::string out;
  for (const Refusal& r : refusals) {
    if (!out.empty()) out += "; ";
    out += "RCPT TO:<" + r.address + "> " + (r.permanent ? "refused" : "deferred") + ": " + r.reply;
  }
  return out;
}

}  // namespace

void DeliveryService::deliver(MailRecord record, std::unique_ptr<TransportSession>& session,
                              int& used) {
  Envelope envelope{record.id, record.envelope_from, record.pending_recipients()};
  std::vector<Refusal> refusals;
  try {
    const std::string message = outbox_.read_message(record.id);
    if (session && used >= settings_.batch) {
      session->close();
      session.reset();
    }
    if (!session) {
      session = transport_->open();
      used = 0;
    }
    ++used;
    refusals = session->send(envelope, message);
  } catch (const DeliveryError& e) {
    session.reset();
    failed_attempt(std::move(record), e.permanent(), e.what());
    return;
  } catch (const std::exception& e) {
    session.reset();
    failed_attempt(std::move(record), false, e.what());
    return;
  }
  bool deferred = false;
  for (const std::string& r : envelope.recipients) {
    auto it = std::find_if(refusals.begin(), refusals.end(),
                           [&](const Refusal& x) { return x.address == r; });
    if (it == refusals.end()) {
      record.delivered_to.push_back(r);
    } else if (it->permanent) {
      record.refused.push_back(RecipientRefusal{r, it->reply});
    } else {
      deferred = true;
    }
  }
  const std::string refused_text = describe(refusals);  // "" when none
  if (!refusals.empty()) {
    COPROC_LOG(warn, "mail", "uid=" << record.owner_uid << " id=" << record.id << " "
                                    << refused_text);
  }
  if (deferred) {
    // Delivered to the others (if any); the deferred ones are retried alone.
    failed_attempt(std::move(record), false, refused_text);
    return;
  }
  record.attempts += 1;
  record.updated_ms = now_ms();
  record.next_attempt_ms = 0;
  record.last_error = refused_text;
  if (record.delivered_to.empty()) {
    record.state = "failed";
  } else {
    record.state = "sent";
    record.sent_ms = record.updated_ms;
  }
  try {
    outbox_.update(record);
  } catch (const std::exception& e) {
    // The mail went out; only the bookkeeping failed. After a restart it
    // would be sent again (same Message-ID) — say so loudly.
    COPROC_LOG(error, "mail", "uid=" << record.owner_uid << " id=" << record.id << " "
                                     << record.state << ", but recording it failed: " << e.what());
    return;
  }
  COPROC_LOG(info, "mail", "uid=" << record.owner_uid << " id=" << record.id << " "
                                  << record.state << " via " << transport_->describe()
                                  << " attempts=" << record.attempts << " recipients="
                                  << record.delivered_to.size() << "/" << record.recipients.size());
}

void DeliveryService::failed_attempt(MailRecord record, bool permanent, const std::string& reason) {
  const std::int64_t now = now_ms();
  record.attempts += 1;
  record.last_error = reason;
  record.updated_ms = now;
  const std::int64_t deadline = record.created_ms + settings_.max_age_ms;
  if (permanent || now >= deadline) {
    // Whoever is still pending will not get it; those already delivered to
    // did, so the mail as a whole counts as sent when there are any.
    const std::string why = permanent ? reason : "gave up after mail.max_age_s: " + reason;
    for (const std::string& r : record.pending_recipients()) {
      record.refused.push_back(RecipientRefusal{r, why});
    }
    record.state = record.delivered_to.empty() ? "failed" : "sent";
    if (record.state == "sent") record.sent_ms = now;
    record.next_attempt_ms = 0;
    COPROC_LOG(warn, "mail", "uid=" << record.owner_uid << " id=" << record.id << " "
                                    << record.state << " after " << record.attempts << " attempts"
                                    << (permanent ? " (permanent)" : " (mail.max_age_s reached)")
                                    << ", " << record.refused.size() << " of "
                                    << record.recipients.size() << " recipients refused: " << reason);
  } else {
    record.state = "queued";
    record.next_attempt_ms = std::min(now + backoff_ms(settings_, record.attempts), deadline);
    COPROC_LOG(info, "mail", "uid=" << record.owner_uid << " id=" << record.id << " attempt "
                                    << record.attempts << " failed, retry in "
                                    << (record.next_attempt_ms - now) << " ms: " << reason);
  }
  try {
    outbox_.update(record);
  } catch (const std::exception& e) {
    COPROC_LOG(error, "mail", "id=" << record.id << " cannot record the attempt: " << e.what());
  }
  if (record.state == "queued") enqueue(record.id, record.next_attempt_ms);
}

}  // namespace coproc::mail
