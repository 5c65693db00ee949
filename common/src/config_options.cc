// The one table of configuration options. Add an option here, with its
// default, range and meaning; docs and the sample file are generated from it
// (`coprocess --print-config-doc`, `--print-sample-config`).
#include <cstdint>

#include "config.h"

namespace coproc {
namespace {
constexpr std::int64_t kNoMax = INT64_MAX;
constexpr OptionType S = OptionType::string;
constexpr OptionType I = OptionType::integer;
constexpr OptionType B = OptionType::boolean;
constexpr OptionType E = OptionType::enumeration;
}  // namespace

const std::vector<OptionSpec>& option_specs() {
  static const std::vector<OptionSpec> specs = {
      // ---- log
      {"log.level", E, "info", 0, 0, "debug, info, warn or error", false,
       "debug|info|warn|error"},
      {"log.dir", S, "", 0, 0,
       "Windows only: folder of coproc-service.log (the service's and the co-process's lines); "
       "empty: %ProgramData%\\coproc\\log",
       false},
      {"log.file_max_bytes", I, "10M", 65536, kNoMax,
       "Windows only: size at which coproc-service.log is rotated", false},
      {"log.file_keep", I, "5", 0, 100,
       "Windows only: rotated log files kept (coproc-service.log.1 ... .N)", false},

      // ---- debug
      {"debug.methods", B, "false", 0, 0,
       "register debug.sleep and debug.echo (tests and diagnostics; not needed in production)",
       false},

      // ---- server: the co-process's client endpoint
      {"server.socket_mode", S, "0666", 0, 0,
       "mode of coproc.sock and control.sock; 0666 lets every local user connect, 0660 only "
       "allowed_group (under systemd it becomes coproc.socket's SocketMode=)",
       false},
      {"server.allowed_group", S, "", 0, 0,
       "group of coproc.sock and control.sock when set (use with socket_mode = 0660; under "
       "systemd it becomes coproc.socket's SocketGroup=)",
       false},
      {"server.pipe_name", S, R"(\\.\pipe\coproc)", 0, 0,
       "Windows only: the named pipe clients connect to; a name without the pipe prefix gets it",
       false},
      {"server.pipe_sddl", S, "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;0x12019b;;;AU)", 0, 0,
       "Windows only: security descriptor of the pipe (SDDL); the default lets SYSTEM and "
       "Administrators do anything and authenticated users read and write, not create instances",
       false},
      {"server.io_threads", I, "1", 1, 64, "threads running the socket event loop", false},
      {"server.worker_threads", I, "8", 1, 256,
       "blocking calls (mail submission, HTTP requests) running at once; each has a thread "
       "besides the io_threads",
       false},
      {"server.worker_threads_per_uid", I, "0", 0, 256,
       "blocking calls of one uid running at once, so other users find a free worker while one "
       "user's slow calls wait; waiting calls are served round-robin between uids; "
       "0 = half of worker_threads (at least 1)",
       false},
      {"server.worker_queue", I, "1024", 1, 1000000,
       "calls that may wait for a worker before new ones get 'unavailable'", false},
      {"server.max_connections", I, "4096", 1, 1000000, "client connections in total", false},
      {"server.max_connections_per_uid", I, "1024", 1, 1000000,
       "client connections of one user", false},
      {"server.max_in_flight_per_connection", I, "64", 1, 100000,
       "requests of one connection being served at once; more wait unread (backpressure)", false},
      {"server.max_in_flight_per_uid", I, "1024", 1, 1000000,
       "requests of one user being served at once; beyond it calls get 'rate_limited'", false},
      {"server.max_output_bytes", I, "1M", 4096, kNoMax,
       "unsent response bytes per connection before its requests stop being read", false},
      {"server.handshake_timeout_ms", I, "10000", 0, 3600000,
       "close connections that send no complete request within this time (0 = never)", false},
      {"server.idle_timeout_ms", I, "0", 0, kNoMax,
       "close connections idle this long (0 = never; legacy sessions stay for hours)", false},
      {"server.shutdown_timeout_ms", I, "5000", 0, 600000,
       "on SIGTERM, time allowed for calls in flight to finish", false},

      // ---- limits: what one incoming message may contain
      {"limits.max_message_bytes", I, "16M", 64, 1LL << 31, "bytes of one encoded message", false},
      {"limits.max_depth", I, "32", 2, 1000, "nesting depth of arrays and maps", false},
      {"limits.max_array", I, "100000", 1, 100000000, "elements of one array", false},
      {"limits.max_map", I, "10000", 1, 100000000, "entries of one map", false},
      {"limits.max_str", I, "16M", 1, 1LL << 31, "bytes of one string", false},
      {"limits.max_bin", I, "16M", 1, 1LL << 31, "bytes of one binary value", false},
      {"limits.memory_budget", I, "256M", 0, kNoMax,
       "bytes all connections together may hold in partly received messages and unsent "
       "answers; beyond it the connections holding the most are closed (0 = no budget)",
       false},

      // ---- mail
      {"mail.transport", E, "auto", 0, 0,
       "auto (smtp when smtp.host is set, else maildir), smtp or maildir", false,
       "auto|smtp|maildir"},
      {"mail.maildir", S, "", 0, 0,
       "folder of the maildir transport; empty = <state-dir>/maildir", false},
      {"mail.workers", I, "4", 1, 64, "concurrent delivery sessions", false},
      {"mail.batch", I, "20", 1, 1000, "messages sent over one SMTP session before it is renewed",
       false},
      {"mail.retry_initial_ms", I, "5000", 10, kNoMax, "first retry delay after a transient failure",
       false},
      {"mail.retry_max_ms", I, "900000", 10, kNoMax, "longest retry delay", false},
      {"mail.max_age_s", I, "172800", 1, kNoMax,
       "a message still undelivered after this long becomes 'failed'", false},
      {"mail.max_message_bytes", I, "25M", 1024, 1LL << 32,
       "largest message (after MIME encoding) mail.send accepts", false},
      {"mail.per_uid_per_minute", I, "600", 1, kNoMax, "mails one user may submit per minute",
       false},
      {"mail.keep_days", I, "7", 0, 3650, "days sent and failed messages stay visible to mail.status",
       false},

      // ---- job: calls that outlive their caller (job.*)
      {"job.ttl_default_s", I, "3600", 1, kNoMax,
       "seconds a finished job's result is kept when job.submit gives no ttl_s", false},
      {"job.ttl_max_s", I, "604800", 1, kNoMax, "largest ttl_s job.submit accepts", false},
      {"job.max_per_uid", I, "100", 1, 1000000,
       "jobs one user may have (running, or finished and kept)", false},
      {"job.max_total", I, "10000", 1, 10000000, "jobs the co-process keeps for all users", false},
      {"job.max_running", I, "16", 1, 1024,
       "jobs whose method runs at once, each on a runner thread of the job component; later "
       "jobs wait in the order submitted (their state stays 'running')",
       false},
      {"job.max_result_bytes", I, "16M", 1, 1LL << 31,
       "largest result a job keeps; a larger one makes the job 'failed' (too_large)", false},

      // ---- gateway: inbound HTTP(S) handed to worker processes (docs/gateway.md)
      {"gateway.listen", S, "", 0, 0,
       "where the gateway accepts HTTP: ADDRESS:PORT entries separated by commas, each "
       "optionally followed by 'tls' (e.g. 127.0.0.1:8080, [::1]:8443 tls); empty = off",
       false},
      {"gateway.tls_cert", S, "", 0, 0,
       "PEM certificate (chain) of the 'tls' listeners, read by the co-process at start", false},
      {"gateway.tls_key", S, "", 0, 0, "PEM private key (unencrypted) of the 'tls' listeners",
       false},
      {"gateway.route", S, "", 0, 0,
       "path prefix to queue, PREFIX=QUEUE entries separated by commas (/api/orders=orders); "
       "the longest matching prefix wins, on whole path segments",
       false},
      {"gateway.default_queue", S, "default", 0, 0,
       "queue of requests no route matches; empty = those get 404", false},
      {"gateway.allow", S, "", 0, 0,
       "who may work each queue: QUEUE=WHO ... entries separated by ';', WHO a user name, a "
       "uid, @group or @gid (members by primary or supplementary group); on Windows an "
       "account or group name (BUILTIN\\Users, \"DOMAIN\\Web Workers\") or a SID "
       "(S-1-5-32-545), matched against the caller's token; a queue not named here has no "
       "workers",
       false},
      {"gateway.queue_timeout_ms", I, "5000", 1, 3600000,
       "a request no worker takes within this time is answered 503", false},
      {"gateway.reply_timeout_ms", I, "30000", 1, 3600000,
       "a worker that has not replied this long after taking a request: the client gets 504",
       false},
      {"gateway.request_timeout_ms", I, "10000", 100, 3600000,
       "time a client has to send a whole request (header and body; TLS handshake included), "
       "else 408 (slow clients)",
       false},
      {"gateway.keepalive_timeout_ms", I, "5000", 0, 3600000,
       "an idle kept-alive HTTP connection is closed after this time", false},
      {"gateway.max_connections", I, "256", 1, 100000,
       "HTTP connections served at once (one thread each); more wait in the accept queue", false},
      {"gateway.max_queued", I, "1024", 1, 1000000,
       "requests waiting for a worker, all queues together; beyond it new ones get 503", false},
      {"gateway.max_body_bytes", I, "1M", 0, 1LL << 30,
       "largest request body; a larger one gets 413", false},
      {"gateway.requeue_idempotent", B, "false", 0, 0,
       "a GET, HEAD, PUT, DELETE or OPTIONS request whose worker disconnected before replying "
       "goes back to its queue once instead of getting 502",
       false},

      // ---- smtp: the relay used by the smtp transport
      {"smtp.host", S, "", 0, 0, "relay host name; empty = no relay (maildir transport)", false},
      {"smtp.port", I, "587", 1, 65535, "relay port (587 submission, 465 implicit TLS, 25)", false},
      {"smtp.security", E, "starttls", 0, 0,
       "starttls (required, never falls back to clear text), tls (implicit) or none", false,
       "starttls|tls|none"},
      {"smtp.auth", E, "auto", 0, 0,
       "auto (best the server offers when username is set), plain, login or none", false,
       "auto|plain|login|none"},
      {"smtp.username", S, "", 0, 0, "AUTH user name", false},
      {"smtp.password", S, "", 0, 0,
       "AUTH password; better kept out of this file: see password_file, or the systemd "
       "credential smtp.password (docs/security.md)",
       true},
      {"smtp.password_file", S, "", 0, 0,
       "file holding the AUTH password (one line; must not be open to other users); a name "
       "without '/' or '\\' is a systemd credential ($CREDENTIALS_DIRECTORY, LoadCredential=)",
       false},
      {"smtp.verify_tls", B, "true", 0, 0,
       "verify the relay's certificate and host name (false is logged as a warning)", false},
      {"smtp.ca_file", S, "", 0, 0, "PEM CA bundle; empty = the system store", false},
      {"smtp.helo_name", S, "", 0, 0, "name sent in EHLO; empty = this host's name", false},
      {"smtp.timeout_ms", I, "30000", 100, 3600000, "connect, read and write timeout", false},

      // ---- http
      {"http.timeout_ms", I, "30000", 1, 3600000, "default whole-request deadline", false},
      {"http.connect_timeout_ms", I, "10000", 1, 3600000, "default connect timeout", false},
      {"http.max_body_bytes", I, "64M", 0, 1LL << 40,
       "default limit of a response body held in memory", false},
      {"http.pool_per_origin", I, "8", 0, 1024, "idle keep-alive connections kept per origin",
       false},
      {"http.pool_total", I, "64", 0, 100000, "idle keep-alive connections kept in total", false},
      {"http.pool_idle_ms", I, "4000", 0, 3600000,
       "idle keep-alive connections older than this are closed (keep below servers' timeouts)",
       false},
      {"http.proxy", S, "", 0, 0,
       "HTTP proxy as [user@]host:port; HTTPS goes through CONNECT; the user is sent with "
       "http.proxy_password as Basic Proxy-Authorization",
       false},
      {"http.proxy_password", S, "", 0, 0,
       "password of the proxy user in http.proxy; better in proxy_password_file or the systemd "
       "credential http.proxy_password (docs/security.md)",
       true},
      {"http.proxy_password_file", S, "", 0, 0,
       "file holding the proxy password (one line; must not be open to other users); a name "
       "without '/' or '\\' is a systemd credential ($CREDENTIALS_DIRECTORY, LoadCredential=)",
       false},
      {"http.allow", S, "", 0, 0,
       "destinations http.request may reach (CIDRs, host names, *.suffix, each with an optional "
       ":port; comma or space separated); empty = everywhere not denied",
       false},
      {"http.deny", S, "169.254.0.0/16 fe80::/10 100.100.100.200 fd00:ec2::254 metadata.google.internal", 0, 0,
       "destinations http.request may never reach, checked by name and after DNS resolution, "
       "for every redirect too; the default denies link-local and cloud metadata addresses",
       false},
      {"http.ca_file", S, "", 0, 0, "PEM CA bundle; empty = the system store", false},
      {"http.allow_https_downgrade", B, "false", 0, 0,
       "follow redirects from https to http", false},

      // ---- service: coproc-service
      {"service.coprocess_path", S, "", 0, 0,
       "co-process binary; empty = 'coprocess' next to coproc-service", false},
      {"service.user", S, "coproc", 0, 0,
       "user the co-process runs as when the service runs as root", false},
      {"service.start", E, "on_demand", 0, 0, "on_demand (first svc.launch) or at_start", false,
       "on_demand|at_start"},
      {"service.ready_timeout_ms", I, "10000", 100, 600000,
       "time a co-process has to signal readiness", false},
      {"service.restart_initial_ms", I, "100", 1, 600000, "first restart delay after a crash",
       false},
      {"service.restart_max_ms", I, "30000", 1, 3600000, "longest restart delay", false},
      {"service.stable_after_ms", I, "10000", 1, 3600000,
       "a co-process up this long resets the restart delay", false},
      {"service.stop_timeout_ms", I, "5000", 0, 600000,
       "time between SIGTERM (Windows: the stop event) and SIGKILL (Windows: "
       "TerminateJobObject) when stopping the co-process",
       false},
      {"service.admin_group", S, "", 0, 0,
       "group whose members may call admin methods (uid 0 always may)", false},
  };
  return specs;
}

}  // namespace coproc
