// The delivery workers' retry and session logic, with a small scripted
// transport behind the Transport interface (the real transports have their
// own tests against a real SMTP server).
#include "delivery_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
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
  std::string add(Outbox& box) {
    MailRecord r;
    r.id = Outbox::new_id();
    r.envelope_from = "a@example.org";
    r.recipients = {"b@example.org"};
    r.created_ms = r.updated_ms = now_ms();
    box.add(r, "m");
    return r.id;
  }
  bool wait_state(Outbox& box, const std::string& id, const std::string& state) {
    return test::wait_until([&] { return box.get(id)->state == state; }, std::chrono::seconds(20));
  }
  test::TempDir tmp_;
  Script script_;
};

TEST_F(DeliveryWorkers, TransientFailuresAreRetriedUntilDelivered) {
  Outbox box(tmp_.file("o"));
  script_.outcomes = {"transient", "transient"};
  DeliverySettings s;
  s.workers = 1;
  s.retry_initial_ms = 20;
  DeliveryService service(box, std::make_shared<ScriptedTransport>(script_), s);
  service.start();
  std::string id = add(box);
  service.enqueue(id);
  ASSERT_TRUE(wait_state(box, id, "sent"));
  EXPECT_EQ(box.get(id)->attempts, 3);
  EXPECT_EQ(box.get(id)->last_error, "");
}

TEST_F(DeliveryWorkers, PermanentFailureFailsAtOnceWithTheReply) {
  Outbox box(tmp_.file("o"));
  script_.outcomes = {"permanent"};
  DeliverySettings s;
  s.workers = 1;
  DeliveryService service(box, std::make_shared<ScriptedTransport>(script_), s);
  service.start();
  std::string id = add(box);
  service.enqueue(id);
  ASSERT_TRUE(wait_state(box, id, "failed"));
  EXPECT_EQ(box.get(id)->attempts, 1);
  EXPECT_EQ(box.get(id)->last_error, "550 5.1.1 no such user");
}

TEST_F(DeliveryWorkers, TransientFailuresPastMaxAgeBecomeFailed) {
  Outbox box(tmp_.file("o"));
  for (int i = 0; i < 1000; ++i) script_.outcomes.push_back("transient");
  DeliverySettings s;
  s.workers = 1;
  s.retry_initial_ms = 20;
  s.retry_max_ms = 40;
  s.max_age_ms = 300;
  DeliveryService service(box, std::make_shared<ScriptedTransport>(script_), s);
  service.start();
  std::string id = add(box);
  service.enqueue(id);
  ASSERT_TRUE(wait_state(box, id, "failed"));
  EXPECT_GE(box.get(id)->attempts, 3);
  EXPECT_EQ(box.get(id)->last_error, "451 4.3.0 try later");
}

TEST_F(DeliveryWorkers, OneSessionCarriesUpToBatchMessages) {
  Outbox box(tmp_.file("o"));
  DeliverySettings s;
  s.workers = 1;
  s.batch = 5;
  std::vector<std::string> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(add(box));
  DeliveryService service(box, std::make_shared<ScriptedTransport>(script_), s);
  service.start();  // picks up the 12 queued mails from the outbox
  ASSERT_TRUE(test::wait_until([&] { return box.counts()["sent"] == 12; }, std::chrono::seconds(20)));
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
