// coprocctl http [METHOD] URL [curl-like options]
// One HTTP(S) request through the co-process, printed like curl.
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <msgpack.hpp>

#include "command.h"
#include "http_messages.h"
#include "methods.h"
#include "output_file.h"

namespace coproc::ctl {
namespace {

// curl's exit code for an HTTP error with --fail.
constexpr int kExitHttpError = 22;

const char* const kUsage =
    "usage: http [METHOD] URL [-X METHOD] [-H 'Name: value']... [-d TEXT|-d @FILE|-d -]\n"
    "            [-o FILE] [-i] [-I] [-f] [-s] [-v] [-k] [--cacert FILE] [-L|--no-follow]\n"
    "            [--max-time SECONDS] [--timeout MS]";

struct HttpArgs {
  std::string method, url, body, output, ca_pem;
  bool has_body = false, include_headers = false, insecure = false, no_follow = false;
  bool fail = false, silent = false, verbose = false, head = false;
  long timeout_ms = -1;
  std::vector<std::pair<std::string, std::string>> headers;

  bool has_header(const char* name) const {
    for (const auto& h : headers) {
      if (::strcasecmp(h.first.c_str(), name) == 0) return true;
    }
    return false;
  }
};

std::string text_of(const msgpack::object& o) {
  if (o.type == msgpack::type::STR) return std::string(o.via.str.ptr, o.via.str.size);
  if (o.type == msgpack::type::BIN) return std::string(o.via.bin.ptr, o.via.bin.size);
  return "";
}

const msgpack::object* get(const msgpack::object& map, const std::string& key) {
  if (map.type != msgpack::type::MAP) return nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    if (text_of(map.via.map.ptr[i].key) == key) return &map.via.map.ptr[i].val;
  }
  return nullptr;
}

// The typed http.request params of the command line.
std::string pack(const HttpArgs& a, bool to_fd) {
  rpc::HttpRequestParams p;
  p.method = a.method;
  p.url = a.url;
  p.headers = a.headers;
  if (a.has_body) p.body = a.body;
  if (a.timeout_ms > 0) p.timeout_ms = a.timeout_ms;
  if (a.insecure) p.verify_tls = false;
  if (a.no_follow) p.follow_redirects = false;
  if (!a.ca_pem.empty()) p.ca_pem = a.ca_pem;
  if (to_fd) p.save_to_fd = 0;
  return rpc::pack_params(p).bytes;
}

std::string human_bytes(double n) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1);
  if (n >= 1 << 20) {
    s << n / (1 << 20) << " MiB";
  } else if (n >= 1024) {
    s << n / 1024 << " KiB";
  } else {
    s << std::setprecision(0) << n << " B";
  }
  return s.str();
}

bool read_all(const std::string& path, std::string* out) {
  std::ostringstream s;
  if (path == "-") {
    s << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    s << in.rdbuf();
  }
  *out = s.str();
  return true;
}

