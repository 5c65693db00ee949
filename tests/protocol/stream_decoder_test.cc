#include "stream_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace coproc::rpc {
namespace {

class StreamDecoderTest : public ::testing::Test {
 protected:
  // Feeds `bytes` in chunks of `chunk` and collects decoded messages until
  // an error or the end of input.
  StreamDecoder::Status feed(StreamDecoder& d, const std::string& bytes, std::size_t chunk,
                             std::vector<Message>* out) {
    std::size_t pos = 0;
    StreamDecoder::Status last = StreamDecoder::Status::need_more;
    while (pos < bytes.size()) {
      auto buf = d.prepare();
      const std::size_t n = std::min({chunk, buf.size, bytes.size() - pos});
      std::memcpy(buf.data, bytes.data() + pos, n);
      d.commit(n);
      pos += n;
      for (;;) {
        msgpack::object_handle oh;
        last = d.next(oh);
        if (last == StreamDecoder::Status::message) {
          out->push_back(classify(std::move(oh)));
          continue;
        }
        if (last == StreamDecoder::Status::error) return last;
        break;
      }
    }
    return last;
  }

  DecodeLimits limits_;
};

std::string request(MsgId id, const std::string& method) {
  return encode_request(id, method, empty_params());
}

TEST_F(StreamDecoderTest, DecodesPipelinedRequestsSplitAtEveryByte) {
  const std::string stream = request(1, "sys.ping") + request(2, "sys.status") + request(3, "x");
  for (std::size_t chunk = 1; chunk <= stream.size(); ++chunk) {
    StreamDecoder d(limits_, 64);
    std::vector<Message> got;
    feed(d, stream, chunk, &got);
    ASSERT_EQ(got.size(), 3u) << "chunk " << chunk;
    EXPECT_EQ(std::get<Request>(got[0]).msgid, 1u);
    EXPECT_EQ(std::get<Request>(got[1]).method, "sys.status");
    EXPECT_EQ(std::get<Request>(got[2]).msgid, 3u);
  }
}

TEST_F(StreamDecoderTest, TruncatedFrameWaitsForMoreAndYieldsNothing) {
  const std::string r = request(7, "sys.ping");
  StreamDecoder d(limits_);
  std::vector<Message> got;
  EXPECT_EQ(feed(d, r.substr(0, r.size() - 1), 1000, &got), StreamDecoder::Status::need_more);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(d.buffered(), 0u);  // consumed into the parser state, nothing decoded
}

TEST_F(StreamDecoderTest, GarbageBytesAreAnErrorNamingMalformedInput) {
  StreamDecoder d(limits_);
  std::vector<Message> got;
  EXPECT_EQ(feed(d, std::string("\xc1\xc1\xc1", 3), 100, &got), StreamDecoder::Status::error);
  EXPECT_EQ(d.error().name, "bad_request");
  EXPECT_NE(d.error().message.find("malformed"), std::string::npos);
  EXPECT_FALSE(d.error_msgid());
  msgpack::object_handle oh;
  EXPECT_EQ(d.next(oh), StreamDecoder::Status::error) << "a failed decoder stays failed";
}

TEST_F(StreamDecoderTest, FourGiBStringAndBinHeadersAreRefusedAtTheHeader) {
  // msgpack-c checks str/bin sizes only once the payload is buffered; the
  // decoder refuses them as soon as the five header bytes arrive.
  for (const char* header : {"\xdb\xff\xff\xff\xff", "\xc6\xff\xff\xff\xff"}) {
    const std::string bytes = std::string("\x94\x00\x09\xa1m\x91", 6) + std::string(header, 5);
    StreamDecoder d(limits_, 1024);
    std::vector<Message> got;
    ASSERT_EQ(feed(d, bytes, 1024, &got), StreamDecoder::Status::error);
    EXPECT_EQ(d.error().name, "too_large");
    EXPECT_NE(d.error().message.find("longer than 16777216 bytes (declares 4294967295)"),
              std::string::npos)
        << d.error().message;
    EXPECT_EQ(d.error_msgid().value_or(0), 9u);
  }
}

TEST_F(StreamDecoderTest, StringDeclaredPastTheMessageLimitIsRefusedBeforeItsBytesArrive) {
  limits_.max_message_bytes = 4096;
  const std::string bytes = std::string("\x94\x00\x0b\xa1m\x91\xda\x20\x00", 9);  // str16 8192
  StreamDecoder d(limits_, 1024);
  std::vector<Message> got;
  ASSERT_EQ(feed(d, bytes, 1, &got), StreamDecoder::Status::error);
  EXPECT_EQ(d.error().name, "too_large");
  EXPECT_NE(d.error().message.find("larger than 4096 bytes"), std::string::npos)
      << d.error().message;
  EXPECT_EQ(d.error_msgid().value_or(0), 11u);
}

TEST_F(StreamDecoderTest, SeventeenMiBStringHeaderFailsAfterItsHeaderOnly) {
  // The attack of issue 13: declare 17 MiB, then trickle. The error is there
  // before a single payload byte, so nothing is held while waiting.
  std::string bytes = request(3, "sys.ping");
  bytes += std::string("\x94\x00\x04\xa1m\x91\xdb\x01\x10\x00\x00", 11);
  StreamDecoder d(limits_, 64);
  std::vector<Message> got;
  ASSERT_EQ(feed(d, bytes, 1, &got), StreamDecoder::Status::error);
  ASSERT_EQ(got.size(), 1u) << "the request before it is still decoded";
  EXPECT_EQ(std::get<Request>(got[0]).msgid, 3u);
  EXPECT_EQ(d.error().name, "too_large");
  EXPECT_EQ(d.error_msgid().value_or(0), 4u);
  EXPECT_LT(d.held_bytes(), 4096u);
}

TEST_F(StreamDecoderTest, ArrayDeclaringMoreElementsThanTheMessageMayHoldIsRefused) {
  limits_.max_message_bytes = 1000;
  const std::string bytes = std::string("\x94\x00\x06\xa1m\xdc\x07\xd0", 8);  // 2000 elements
  StreamDecoder d(limits_);
  std::vector<Message> got;
  ASSERT_EQ(feed(d, bytes, 100, &got), StreamDecoder::Status::error);
  EXPECT_EQ(d.error().name, "too_large");
  EXPECT_NE(d.error().message.find("declares 2000 entries"), std::string::npos)
      << d.error().message;
  EXPECT_EQ(d.error_msgid().value_or(0), 6u);
}

TEST_F(StreamDecoderTest, HeldBytesCountTheElementsDeclaredContainersReserve) {
  StreamDecoder d(limits_, 64);
  const std::size_t idle = d.held_bytes();
  // Ten nested arrays of 60000 elements each, the first element of each
  // being the next array: 30 bytes that make msgpack-c reserve ~14 MB.
  std::string bytes("\x94\x00\x01\xa1m", 5);
  for (int i = 0; i < 10; ++i) bytes += std::string("\xdc\xea\x60", 3);
  std::vector<Message> got;
  ASSERT_EQ(feed(d, bytes, 1000, &got), StreamDecoder::Status::need_more);
  EXPECT_GE(d.held_bytes(), idle + 10u * 60000u * sizeof(msgpack::object));
}

TEST_F(StreamDecoderTest, NeverUsedByteIsMalformedAfterTheMessagesBeforeIt) {
  const std::string bytes = request(8, "sys.ping") + std::string("\x94\x00\x09\xc1", 4);
  StreamDecoder d(limits_);
  std::vector<Message> got;
  ASSERT_EQ(feed(d, bytes, 1000, &got), StreamDecoder::Status::error);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(d.error().name, "bad_request");
  EXPECT_EQ(d.error_msgid().value_or(0), 9u);
}

TEST_F(StreamDecoderTest, FourGiBArrayAndMapHeadersAreRejectedAtTheHeader) {
  const std::vector<std::string> headers = {
      std::string("\xdd\xff\xff\xff\xff", 5),  // array32
      std::string("\xdf\xff\xff\xff\xff", 5),  // map32
  };
  for (const auto& h : headers) {
    StreamDecoder d(limits_);
    std::vector<Message> got;
    std::string bytes = std::string("\x94\x00\x05\xa1m\x91", 6) + h;
    ASSERT_EQ(feed(d, bytes, 4096, &got), StreamDecoder::Status::error);
    EXPECT_EQ(d.error().name, "too_large") << d.error().message;
    EXPECT_EQ(d.error_msgid().value_or(0), 5u);
  }
}

TEST_F(StreamDecoderTest, MessageOverTheByteLimitIsRejectedWithItsMsgid) {
  limits_.max_message_bytes = 1024;
  std::vector<std::map<std::string, std::string>> params{{{"data", std::string(5000, 'x')}}};
  const std::string big = encode_request(42, "debug.echo", pack_value(params));
  StreamDecoder d(limits_, 256);
  std::vector<Message> got;
  ASSERT_EQ(feed(d, big, 256, &got), StreamDecoder::Status::error);
  EXPECT_EQ(d.error().name, "too_large");
  EXPECT_NE(d.error().message.find("1024"), std::string::npos);
  EXPECT_EQ(d.error_msgid().value_or(0), 42u);
}

TEST_F(StreamDecoderTest, HundredThousandDeepNestingIsRejected) {
  std::string bytes("\x94\x00\x01\xa1m", 5);
  bytes += std::string(100000, '\x91');  // [[[[...
  bytes += '\xc0';
  StreamDecoder d(limits_);
  std::vector<Message> got;
  ASSERT_EQ(feed(d, bytes, 65536, &got), StreamDecoder::Status::error);
  EXPECT_EQ(d.error().name, "too_large");
  EXPECT_NE(d.error().message.find("deeper"), std::string::npos);
}

TEST_F(StreamDecoderTest, ReadBufferNeverExceedsTheMessageLimit) {
  limits_.max_message_bytes = 100;
  StreamDecoder d(limits_, 4096);
  EXPECT_LE(d.prepare().size, 101u);
}

TEST(PeekRequestMsgid, ReadsEveryIntegerEncodingAndRejectsOthers) {
  EXPECT_EQ(peek_request_msgid("\x94\x00\x05", 3).value_or(99), 5u);
  EXPECT_EQ(peek_request_msgid("\x94\x00\xcd\x01\x00", 5).value_or(0), 256u);
  EXPECT_EQ(peek_request_msgid("\xdc\x00\x04\x00\xce\x00\x01\x00\x00", 9).value_or(0), 65536u);
  EXPECT_FALSE(peek_request_msgid("\x94\x01\x05", 3)) << "responses carry no request msgid";
  EXPECT_EQ(peek_request_msgid("\x93\x00\x05", 3).value_or(0), 5u) << "wrong length, msgid readable";
  EXPECT_EQ(peek_request_msgid("\x95\x00\x06", 3).value_or(0), 6u);
  EXPECT_FALSE(peek_request_msgid("\x91\x00", 2)) << "no msgid element";
  EXPECT_FALSE(peek_request_msgid("\x94\x00\xd0\xff", 4)) << "negative msgid";
  EXPECT_FALSE(peek_request_msgid("\x94\x00", 2)) << "too short";
}

}  // namespace
}  // namespace coproc::rpc
