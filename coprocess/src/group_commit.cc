#include "group_commit.h"

#include <algorithm>
#include <exception>
#include <utility>

namespace coproc {

GroupCommit::GroupCommit(Step sync, Step rollback)
    : sync_(std::move(sync)), rollback_(std::move(rollback)) {}

const GroupCommit::Failure* GroupCommit::failure_of(std::uint64_t ticket) const {
  for (const Failure& f : failures_) {
    if (ticket > f.after && ticket <= f.through) return &f;
  }
  return nullptr;
}

void GroupCommit::commit(const Step& append) {
  std::unique_lock<std::mutex> lock(mutex_);
  append();
  const std::uint64_t mine = ++appended_;
  for (;;) {
    if (resolved_ >= mine) {
      if (const Failure* f = failure_of(mine)) throw f->error;
      return;
    }
    if (syncing_) {
      done_.wait(lock);  // a sync is running; it may have started before our append
      continue;
    }
    // Lead: one sync for every append made so far, ours included.
    syncing_ = true;
    const std::uint64_t covered = appended_;
    lock.unlock();
    std::system_error failure(0, std::generic_category());
    bool failed = false;
    try {
      sync_();
    } catch (const std::system_error& e) {
      failure = e;
      failed = true;
    } catch (const std::exception& e) {
      failure = std::system_error(std::make_error_code(std::errc::io_error), e.what());
      failed = true;
    }
    lock.lock();
    syncing_ = false;
    ++syncs_;
    if (failed) {
      if (rollback_) {
        try {
          rollback_();
        } catch (...) {
          // The callers still get the sync's error; what stays in the log is
          // the rollback's owner's to report.
        }
      }
      // Everything appended up to now is lost with it, also appends made
      // while the sync ran: the rollback may have cut them.
      failures_.push_back(Failure{resolved_, appended_, failure});
      resolved_ = appended_;
    } else {
      resolved_ = std::max(resolved_, covered);
    }
    done_.notify_all();
  }
}

void GroupCommit::exclusive(const Step& step) {
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [&] { return !syncing_; });
  step();
  resolved_ = std::max(resolved_, appended_);
  done_.notify_all();
}

std::uint64_t GroupCommit::syncs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return syncs_;
}

}  // namespace coproc
