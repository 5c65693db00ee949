#include "mail_outbox.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace coproc::mail {
namespace {

// Outboxes written before per-recipient delivery have records without
// delivered_to / refused: they load with every recipient still pending.
TEST(MailRecord, ARecordWithoutPerRecipientFieldsHasEveryRecipientPending) {
  msgpack::sbuffer b;
  msgpack::packer<msgpack::sbuffer> pk(b);
  pk.pack_map(3);
  pk.pack(std::string("id"));
  pk.pack(std::string("m1"));
  pk.pack(std::string("state"));
  pk.pack(std::string("queued"));
  pk.pack(std::string("recipients"));
  pk.pack(std::vector<std::string>{"a@example.org", "b@example.org"});
  const MailRecord r = msgpack::unpack(b.data(), b.size()).get().as<MailRecord>();
  EXPECT_EQ(r.id, "m1");
  EXPECT_TRUE(r.delivered_to.empty());
  EXPECT_TRUE(r.refused.empty());
  EXPECT_EQ(r.pending_recipients(), (std::vector<std::string>{"a@example.org", "b@example.org"}));
}

TEST(MailRecord, PendingRecipientsLeaveOutTheDeliveredAndTheRefused) {
  MailRecord r;
  r.recipients = {"a@example.org", "b@example.org", "c@example.org"};
  r.delivered_to = {"a@example.org"};
  r.refused = {RecipientRefusal{"c@example.org", "550 no"}};
  EXPECT_EQ(r.pending_recipients(), std::vector<std::string>{"b@example.org"});
}

class MailOutbox : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.file("outbox"); }
  MailRecord record(std::uint32_t uid, const std::string& key = "") {
    MailRecord r;
    r.id = Outbox::new_id();
    r.owner_uid = uid;
    r.envelope_from = "a@example.org";
    r.recipients = {"b@example.org"};
    r.idempotency_key = key;
    r.created_ms = r.updated_ms = now_ms();
    return r;
  }
  /// Adds `r` to the outbox, then records it in `state`, and closes the outbox.
  void add_then_mark(MailRecord& r, const std::string& state) {
    Outbox box(dir());
    box.add(r, "m");
    r.state = state;
    box.update(r);
  }
  test::TempDir tmp_;
};

TEST_F(MailOutbox, AcceptedMailSurvivesAReopen) {
  std::string id;
  {
    Outbox box(dir());
    MailRecord r = record(1000);
    id = r.id;
    box.add(r, "Subject: x\r\n\r\nbody\r\n");
  }
  Outbox again(dir());
  auto r = again.get(id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, "queued");
  EXPECT_EQ(r->owner_uid, 1000u);
  EXPECT_EQ(again.read_message(id), "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(again.unfinished().size(), 1u);
}

TEST_F(MailOutbox, IdempotencyKeyGivesTheSameRecordAlsoAfterReopen) {
  std::string id;
  {
    Outbox box(dir());
    EXPECT_FALSE(box.reserve(7, "key-1"));
    MailRecord r = record(7, "key-1");
    id = r.id;
    box.add(r, "m");
    auto again = box.reserve(7, "key-1");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->id, id);
  }
  Outbox reopened(dir());
  auto found = reopened.reserve(7, "key-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, id);
}

TEST_F(MailOutbox, IdempotencyKeysBelongToOneUid) {
  Outbox box(dir());
  EXPECT_FALSE(box.reserve(7, "k"));
  box.add(record(7, "k"), "m");
  EXPECT_FALSE(box.reserve(8, "k")) << "another user's key must not reveal that mail";
  box.release(8, "k");
}

TEST_F(MailOutbox, ReleasedReservationCanBeTakenAgain) {
  Outbox box(dir());
  EXPECT_FALSE(box.reserve(1, "k"));
  box.release(1, "k");
  EXPECT_FALSE(box.reserve(1, "k"));
  box.release(1, "k");
}

TEST_F(MailOutbox, MailBeingSentIsQueuedAgainAfterACrash) {
  const MailRecord r = record(1);
  {
    Outbox box(dir());
    box.add(r, "m");
    auto claimed = box.claim(r.id);
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->state, "sending");
    EXPECT_FALSE(box.claim(r.id)) << "a second worker must not get it";
    EXPECT_EQ(box.counts()["sending"], 1u);
  }
  Outbox again(dir());
  EXPECT_EQ(again.get(r.id)->state, "queued");
}

