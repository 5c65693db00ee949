// The static mingw Poco + OpenSSL of scripts/build-windows-deps: they link
// into a Windows program and work under wine, and the OpenSSL build names no
// folder that an unprivileged user could create.
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/SHA1Engine.h>
#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <string>

namespace coproc::test {
namespace {

class WindowsDepsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Poco::Net::initializeNetwork();
    Poco::Net::initializeSSL();
  }
  static void TearDownTestSuite() {
    Poco::Net::uninitializeSSL();
    Poco::Net::uninitializeNetwork();
  }
};

TEST_F(WindowsDepsTest, OpenSslLooksForItsFilesUnderProgramFilesOnly) {
  const std::string dir = OpenSSL_version(OPENSSL_DIR);
  EXPECT_NE(dir.find("C:/Program Files/coproc/ssl"), std::string::npos) << dir;
  const std::string modules = OpenSSL_version(OPENSSL_MODULES_DIR);
  EXPECT_NE(modules.find("C:/Program Files/coproc/ssl"), std::string::npos) << modules;
}

TEST_F(WindowsDepsTest, TlsClientContextBuildsWithStrictVerification) {
  Poco::Net::Context::Params params;
  params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
  params.loadDefaultCAs = false;
  Poco::Net::Context::Ptr context =
      new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  EXPECT_NE(context->sslContext(), nullptr);
}

TEST_F(WindowsDepsTest, NetworkIsInitializedForStaticPoco) {
  // Fails with "Net subsystem not initialized" without initializeNetwork().
  Poco::Net::SocketAddress address("127.0.0.1", 9);
  Poco::Net::StreamSocket socket;
  EXPECT_EQ(address.port(), 9);
}

TEST_F(WindowsDepsTest, FoundationJsonAndCryptoWork) {
  Poco::JSON::Parser parser;
  auto object = parser.parse(R"({"a": [1, 2, 3]})").extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(object->getArray("a")->size(), 3u);
  Poco::SHA1Engine sha1;
  sha1.update("abc");
  EXPECT_EQ(Poco::DigestEngine::digestToHex(sha1.digest()),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace coproc::test
