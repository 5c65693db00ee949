#include "params.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "rpc_error.h"
#include "rpc_message.h"

namespace coproc::rpc {
namespace {

class ParamsTest : public ::testing::Test {
 protected:
  template <class T>
  Params parse(const T& value) {
    packed_ = pack_value(value).bytes;
    handle_ = msgpack::unpack(packed_.data(), packed_.size());
    return Params(handle_.get());
  }
  // Runs `f` and returns the bad_request message it throws.
  template <class F>
  std::string error_of(F&& f) {
    try {
      f();
    } catch (const RpcException& e) {
      EXPECT_EQ(e.error().name, "bad_request");
      return e.error().message;
    }
    ADD_FAILURE() << "no error thrown";
    return "";
  }
  std::string packed_;
  msgpack::object_handle handle_;
};

TEST_F(ParamsTest, ReadsNamedArguments) {
  std::vector<std::map<std::string, std::string>> v{{{"to", "a@b.c"}, {"subject", "hi"}}};
  Params p = parse(v);
  EXPECT_EQ(p.str("subject"), "hi");
  EXPECT_EQ(p.str_list("to"), std::vector<std::string>{"a@b.c"});
  EXPECT_EQ(p.str_or("missing", "dflt"), "dflt");
  EXPECT_EQ(p.int_or("missing", 5, 0, 10), 5);
}

TEST_F(ParamsTest, EmptyArrayMeansNoArguments) {
  Params p = parse(std::vector<int>{});
  EXPECT_FALSE(p.has("x"));
}

TEST_F(ParamsTest, WrongShapesAndTypesGiveMessagesNamingTheParameter) {
  EXPECT_NE(error_of([&] { parse(std::vector<int>{1, 2}); }).find("one map"), std::string::npos);
  std::vector<std::map<std::string, int>> v{{{"timeout_ms", -5}, {"subject", 3}}};
  Params p = parse(v);
  EXPECT_NE(error_of([&] { p.str("subject"); }).find("'subject' must be a string, got integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] { p.int_or("timeout_ms", 0, 0, 1000); }).find("between 0 and 1000"),
            std::string::npos);
  EXPECT_NE(error_of([&] { p.str("absent"); }).find("'absent' is required"), std::string::npos);
  EXPECT_NE(error_of([&] { p.allow_only({"subject"}); }).find("unknown parameter 'timeout_ms'"),
            std::string::npos);
}

}  // namespace
}  // namespace coproc::rpc
