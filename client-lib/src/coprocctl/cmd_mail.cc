// coprocctl mail send --from F --to T [--cc C]... [--bcc B]... [--subject S]
//                     [--html FILE] [--attach FILE]... [--header 'N: V']... [--count N]
//   (body from stdin) — queues a mail (or N copies, with progress);
// coprocctl mail status ID — where a mail is (queued, sending, sent, failed);
// coprocctl mail list [--state S] [--limit N] — the caller's mails, one line
//   each (nothing when there are none);
// coprocctl mail --help.
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <msgpack.hpp>

#include "command.h"
#include "idempotency.h"
#include "local_file.h"
#include "mail_messages.h"
#include "methods.h"
#include "result_fields.h"
#include "sync_rpc.h"

namespace coproc::ctl {
namespace {

constexpr const char* kUsage =
    "usage: coprocctl mail send --from ADDR --to ADDR[,ADDR] [--cc ADDR]... [--bcc ADDR]...\n"
    "                           [--subject TEXT] [--html FILE] [--attach FILE]...\n"
    "                           [--header 'Name: value']... [--count N]   (body from stdin)\n"
    "       coprocctl mail status ID\n"
    "       coprocctl mail list [--state queued|sending|sent|failed] [--limit N]\n"
    "       coprocctl mail test [--to ADDR] [--from ADDR]   (root or service.admin_group)";

struct SendArgs {
  std::string from, subject, text, html;
  std::vector<std::string> to, cc, bcc, attach;
  std::vector<std::pair<std::string, std::string>> headers;
  long count = 1;
};

// An attachment as opened by coprocctl: a descriptor, or its bytes.
using Attached = std::vector<local::OpenedFile>;

// The typed mail.send params; an attachment opened as a descriptor refers to
// it by its index among the passed descriptors, otherwise it carries its bytes.
rpc::MailSendParams params_of(const SendArgs& a, const Attached& files) {
  rpc::MailSendParams p;
  p.from = a.from;
  p.to = a.to;
  p.cc = a.cc;
  p.bcc = a.bcc;
  p.subject = a.subject;
  p.text = a.text;
  p.html = a.html;
  p.headers = a.headers;
  std::uint64_t fd_index = 0;
  for (std::size_t i = 0; i < a.attach.size(); ++i) {
    rpc::MailAttachmentParams attachment;
    attachment.filename = local::base_name(a.attach[i]);
    if (files[i].fd >= 0) {
      attachment.fd = fd_index++;
    } else {
      attachment.data = files[i].bytes;
    }
    p.attachments.push_back(std::move(attachment));
  }
  return p;
}

// Step 1: the command line into `a` (and the HTML body's file name).
// Returns kExitOk, or the exit code of a usage error already reported.
int parse_send_args(CommandEnv& env, const std::vector<std::string>& args, SendArgs* out,
                    std::string* html_file_out) {
  SendArgs& a = *out;
  std::string& html_file = *html_file_out;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    const std::string* v = nullptr;
    if (arg == "--from" || arg == "--to" || arg == "--cc" || arg == "--bcc" || arg == "--subject" ||
        arg == "--html" || arg == "--attach" || arg == "--header" || arg == "--count") {
      v = value();
      if (!v) return env.usage_error(arg + " needs a value\n" + kUsage);
    } else {
      return env.usage_error("unknown argument '" + arg + "'\n" + kUsage);
    }
    if (arg == "--from") a.from = *v;
    if (arg == "--to") a.to.push_back(*v);
    if (arg == "--cc") a.cc.push_back(*v);
    if (arg == "--bcc") a.bcc.push_back(*v);
    if (arg == "--subject") a.subject = *v;
    if (arg == "--html") html_file = *v;
    if (arg == "--attach") a.attach.push_back(*v);
    if (arg == "--header") {
      const std::size_t colon = v->find(':');
      if (colon == std::string::npos) return env.usage_error("--header needs 'Name: value'");
      std::string value_part = v->substr(colon + 1);
      while (!value_part.empty() && value_part[0] == ' ') value_part.erase(0, 1);
      a.headers.emplace_back(v->substr(0, colon), value_part);
    }
    if (arg == "--count") {
      try {
        a.count = std::stol(*v);
      } catch (const std::exception&) {
        a.count = 0;
      }
      if (a.count < 1 || a.count > 10000000) return env.usage_error("--count must be 1 or more");
    }
  }
  if (a.from.empty() || a.to.empty()) return env.usage_error("--from and --to are required\n" + std::string(kUsage));
  return kExitOk;
}

// Step 2: the bodies — the HTML from its file, the text from stdin. "a@x,
// b@y" stays one string: the co-process splits it (quotes respected).
int read_bodies(CommandEnv& env, const std::string& html_file, SendArgs* out) {
  SendArgs& a = *out;
  if (!html_file.empty()) {
    std::ifstream in(html_file, std::ios::binary);
    if (!in) return env.usage_error("cannot read '" + html_file + "'");
    std::ostringstream s;
    s << in.rdbuf();
    a.html = s.str();
  }
  {
    std::ostringstream s;
    s << std::cin.rdbuf();
    a.text = s.str();
  }
  return kExitOk;
}

// Step 3: attachments are opened here, with the rights of the user running
// coprocctl, and passed as descriptors (on Windows as bytes): the co-process
// never opens a path. Returns kExitOk with the files in `files_out` and their
// descriptors in `fds_out`, or kExitUsage (reported).
int open_attachments(CommandEnv& env, const SendArgs& a, Attached* files_out,
                     std::vector<int>* fds_out) {
  Attached& files = *files_out;
  std::vector<int>& fds = *fds_out;
  auto close_all = [&] {
    for (int fd : fds) local::close(fd);
    fds.clear();
  };
  for (const auto& path : a.attach) {
    local::OpenedFile file;
    std::string error;
    if (!local::open_attachment(path, &file, &error)) {
      env.err() << "coprocctl: cannot attach '" << path << "': " << error << "\n";
      close_all();
      return kExitUsage;
    }
    if (file.fd >= 0) fds.push_back(file.fd);
    files.push_back(std::move(file));
  }
  return kExitOk;
}

// The outcome of queueing `count` copies.
struct SendOutcome {
  std::vector<std::string> ids;  // one per mail queued, in order
  long done = 0;
  bool failed = false;
  CallResult first_error;
};

// Step 4: queue the copies. Attachments by descriptor go one at a time
// (shared file offsets); plain mails are pipelined over the one connection
// by several threads. Progress on stderr for more than one mail.
SendOutcome submit_all(CommandEnv& env, const SendArgs& a, const Attached& files,
                       const std::vector<int>& fds) {
  SendOutcome outcome;
  outcome.ids.resize(static_cast<std::size_t>(a.count));
  Client& client = env.client();  // made once, here: env.client() is not thread-safe
  std::atomic<long> next{0}, done{0};
  std::mutex mu;
  const auto start = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (;;) {
      const long i = next++;
      if (i >= a.count) return;
      CallOptions options;
      options.idempotent = 1;  // the idempotency key makes a resend safe
      options.fds = fds;
      if (!fds.empty()) {
        std::lock_guard<std::mutex> lock(mu);  // the fds' offsets are shared
        for (int fd : fds) local::rewind(fd);
      }
      rpc::MailSendParams params = params_of(a, files);
      params.idempotency_key = "ctl-" + new_idempotency_key();
      CallResult r = client.call(rpc::method::kMailSend, rpc::pack_params(params).bytes, options);
      std::lock_guard<std::mutex> lock(mu);
      if (!r.ok()) {
        if (!outcome.failed) outcome.first_error = r;
        outcome.failed = true;
        next = a.count;
        return;
      }
      outcome.ids[static_cast<std::size_t>(i)] = string_field(r.result, "id");
      const long n = ++done;
      if (a.count > 1 && (n % 100 == 0 || n == a.count)) {
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        env.err() << "\rqueued " << n << "/" << a.count << " (" << static_cast<long>(n / std::max(secs, 1e-3))
                  << "/s)" << (n == a.count ? "\n" : "") << std::flush;
      }
    }
  };
  const int threads = fds.empty() ? static_cast<int>(std::min<long>(a.count, 16)) : 1;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  outcome.done = done;
  return outcome;
}