// Reads the options into *a; returns -1 to go on, or an exit code.
int parse_args(CommandEnv& env, std::vector<std::string>& args, HttpArgs* a) {
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string v;
    auto value = [&]() {
      if (i + 1 >= args.size()) return false;
      v = args[++i];
      return true;
    };
    if (arg == "-H" || arg == "--header") {
      if (!value()) return env.usage_error(kUsage);
      const auto colon = v.find(':');
      if (colon == std::string::npos || colon == 0) {
        return env.usage_error("header must be 'Name: value', got '" + v + "'");
      }
      std::string val = v.substr(colon + 1);
      val.erase(0, val.find_first_not_of(" \t"));
      a->headers.emplace_back(v.substr(0, colon), val);
    } else if (arg == "-d" || arg == "--data") {
      if (!value()) return env.usage_error(kUsage);
      a->has_body = true;
      if (v == "-" || (!v.empty() && v[0] == '@')) {
        const std::string path = v == "-" ? v : v.substr(1);
        if (!read_all(path, &a->body)) return env.usage_error("cannot read '" + path + "'");
      } else {
        a->body = v;
      }
    } else if (arg == "-X" || arg == "--request") {
      if (!value()) return env.usage_error(kUsage);
      a->method = v;
    } else if (arg == "-o" || arg == "--output") {
      if (!value()) return env.usage_error(kUsage);
      a->output = v;
    } else if (arg == "--cacert") {
      if (!value()) return env.usage_error(kUsage);
      // Read here, with the caller's rights; the co-process gets the bytes.
      if (!read_all(v, &a->ca_pem)) return env.usage_error("cannot read CA file '" + v + "'");
    } else if (arg == "--max-time" || arg == "--timeout") {
      if (!value()) return env.usage_error(kUsage);
      double n = 0;
      try {
        n = std::stod(v);
      } catch (const std::exception&) {
      }
      a->timeout_ms = arg == "--timeout" ? static_cast<long>(n) : std::lround(n * 1000);
      if (a->timeout_ms <= 0) return env.usage_error(arg + " must be a positive number");
    } else if (arg == "-i" || arg == "--include") {
      a->include_headers = true;
    } else if (arg == "-I" || arg == "--head") {
      a->head = true;
    } else if (arg == "-f" || arg == "--fail") {
      a->fail = true;
    } else if (arg == "-s" || arg == "--silent") {
      a->silent = true;
    } else if (arg == "-v" || arg == "--verbose") {
      a->verbose = true;
    } else if (arg == "-k" || arg == "--insecure") {
      a->insecure = true;
    } else if (arg == "-L" || arg == "--location") {
      a->no_follow = false;  // the default; accepted for curl users
    } else if (arg == "--no-follow") {
      a->no_follow = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return env.usage_error("unknown option '" + arg + "'\n" + kUsage);
    } else {
      positional.push_back(arg);
    }
  }
  // "http URL" (curl's form) or "http METHOD URL".
  if (positional.size() == 2) {
    if (!a->method.empty()) return env.usage_error("the method is given twice (METHOD and -X)");
    a->method = positional[0];
  } else if (positional.size() != 1) {
    return env.usage_error(kUsage);
  }
  a->url = positional.back();
  if (a->method.empty()) a->method = a->head ? "HEAD" : a->has_body ? "POST" : "GET";
  for (auto& c : a->method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (a->head) a->include_headers = true;
  // curl -d sends a form unless told otherwise.
  if (a->has_body && !a->has_header("Content-Type")) {
    a->headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  }
  return -1;
}

// Runs the call; a download shows its growth on a terminal meanwhile.
CallResult call_with_progress(CommandEnv& env, const HttpArgs& a, OutputFile& file) {
  CallOptions options;
  options.timeout_ms = static_cast<int>((a.timeout_ms > 0 ? a.timeout_ms : 30000) + 5000);
  // A resend would append to what the first attempt wrote into the file.
  options.idempotent = (a.method == "GET" || a.method == "HEAD") && file.fd() < 0 ? 1 : 0;
  if (file.fd() < 0) return env.client().call(rpc::method::kHttpRequest, pack(a, false), options);

  options.fds.push_back(file.fd());
  CallResult r;
  std::atomic<bool> done{false};
  std::thread call([&] {
    r = env.client().call(rpc::method::kHttpRequest, pack(a, true), options);
    done = true;
  });
  const bool show = ::isatty(2) != 0 && !a.silent;
  bool shown = false;
  const auto start = std::chrono::steady_clock::now();
  while (!done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    struct stat st {};
    if (show && ::fstat(file.fd(), &st) == 0 && st.st_size >= (1 << 20)) {
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      env.err() << "\r" << human_bytes(static_cast<double>(st.st_size)) << " received, "
                << human_bytes(static_cast<double>(st.st_size) / std::max(secs, 0.001))
                << "/s    " << std::flush;
      shown = true;
    }
  }
  call.join();
  if (shown) env.err() << "\n";
  return r;
}

