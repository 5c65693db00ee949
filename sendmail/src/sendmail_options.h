// The command line of coproc-sendmail: what sendmail, msmtp and nullmailer
// accept, as legacy callers write it (`-t -i`, `-FCronDaemon -i -oem root`,
// `-f sender -- rcpt`). Options may be clustered (`-ti`), their values
// attached (`-ffrom@x`) or separate (`-f from@x`), and appear anywhere
// before `--`.
#pragma once

#include <string>
#include <vector>

namespace coproc::sendmail {

struct SendmailOptions {
  bool recipients_from_headers = false;  // -t
  std::string sender;                    // -f / -r: envelope sender ("" = the login name)
  std::string full_name;                 // -F: display name of an added From header
  bool dot_ends_input = true;            // -i / -oi clear it
  bool verbose = false;                  // -v: print the queued mail's id
  bool queue_run = false;                // -q: nothing to do, the co-process delivers by itself
  std::vector<std::string> recipients;   // the arguments
  // coproc's own long options
  std::string runtime_dir;  // --runtime-dir DIR
  std::string endpoint;     // --endpoint PATH
  int timeout_ms = -1;      // --timeout MS
  bool no_launch = false;   // --no-launch
  bool help = false;        // --help
  bool version = false;     // --version
};

/// Parses argv[1..]; false with `*error` (one line) on a usage error.
bool parse_sendmail_args(const std::vector<std::string>& args, SendmailOptions* out,
                         std::string* error);

/// The usage text (--help).
const char* sendmail_usage();

}  // namespace coproc::sendmail
