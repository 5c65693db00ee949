// How a blocking call waits for its answer (POSIX: poll() for POLLIN, then
// recv() without waiting), against a scripted peer on a Unix socket that
// answers sys.hello and then does what each test says with the call: answer
// late, in pieces, never, or while the caller is interrupted by signals.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include <msgpack.hpp>

#include "coproc/client.hpp"
#include "temp_dir.h"

namespace coproc::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Writer {
  std::string* out;
  void write(const char* d, std::size_t n) { out->append(d, n); }
};

/// `[1, msgid, nil, {key: value, ...}]`.
template <class... KeyValues>
std::string response_of(std::uint32_t msgid, const KeyValues&... key_values) {
  std::string out;
  Writer w{&out};
  msgpack::packer<Writer> pk(w);
  pk.pack_array(4);
  pk.pack(1);
  pk.pack(msgid);
  pk.pack_nil();
  pk.pack_map(sizeof...(KeyValues) / 2);
  (pk.pack(key_values), ...);
  return out;
}

std::string response(std::uint32_t msgid, const std::string& data) {
  return response_of(msgid, std::string("data"), data);
}

std::string hello_response(std::uint32_t msgid) {
  return response_of(msgid, std::string("protocol"), 1, std::string("server"),
                     std::string("scripted"));
}

void write_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the client went away
    sent += static_cast<std::size_t>(n);
  }
}

std::string data_of(const CallResult& r) {
  auto oh = msgpack::unpack(r.result.data(), r.result.size());
  const msgpack::object& map = oh.get();
  if (map.type != msgpack::type::MAP || map.via.map.size != 1) return "<not {data}>";
  return map.via.map.ptr[0].val.as<std::string>();
}

/// A peer for one client connection. It reads every request whole, answers
/// sys.hello itself and passes every other request to `script(fd, msgid,
/// method)` on its own thread (which may sleep, write in pieces, or write
/// nothing). Stops when the client closes the connection.
class ScriptedPeer {
 public:
  using Script = std::function<void(int fd, std::uint32_t msgid, const std::string& method)>;

  ScriptedPeer(const std::string& path, Script script) : script_(std::move(script)) {
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 8) != 0) {
      throw std::runtime_error("ScriptedPeer cannot listen on " + path);
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedPeer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
  }

 private:
  void serve() {
    const int c = ::accept(listen_fd_, nullptr, nullptr);
    if (c < 0) return;
    msgpack::unpacker unpacker;
    for (;;) {
      unpacker.reserve_buffer(4096);
      const ssize_t n = ::read(c, unpacker.buffer(), unpacker.buffer_capacity());
      if (n <= 0) break;  // the client closed the connection
      unpacker.buffer_consumed(static_cast<std::size_t>(n));
      msgpack::object_handle oh;
      while (unpacker.next(oh)) {
        const msgpack::object& m = oh.get();
        if (m.type != msgpack::type::ARRAY || m.via.array.size != 4) continue;
        const auto msgid = m.via.array.ptr[1].as<std::uint32_t>();
        const auto method = m.via.array.ptr[2].as<std::string>();
        if (method == "sys.hello") {
          write_all(c, hello_response(msgid));
        } else {
          script_(c, msgid, method);
        }
      }
    }
    ::close(c);
  }

  Script script_;
  int listen_fd_ = -1;
  std::thread thread_;
};

class ClientWaitTest : public ::testing::Test {
 protected:
  ClientOptions options() {
    ClientOptions o;
    o.endpoint = path();
    o.auto_launch = false;
    o.connect_timeout_ms = 10000;
    o.call_timeout_ms = 10000;
    return o;
  }
  std::string path() const { return dir_.file("coproc.sock"); }

  TempDir dir_;
};

/// Voluntary context switches of the calling thread so far.
long sleeps_of_this_thread() {
  rusage ru{};
  ::getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_nvcsw;
}

TEST_F(ClientWaitTest, CallerSleepsOncePerAnswerWhenThePeerReadsTheRequestLongBefore) {
  // The peer takes the request at once and answers 20 ms later. A caller
  // asleep in recv() would also be woken when the peer read its request
  // (the socket's send space came back) and fall asleep again: two sleeps
  // per call. Waiting in poll() for POLLIN it sleeps once.
  ScriptedPeer peer(path(), [](int fd, std::uint32_t msgid, const std::string&) {
    std::this_thread::sleep_for(milliseconds(20));
    write_all(fd, response(msgid, "late"));
  });
  Client client(options());
  ASSERT_EQ(client.connect(), COPROC_OK);
  constexpr int kCalls = 20;
  const long before = sleeps_of_this_thread();
  for (int i = 0; i < kCalls; ++i) {
    CallResult r = client.call("test.late", "");
    ASSERT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
    EXPECT_EQ(data_of(r), "late");
  }
  const long sleeps = sleeps_of_this_thread() - before;
  EXPECT_GE(sleeps, kCalls);
  EXPECT_LE(sleeps, kCalls + kCalls / 4) << "sleeps per call: " << double(sleeps) / kCalls;
}

