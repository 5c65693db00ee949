// A real co-process and a C ABI handle on its socket: the fixture of the
// tests that drive libcoproc through coproc.h. Header-only, so that only
// the test programs linked with the C API include it.
#pragma once

#include <string>
#include <vector>

#include "coproc/coproc.h"
#include "coprocess_fixture.h"

namespace coproc::test {

/// A new C ABI client on `socket_path` with auto-launch off (the tests start
/// the co-process themselves); the caller closes it. Failures fail the test.
inline coproc_client* new_c_client(const std::string& socket_path) {
  coproc_client* c = nullptr;
  EXPECT_EQ(coproc_client_new(&c), COPROC_OK);
  EXPECT_EQ(coproc_client_set_str(c, COPROC_OPT_ENDPOINT, socket_path.c_str()), COPROC_OK);
  EXPECT_EQ(coproc_client_set_int(c, COPROC_OPT_AUTO_LAUNCH, 0), COPROC_OK);
  return c;
}

class CClientFixture : public CoprocessFixture {
 protected:
  /// Starts coprocess with `extra_args` and opens client_ on its socket.
  void start_with_client(const std::vector<std::string>& extra_args) {
    start_coprocess(extra_args);
    client_ = new_c_client(socket_path());
  }
  void TearDown() override {
    coproc_client_close(client_);
    client_ = nullptr;
    CoprocessFixture::TearDown();
  }

  coproc_client* client_ = nullptr;
};

}  // namespace coproc::test