int run_send(CommandEnv& env, std::vector<std::string>& args) {
  SendArgs a;
  std::string html_file;
  Attached files;
  std::vector<int> fds;
  int code = parse_send_args(env, args, &a, &html_file);
  if (code == kExitOk) code = read_bodies(env, html_file, &a);
  if (code == kExitOk) code = open_attachments(env, a, &files, &fds);
  if (code != kExitOk) return code;
  const SendOutcome outcome = submit_all(env, a, files, fds);
  for (int fd : fds) local::close(fd);
  if (outcome.failed) {
    if (outcome.done > 0) {
      env.err() << "coprocctl: " << outcome.done << " of " << a.count << " mails were queued\n";
    }
    return env.fail(outcome.first_error, "mail send");
  }
  for (const auto& id : outcome.ids) env.out() << id << "\n";
  env.out().flush();
  return kExitOk;
}

// One line per mail, newest first: id, state, created (local time),
// attempts, from, recipients, subject. No mail, no output.
void print_mail_table(std::ostream& out, const std::string& packed) {
  msgpack::object_handle oh = msgpack::unpack(packed.data(), packed.size());
  const msgpack::object* mails = nullptr;
  const msgpack::object& result = oh.get();
  if (result.type == msgpack::type::MAP) {
    for (std::uint32_t i = 0; i < result.via.map.size; ++i) {
      const auto& kv = result.via.map.ptr[i];
      if (kv.key.type == msgpack::type::STR && kv.key.as<std::string>() == "mails" &&
          kv.val.type == msgpack::type::ARRAY) {
        mails = &kv.val;
      }
    }
  }
  if (!mails || mails->via.array.size == 0) return;
  out << "ID                        STATE    CREATED              TRIES  FROM -> TO  SUBJECT\n";
  for (std::uint32_t i = 0; i < mails->via.array.size; ++i) {
    const msgpack::object& mail = mails->via.array.ptr[i];
    if (mail.type != msgpack::type::MAP) continue;
    const auto created = static_cast<std::time_t>(map_int(mail, "created_ms", 0) / 1000);
    char when[32] = "";
    std::tm tm{};
    if (created > 0 && ::localtime_r(&created, &tm)) {
      std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    }
    std::string to;
    for (std::uint32_t k = 0; k < mail.via.map.size; ++k) {
      const auto& kv = mail.via.map.ptr[k];
      if (kv.key.type != msgpack::type::STR || kv.key.as<std::string>() != "recipients" ||
          kv.val.type != msgpack::type::ARRAY) {
        continue;
      }
      for (std::uint32_t r = 0; r < kv.val.via.array.size; ++r) {
        if (kv.val.via.array.ptr[r].type != msgpack::type::STR) continue;
        to += (to.empty() ? "" : ",") + kv.val.via.array.ptr[r].as<std::string>();
      }
    }
    char line[128];
    std::snprintf(line, sizeof line, "%-25s %-8s %-20s %5lld  ", map_str(mail, "id").c_str(),
                  map_str(mail, "state").c_str(), when,
                  static_cast<long long>(map_int(mail, "attempts", 0)));
    out << line << map_str(mail, "from") << " -> " << to << "  " << map_str(mail, "subject")
        << "\n";
  }
}