TEST_F(ClientWaitTest, AnswerWrittenInPiecesWithPausesIsReadWhole) {
  const std::string data(200000, 'p');
  ScriptedPeer peer(path(), [&](int fd, std::uint32_t msgid, const std::string&) {
    const std::string bytes = response(msgid, data);
    // The first byte alone, then uneven pieces, with pauses between them.
    std::size_t at = 0;
    for (std::size_t piece :
         {std::size_t{1}, std::size_t{2}, std::size_t{4000}, std::size_t{70000}}) {
      write_all(fd, bytes.substr(at, piece));
      at += piece;
      std::this_thread::sleep_for(milliseconds(30));
    }
    write_all(fd, bytes.substr(at));
  });
  Client client(options());
  CallResult r = client.call("test.pieces", "");
  ASSERT_TRUE(r.ok()) << r.error_name << ": " << r.error_message;
  EXPECT_EQ(data_of(r), data);
}

TEST_F(ClientWaitTest, DeadlineHoldsWhenThePeerReadsTheRequestAndNeverAnswers) {
  ScriptedPeer peer(path(), [](int fd, std::uint32_t msgid, const std::string& method) {
    if (method == "test.ok") write_all(fd, response(msgid, "ok"));  // test.silent: nothing
  });
  Client client(options());
  ASSERT_EQ(client.connect(), COPROC_OK);
  CallOptions co;
  co.timeout_ms = 300;
  const auto start = Clock::now();
  CallResult r = client.call("test.silent", "", co);
  const auto waited = Clock::now() - start;
  EXPECT_EQ(r.status, COPROC_E_TIMEOUT);
  EXPECT_NE(r.error_message.find("no answer to test.silent within 300 ms"), std::string::npos)
      << r.error_message;
  EXPECT_GE(waited, milliseconds(300));
  EXPECT_LT(waited, milliseconds(3000));
  CallResult after = client.call("test.ok", "");
  ASSERT_TRUE(after.ok()) << after.error_name << ": " << after.error_message;
  EXPECT_EQ(data_of(after), "ok");
}

TEST_F(ClientWaitTest, SignalsToTheWaitingThreadNeitherEndNorStretchTheWait) {
  // A handler installed without SA_RESTART: each signal ends the caller's
  // poll() with EINTR, and the wait goes on to the answer, or to the
  // deadline and no further.
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sigemptyset(&sa.sa_mask);
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  ScriptedPeer peer(path(), [](int fd, std::uint32_t msgid, const std::string& method) {
    if (method == "test.late") {
      std::this_thread::sleep_for(milliseconds(300));
      write_all(fd, response(msgid, "after the signals"));
    }
  });
  Client client(options());
  ASSERT_EQ(client.connect(), COPROC_OK);
  const pthread_t caller = ::pthread_self();
  std::atomic<bool> stop{false};
  std::thread signaller([&] {
    while (!stop) {
      ::pthread_kill(caller, SIGUSR1);
      std::this_thread::sleep_for(milliseconds(5));
    }
  });
  CallResult late = client.call("test.late", "");
  CallOptions co;
  co.timeout_ms = 200;
  const auto start = Clock::now();
  CallResult silent = client.call("test.silent", "", co);
  const auto waited = Clock::now() - start;
  stop = true;
  signaller.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  ASSERT_TRUE(late.ok()) << late.error_name << ": " << late.error_message;
  EXPECT_EQ(data_of(late), "after the signals");
  EXPECT_EQ(silent.status, COPROC_E_TIMEOUT) << silent.error_message;
  EXPECT_GE(waited, milliseconds(200));
  EXPECT_LT(waited, milliseconds(3000));
}

TEST_F(ClientWaitTest, PeerClosingWhileTheCallWaitsEndsItAtOnceAsConnectionLost) {
  ScriptedPeer peer(path(), [](int fd, std::uint32_t, const std::string&) {
    std::this_thread::sleep_for(milliseconds(100));
    ::shutdown(fd, SHUT_RDWR);  // the co-process died with the call in hand
  });
  Client client(options());
  ASSERT_EQ(client.connect(), COPROC_OK);
  CallOptions co;
  co.timeout_ms = 20000;
  co.idempotent = 0;
  const auto start = Clock::now();
  CallResult r = client.call("test.dies", "", co);
  EXPECT_EQ(r.status, COPROC_E_CONNECTION_LOST) << r.error_message;
  EXPECT_LT(Clock::now() - start, milliseconds(10000));
}

}  // namespace
}  // namespace coproc::test