void print_head(std::ostream& out, const msgpack::object& m, const char* prefix) {
  const msgpack::object* status = get(m, "status");
  const msgpack::object* reason = get(m, "reason");
  out << prefix << "HTTP/1.1 " << (status ? status->as<int>() : 0) << " "
      << (reason ? text_of(*reason) : "") << "\r\n";
  const msgpack::object* headers = get(m, "headers");
  if (headers && headers->type == msgpack::type::ARRAY) {
    for (std::uint32_t i = 0; i < headers->via.array.size; ++i) {
      const auto& pair = headers->via.array.ptr[i];
      if (pair.type != msgpack::type::ARRAY || pair.via.array.size != 2) continue;
      out << prefix << text_of(pair.via.array.ptr[0]) << ": " << text_of(pair.via.array.ptr[1])
          << "\r\n";
    }
  }
  out << prefix << "\r\n";
}

int print_response(CommandEnv& env, const HttpArgs& a, const CallResult& r, OutputFile& file) {
  msgpack::object_handle h = msgpack::unpack(r.result.data(), r.result.size());
  const msgpack::object& m = h.get();
  const msgpack::object* status = get(m, "status");
  const int code = status ? status->as<int>() : 0;
  if (a.verbose) print_head(env.err(), m, "< ");
  if (a.fail && code >= 400) {
    if (!a.silent) env.err() << "coprocctl: http: the server answered " << code << "\n";
    return kExitHttpError;
  }
  if (a.include_headers) print_head(env.out(), m, "");
  if (const msgpack::object* body = get(m, "body")) {
    const std::string b = text_of(*body);
    if (!a.output.empty() && file.fd() < 0) {
      // No descriptor could travel (Windows): the body came in the reply.
      std::string error;
      if (!file.write(b, &error)) {
        env.err() << "coprocctl: " << error << "\n";
        return kExitUsage;
      }
      if (!a.silent) env.err() << "coprocctl: saved " << b.size() << " bytes to " << a.output << "\n";
    } else {
      env.out().write(b.data(), static_cast<std::streamsize>(b.size()));
    }
  }
  if (const msgpack::object* written = get(m, "bytes_written")) {
    if (!a.silent) {
      env.err() << "coprocctl: saved " << written->as<long long>() << " bytes to " << a.output
                << "\n";
    }
  }
  env.out().flush();
  return kExitOk;
}

int run_http(CommandEnv& env, std::vector<std::string>& args) {
  HttpArgs a;
  if (const int rc = parse_args(env, args, &a); rc >= 0) return rc;
  OutputFile file;
  if (!a.output.empty()) {
    std::string error;
    if (!file.open(a.output, &error)) {
      env.err() << "coprocctl: " << error << "\n";
      return kExitUsage;
    }
  }
  if (a.verbose) {
    env.err() << "> " << a.method << " " << a.url << "\n";
    for (const auto& [n, v] : a.headers) env.err() << "> " << n << ": " << v << "\n";
  }
  const CallResult r = call_with_progress(env, a, file);
  if (!r.ok()) return env.fail(r, "http");  // the output file is left as it was
  if (env.flags().json) {  // the http.request result, as every command's --json
    env.print_result(r.result);
    file.finish(true);
    return kExitOk;
  }
  const int rc = print_response(env, a, r, file);
  file.finish(rc == kExitOk);
  return rc;
}

}  // namespace

COPROCCTL_COMMAND(http_registered, "http",
                  "http [METHOD] URL [-X M] [-H H]... [-d T|@F|-] [-o F] [-i] [-I] [-f] [-s] [-v] "
                  "[-k] [--cacert F] [-L|--no-follow] [--max-time S]  one HTTP(S) request, like curl",
                  run_http, kUsage);

}  // namespace coproc::ctl
