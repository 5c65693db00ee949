// The methods the real co-process and the real service announce in sys.hello
// are exactly those of the frozen protocol catalogue (protocol/catalogue/).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "catalogue.h"
#include "coprocess_fixture.h"
#include "methods.h"
#include "sys_messages.h"

namespace coproc::test {
namespace {

class CatalogueHelloTest : public CoprocessFixture {};

TEST_F(CatalogueHelloTest, CoprocessAnnouncesExactlyTheCataloguedMethods) {
  start_coprocess();
  const rpc::Response r = connect()->call(std::string(rpc::method::kHello), hello_params());
  ASSERT_FALSE(r.error.has_value()) << r.error->message;
  const auto hello = r.result.as<rpc::HelloResult>();
  EXPECT_EQ(hello.protocol, rpc::kProtocolLevel);
  const std::set<std::string> announced(hello.methods.begin(), hello.methods.end());
  const Catalogue c = load_catalogue(catalogue_path(rpc::kProtocolLevel));
  EXPECT_EQ(announced, catalogued_methods(c, "coprocess"));
}

}  // namespace
}  // namespace coproc::test
