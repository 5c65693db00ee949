#include "rpc_message.h"

#include <gtest/gtest.h>

#include <string>

namespace coproc::rpc {
namespace {

Message classify_bytes(const std::string& bytes) {
  return classify(msgpack::unpack(bytes.data(), bytes.size()));
}

template <class T>
std::string pack(const T& v) {
  return pack_value(v).bytes;
}

TEST(RpcMessage, RequestRoundTrips) {
  auto m = classify_bytes(encode_request(17, "mail.send", empty_params()));
  auto& r = std::get<Request>(m);
  EXPECT_EQ(r.msgid, 17u);
  EXPECT_EQ(r.method, "mail.send");
  EXPECT_EQ(r.params.type, msgpack::type::ARRAY);
}

TEST(RpcMessage, ResultAndErrorResponsesRoundTrip) {
  auto ok = std::get<Response>(classify_bytes(encode_result(3, pack_value(42))));
  EXPECT_EQ(ok.msgid, 3u);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.result.as<int>(), 42);
  auto err = std::get<Response>(
      classify_bytes(encode_error(4, RpcError(Errc::too_large, "too big"))));
  ASSERT_TRUE(err.error);
  EXPECT_EQ(err.error->code, 6);
  EXPECT_EQ(err.error->name, "too_large");
  EXPECT_EQ(err.error->message, "too big");
}

TEST(RpcMessage, NotificationIsRecognised) {
  auto n = std::get<Notification>(classify_bytes(encode_notification("log", empty_params())));
  EXPECT_EQ(n.method, "log");
}

struct BadShape {
  const char* what;
  std::string bytes;
  bool has_msgid;
};

TEST(RpcMessage, EveryMalformedShapeIsInvalidWithAClearMessage) {
  const std::vector<BadShape> shapes = {
      {"not an array", pack(std::string("hello")), false},
      {"too short", pack(std::vector<int>{0}), false},
      {"request with 2 elements", pack(std::vector<int>{0, 1}), true},
      {"request with 5 elements", pack(std::make_tuple(0, 1, "m", std::vector<int>{}, 5)), true},
      {"response with 5 elements", pack(std::make_tuple(1, 1, 2, 3, 4)), false},
      {"wrong message type", pack(std::make_tuple(7, 1, "m", std::vector<int>{})), true},
      {"msgid not an integer", pack(std::make_tuple(0, "one", "m", std::vector<int>{})), false},
      {"negative msgid", pack(std::make_tuple(0, -1, "m", std::vector<int>{})), false},
      {"msgid over 32 bits", pack(std::make_tuple(0, 1ULL << 40, "m", std::vector<int>{})), false},
      {"method not a string", pack(std::make_tuple(0, 1, 5, std::vector<int>{})), true},
      {"params not an array", pack(std::make_tuple(0, 1, "m", 5)), true},
      {"request with 3 elements", pack(std::make_tuple(0, 1, "m")), true},
  };
  for (const auto& s : shapes) {
    auto m = classify_bytes(s.bytes);
    auto* inv = std::get_if<Invalid>(&m);
    ASSERT_NE(inv, nullptr) << s.what;
    EXPECT_EQ(inv->error.name, "bad_request") << s.what;
    EXPECT_FALSE(inv->error.message.empty()) << s.what;
    EXPECT_EQ(inv->msgid.has_value(), s.has_msgid) << s.what;
  }
}

TEST(RpcMessage, MalformedNotificationIsInvalidAndMarkedAsANotification) {
  for (const std::string& bytes :
       {pack(std::make_tuple(2, "mail.send", "x")), pack(std::make_tuple(2, 5, std::vector<int>{})),
        pack(std::make_tuple(2, "m")), pack(std::make_tuple(2, "m", std::vector<int>{}, 4))}) {
    auto m = classify_bytes(bytes);
    auto* inv = std::get_if<Invalid>(&m);
    ASSERT_NE(inv, nullptr);
    EXPECT_TRUE(inv->notification);
    EXPECT_FALSE(inv->msgid);
  }
}

TEST(RpcMessage, ErrorFromAnotherServerAsPlainStringIsKept) {
  auto r = std::get<Response>(classify_bytes(pack(std::make_tuple(1, 9, "boom", msgpack::type::nil_t()))));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->message, "boom");
}

}  // namespace
}  // namespace coproc::rpc
