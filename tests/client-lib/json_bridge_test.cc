// The JSON bridge without a co-process: JSON -> msgpack -> JSON round trips,
// the $base64 convention, limits and clear errors for bad input.
#include <gtest/gtest.h>

#include <msgpack.hpp>
#include <string>

#include "coproc/client.hpp"
#include "json_bridge.h"

namespace coproc {
namespace {

std::string round_trip(const std::string& json) {
  std::string packed, error, back;
  EXPECT_TRUE(json_to_msgpack(json, &packed, &error)) << error;
  EXPECT_TRUE(msgpack_to_json(packed, &back, &error)) << error;
  return back;
}

msgpack::object_handle unpack(const std::string& packed) {
  return msgpack::unpack(packed.data(), packed.size());
}

std::string json_error(const std::string& json) {
  std::string packed, error;
  EXPECT_FALSE(json_to_msgpack(json, &packed, &error)) << json;
  return error;
}

TEST(JsonBridge, ScalarsArraysAndObjectsRoundTripUnchanged) {
  EXPECT_EQ(round_trip("null"), "null");
  EXPECT_EQ(round_trip("true"), "true");
  EXPECT_EQ(round_trip("false"), "false");
  EXPECT_EQ(round_trip("0"), "0");
  EXPECT_EQ(round_trip("-17"), "-17");
  EXPECT_EQ(round_trip("1.5"), "1.5");
  EXPECT_EQ(round_trip("\"hello\""), "\"hello\"");
  EXPECT_EQ(round_trip("[1,[2,[]],{}]"), "[1,[2,[]],{}]");
  EXPECT_EQ(round_trip("{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}"),
            "{\"a\":1,\"b\":[true,null],\"c\":{\"d\":\"e\"}}");
}

TEST(JsonBridge, WhitespaceIsIgnoredAndOutputIsCompact) {
  EXPECT_EQ(round_trip(" \n\t{ \"a\" : [ 1 , 2 ] }\r\n "), "{\"a\":[1,2]}");
}

TEST(JsonBridge, IntegersBecomeMsgpackIntegersAndFloatsStayFloats) {
  std::string packed, error;
  ASSERT_TRUE(json_to_msgpack("[42, -42, 2.0, 1e3]", &packed, &error));
  auto oh = unpack(packed);
  const auto& a = oh.get().via.array;
  EXPECT_EQ(a.ptr[0].type, msgpack::type::POSITIVE_INTEGER);
  EXPECT_EQ(a.ptr[1].type, msgpack::type::NEGATIVE_INTEGER);
  EXPECT_EQ(a.ptr[2].type, msgpack::type::FLOAT64);
  EXPECT_EQ(a.ptr[3].type, msgpack::type::FLOAT64);
  EXPECT_EQ(round_trip("2.0"), "2.0");
  EXPECT_EQ(round_trip("1e3"), "1000.0");
}

TEST(JsonBridge, SixtyFourBitIntegerExtremesRoundTripExactly) {
  EXPECT_EQ(round_trip("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(round_trip("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(round_trip("9223372036854775807"), "9223372036854775807");
}

TEST(JsonBridge, IntegersBeyondSixtyFourBitsBecomeFloats) {
  std::string packed, error;
  ASSERT_TRUE(json_to_msgpack("18446744073709551616", &packed, &error)) << error;
  auto oh = unpack(packed);
  EXPECT_EQ(oh.get().type, msgpack::type::FLOAT64);
  EXPECT_DOUBLE_EQ(oh.get().via.f64, 18446744073709551616.0);
  ASSERT_TRUE(json_to_msgpack("-9223372036854775809", &packed, &error)) << error;
  EXPECT_EQ(unpack(packed).get().type, msgpack::type::FLOAT64);
}

TEST(JsonBridge, NumbersOutsideTheFloatRangeAreRejected) {
  EXPECT_NE(json_error("1e400").find("out of the range"), std::string::npos);
}

TEST(JsonBridge, UnicodeEscapesBecomeUtf8IncludingSurrogatePairs) {
  std::string packed, error;
  ASSERT_TRUE(json_to_msgpack("\"caf\\u00e9 \\u20ac \\ud83d\\ude00\"", &packed, &error)) << error;
  auto oh = unpack(packed);
  EXPECT_EQ(oh.get().as<std::string>(), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  // Non-ASCII text goes out as UTF-8, control characters as escapes.
  EXPECT_EQ(round_trip("\"\\u00e9\\n\\u0001\\\"\\\\\""), "\"\xC3\xA9\\n\\u0001\\\"\\\\\"");
}

TEST(JsonBridge, LoneSurrogatesAndBadEscapesAreRejected) {
  EXPECT_NE(json_error("\"\\ud83d\"").find("surrogate"), std::string::npos);
  EXPECT_NE(json_error("\"\\ude00\"").find("surrogate"), std::string::npos);
  EXPECT_NE(json_error("\"\\x41\"").find("invalid escape"), std::string::npos);
  EXPECT_NE(json_error("\"\\u12g4\"").find("hex digit"), std::string::npos);
}

TEST(JsonBridge, InvalidUtf8InInputStringsIsRejected) {
  EXPECT_NE(json_error("\"\xC3\x28\"").find("UTF-8"), std::string::npos);
  EXPECT_NE(json_error("\"\xED\xA0\x80\"").find("UTF-8"), std::string::npos);  // surrogate
  EXPECT_NE(json_error("\"\xC0\xAF\"").find("UTF-8"), std::string::npos);      // overlong
}

TEST(JsonBridge, MalformedJsonNamesThePositionAndTheProblem) {
  EXPECT_EQ(json_error("{\"a\":1,}"), "invalid JSON at byte 7: expected a string as object key");
  EXPECT_NE(json_error("[1 2]").find("expected ',' or ']'"), std::string::npos);
  EXPECT_NE(json_error("{\"a\" 1}").find("expected ':'"), std::string::npos);
  EXPECT_NE(json_error("\"open").find("unterminated string"), std::string::npos);
  EXPECT_NE(json_error("tru").find("unknown literal"), std::string::npos);
  EXPECT_NE(json_error("01").find("leading zero"), std::string::npos);
  EXPECT_NE(json_error("1.").find("after '.'"), std::string::npos);
  EXPECT_NE(json_error("[1] 2").find("after the JSON value"), std::string::npos);
  EXPECT_NE(json_error("\"a\tb\"").find("control character"), std::string::npos);
  EXPECT_NE(json_error("").find("end of input"), std::string::npos);
  EXPECT_NE(json_error("{'a':1}").find("expected a string"), std::string::npos);
}

TEST(JsonBridge, DeepNestingIsRejectedWithoutExhaustingTheStack) {
  const std::string deep(100000, '[');
  EXPECT_NE(json_error(deep).find("nesting deeper than 64"), std::string::npos);
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_EQ(round_trip(ok), ok);
  const std::string too_deep = std::string(66, '[') + std::string(66, ']');
  EXPECT_NE(json_error(too_deep).find("nesting deeper"), std::string::npos);
}

TEST(JsonBridge, Base64ObjectBecomesBinaryAndBinaryComesBackAsBase64) {
  std::string packed, error, back;
  ASSERT_TRUE(json_to_msgpack("{\"$base64\":\"AAEC/w==\"}", &packed, &error)) << error;
  auto oh = unpack(packed);
  ASSERT_EQ(oh.get().type, msgpack::type::BIN);
  EXPECT_EQ(std::string(oh.get().via.bin.ptr, oh.get().via.bin.size), std::string("\0\1\2\xff", 4));
  ASSERT_TRUE(msgpack_to_json(packed, &back, &error));
  EXPECT_EQ(back, "{\"$base64\":\"AAEC/w==\"}");
}

TEST(JsonBridge, BinaryThatIsValidUtf8BecomesAPlainString) {
  std::string packed, error, back;
  ASSERT_TRUE(json_to_msgpack("{\"$base64\":\"aMOp\"}", &packed, &error));  // "hé"
  ASSERT_TRUE(msgpack_to_json(packed, &back, &error));
  EXPECT_EQ(back, "\"h\xC3\xA9\"");
}

TEST(JsonBridge, Base64WithOtherKeysOrBadTextIsNotBinary) {
  EXPECT_EQ(round_trip("{\"$base64\":\"QQ==\",\"x\":1}"), "{\"$base64\":\"QQ==\",\"x\":1}");
  EXPECT_NE(json_error("{\"$base64\":\"QQ=\"}").find("not valid base64"), std::string::npos);
  EXPECT_NE(json_error("{\"$base64\":\"Q!==\"}").find("not valid base64"), std::string::npos);
}

TEST(JsonBridge, Base64CodecHandlesEveryPaddingLength) {
  for (const std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    std::string back;
    ASSERT_TRUE(json::base64_decode(json::base64_encode(s), &back)) << s;
    EXPECT_EQ(back, s);
  }
  EXPECT_EQ(json::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(json::base64_encode("fo"), "Zm8=");
}

TEST(JsonBridge, MsgpackOnlyValuesAreShownWithoutLosingInformation) {
  // {1: "a", "s": ext(5, "xy"), "f": NaN}
  std::string packed;
  struct W {
    std::string* o;
    void write(const char* d, std::size_t n) { o->append(d, n); }
  } w{&packed};
  msgpack::packer<W> pk(w);
  pk.pack_map(3);
  pk.pack(1);
  pk.pack(std::string("a"));
  pk.pack(std::string("s"));
  pk.pack_ext(2, 5);
  pk.pack_ext_body("xy", 2);
  pk.pack(std::string("f"));
  pk.pack_double(std::nan(""));
  std::string json, error;
  ASSERT_TRUE(msgpack_to_json(packed, &json, &error)) << error;
  EXPECT_EQ(json, "{\"1\":\"a\",\"s\":{\"$ext\":5,\"$base64\":\"eHk=\"},\"f\":null}");
}

TEST(JsonBridge, TruncatedOrTrailingMsgpackIsReported) {
  std::string json, error;
  EXPECT_FALSE(msgpack_to_json(std::string("\x92\x01", 2), &json, &error));
  EXPECT_NE(error.find("not a valid MessagePack value"), std::string::npos);
  EXPECT_FALSE(msgpack_to_json(std::string("\x01\x02", 2), &json, &error));
  EXPECT_EQ(error, "more than one MessagePack value");
}

TEST(JsonBridge, ParamsObjectIsWrappedArrayIsKeptAndEmptyMeansNoArguments) {
  std::string packed, error;
  ASSERT_TRUE(json::params_to_msgpack("{\"a\":1}", &packed, &error));
  EXPECT_EQ(packed, std::string("\x91\x81\xa1" "a\x01", 5));
  ASSERT_TRUE(json::params_to_msgpack("[1,2]", &packed, &error));
  EXPECT_EQ(packed, std::string("\x92\x01\x02", 3));
  ASSERT_TRUE(json::params_to_msgpack("  ", &packed, &error));
  EXPECT_EQ(packed, std::string("\x91\x80", 2));
  ASSERT_TRUE(json::params_to_msgpack("null", &packed, &error));
  EXPECT_EQ(packed, std::string("\x91\x80", 2));
  EXPECT_FALSE(json::params_to_msgpack("42", &packed, &error));
  EXPECT_NE(error.find("JSON object"), std::string::npos);
}

TEST(JsonBridge, StatusNamesAreStableAndUnknownNumbersSaySo) {
  EXPECT_STREQ(status_name(COPROC_OK), "ok");
  EXPECT_STREQ(status_name(COPROC_E_SERVICE_NOT_RUNNING), "service_not_running");
  EXPECT_STREQ(status_name(COPROC_E_CONNECTION_LOST), "connection_lost");
  EXPECT_STREQ(status_name(static_cast<coproc_status>(999)), "unknown");
}

}  // namespace
}  // namespace coproc