TEST_F(MailOutbox, SentStateIsDurable) {
  MailRecord r = record(1);
  r.attempts = 1;
  add_then_mark(r, "sent");
  Outbox again(dir());
  EXPECT_EQ(again.get(r.id)->state, "sent");
  EXPECT_TRUE(again.unfinished().empty());
}

// The service asks outbox_holds_unsent_mail() at boot (on_demand): mail
// kept for mail.keep_days after it was sent must not start the co-process.
TEST_F(MailOutbox, OnlyMailStillToDeliverCountsAsUnsentForTheService) {
  const std::string state_dir = tmp_.path();
  MailRecord r = record(1);
  {
    Outbox box(dir());
    EXPECT_FALSE(outbox_holds_unsent_mail(state_dir)) << "empty";
    box.add(r, "m");
    EXPECT_TRUE(outbox_holds_unsent_mail(state_dir)) << "queued";
    r.state = "sending";
    box.update(r);
    EXPECT_TRUE(outbox_holds_unsent_mail(state_dir)) << "sending";
    r.state = "sent";
    box.update(r);
    EXPECT_FALSE(outbox_holds_unsent_mail(state_dir)) << "sent, kept for keep_days";
    MailRecord second = record(2);
    box.add(second, "m2");
    EXPECT_TRUE(outbox_holds_unsent_mail(state_dir)) << "a new mail after everything was sent";
    second.state = "failed";
    box.update(second);
    EXPECT_FALSE(outbox_holds_unsent_mail(state_dir)) << "sent and failed";
  }
  Outbox again(dir());
  EXPECT_FALSE(outbox_holds_unsent_mail(state_dir)) << "still nothing to send after a reopen";
}

TEST_F(MailOutbox, MailOnlyInAcceptedLogCountsAsUnsentForTheService) {
  const std::string state_dir = tmp_.path();
  MailRecord r = record(1);
  {
    Outbox box(dir());
    box.add(r, "m");
  }
  ASSERT_EQ(::unlink((dir() + "/" + r.id + ".mail").c_str()), 0);  // a power cut took it
  EXPECT_TRUE(outbox_holds_unsent_mail(state_dir));
  Outbox again(dir());
  EXPECT_EQ(again.unfinished().size(), 1u);
}

TEST_F(MailOutbox, AStaleAllSentMarkerIsRemovedWhenMailIsStillToDeliver) {
  const std::string state_dir = tmp_.path();
  {
    Outbox box(dir());
    box.add(record(1), "m");
  }
  // As after a power cut that kept an older marker: the queued mail wins.
  test::write_file(dir() + "/all-sent", "");
  EXPECT_FALSE(outbox_holds_unsent_mail(state_dir));
  Outbox again(dir());
  EXPECT_TRUE(outbox_holds_unsent_mail(state_dir));
  EXPECT_EQ(again.unfinished().size(), 1u);
}

TEST_F(MailOutbox, TornStateLogFallsBackToTheRecordAsAccepted) {
  MailRecord sent = record(1);
  add_then_mark(sent, "sent");
  // What a power cut may leave: the last entry cut short.
  std::string log = test::read_file(dir() + "/states.log");
  ASSERT_GT(log.size(), 10u);
  test::write_file(dir() + "/states.log", log.substr(0, log.size() - 5));
  {
    Outbox again(dir());
    ASSERT_TRUE(again.get(sent.id));
    EXPECT_EQ(again.get(sent.id)->state, "queued") << "sent again rather than lost";
    MailRecord r = *again.get(sent.id);
    r.state = "failed";
    again.update(r);  // the log was rewritten cleanly at start: appending works
  }
  Outbox third(dir());
  EXPECT_EQ(third.get(sent.id)->state, "failed");
}

