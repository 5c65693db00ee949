#include "sendmail_options.h"

#include <cstdlib>
#include <cstring>

namespace coproc::sendmail {
namespace {

// Letters that take a value (attached or the next argument). Those not
// used by coproc-sendmail are accepted and ignored: -B body type, -N DSN
// notify, -R DSN return, -V envelope id, -X log file, -h hop count, -L
// syslog tag, -C config file, -O option=value, -d debug, -A submission mode.
constexpr const char* kWithValue = "frFbBNRVXhLCOdoA";
// Flags without a value that are accepted and ignored: -m (me too), -n (no
// aliases), -U (initial submission), -G (gateway), -e (old error mode).
constexpr const char* kIgnoredFlags = "mnUGe";

bool parse_timeout(const std::string& v, int* out) {
  char* end = nullptr;
  const long ms = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || ms < 1 || ms > 86400000) return false;
  *out = static_cast<int>(ms);
  return true;
}

}  // namespace

const char* sendmail_usage() {
  return "usage: coproc-sendmail [-t] [-i] [-f sender] [-F name] [-v] [options] [--] "
         "[recipient...]\n"
         "  reads a message (RFC 5322) on standard input and queues it in coproc's outbox\n"
         "  -t            recipients from the To, Cc and Bcc fields too (Bcc is removed)\n"
         "  -i, -oi       a line with a single '.' does not end the input\n"
         "  -f, -r ADDR   envelope sender (default: your login name at the mail domain)\n"
         "  -F NAME       full name for the From field added to a message without one\n"
         "  -v            print the id of the queued mail on standard error\n"
         "  -bm           read and send a message (the default and only mode)\n"
         "  accepted and ignored: -odi -odb -odq -oem -oee -o* -B -N -R -V -X -h -L -C -O -U -m\n"
         "  --runtime-dir DIR, --endpoint PATH, --timeout MS, --no-launch: reach the co-process\n"
         "exit codes (sysexits.h): 0 queued, 64 usage, 65 malformed or too large message,\n"
         "  69 unavailable, 70 internal, 74 I/O, 75 try again later (co-process cannot accept),\n"
         "  77 permission denied\n";
}

bool parse_sendmail_args(const std::vector<std::string>& args, SendmailOptions* out,
                         std::string* error) {
  SendmailOptions o;
  std::size_t i = 0;
  auto next_value = [&](const std::string& name, std::string* value) {
    if (i + 1 >= args.size()) {
      *error = name + " needs a value";
      return false;
    }
    *value = args[++i];
    return true;
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      for (++i; i < args.size(); ++i) o.recipients.push_back(args[i]);
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      o.recipients.push_back(a);
      continue;
    }
    if (a[1] == '-') {
      std::string v;
      if (a == "--help") {
        o.help = true;
      } else if (a == "--version") {
        o.version = true;
      } else if (a == "--no-launch") {
        o.no_launch = true;
      } else if (a == "--runtime-dir") {
        if (!next_value(a, &o.runtime_dir)) return false;
      } else if (a == "--endpoint") {
        if (!next_value(a, &o.endpoint)) return false;
      } else if (a == "--timeout") {
        if (!next_value(a, &v)) return false;
        if (!parse_timeout(v, &o.timeout_ms)) {
          *error = "--timeout must be a number of milliseconds (1..86400000), not '" + v + "'";
          return false;
        }
      } else {
        *error = "unknown option '" + a + "'";
        return false;
      }
      continue;
    }
    for (std::size_t k = 1; k < a.size(); ++k) {
      const char c = a[k];
      if (std::strchr(kWithValue, c)) {
        std::string v = a.substr(k + 1);
        if (v.empty() && !next_value(std::string("-") + c, &v)) return false;
        switch (c) {
          case 'f':
          case 'r': o.sender = v; break;
          case 'F': o.full_name = v; break;
          case 'o':
            if (v == "i") o.dot_ends_input = false;
            break;
          case 'b':
            if (v != "m") {
              *error = "mode -b" + v + " is not supported (only -bm: read a message and send it)";
              return false;
            }
            break;
          default: break;
        }
        break;  // the value took the rest of this argument
      }
      if (c == 't') {
        o.recipients_from_headers = true;
      } else if (c == 'i') {
        o.dot_ends_input = false;
      } else if (c == 'v') {
        o.verbose = true;
      } else if (c == 'q') {
        o.queue_run = true;
        break;  // -q15m: the interval is ignored
      } else if (!std::strchr(kIgnoredFlags, c)) {
        *error = std::string("unknown option -") + c;
        return false;
      }
    }
  }
  *out = std::move(o);
  return true;
}

}  // namespace coproc::sendmail
