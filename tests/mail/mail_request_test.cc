#include "mail_request.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mail_test_util.h"
#include "rpc_error.h"

namespace coproc::mail {
namespace {

using test::V;

class MailRequestParsing : public ::testing::Test {
 protected:
  // Parses `extra` merged over a valid minimal request.
  MailRequest parse(std::vector<std::pair<std::string, V>> extra, std::uint64_t max = 1 << 20) {
    std::vector<std::pair<std::string, V>> m = {{"from", V::text("a@example.org")},
                                                {"to", V::strings({"b@example.org"})}};
    for (auto& [k, v] : extra) {
      bool replaced = false;
      for (auto& [k2, v2] : m) {
        if (k2 == k) {
          v2 = v;
          replaced = true;
        }
      }
      if (!replaced) m.emplace_back(k, v);
    }
    packed_ = test::params_of(V::map(m));
    handle_ = msgpack::unpack(packed_.bytes.data(), packed_.bytes.size());
    rpc::Params params(handle_.get());
    return parse_mail_request(params, call_, max);
  }

  // The error a request gets: "name: message".
  std::string error(std::vector<std::pair<std::string, V>> extra, std::uint64_t max = 1 << 20) {
    try {
      parse(std::move(extra), max);
    } catch (const RpcException& e) {
      return e.error().name + ": " + e.error().message;
    }
    return "accepted";
  }

