#include "raw_rpc_client.h"

#include <map>
#include <stdexcept>

#include "methods.h"
#include "sys_messages.h"

namespace coproc::test {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds left_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

}  // namespace

void RawRpcClient::send_request(rpc::MsgId msgid, const std::string& method,
                                const rpc::Packed& params) {
  send_bytes(rpc::encode_request(msgid, method, params));
}

std::optional<rpc::Message> RawRpcClient::receive(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    msgpack::object_handle oh;
    auto st = decoder_.next(oh);
    if (st == rpc::StreamDecoder::Status::message) return rpc::classify(std::move(oh));
    if (st == rpc::StreamDecoder::Status::error) {
      throw std::runtime_error("server sent undecodable bytes: " + decoder_.error().message);
    }
    const auto left = left_until(deadline);
    if (left.count() == 0) return std::nullopt;
    auto buf = decoder_.prepare();
    const long n = read_some(buf.data, buf.size, left);
    if (n == 0) return std::nullopt;
    if (n > 0) decoder_.commit(static_cast<std::size_t>(n));
  }
}

rpc::Response RawRpcClient::receive_response(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    auto m = receive(left_until(deadline));
    if (!m) throw std::runtime_error("no response (timeout or connection closed)");
    if (auto* r = std::get_if<rpc::Response>(&*m)) return std::move(*r);
  }
}

rpc::Response RawRpcClient::call(const std::string& method, const rpc::Packed& params,
                                 std::chrono::milliseconds timeout) {
  const rpc::MsgId id = next_id_++;
  send_request(id, method, params);
  auto r = receive_response(timeout);
  if (r.msgid != id) throw std::runtime_error("response for another msgid");
  return r;
}

bool RawRpcClient::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left = left_until(deadline);
    if (left.count() == 0) return false;
    if (read_some(buf, sizeof buf, left) == 0) return true;
  }
}

rpc::Packed hello_params(const std::string& client) {
  return rpc::pack_value(std::vector<rpc::HelloParams>{{rpc::kProtocolLevel, client}});
}

rpc::Packed string_params(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::map<std::string, std::string> m(kv.begin(), kv.end());
  std::vector<std::map<std::string, std::string>> arr{m};
  return rpc::pack_value(arr);
}

const msgpack::object* map_get(const msgpack::object& map, const std::string& key) {
  if (map.type != msgpack::type::MAP) return nullptr;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const auto& kv = map.via.map.ptr[i];
    if (kv.key.type == msgpack::type::STR &&
        std::string(kv.key.via.str.ptr, kv.key.via.str.size) == key) {
      return &kv.val;
    }
  }
  return nullptr;
}

}  // namespace coproc::test