// mail test: the co-process opens a session to its relay as delivery would
// (connect, EHLO, STARTTLS, AUTH) and, with --to, sends a test message;
// each stage that worked is printed, then the reason of the one that failed.
int run_test(CommandEnv& env, std::vector<std::string>& args) {
  std::string to, from;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if ((args[i] == "--to" || args[i] == "--from") && i + 1 < args.size()) {
      (args[i] == "--to" ? to : from) = args[i + 1];
      ++i;
    } else {
      return env.usage_error("unknown argument '" + args[i] + "'\n" + kUsage);
    }
  }
  rpc::MailTestParams params;
  if (!to.empty()) params.to = to;
  if (!from.empty()) params.from = from;
  CallResult r = env.client().call(rpc::method::kMailTest, rpc::pack_params(params).bytes);
  if (!r.ok()) {
    if (r.status == COPROC_E_PERMISSION_DENIED) {
      env.err() << "coprocctl: mail test: permission denied: " << r.error_message << "\n";
      return kExitPermissionDenied;
    }
    return env.fail(r, "mail test");
  }
  if (env.flags().json) {
    env.print_result(r.result);
  } else {
    msgpack::object_handle oh = msgpack::unpack(r.result.data(), r.result.size());
    const msgpack::object& m = oh.get();
    env.out() << "transport: " << map_str(m, "transport") << "\n";
    for (std::uint32_t i = 0; m.type == msgpack::type::MAP && i < m.via.map.size; ++i) {
      const auto& kv = m.via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR || kv.key.as<std::string>() != "steps" ||
          kv.val.type != msgpack::type::ARRAY) {
        continue;
      }
      for (std::uint32_t k = 0; k < kv.val.via.array.size; ++k) {
        if (kv.val.via.array.ptr[k].type != msgpack::type::STR) continue;
        env.out() << "  ok      " << kv.val.via.array.ptr[k].as<std::string>() << "\n";
      }
    }
    if (!map_bool(m, "ok", false)) {
      env.out() << "  FAILED  " << map_str(m, "error") << "\n";
    }
  }
  msgpack::object_handle oh = msgpack::unpack(r.result.data(), r.result.size());
  return map_bool(oh.get(), "ok", false) ? kExitOk : kExitRemoteError;
}