  CallContext call_;
  rpc::Packed packed_;
  msgpack::object_handle handle_;
};

TEST_F(MailRequestParsing, MinimalRequestIsAccepted) {
  MailRequest r = parse({});
  EXPECT_EQ(r.from.addr_spec, "a@example.org");
  ASSERT_EQ(r.to.size(), 1u);
  EXPECT_EQ(r.to[0].addr_spec, "b@example.org");
}

TEST_F(MailRequestParsing, CommaSeparatedRecipientsAreSplitRespectingQuotes) {
  MailRequest r = parse({{"to", V::text("x@example.org, \"Doe, Jane\" <jane@example.org>")},
                         {"cc", V::strings({"c1@example.org,c2@example.org"})}});
  ASSERT_EQ(r.to.size(), 2u);
  EXPECT_EQ(r.to[1].display_name, "Doe, Jane");
  EXPECT_EQ(r.to[1].addr_spec, "jane@example.org");
  EXPECT_EQ(r.cc.size(), 2u);
}

TEST_F(MailRequestParsing, MissingRecipientsIsBadRequest) {
  EXPECT_EQ(error({{"to", V::list({})}}),
            "bad_request: no recipients: give at least one address in 'to', 'cc' or 'bcc'");
}

TEST_F(MailRequestParsing, MissingFromIsBadRequest) {
  call_.fds.clear();
  packed_ = test::params_of(V::map({{"to", V::text("b@example.org")}}));
  handle_ = msgpack::unpack(packed_.bytes.data(), packed_.bytes.size());
  rpc::Params params(handle_.get());
  try {
    parse_mail_request(params, call_, 1000);
    FAIL() << "accepted";
  } catch (const RpcException& e) {
    EXPECT_EQ(e.error().name, "bad_request");
    EXPECT_NE(e.error().message.find("from"), std::string::npos);
  }
}

TEST_F(MailRequestParsing, InvalidAddressesAreBadRequestNamingTheField) {
  for (const char* bad : {"no-at-sign", "a@", "@b.org", "a b@c.org", "a@b..org", "a@-b.org",
                          "Name <a@b.org", "Jürgen@example.org", "a@exa_mple.org"}) {
    std::string e = error({{"cc", V::text(bad)}});
    EXPECT_EQ(e.rfind("bad_request: 'cc': ", 0), 0u) << bad << " -> " << e;
  }
}

TEST_F(MailRequestParsing, LineBreaksInHeaderValuesAreRefused) {
  EXPECT_EQ(error({{"subject", V::text("hi\r\nBcc: victim@example.org")}}),
            "bad_request: 'subject' contains a CR, LF or NUL; header values are one line");
  EXPECT_EQ(error({{"subject", V::text("hi\nthere")}}).substr(0, 24), "bad_request: 'subject' c");
  EXPECT_EQ(error({{"headers", V::map({{"X-A", V::text("v\rBcc: x@y.org")}})}}),
            "bad_request: header 'X-A' contains a CR, LF or NUL; header values are one line");
  EXPECT_EQ(error({{"to", V::text("b@example.org\r\nRCPT TO:<x@y.org>")}}).substr(0, 18),
            "bad_request: 'to':");
  EXPECT_EQ(error({{"from", V::text("Evil\n <a@example.org>")}}).substr(0, 20),
            "bad_request: 'from':");
}

TEST_F(MailRequestParsing, HeadersThatMailSendSetsCannotBeOverridden) {
  EXPECT_EQ(error({{"headers", V::map({{"Bcc", V::text("x@example.org")}})}}),
            "bad_request: header 'Bcc' is set by mail.send itself; use the named parameter");
  EXPECT_EQ(error({{"headers", V::map({{"Bad Name", V::text("x")}})}}).substr(0, 30),
            "bad_request: header name 'Bad ");
}

TEST_F(MailRequestParsing, InvalidUtf8IsBadRequest) {
  EXPECT_EQ(error({{"subject", V::text("\xc3\x28")}}), "bad_request: 'subject' is not valid UTF-8");
  EXPECT_EQ(error({{"text", V::text("ok \xed\xa0\x80")}}), "bad_request: 'text' is not valid UTF-8");
}

TEST_F(MailRequestParsing, UnknownParameterIsBadRequest) {
  EXPECT_EQ(error({{"too", V::text("x@example.org")}}).substr(0, 12), "bad_request:");
}

TEST_F(MailRequestParsing, AttachmentPathIsNeverAccepted) {
  std::string e = error({{"attachments",
                          V::list({V::map({{"filename", V::text("passwd")},
                                           {"path", V::text("/etc/shadow")}})})}});
  EXPECT_EQ(e.rfind("bad_request: 'attachments[0]': a path is never accepted", 0), 0u) << e;
}

TEST_F(MailRequestParsing, AttachmentNeedsExactlyOneSource) {
  EXPECT_EQ(error({{"attachments", V::list({V::map({{"filename", V::text("a.txt")}})})}}),
            "bad_request: 'attachments[0]' needs exactly one of 'data' (bytes), 'data_base64' or "
            "'fd'");
  EXPECT_EQ(error({{"attachments", V::list({V::map({{"filename", V::text("../x")},
                                                    {"data", V::bytes("x")}})})}}),
            "bad_request: 'attachments[0].filename' must be a name, not a path");
}

TEST_F(MailRequestParsing, AttachmentBytesBase64AndGuessedTypes) {
  MailRequest r = parse({{"attachments",
                          V::list({V::map({{"filename", V::text("a.pdf")},
                                           {"data", V::bytes(std::string("\0\1\2", 3))}}),
                                   V::map({{"filename", V::text("b.bin")},
                                           {"content_type", V::text("image/png")},
                                           {"data_base64", V::text("aGVsbG8=")}})})}});
  ASSERT_EQ(r.attachments.size(), 2u);
  EXPECT_EQ(r.attachments[0].content_type, "application/pdf");
  EXPECT_EQ(r.attachments[0].data, std::string("\0\1\2", 3));
  EXPECT_EQ(r.attachments[1].content_type, "image/png");
  EXPECT_EQ(r.attachments[1].data, "hello");
}

TEST_F(MailRequestParsing, OversizedAttachmentIsTooLarge) {
  std::string e = error({{"attachments", V::list({V::map({{"filename", V::text("big.bin")},
                                                          {"data", V::bytes(std::string(5000, 'x'))}})})}},
                        4096);
  EXPECT_EQ(e, "too_large: attachment 'big.bin' makes the message larger than "
               "mail.max_message_bytes (4096 bytes)");
}

TEST_F(MailRequestParsing, PassedDescriptorIsReadAndClosed) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  ASSERT_EQ(::write(p[1], "from a descriptor", 17), 17);
  ::close(p[1]);
  call_.fds = {p[0]};
  MailRequest r = parse({{"attachments", V::list({V::map({{"filename", V::text("d.txt")},
                                                          {"fd", V::num(0)}})})}});
  ASSERT_EQ(r.attachments.size(), 1u);
  EXPECT_EQ(r.attachments[0].data, "from a descriptor");
  EXPECT_EQ(::fcntl(p[0], F_GETFD), -1) << "the descriptor was not closed";
}

TEST_F(MailRequestParsing, DescriptorIndexWithoutDescriptorIsBadRequest) {
  std::string e = error({{"attachments", V::list({V::map({{"filename", V::text("d.txt")},
                                                          {"fd", V::num(1)}})})}});
  EXPECT_EQ(e.rfind("bad_request: the request refers to passed file descriptor 1", 0), 0u) << e;
}

}  // namespace
}  // namespace coproc::mail
