// The gateway's answers, formatted directly (gateway_answer.cc), are byte
// for byte what Poco's HTTPResponse and HTTPServerResponseImpl::sendBuffer
// sent for them before: the reference below is that code.
#include <gtest/gtest.h>

#include <sstream>

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timestamp.h>

#include "gateway_answer.h"

namespace coproc::gateway {
namespace {

using Poco::Net::HTTPResponse;

constexpr std::time_t kNow = 1796054233;  // Mon, 30 Nov 2026 15:57:13 GMT

std::string poco_answer(const AnswerShape& shape, const Outcome& o) {
  HTTPResponse response;
  response.setDate(Poco::Timestamp::fromEpochTime(kNow));
  response.setVersion(shape.version);
  response.setKeepAlive(shape.keep_alive);
  response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(o.status));
  std::string body = o.body;
  if (o.worker_pid == 0 || !o.failure.empty()) {
    response.setContentType("text/plain; charset=utf-8");
    body = std::to_string(o.status) + " " +
           HTTPResponse::getReasonForStatus(static_cast<HTTPResponse::HTTPStatus>(o.status)) + "\n";
  } else {
    for (const auto& [name, value] : o.headers) {
      if (!hop_by_hop(name)) response.add(name, value);
    }
  }
  if (o.status == 204 || o.status == 304) body.clear();
  response.setContentLength(static_cast<std::streamsize>(body.size()));
  std::ostringstream out;
  response.write(out);
  return out.str() + (shape.head ? "" : body);
}

Outcome worker_answer(int status, std::string body) {
  Outcome o;
  o.status = status;
  o.body = std::move(body);
  o.worker_pid = 4711;
  o.headers = {{"Content-Type", "text/plain"},
               {"Set-Cookie", "a=1"},
               {"Set-Cookie", "b=2"},
               {"transfer-Encoding", "chunked"},  // hop-by-hop: dropped
               {"Connection", "close"},
               {"Content-Length", "999"},
               {"X-Empty", ""}};
  return o;
}

Outcome own_answer(int status) {
  Outcome o;
  o.status = status;
  o.failure = "why, for the log only";
  return o;
}

TEST(GatewayAnswerTest, AWorkersAnswerIsWhatPocoSent) {
  const AnswerShape shape{"HTTP/1.1", true, false};
  const Outcome o = worker_answer(200, "Hello, world!\n");
  EXPECT_EQ(answer_bytes(shape, o, kNow), poco_answer(shape, o));
  EXPECT_EQ(answer_bytes(shape, o, kNow),
            "HTTP/1.1 200 OK\r\nDate: Mon, 30 Nov 2026 15:57:13 GMT\r\nConnection: Keep-Alive\r\n"
            "Content-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nX-Empty: \r\n"
            "Content-Length: 14\r\n\r\nHello, world!\n");
}

TEST(GatewayAnswerTest, HeadClosingHttp10AndBodilessStatusesAreWhatPocoSent) {
  for (const AnswerShape& shape : {AnswerShape{"HTTP/1.1", true, true},
                                   AnswerShape{"HTTP/1.0", false, false},
                                   AnswerShape{"HTTP/1.1", false, true}}) {
    for (int status : {200, 201, 204, 304, 404, 599}) {
      const Outcome o = worker_answer(status, std::string(70000, 'x'));
      EXPECT_EQ(answer_bytes(shape, o, kNow), poco_answer(shape, o))
          << shape.version << " " << status;
    }
  }
}

TEST(GatewayAnswerTest, TheGatewaysOwnAnswersAreWhatPocoSent) {
  const AnswerShape shape{"HTTP/1.1", false, false};
  for (int status : {400, 404, 408, 413, 414, 431, 502, 503, 504}) {
    EXPECT_EQ(answer_bytes(shape, own_answer(status), kNow), poco_answer(shape, own_answer(status)))
        << status;
  }
  EXPECT_EQ(answer_bytes(shape, own_answer(503), kNow),
            "HTTP/1.1 503 Service Unavailable\r\nDate: Mon, 30 Nov 2026 15:57:13 GMT\r\n"
            "Connection: Close\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 24\r\n\r\n503 Service Unavailable\n");
}

TEST(GatewayAnswerTest, TheDateFollowsTheClock) {
  const AnswerShape shape{"HTTP/1.1", true, false};
  const Outcome o = worker_answer(200, "x");
  const std::string a = answer_bytes(shape, o, kNow);
  const std::string b = answer_bytes(shape, o, kNow + 3600);
  EXPECT_NE(a.find("Date: Mon, 30 Nov 2026 15:57:13 GMT\r\n"), std::string::npos) << a;
  EXPECT_NE(b.find("Date: Mon, 30 Nov 2026 16:57:13 GMT\r\n"), std::string::npos) << b;
}

}  // namespace
}  // namespace coproc::gateway