std::uint64_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_ino) : 0;
}

TEST_F(MailOutbox, StateLogIsCompactedAsSoonAsItPassesItsLimit) {
  Outbox box(dir(), 2048);
  MailRecord r = record(1);
  box.add(r, "m");
  for (int i = 0; i < 100; ++i) {
    r.attempts = i;
    box.update(r);
    ASSERT_LE(test::read_file(dir() + "/states.log").size(), 2048u + 1024u) << "update " << i;
  }
  Outbox again(dir());
  EXPECT_EQ(again.get(r.id)->attempts, 99) << "the compacted log holds the latest state";
}

TEST_F(MailOutbox, AnIntactStateLogIsNotRewrittenAtStart) {
  MailRecord r = record(1);
  add_then_mark(r, "sent");
  const std::uint64_t before = inode_of(dir() + "/states.log");
  ASSERT_NE(before, 0u);
  {
    Outbox again(dir());
    EXPECT_EQ(again.get(r.id)->state, "sent");
    EXPECT_EQ(inode_of(dir() + "/states.log"), before) << "no rewrite (two fsyncs) per start";
  }
  // A torn end is rewritten, so that later entries stay readable.
  const std::string log = test::read_file(dir() + "/states.log");
  test::write_file(dir() + "/states.log", log.substr(0, log.size() - 3));
  const std::uint64_t torn = inode_of(dir() + "/states.log");
  Outbox third(dir());
  EXPECT_NE(inode_of(dir() + "/states.log"), torn);
}

TEST_F(MailOutbox, LatestStateWinsAcrossManyUpdates) {
  MailRecord r = record(1);
  {
    Outbox box(dir());
    box.add(r, "m");
    for (int i = 1; i <= 50; ++i) {
      r.attempts = i;
      r.last_error = "451 try " + std::to_string(i);
      box.update(r);
    }
  }
  Outbox again(dir());
  EXPECT_EQ(again.get(r.id)->attempts, 50);
  EXPECT_EQ(again.get(r.id)->last_error, "451 try 50");
}

TEST_F(MailOutbox, LeftoversOfUnfinishedSubmissionsAreRemoved) {
  { Outbox box(dir()); }
  test::write_file(dir() + "/.cccc.mail.tmp", "half written, never acknowledged");

  Outbox again(dir());
  EXPECT_TRUE(again.list(std::nullopt, std::nullopt, 100).empty());
  EXPECT_EQ(test::read_file(dir() + "/.cccc.mail.tmp"), "");

}

TEST_F(MailOutbox, DamagedMailFileIsLeftInPlaceAndNotDelivered) {
  { Outbox box(dir()); }
  test::write_file(dir() + "/eeee.mail", std::string("\0\0\0\5abc", 7));
  Outbox again(dir());
  EXPECT_TRUE(again.unfinished().empty());
  EXPECT_EQ(test::read_file(dir() + "/eeee.mail").size(), 7u);
}

TEST_F(MailOutbox, ListFiltersByOwnerAndStateNewestFirst) {
  Outbox box(dir());
  MailRecord a = record(1), b = record(2), c = record(1);
  a.created_ms = 1;
  c.created_ms = 3;
  c.state = "failed";
  box.add(a, "m");
  box.add(b, "m");
  box.add(c, "m");
  auto mine = box.list(1u, std::nullopt, 100);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, c.id);
  EXPECT_EQ(box.list(std::nullopt, std::nullopt, 100).size(), 3u);
  EXPECT_EQ(box.list(1u, std::string("failed"), 100).size(), 1u);
  EXPECT_EQ(box.list(std::nullopt, std::nullopt, 1).size(), 1u);
}

