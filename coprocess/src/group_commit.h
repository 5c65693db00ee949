// Leader/follower group commit, as databases commit their logs: callers
// append under the commit's lock, then wait until a sync that started after
// their append has finished. While one sync runs, later callers queue up;
// the first of them then syncs once for all of them, so N concurrent
// callers cost one sync, not N. Platform-free: the sync is a callback
// (fdatasync / FlushFileBuffers of a log, fsync of a directory).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <system_error>
#include <vector>

namespace coproc {

class GroupCommit {
 public:
  using Step = std::function<void()>;

  /// `sync` makes everything appended before it was called durable and
  /// throws (std::system_error) when it cannot; it runs without the lock.
  /// `rollback`, when given, runs under the lock after a failed sync, before
  /// its error reaches the callers: e.g. cut the log back to what is durable,
  /// so that no failed entry can come back after a restart. Every caller
  /// appended up to then gets the error (their entries are gone).
  explicit GroupCommit(Step sync, Step rollback = {});
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  /// Runs `append` under the lock (what it throws is rethrown; then there is
  /// nothing to wait for), then returns once a sync covers it. Throws the
  /// sync's std::system_error when that sync failed. Thread-safe.
  void commit(const Step& append);

  /// Runs `step` under the lock once no sync is running, so no append and no
  /// sync overlaps it (e.g. a checkpoint that makes what the log holds
  /// durable elsewhere and empties the log). When it returns normally,
  /// every append so far counts as durable; what it throws is rethrown and
  /// changes nothing. Thread-safe.
  void exclusive(const Step& step);

  /// Syncs run so far (successful or not). Thread-safe.
  std::uint64_t syncs() const;

 private:
  struct Failure {
    std::uint64_t after;    // appends up to here were durable before it
    std::uint64_t through;  // appends up to here failed with it
    std::system_error error;
  };
  /// The failure that covers append number `ticket`, or nullptr.
  const Failure* failure_of(std::uint64_t ticket) const;

  const Step sync_;
  const Step rollback_;
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::uint64_t appended_ = 0;  // appends so far
  std::uint64_t resolved_ = 0;  // every append up to here is durable or failed
  std::uint64_t syncs_ = 0;
  bool syncing_ = false;
  std::vector<Failure> failures_;  // rare: kept so a late waiter still finds its own
};

}  // namespace coproc
