#include "debug_methods.h"

#include <unistd.h>

#include <chrono>
#include <thread>

#include "methods.h"
#include "rpc_error.h"

namespace coproc {

void register_debug_methods(Dispatcher& dispatcher) {
  // Sleeps `ms` on a worker, waking early when the caller goes away.
  dispatcher.add(rpc::method::kDebugSleep, Execution::worker, [](CallContext& call, const rpc::Params& p) {
    p.allow_only({"ms"});
    const auto ms = p.int_or("ms", 100, 0, 600000);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
      if (call.cancelled()) throw RpcException(Errc::cancelled, "caller went away");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return rpc::pack_value(std::map<std::string, std::int64_t>{{"slept_ms", ms}});
  });
  // Answers `data` back, `repeat` times concatenated.
  dispatcher.add(rpc::method::kDebugEcho, Execution::event_loop, [](CallContext&, const rpc::Params& p) {
    p.allow_only({"data", "repeat"});
    const std::string data = p.opt_bytes("data").value_or("");
    const auto repeat = p.int_or("repeat", 1, 0, 1 << 20);
    constexpr std::size_t kMaxAnswer = 64u << 20;
    if (data.size() * static_cast<std::size_t>(repeat) > kMaxAnswer) {
      throw RpcException(Errc::too_large, "debug.echo answers at most 64 MiB");
    }
    std::string out;
    out.reserve(data.size() * static_cast<std::size_t>(repeat));
    for (std::int64_t i = 0; i < repeat; ++i) out += data;
    return rpc::pack_value(std::map<std::string, std::string>{{"data", out}});
  });
  // Reads up to 1 MiB from a descriptor the client passed ({"fd": 0}).
  dispatcher.add(rpc::method::kDebugReadFd, Execution::worker, [](CallContext& call, const rpc::Params& p) {
    p.allow_only({"fd"});
    const int fd = call.take_fd(static_cast<std::size_t>(p.int_or("fd", 0, 0, 1000)));
    std::string data;
    char buf[65536];
    ssize_t n;
    while (data.size() < (1u << 20) && (n = ::read(fd, buf, sizeof buf)) > 0) {
      data.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return rpc::pack_value(std::map<std::string, std::string>{{"data", data}});
  });
}

}  // namespace coproc