TEST_F(MailOutbox, OldFinishedMailIsRemovedButUnsentMailStays) {
  Outbox box(dir());
  MailRecord old_sent = record(1, "k"), old_queued = record(1);
  old_sent.state = "sent";
  old_sent.updated_ms = 10;
  old_queued.updated_ms = 10;
  box.add(old_sent, "m");
  box.add(old_queued, "m");
  EXPECT_EQ(box.remove_finished_before(now_ms() - 1000), 1u);
  EXPECT_FALSE(box.get(old_sent.id));
  EXPECT_TRUE(box.get(old_queued.id));
  EXPECT_FALSE(box.reserve(1, "k")) << "an expired record's key is free again";
  box.release(1, "k");
}

std::uint64_t size_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// A power cut may take a mail file that was renamed but not yet flushed:
// accepted.log, flushed before mail.send answered, has its bytes.
TEST_F(MailOutbox, AMailFileAPowerCutTookIsWrittenAgainFromAcceptedLog) {
  MailRecord r = record(1000, "key-1");
  {
    Outbox box(dir());
    box.add(r, "Subject: x\r\n\r\nbody\r\n");
  }
  const std::string file = dir() + "/" + r.id + ".mail";
  const std::string as_written = test::read_file(file);
  ASSERT_GT(size_of(dir() + "/accepted.log"), as_written.size());
  ASSERT_EQ(::unlink(file.c_str()), 0);

  Outbox again(dir());
  ASSERT_TRUE(again.get(r.id));
  EXPECT_EQ(again.get(r.id)->state, "queued");
  EXPECT_EQ(again.read_message(r.id), "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(test::read_file(file), as_written);
  EXPECT_TRUE(again.reserve(1000, "key-1")) << "its idempotency key is known again";
}

TEST_F(MailOutbox, AMailFileAPowerCutLeftHalfWrittenIsWrittenAgain) {
  MailRecord r = record(1000);
  {
    Outbox box(dir());
    box.add(r, std::string(5000, 'm'));
  }
  const std::string file = dir() + "/" + r.id + ".mail";
  const std::string whole = test::read_file(file);
  test::write_file(file, whole.substr(0, 100));

  Outbox again(dir());
  ASSERT_TRUE(again.get(r.id));
  EXPECT_EQ(again.read_message(r.id), std::string(5000, 'm'));
  EXPECT_EQ(test::read_file(file), whole);
}

TEST_F(MailOutbox, ATornLastEntryOfAcceptedLogIsDroppedAndTheRestStands) {
  MailRecord a = record(1), b = record(1);
  {
    Outbox box(dir());
    box.add(a, "first");
    box.add(b, "second");
  }
  // A third append that a power cut cut short: never acknowledged.
  const std::string log = test::read_file(dir() + "/accepted.log");
  test::write_file(dir() + "/accepted.log", log + std::string("\0\0\1\0partial", 11));
  ASSERT_EQ(::unlink((dir() + "/" + b.id + ".mail").c_str()), 0);

  MailRecord c = record(1);
  {
    Outbox again(dir());
    EXPECT_EQ(again.unfinished().size(), 2u);
    EXPECT_EQ(again.read_message(b.id), "second");
    EXPECT_EQ(test::read_file(dir() + "/accepted.log"), log) << "the torn entry is cut off";
    again.add(c, "third");
  }
  ASSERT_EQ(::unlink((dir() + "/" + c.id + ".mail").c_str()), 0);
  Outbox third(dir());  // what came after the cut is readable
  EXPECT_EQ(third.read_message(c.id), "third");
  EXPECT_EQ(third.unfinished().size(), 3u);
}

// Outboxes of earlier versions have no accepted.log: their files are all
// flushed already, and they load as they are.
TEST_F(MailOutbox, AnOutboxWithoutAcceptedLogLoadsAsItIs) {
  MailRecord a = record(1), b = record(2);
  {
    Outbox box(dir());
    box.add(a, "one");
    box.add(b, "two");
    a.state = "sent";
    box.update(a);
  }
  ASSERT_EQ(::unlink((dir() + "/accepted.log").c_str()), 0);
  Outbox again(dir());
  ASSERT_TRUE(again.get(a.id));
  EXPECT_EQ(again.get(a.id)->state, "sent");
  EXPECT_EQ(again.read_message(b.id), "two");
  EXPECT_EQ(again.unfinished().size(), 1u);
}

TEST_F(MailOutbox, AcceptedLogIsCheckpointedOnceItPassesItsLimit) {
  Outbox box(dir(), 16u << 20, 2000);
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    MailRecord r = record(1);
    ids.push_back(r.id);
    box.add(r, std::string(500, 'x'));
    EXPECT_LT(size_of(dir() + "/accepted.log"), 2000u + 1200u) << "after mail " << i;
  }
  for (const std::string& id : ids) EXPECT_EQ(box.read_message(id), std::string(500, 'x'));
}

