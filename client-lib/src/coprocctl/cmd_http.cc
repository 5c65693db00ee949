// coprocctl http METHOD URL [-H 'Name: value']... [-d @file|-d -|-d text]
//   [-o FILE] [-i] [-k] [--no-follow] [--timeout MS]
// One HTTP(S) request through the co-process, printed like curl.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <msgpack.hpp>

#include "command.h"

namespace coproc::ctl {
namespace {

struct Buffer {
  std::string bytes;
  void write(const char* data, std::size_t size) { bytes.append(data, size); }
};

struct HttpArgs {
  std::string method, url, body, output;
  bool has_body = false, include_headers = false, insecure = false, no_follow = false;
  long timeout_ms = -1;
  std::vector<std::pair<std::string, std::string>> headers;
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

std::string pack(const HttpArgs& a, bool to_fd) {
  Buffer b;
  msgpack::packer<Buffer> pk(b);
  pk.pack_array(1);
  pk.pack_map(3 + (a.has_body ? 1 : 0) + (a.timeout_ms > 0 ? 1 : 0) + (a.insecure ? 1 : 0) +
              (a.no_follow ? 1 : 0) + (to_fd ? 1 : 0));
  pk.pack(std::string("method"));
  pk.pack(a.method);
  pk.pack(std::string("url"));
  pk.pack(a.url);
  pk.pack(std::string("headers"));
  pk.pack_array(static_cast<std::uint32_t>(a.headers.size()));
  for (const auto& [n, v] : a.headers) {
    pk.pack_array(2);
    pk.pack(n);
    pk.pack(v);
  }
  if (a.has_body) {
    pk.pack(std::string("body"));
    pk.pack_bin(static_cast<std::uint32_t>(a.body.size()));
    pk.pack_bin_body(a.body.data(), static_cast<std::uint32_t>(a.body.size()));
  }
  if (a.timeout_ms > 0) {
    pk.pack(std::string("timeout_ms"));
    pk.pack(static_cast<std::int64_t>(a.timeout_ms));
  }
  if (a.insecure) {
    pk.pack(std::string("verify_tls"));
    pk.pack(false);
  }
  if (a.no_follow) {
    pk.pack(std::string("follow_redirects"));
    pk.pack(false);
  }
  if (to_fd) {
    pk.pack(std::string("save_to_fd"));
    pk.pack(0);
  }
  return b.bytes;
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

int run_http(CommandEnv& env, std::vector<std::string>& args) {
  const char* usage =
      "usage: http METHOD URL [-H 'Name: value']... [-d @FILE|-d -|-d TEXT] [-o FILE] [-i] [-k] "
      "[--no-follow] [--timeout MS]";
  HttpArgs a;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](const char* flag) -> const std::string* {
      if (i + 1 >= args.size()) return nullptr;
      (void)flag;
      return &args[++i];
    };
    if (arg == "-H" || arg == "--header") {
      const std::string* v = value("-H");
      if (!v) return env.usage_error(usage);
      const auto colon = v->find(':');
      if (colon == std::string::npos || colon == 0) {
        return env.usage_error("header must be 'Name: value', got '" + *v + "'");
      }
      std::string val = v->substr(colon + 1);
      val.erase(0, val.find_first_not_of(" \t"));
      a.headers.emplace_back(v->substr(0, colon), val);
    } else if (arg == "-d" || arg == "--data") {
      const std::string* v = value("-d");
      if (!v) return env.usage_error(usage);
      a.has_body = true;
      if (*v == "-") {
        std::ostringstream s;
        s << std::cin.rdbuf();
        a.body = s.str();
      } else if (!v->empty() && (*v)[0] == '@') {
        std::ifstream in(v->substr(1), std::ios::binary);
        if (!in) return env.usage_error("cannot read '" + v->substr(1) + "'");
        std::ostringstream s;
        s << in.rdbuf();
        a.body = s.str();
      } else {
        a.body = *v;
      }
    } else if (arg == "-o" || arg == "--output") {
      const std::string* v = value("-o");
      if (!v) return env.usage_error(usage);
      a.output = *v;
    } else if (arg == "-i" || arg == "--include") {
      a.include_headers = true;
    } else if (arg == "-k" || arg == "--insecure") {
      a.insecure = true;
    } else if (arg == "--no-follow") {
      a.no_follow = true;
    } else if (arg == "--timeout") {
      const std::string* v = value("--timeout");
      if (!v) return env.usage_error(usage);
      try {
        a.timeout_ms = std::stol(*v);
      } catch (const std::exception&) {
        a.timeout_ms = 0;
      }
      if (a.timeout_ms <= 0) return env.usage_error("--timeout must be a positive number of ms");
    } else if (arg.size() > 1 && arg[0] == '-') {
      return env.usage_error("unknown option '" + arg + "'\n" + usage);
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) return env.usage_error(usage);
  a.method = positional[0];
  for (auto& c : a.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  a.url = positional[1];

  int fd = -1;
  if (!a.output.empty()) {
    fd = ::open(a.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
      env.err() << "coprocctl: cannot open '" << a.output << "': " << std::strerror(errno) << "\n";
      return kExitUsage;
    }
  }
  CallOptions options;
  options.timeout_ms = static_cast<int>((a.timeout_ms > 0 ? a.timeout_ms : 30000) + 5000);
  options.idempotent = (a.method == "GET" || a.method == "HEAD") && fd < 0 ? 1 : 0;
  if (fd >= 0) options.fds.push_back(fd);

  CallResult r;
  if (fd >= 0) {
    // The co-process writes into the file; show its growth meanwhile.
    std::atomic<bool> done{false};
    std::thread call([&] {
      r = env.client().call("http.request", pack(a, true), options);
      done = true;
    });
    const bool tty = ::isatty(2) != 0;
    bool shown = false;
    const auto start = std::chrono::steady_clock::now();
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      struct stat st {};
      if (::fstat(fd, &st) == 0 && st.st_size >= (1 << 20) && tty) {
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
    ::close(fd);
  } else {
    r = env.client().call("http.request", pack(a, false), options);
  }
  if (!r.ok()) {
    if (fd >= 0) ::unlink(a.output.c_str());
    return env.fail(r, "http");
  }

  msgpack::object_handle h = msgpack::unpack(r.result.data(), r.result.size());
  const msgpack::object& m = h.get();
  const msgpack::object* status = get(m, "status");
  const msgpack::object* reason = get(m, "reason");
  const msgpack::object* headers = get(m, "headers");
  if (a.include_headers) {
    env.out() << "HTTP/1.1 " << (status ? status->as<int>() : 0) << " "
              << (reason ? text_of(*reason) : "") << "\r\n";
    if (headers && headers->type == msgpack::type::ARRAY) {
      for (std::uint32_t i = 0; i < headers->via.array.size; ++i) {
        const auto& pair = headers->via.array.ptr[i];
        if (pair.type != msgpack::type::ARRAY || pair.via.array.size != 2) continue;
        env.out() << text_of(pair.via.array.ptr[0]) << ": " << text_of(pair.via.array.ptr[1])
                  << "\r\n";
      }
    }
    env.out() << "\r\n";
  }
  if (const msgpack::object* body = get(m, "body")) {
    const std::string b = text_of(*body);
    env.out().write(b.data(), static_cast<std::streamsize>(b.size()));
  }
  if (const msgpack::object* written = get(m, "bytes_written")) {
    env.err() << "coprocctl: saved " << written->as<long long>() << " bytes to " << a.output
              << "\n";
  }
  env.out().flush();
  return kExitOk;
}

}  // namespace

COPROCCTL_COMMAND(http_registered, "http",
                  "http METHOD URL [-H H]... [-d @F|-|T] [-o F] [-i] [-k] [--no-follow] "
                  "[--timeout MS]  one HTTP(S) request",
                  run_http);

}  // namespace coproc::ctl
