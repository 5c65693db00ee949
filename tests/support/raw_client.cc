#include "raw_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "methods.h"
#include "sys_messages.h"

namespace coproc::test {

RawClient::RawClient(const std::string& socket_path) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect " + socket_path + ": " + std::strerror(err));
  }
}

RawClient::~RawClient() {
  if (fd_ >= 0) ::close(fd_);
}

void RawClient::send_bytes(const std::string& bytes, const std::vector<int>& fds) {
  std::size_t sent = 0;
  bool first = true;
  while (sent < bytes.size() || (first && bytes.empty())) {
    iovec iov{const_cast<char*>(bytes.data() + sent), bytes.size() - sent};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    std::vector<char> control;
    if (first && !fds.empty()) {
      control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
    first = false;
    if (bytes.empty()) break;
  }
}

void RawClient::send_request(rpc::MsgId msgid, const std::string& method,
                             const rpc::Packed& params) {
  send_bytes(rpc::encode_request(msgid, method, params));
}

std::optional<rpc::Message> RawClient::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    msgpack::object_handle oh;
    auto st = decoder_.next(oh);
    if (st == rpc::StreamDecoder::Status::message) return rpc::classify(std::move(oh));
    if (st == rpc::StreamDecoder::Status::error) {
      throw std::runtime_error("server sent undecodable bytes: " + decoder_.error().message);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    auto buf = decoder_.prepare();
    ssize_t n = ::recv(fd_, buf.data, buf.size, 0);
    if (n <= 0) return std::nullopt;
    decoder_.commit(static_cast<std::size_t>(n));
  }
}

rpc::Response RawClient::receive_response(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto m = receive(left);
    if (!m) throw std::runtime_error("no response (timeout or connection closed)");
    if (auto* r = std::get_if<rpc::Response>(&*m)) return std::move(*r);
  }
}

rpc::Response RawClient::call(const std::string& method, const rpc::Packed& params,
                              std::chrono::milliseconds timeout) {
  const rpc::MsgId id = next_id_++;
  send_request(id, method, params);
  auto r = receive_response(timeout);
  if (r.msgid != id) throw std::runtime_error("response for another msgid");
  return r;
}

bool RawClient::closed_by_peer(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
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
