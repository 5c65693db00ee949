// The durable outbox: one message file (<id>.eml) and one metadata file
// (<id>.meta, MessagePack) per accepted mail under <state-dir>/outbox/.
// A mail is accepted only once both files and the directory entry are on
// disk. Idempotency keys are per owner uid and survive restarts because
// they are part of the metadata. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mail_types.h"

namespace coproc::mail {

class Outbox {
 public:
  /// Creates `dir` (0700) if needed and loads what is in it. Removes the
  /// leftovers of submissions that never completed (a message without
  /// metadata, metadata without a message, temp files). Throws
  /// std::system_error / std::runtime_error when the directory is unusable.
  explicit Outbox(std::string dir);

  const std::string& dir() const { return dir_; }

  /// For a non-empty key: the record already stored under (uid, key), or
  /// nullopt after reserving the key for the caller, who must then call
  /// add() or release(). Waits while another call holds the same key.
  std::optional<MailRecord> reserve(std::uint32_t uid, const std::string& key);
  void release(std::uint32_t uid, const std::string& key);

  /// Writes message and metadata durably and registers the record (and its
  /// key, releasing the reservation). Throws std::system_error on disk errors.
  void add(const MailRecord& record, const std::string& message);

  /// Durably replaces the metadata of a known record. A record in state
  /// "sending" is kept in memory only: after a crash it is "queued" again.
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
  std::string meta_name(const std::string& id) const { return id + ".meta"; }
  std::string eml_name(const std::string& id) const { return id + ".eml"; }

  const std::string dir_;
  mutable std::mutex mutex_;
  std::condition_variable key_released_;
  std::map<std::string, MailRecord> records_;
  std::map<std::pair<std::uint32_t, std::string>, std::string> keys_;
  std::set<std::pair<std::uint32_t, std::string>> reserved_;
};

}  // namespace coproc::mail
