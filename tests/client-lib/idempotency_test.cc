#include "idempotency.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "rpc_message.h"

namespace coproc {
namespace {

std::map<std::string, std::string> args_of(const std::string& packed) {
  auto oh = msgpack::unpack(packed.data(), packed.size());
  return oh.get().via.array.ptr[0].as<std::map<std::string, std::string>>();
}

TEST(Idempotency, KeyIsAddedWhenTheCallerGaveNone) {
  std::vector<std::map<std::string, std::string>> p{{{"from", "a@b.c"}, {"to", "d@e.f"}}};
  const auto args = args_of(with_idempotency_key(rpc::pack_value(p).bytes));
  EXPECT_EQ(args.at("from"), "a@b.c");
  EXPECT_EQ(args.at("to"), "d@e.f");
  EXPECT_EQ(args.at("idempotency_key").size(), 32u);
}

TEST(Idempotency, CallersKeyIsKeptAndEmptyParamsGetOne) {
  std::vector<std::map<std::string, std::string>> p{{{"idempotency_key", "mine"}}};
  EXPECT_EQ(args_of(with_idempotency_key(rpc::pack_value(p).bytes)).at("idempotency_key"), "mine");
  EXPECT_EQ(args_of(with_idempotency_key(std::string("\x90", 1))).size(), 1u);
}

TEST(Idempotency, OtherShapesAreLeftForTheServerToRefuse) {
  const std::string two = rpc::pack_value(std::vector<int>{1, 2}).bytes;
  EXPECT_EQ(with_idempotency_key(two), two);
  const std::string garbage("\xc1\xc1", 2);
  EXPECT_EQ(with_idempotency_key(garbage), garbage);
}

TEST(Idempotency, KeysDiffer) { EXPECT_NE(new_idempotency_key(), new_idempotency_key()); }

}  // namespace
}  // namespace coproc
