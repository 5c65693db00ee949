// The delivery workers: a fixed number of threads (mail.workers), each with
// at most one transport session, which it reuses for up to mail.batch
// messages while work is waiting. Transient failures are retried with
// exponential backoff until mail.max_age_s, then the mail is "failed";
// permanent failures (5xx) fail at once. Every state change goes through
// the outbox, so a restart picks up exactly what was not yet sent.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mail_outbox.h"
#include "mail_transport.h"

namespace coproc::mail {

struct DeliverySettings {
  int workers = 4;
  int batch = 20;
  std::int64_t retry_initial_ms = 5000;
  std::int64_t retry_max_ms = 900000;
  std::int64_t max_age_ms = 172800000;
  std::int64_t session_idle_ms = 1000;  // keep an idle session this long for more work
};

class DeliveryService {
 public:
  DeliveryService(Outbox& outbox, std::shared_ptr<Transport> transport, DeliverySettings settings);
  ~DeliveryService();
  DeliveryService(const DeliveryService&) = delete;
  DeliveryService& operator=(const DeliveryService&) = delete;

  /// Schedules every unfinished record of the outbox and starts the threads.
  void start();
  /// Lets sends in progress finish, closes the sessions and joins. Idempotent.
  void stop();
  /// Schedules a newly accepted mail. Thread-safe.
  void enqueue(const std::string& id, std::int64_t when_ms = 0);

  /// Delay before retry number `attempts` (1 = first retry).
  static std::int64_t backoff_ms(const DeliverySettings& s, std::int64_t attempts);

 private:
  void run(int worker);
  /// Next due id; "" when stopping or when nothing came within `idle_ms`
  /// (idle_ms < 0: wait without limit).
  std::string next(std::int64_t idle_ms);
  void deliver(MailRecord record, std::unique_ptr<TransportSession>& session, int& used);
  void failed_attempt(MailRecord record, bool permanent, const std::string& reason);

  Outbox& outbox_;
  std::shared_ptr<Transport> transport_;
  const DeliverySettings settings_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<std::int64_t, std::string> due_;  // when (Unix ms) -> id
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace coproc::mail