int run_mail(CommandEnv& env, std::vector<std::string>& args) {
  if (args.empty()) return env.usage_error(kUsage);
  const std::string sub = args[0];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    env.out() << kUsage << "\n";
    return kExitOk;
  }
  if (sub == "send") return run_send(env, args);
  if (sub == "test") return run_test(env, args);
  if (sub == "status") {
    if (args.size() != 2) return env.usage_error(kUsage);
    CallResult r = env.client().call(rpc::method::kMailStatus,
                                     rpc::pack_params(rpc::MailStatusParams{args[1]}).bytes);
    if (!r.ok()) return env.fail(r, "mail status");
    env.print_result(r.result);
    return kExitOk;
  }
  if (sub == "list") {
    rpc::MailListParams params;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--state" && i + 1 < args.size()) {
        const std::string& state = args[++i];
        params.state = state.empty() ? std::nullopt : std::optional<std::string>(state);
      } else if (args[i] == "--limit" && i + 1 < args.size()) {
        try {
          params.limit = std::stol(args[++i]);
        } catch (const std::exception&) {
          params.limit = 0;
        }
        if (params.limit < 1) return env.usage_error("--limit must be 1 or more");
      } else {
        return env.usage_error("unknown argument '" + args[i] + "'\n" + kUsage);
      }
    }
    CallResult r = env.client().call(rpc::method::kMailList, rpc::pack_params(params).bytes);
    if (!r.ok()) return env.fail(r, "mail list");
    if (env.flags().json) {
      env.print_result(r.result);
    } else {
      print_mail_table(env.out(), r.result);
    }
    return kExitOk;
  }
  return env.usage_error("unknown mail command '" + sub + "'\n" + kUsage);
}

}  // namespace

COPROCCTL_COMMAND(mail_registered, "mail",
                  "mail send|status|list|test ...  queue a mail (body from stdin), show its "
                  "state, list yours, test the relay",
                  run_mail, kUsage);

}  // namespace coproc::ctl
