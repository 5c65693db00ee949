// libFuzzer target: the stream decoder, message classification, the
// named-parameter reader and the dispatcher with the sys.* and debug.echo
// handlers — everything the server does with untrusted bytes, minus the
// socket. Build and run: scripts/fuzz (clang, -fsanitize=fuzzer).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <asio/io_context.hpp>

#include "dispatcher.h"
#include "debug_methods.h"
#include "params.h"
#include "server_stats.h"
#include "sys_methods.h"
#include "worker_pool.h"
#include "rpc_error.h"
#include "rpc_message.h"
#include "stream_decoder.h"

namespace {

// The handlers of a real co-process that need no network; debug.sleep and
// debug.read_fd are left out (they block or need descriptors).
const coproc::Dispatcher& dispatcher() {
  static coproc::ServerStats stats;
  static asio::io_context io;
  static coproc::WorkerPool workers(io, 1, 1, 1);
  static coproc::Dispatcher d = [] {
    coproc::Dispatcher out;
    coproc::register_sys_methods(out, coproc::ServerIdentity{"fuzz", "0", 0}, stats, workers);
    coproc::register_debug_methods(out);
    return out;
  }();
  return d;
}

void dispatch(const coproc::rpc::Request& req) {
  using namespace coproc;
  if (req.method == "debug.sleep" || req.method == "debug.read_fd") return;
  const Method* m = dispatcher().find(req.method);
  if (!m) return;
  CallContext call;
  call.method = req.method;
  try {
    rpc::Params p(req.params);
    (void)m->handler(call, p);
  } catch (const RpcException&) {
  } catch (const msgpack::type_error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace coproc;
  rpc::DecodeLimits limits;
  limits.max_message_bytes = 64 * 1024;
  limits.max_str = limits.max_bin = 16 * 1024;
  limits.max_array = limits.max_map = 1024;
  rpc::StreamDecoder decoder(limits, 512);
  // The first byte picks the read size, so the fuzzer explores how reads
  // split messages.
  const std::size_t chunk = size > 0 ? 1 + data[0] % 64 : 1;
  std::size_t pos = size > 0 ? 1 : 0;
  while (pos < size) {
    auto buf = decoder.prepare();
    const std::size_t n = std::min({chunk, buf.size, size - pos});
    std::memcpy(buf.data, data + pos, n);
    decoder.commit(n);
    pos += n;
    for (;;) {
      msgpack::object_handle oh;
      const auto status = decoder.next(oh);
      if (status == rpc::StreamDecoder::Status::error) return 0;
      if (status == rpc::StreamDecoder::Status::need_more) break;
      rpc::Message m = rpc::classify(std::move(oh));
      if (auto* req = std::get_if<rpc::Request>(&m)) {
        try {
          rpc::Params p(req->params);
          (void)p.opt_str("method");
          (void)p.int_or("timeout_ms", 0, -1000, 1000);
          (void)p.str_list("to");
          (void)p.opt_bytes("body");
          (void)p.bool_or("verify_tls", true);
          p.allow_only({"to", "body"});
        } catch (const RpcException&) {
        }
        dispatch(*req);
        (void)rpc::encode_result(req->msgid, rpc::empty_params());
      }
    }
  }
  return 0;
}