TEST_F(MailOutbox, ConcurrentSubmissionsAreAllStored) {
  std::vector<std::string> ids(64);
  {
    Outbox box(dir());
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 8; ++i) {
          MailRecord r = record(static_cast<std::uint32_t>(t));
          ids[static_cast<std::size_t>(t * 8 + i)] = r.id;
          box.add(r, "mail " + r.id);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  for (const std::string& id : ids) ASSERT_EQ(::unlink((dir() + "/" + id + ".mail").c_str()), 0);
  Outbox again(dir());  // every one comes back from the log alone
  ASSERT_EQ(again.unfinished().size(), ids.size());
  for (const std::string& id : ids) EXPECT_EQ(again.read_message(id), "mail " + id);
}

// fdatasync of a character device fails (EINVAL): accepted.log pointed at
// /dev/null is a log whose every flush fails, on a real file system.
TEST_F(MailOutbox, AFailedFlushOfAcceptedLogFailsEveryWaitingSubmissionAndStoresNone) {
  ASSERT_EQ(::mkdir(dir().c_str(), 0700), 0);
  ASSERT_EQ(::symlink("/dev/null", (dir() + "/accepted.log").c_str()), 0);
  Outbox box(dir());
  std::atomic<int> failed{0};
  std::mutex mutex;
  std::vector<std::string> errors, ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      MailRecord r = record(1, "key-" + Outbox::new_id());
      {
        std::lock_guard<std::mutex> lock(mutex);
        ids.push_back(r.id);
      }
      try {
        box.add(r, "m");
      } catch (const std::system_error& e) {
        ++failed;
        std::lock_guard<std::mutex> lock(mutex);
        errors.push_back(e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 6) << "no submission may count as stored";
  for (const std::string& e : errors) {
    EXPECT_TRUE(e.find("cannot flush " + dir() + "/accepted.log") != std::string::npos ||
                e.find("accepted.log cannot be appended to") != std::string::npos)
        << e;
  }
  EXPECT_TRUE(box.list(std::nullopt, std::nullopt, 100).empty());
  EXPECT_TRUE(box.unfinished().empty());
  for (const std::string& id : ids) {
    EXPECT_NE(::access((dir() + "/" + id + ".mail").c_str(), F_OK), 0) << id << " left on disk";
  }
}

TEST_F(MailOutbox, ExpiredMailDoesNotComeBackFromAcceptedLog) {
  MailRecord old_sent = record(1);
  old_sent.state = "sent";
  old_sent.updated_ms = 10;
  {
    Outbox box(dir());
    box.add(old_sent, "m");
    ASSERT_EQ(box.remove_finished_before(now_ms() - 1000), 1u);
  }
  Outbox again(dir());
  EXPECT_FALSE(again.get(old_sent.id));
}

}  // namespace
}  // namespace coproc::mail
