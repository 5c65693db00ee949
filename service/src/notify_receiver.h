// The service's end of the sd_notify protocol: a datagram socket whose path
// goes into the co-process's NOTIFY_SOCKET. The kernel attaches the
// sender's pid to every datagram (SO_PASSCRED), so only the co-process the
// service started can report READY=1.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

namespace coproc {

class NotifyReceiver {
 public:
  NotifyReceiver() = default;
  ~NotifyReceiver();
  NotifyReceiver(const NotifyReceiver&) = delete;
  NotifyReceiver& operator=(const NotifyReceiver&) = delete;

  /// Binds `path` (replacing a stale file: call under the service lock).
  /// `owner` (when not -1) gets the socket file so a co-process running as
  /// that user can send to it. False with a sentence in `error`.
  bool open(const std::string& path, uid_t owner, std::string* error);
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  /// Reads every pending datagram; calls `on_message(sender_pid, text)`.
  void drain(const std::function<void(pid_t, std::string_view)>& on_message);

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace coproc
