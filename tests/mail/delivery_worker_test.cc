// The delivery workers' retry and session logic, with a small scripted
// transport behind the Transport interface (the real transports have their
// own tests against a real SMTP server).
#include "delivery_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>

#include "temp_dir.h"
#include "test_process.h"

namespace coproc::mail {
namespace {

struct Script {
  std::mutex mutex;
  std::deque<std::string> outcomes;  // "ok", "transient", "permanent"; empty → ok
  std::atomic<int> opens{0};
  std::atomic<int> sends{0};
  std::vector<std::string> delivered;
};

class ScriptedSession : public TransportSession {
 public:
  explicit ScriptedSession(Script& s) : s_(s) {}
  std::vector<Refusal> send(const Envelope& e, const std::string&) override {
    std::lock_guard<std::mutex> lock(s_.mutex);
    ++s_.sends;
    std::string next = "ok";
    if (!s_.outcomes.empty()) {
      next = s_.outcomes.front();
      s_.outcomes.pop_front();
    }
    if (next == "transient") throw DeliveryError(false, "451 4.3.0 try later");
    if (next == "permanent") throw DeliveryError(true, "550 5.1.1 no such user");
    s_.delivered.push_back(e.id);
    return {};
  }

 private:
  Script& s_;
};

class ScriptedTransport : public Transport {
 public:
  explicit ScriptedTransport(Script& s) : s_(s) {}
  std::unique_ptr<TransportSession> open() override {
    ++s_.opens;
    return std::make_unique<ScriptedSession>(s_);
  }
  std::string describe() const override { return "scripted"; }

 private:
  Script& s_;
};

class DeliveryWorkers : public ::testing::Test {
 protected:
  DeliveryWorkers() { settings_.workers = 1; }

  /// Starts the workers with settings_ over the scripted transport.
  void start() {
    service_ = std::make_unique<DeliveryService>(box_, std::make_shared<ScriptedTransport>(script_),
                                                 settings_);
    service_->start();
  }
  /// Adds one queued mail to the outbox; returns its id.
  std::string add() {
    MailRecord r;
    r.id = Outbox::new_id();
    r.envelope_from = "a@example.org";
    r.recipients = {"b@example.org"};
    r.created_ms = r.updated_ms = now_ms();
    box_.add(r, "m");
    return r.id;
  }
  /// Starts the workers, hands them one new mail and waits until it is in
  /// `state`; returns its record then.
  MailRecord send_until(const std::string& state) {
    start();
    const std::string id = add();
    service_->enqueue(id);
    EXPECT_TRUE(
        test::wait_until([&] { return box_.get(id)->state == state; }, std::chrono::seconds(20)))
        << "the mail never became " << state << ", it is " << box_.get(id)->state;
    return *box_.get(id);
  }

  test::TempDir tmp_;
  Script script_;
  Outbox box_{tmp_.file("o")};
  DeliverySettings settings_;
  std::unique_ptr<DeliveryService> service_;  // stops before box_ goes
};

TEST_F(DeliveryWorkers, TransientFailuresAreRetriedUntilDelivered) {
  script_.outcomes = {"transient", "transient"};
  settings_.retry_initial_ms = 20;
  const MailRecord r = send_until("sent");
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.last_error, "");
}

TEST_F(DeliveryWorkers, PermanentFailureFailsAtOnceWithTheReply) {
  script_.outcomes = {"permanent"};
  const MailRecord r = send_until("failed");
  EXPECT_EQ(r.attempts, 1);
  EXPECT_EQ(r.last_error, "550 5.1.1 no such user");
}

TEST_F(DeliveryWorkers, TransientFailuresPastMaxAgeBecomeFailed) {
  for (int i = 0; i < 1000; ++i) script_.outcomes.push_back("transient");
  settings_.retry_initial_ms = 20;
  settings_.retry_max_ms = 40;
  settings_.max_age_ms = 300;
  const MailRecord r = send_until("failed");
  EXPECT_GE(r.attempts, 3);
  EXPECT_EQ(r.last_error, "451 4.3.0 try later");
}

TEST_F(DeliveryWorkers, OneSessionCarriesUpToBatchMessages) {
  settings_.batch = 5;
  for (int i = 0; i < 12; ++i) add();
  start();  // picks up the 12 queued mails from the outbox
  ASSERT_TRUE(
      test::wait_until([&] { return box_.counts()["sent"] == 12; }, std::chrono::seconds(20)));
  EXPECT_EQ(script_.opens.load(), 3);  // 5 + 5 + 2
}

TEST_F(DeliveryWorkers, BackoffDoublesUpToTheMaximum) {
  DeliverySettings s;
  s.retry_initial_ms = 100;
  s.retry_max_ms = 1000;
  EXPECT_EQ(DeliveryService::backoff_ms(s, 1), 100);
  EXPECT_EQ(DeliveryService::backoff_ms(s, 2), 200);
  EXPECT_EQ(DeliveryService::backoff_ms(s, 4), 800);
  EXPECT_EQ(DeliveryService::backoff_ms(s, 5), 1000);
  EXPECT_EQ(DeliveryService::backoff_ms(s, 500), 1000);
}

}  // namespace
}  // namespace coproc::mail
