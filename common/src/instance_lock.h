// Single instance through flock() on a file in the runtime dir. The kernel
// releases the lock when the holder dies, so a crash never leaves a stale
// lock behind (never "does the socket file exist").
#pragma once

#include <string>

namespace coproc {

class InstanceLock {
 public:
  InstanceLock() = default;
  InstanceLock(InstanceLock&& other) noexcept;
  InstanceLock& operator=(InstanceLock&& other) noexcept;
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;
  ~InstanceLock();

  /// Takes the lock without waiting. On failure returns false and says why in
  /// `error` (another instance holds it, or the file cannot be opened).
  bool try_acquire(const std::string& path, std::string* error);
  bool held() const { return fd_ >= 0; }
  /// Writes our pid into the lock file (informational only).
  void write_pid();

 private:
  int fd_ = -1;
};

}  // namespace coproc
