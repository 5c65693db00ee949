// Where accepted mail lives, shared by the co-process's outbox (which
// writes it) and coproc-service (which starts the co-process at boot when
// mail waits). One accepted mail is one file "<id>.mail" in
// <state-dir>/outbox/; see coprocess/src/mail/mail_outbox.h for the format.
#pragma once

#include <string>
#include <string_view>

namespace coproc {

constexpr std::string_view kOutboxDirName = "outbox";
constexpr std::string_view kMailFileSuffix = ".mail";
/// Present in the outbox while every mail in it is sent or failed (sent mail
/// stays for mail.keep_days): the co-process writes it, after the last
/// state change is on disk, when nothing is left to deliver, and removes it
/// before a new mail's file is written.
constexpr std::string_view kAllSentMarkerName = "all-sent";
/// The outbox's write-ahead log of accepted mail: entries in it may be mail
/// whose file a power cut took, which the co-process writes again at start.
constexpr std::string_view kAcceptedLogName = "accepted.log";

/// <state-dir>/outbox
std::string outbox_dir(const std::string& state_dir);

/// True for the name of an accepted mail's file ("<id>.mail"); hidden names
/// (temp files of writes in progress start with a dot) never are.
bool is_mail_file_name(std::string_view name);

/// True when the outbox holds accepted mail that may still have to leave:
/// any mail file or a non-empty accepted.log, unless the all-sent marker
/// says every one is finished (the marker is removed durably before a new
/// mail reaches the log). An outbox from before the marker existed counts
/// as holding unsent mail.
bool outbox_holds_unsent_mail(const std::string& state_dir);

}  // namespace coproc
