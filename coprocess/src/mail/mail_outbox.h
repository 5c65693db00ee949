// The durable outbox under <state-dir>/outbox/, per accepted mail:
//   <id>.mail     the record as accepted (4-byte big-endian length, then the
//                 MessagePack record) followed by the message; written
//                 through a temp file and renamed, not flushed: until a
//                 checkpoint flushes it, accepted.log holds the same bytes
//   accepted.log  the write-ahead log of acceptance: per mail, a 4-byte
//                 big-endian length and then exactly the <id>.mail file's
//                 content. mail.send answers only once its entry is on disk
//                 (fdatasync / FlushFileBuffers), and concurrent mail.send
//                 calls share one flush (group commit, group_commit.h). A
//                 checkpoint (when the log passes its limit, and before
//                 expired mail is removed) flushes the mail files it covers
//                 (flush_files: one syncfs on Linux), then empties the log.
//                 At start every entry whose file is missing or differs is
//                 written again, and a torn last entry (never
//                 acknowledged) is cut off. An outbox without the log
//                 (older versions) loads as it is.
//   states.log    the records' later states (attempts, sent, failed),
//                 appended one framed record per change, not fsynced: a
//                 crash of the process never loses them; a power cut may
//                 bring back an older state, which can only cause a resend
//                 (same Message-ID), never a lost mail. Rewritten compactly
//                 at start and when it grows.
//   all-sent      present while nothing is left to deliver (see
//                 common/src/outbox_layout.h): coproc-service then does not
//                 start the co-process at boot for mail that is only kept.
// Idempotency keys are per owner uid and survive restarts because they are
// part of the record. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "durable_file.h"
#include "group_commit.h"
#include "mail_types.h"
#include "outbox_layout.h"

namespace coproc::mail {

class Outbox {
 public:
  /// Creates `dir` (0700) if needed and loads what is in it. Removes the
  /// leftovers of submissions that never completed (temp files) and state
  /// files of mails that no longer exist. Throws
  /// std::system_error / std::runtime_error when the directory is unusable.
  /// states.log is rewritten compactly once it grows past
  /// `compact_log_bytes` (and at start when it is damaged or too big);
  /// accepted.log is checkpointed once it passes `checkpoint_bytes`.
  explicit Outbox(std::string dir, std::uint64_t compact_log_bytes = 16u << 20,
                  std::uint64_t checkpoint_bytes = 4u << 20);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  const std::string& dir() const { return dir_; }

  /// For a non-empty key: the record already stored under (uid, key), or
  /// nullopt after reserving the key for the caller, who must then call
  /// add() or release(). Waits while another call holds the same key.
  std::optional<MailRecord> reserve(std::uint32_t uid, const std::string& key);
  void release(std::uint32_t uid, const std::string& key);

  /// Writes record and message durably (its file, and its entry in
  /// accepted.log, flushed together with those of concurrent calls) and
  /// registers the record (and its key, releasing the reservation). Throws
  /// std::system_error on disk errors; then the mail is not stored.
  void add(const MailRecord& record, const std::string& message);

  /// Records a new state of a known record (states.log, see above). A record
  /// in state "sending" is kept in memory only: after a crash it is
  /// "queued" again.
  void update(const MailRecord& record);

  std::optional<MailRecord> get(const std::string& id) const;
  /// Moves a "queued" record to "sending" (in memory) and returns it;
  /// nullopt when it is unknown or not queued. Two workers never both win.
  std::optional<MailRecord> claim(const std::string& id);
  /// The stored MIME message. Throws std::system_error when it is missing.
  std::string read_message(const std::string& id) const;

  /// Newest first; `owner` nullopt means every owner.
  std::vector<MailRecord> list(std::optional<std::uint32_t> owner,
                               std::optional<std::string> state, std::size_t limit) const;
  /// Records still to deliver (queued or sending), oldest first.
  std::vector<MailRecord> unfinished() const;
  /// Count per state ("queued", "sending", "sent", "failed").
  std::map<std::string, std::uint64_t> counts() const;
  /// Deletes sent and failed records last updated before `cutoff_ms`.
  std::size_t remove_finished_before(std::int64_t cutoff_ms);

  /// A fresh random id (24 lowercase hex digits).
  static std::string new_id();

 private:
  void load();
  /// False when the log ends in a torn or damaged entry.
  bool replay_state_log();
  /// Rewrites states.log with the current records and reopens it. Needs mutex_.
  void compact_state_log();
  /// Writes the all-sent marker when nothing is left to deliver and no
  /// add() is under way, after flushing states.log (so a power cut cannot
  /// keep the marker and lose the "sent" states). Never throws: without the
  /// marker the service merely starts the co-process at boot. Needs mutex_.
  void mark_all_sent_if_done();
  /// Removes the marker (the caller makes that durable with a directory
  /// fsync). Throws std::system_error. Needs mutex_.
  void unmark_all_sent();
  static bool unfinished_state(const std::string& state) {
    return state == "queued" || state == "sending";
  }
  std::string marker_path() const { return dir_ + "/" + std::string(kAllSentMarkerName); }
  std::string mail_name(const std::string& id) const { return id + std::string(kMailFileSuffix); }
  std::string log_path() const { return dir_ + "/states.log"; }

  const std::string dir_;
  const std::uint64_t compact_log_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable key_released_;
  std::map<std::string, MailRecord> records_;
  std::map<std::pair<std::uint32_t, std::string>, std::string> keys_;
  std::set<std::pair<std::uint32_t, std::string>> reserved_;

  /// accepted.log (see above). Writes again the mail files of its entries
  /// that are missing or differ and cuts off a torn last entry; before
  /// load() reads the folder.
  void recover_journal();
  /// Appends one entry; under journal_commit_'s lock.
  void append_to_journal(const std::string& id, std::string_view entry);
  /// Flushes the mail files the log covers and the folder, then empties the
  /// log; under journal_commit_'s lock with no sync running.
  void checkpoint_journal();
  /// checkpoint_journal() when the log holds anything; false (logged) when
  /// that failed.
  bool checkpoint_journal_now();
  std::string journal_path() const { return dir_ + "/" + std::string(kAcceptedLogName); }

  const std::uint64_t checkpoint_bytes_;
  AppendFile journal_;
  std::atomic<std::uint64_t> journal_bytes_{0};  // appended; changed under journal_commit_'s lock
  std::uint64_t journal_synced_bytes_ = 0;  // a flushed prefix; set by the syncing leader
  std::vector<std::string> journal_ids_;    // the mails in the log; under journal_commit_'s lock
  std::atomic<bool> journal_broken_{false};  // an append failed and could not be cut back
  GroupCommit journal_commit_;

  AppendFile log_;                 // states.log; guarded by mutex_
  std::uint64_t log_bytes_ = 0;
  std::size_t unfinished_ = 0;     // records queued or sending; guarded by mutex_
  std::size_t adds_under_way_ = 0; // add() calls between unmarking and registering
  bool all_sent_marked_ = false;   // the marker file exists; guarded by mutex_
};

}  // namespace coproc::mail
