// Protocol level 1 is frozen in protocol/catalogue/level1.txt: the typed
// definitions (*_messages.h), the method table and the error codes must
// match it exactly. A change that would break an old client fails here
// unless the level is raised (kProtocolLevel) with a new catalogue.
#include <gtest/gtest.h>

#include <sstream>

#include "catalogue.h"
#include "gateway_messages.h"
#include "http_messages.h"
#include "job_messages.h"
#include "mail_messages.h"
#include "methods.h"
#include "rpc_error.h"
#include "svc_messages.h"
#include "sys_messages.h"

namespace coproc::rpc {
namespace {

using test::Catalogue;
using test::shape_of_map;
using test::shape_of_params;

std::string lines(const std::set<std::string>& entries, const char* kind) {
  std::ostringstream out;
  for (const auto& e : entries) out << "  " << kind << " " << e << "\n";
  return out.str();
}

// Every optional field set, so every key the definition can send shows.
MailSendParams full_mail_send() {
  MailSendParams p;
  p.from = "a@example.com";
  p.to = p.cc = p.bcc = p.reply_to = {"b@example.com"};
  p.subject = p.text = p.html = "x";
  p.headers = {{"X-Tag", "1"}};
  MailAttachmentParams a;
  a.filename = "a.txt";
  a.content_type = "text/plain";
  a.data = "x";
  a.data_base64 = "eA==";
  a.fd = 0;
  p.attachments = {a};
  p.idempotency_key = "k";
  return p;
}

HttpRequestParams full_http_request() {
  HttpRequestParams p;
  p.url = "http://127.0.0.1/";
  p.headers = {{"Accept", "*/*"}};
  p.body = "x";
  p.timeout_ms = p.connect_timeout_ms = p.max_redirects = p.max_body_bytes = 1;
  p.follow_redirects = p.verify_tls = true;
  p.ca_pem = "-----BEGIN CERTIFICATE-----";
  p.save_to_fd = 0;
  return p;
}

MailView full_mail_view() {
  MailView v;
  v.refused = {MailRefusal{"b@example.com", "550 no"}};
  return v;
}

std::string pack_list_result() {
  MailListResult r;
  r.mails = {full_mail_view()};
  return pack_value(r).bytes;
}

std::string pack_http_result() {
  HttpResponseResult r;
  r.body = "x";
  r.bytes_written = 1;
  return pack_result(r).bytes;
}

// Every optional field set, `result` holding a method's (map) result.
JobStatusResult full_job_status() {
  JobStatusResult r;
  r.finished = 1;
  r.result = pack_value(MailSendResult{}).bytes;
  r.error = RpcError(Errc::cancelled, "cancelled by job.cancel");
  return r;
}

template <class T>
std::set<std::string> keys_of(const T& known) {
  std::set<std::string> out;
  for (std::string_view k : known) out.emplace(k);
  return out;
}

std::set<std::string> key_names(const std::set<std::string>& entries) {
  std::set<std::string> out;
  for (const auto& e : entries) {
    if (e.find("[].") == std::string::npos) out.insert(e.substr(0, e.find(' ')));
  }
  return out;
}

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override { catalogue_ = test::load_catalogue(test::catalogue_path(kProtocolLevel)); }

  const test::CatalogueMethod& method(std::string_view name) {
    auto it = catalogue_.methods.find(std::string(name));
    if (it == catalogue_.methods.end()) {
      ADD_FAILURE() << name << " is not in " << test::catalogue_path(kProtocolLevel);
      static const test::CatalogueMethod none;
      return none;
    }
    return it->second;
  }

  void expect_params(std::string_view name, const std::set<std::string>& actual) {
    EXPECT_EQ(actual, method(name).params)
        << name << " params differ from the catalogue; the code has:\n"
        << lines(actual, "param");
  }

  void expect_result(std::string_view name, const std::set<std::string>& actual) {
    EXPECT_EQ(actual, method(name).result)
        << name << " result differs from the catalogue; the code has:\n"
        << lines(actual, "result");
  }

  Catalogue catalogue_;
};

TEST_F(CatalogueTest, TheMethodTableIsTheCataloguedMethodList) {
  std::set<std::string> table;
  for (std::string_view m : method::kAll) table.emplace(m);
  std::set<std::string> catalogued;
  for (const auto& [name, m] : catalogue_.methods) catalogued.insert(name);
  EXPECT_EQ(table, catalogued);
}

TEST_F(CatalogueTest, ErrorNamesAndCodesAreTheCataloguedOnes) {
  std::map<std::string, int> actual;
  for (int code = 1; std::string(errc_name(code)) != "unknown"; ++code) actual[errc_name(code)] = code;
  EXPECT_EQ(actual, catalogue_.errors);
}

TEST_F(CatalogueTest, SysMethodsHaveTheCataloguedShape) {
  expect_params(method::kHello, shape_of_params(pack_value(std::vector<HelloParams>{{}})));
  expect_result(method::kHello, shape_of_map(pack_value(HelloResult{}).bytes));
  expect_params(method::kPing, {});
  expect_result(method::kPing, shape_of_map(pack_value(PingResult{}).bytes));
  expect_params(method::kStatus, {});
  expect_result(method::kStatus, shape_of_map(pack_value(StatusResult{}).bytes));
  EXPECT_EQ(shape_of_map(pack_value(StatusResult{}).bytes).size(), StatusResult::kFieldCount)
      << "sys.status widens its map header by kFieldCount: keep it the number of fields";
}

TEST_F(CatalogueTest, TheCancelNotificationHasTheCataloguedShape) {
  const auto it = catalogue_.notifications.find(std::string(method::kCancel));
  ASSERT_NE(it, catalogue_.notifications.end()) << "sys.cancel is not in the catalogue";
  const std::string bytes = encode_cancel(7);
  const Message sent = classify(msgpack::unpack(bytes.data(), bytes.size()));
  const auto* note = std::get_if<Notification>(&sent);
  ASSERT_NE(note, nullptr);
  EXPECT_EQ(note->method, method::kCancel);
  EXPECT_EQ(shape_of_params(pack_value(note->params)), it->second.params);
  EXPECT_EQ(keys_of(CancelParams::kKeys), key_names(it->second.params));
}

TEST_F(CatalogueTest, MailMethodsHaveTheCataloguedShape) {
  // Two forms: built (the co-process writes the MIME message) and raw.
  std::set<std::string> send = shape_of_params(pack_params(full_mail_send()));
  MailSendRawParams raw;
  raw.from_name = raw.idempotency_key = "x";
  for (const auto& e : shape_of_params(pack_params(raw))) send.insert(e);
  expect_params(method::kMailSend, send);
  expect_result(method::kMailSend, shape_of_map(pack_value(MailSendResult{}).bytes));
  expect_params(method::kMailStatus, shape_of_params(pack_params(MailStatusParams{"id"})));
  expect_result(method::kMailStatus, shape_of_map(pack_value(full_mail_view()).bytes));
  MailListParams list;
  list.state = "queued";
  expect_params(method::kMailList, shape_of_params(pack_params(list)));
  expect_result(method::kMailList, shape_of_map(pack_list_result()));
  MailTestParams test;
  test.to = test.from = "a@example.com";
  expect_params(method::kMailTest, shape_of_params(pack_params(test)));
  expect_result(method::kMailTest, shape_of_map(pack_value(MailTestResult{}).bytes));
}

TEST_F(CatalogueTest, HttpRequestHasTheCataloguedShape) {
  expect_params(method::kHttpRequest, shape_of_params(pack_params(full_http_request())));
  expect_result(method::kHttpRequest, shape_of_map(pack_http_result()));
}

TEST_F(CatalogueTest, JobMethodsHaveTheCataloguedShape) {
  JobSubmitParams submit;
  submit.method = std::string(method::kMailStatus);
  submit.params = pack_value(MailStatusParams{"id"}).bytes;
  submit.ttl_s = 60;
  expect_params(method::kJobSubmit, shape_of_params(pack_params(submit)));
  expect_result(method::kJobSubmit, shape_of_map(pack_value(JobSubmitResult{}).bytes));
  const std::set<std::string> status = shape_of_map(pack_result(full_job_status()).bytes);
  for (std::string_view m : {method::kJobStatus, method::kJobCancel}) {
    expect_params(m, shape_of_params(pack_params(JobIdParams{"j"})));
    expect_result(m, status);
  }
  JobWaitParams wait;
  wait.job_id = "j";
  wait.timeout_ms = 1000;
  expect_params(method::kJobWait, shape_of_params(pack_params(wait)));
  expect_result(method::kJobWait, status);
  expect_params(method::kJobList, {});
  JobListResult list;
  list.jobs = {full_job_status()};
  expect_result(method::kJobList, shape_of_map(pack_result(list).bytes));
}

TEST_F(CatalogueTest, GatewayMethodsHaveTheCataloguedShape) {
  GatewayNextParams next;
  next.queue = "q";
  expect_params(method::kGatewayNext, shape_of_params(pack_params(next)));
  GatewayRequest request;
  const std::set<std::string> request_shape = shape_of_map(pack_result(&request).bytes);
  expect_result(method::kGatewayNext, request_shape);
  GatewayReplyParams reply;
  reply.next = next;
  expect_params(method::kGatewayReply, shape_of_params(pack_params(reply)));
  std::set<std::string> reply_shape = shape_of_map(pack_value(GatewayReplyResult{}).bytes);
  reply_shape.insert(request_shape.begin(), request_shape.end());  // with `next`
  expect_result(method::kGatewayReply, reply_shape);
  expect_params(method::kGatewayStatus, {});
  GatewayStatusResult status;
  status.queues = {GatewayQueueStatus{}};
  // msgpack-c packs a whole double as an integer: fractions show the float.
  status.p50_ms = status.p90_ms = status.p99_ms = status.max_ms = 1.5;
  expect_result(method::kGatewayStatus, shape_of_map(pack_value(status).bytes));
}

TEST_F(CatalogueTest, ServiceMethodsHaveTheCataloguedShape) {
  for (std::string_view m : {method::kSvcLaunch, method::kSvcRestart}) {
    SvcLaunchParams p;
    p.timeout_ms = 1000;
    expect_params(m, shape_of_params(pack_params(p)));
    expect_result(m, shape_of_map(pack_value(SvcLaunchResult{}).bytes));
  }
  expect_params(method::kSvcStatus, {});
  expect_result(method::kSvcStatus, shape_of_map(pack_value(SvcStatusResult{}).bytes));
}

// The keys a server accepts (Params::allow_only) are the keys a client sends.
TEST_F(CatalogueTest, AcceptedKeysAreTheCataloguedParams) {
  EXPECT_EQ(keys_of(HelloParams::kKeys), key_names(method(method::kHello).params));
  std::set<std::string> send = keys_of(MailSendParams::kKeys);
  for (const auto& k : keys_of(MailSendRawParams::kKeys)) send.insert(k);
  EXPECT_EQ(send, key_names(method(method::kMailSend).params));
  EXPECT_EQ(keys_of(MailStatusParams::kKeys), key_names(method(method::kMailStatus).params));
  EXPECT_EQ(keys_of(MailListParams::kKeys), key_names(method(method::kMailList).params));
  EXPECT_EQ(keys_of(MailTestParams::kKeys), key_names(method(method::kMailTest).params));
  EXPECT_EQ(keys_of(HttpRequestParams::kKeys), key_names(method(method::kHttpRequest).params));
  EXPECT_EQ(keys_of(SvcLaunchParams::kKeys), key_names(method(method::kSvcLaunch).params));
  EXPECT_EQ(keys_of(JobSubmitParams::kKeys), key_names(method(method::kJobSubmit).params));
  EXPECT_EQ(keys_of(GatewayNextParams::kKeys), key_names(method(method::kGatewayNext).params));
  EXPECT_EQ(keys_of(GatewayReplyParams::kKeys), key_names(method(method::kGatewayReply).params));
  EXPECT_EQ(keys_of(JobIdParams::kKeys), key_names(method(method::kJobStatus).params));
  EXPECT_EQ(keys_of(JobWaitParams::kKeys), key_names(method(method::kJobWait).params));
  EXPECT_EQ(keys_of(JobIdParams::kKeys), key_names(method(method::kJobCancel).params));
  std::set<std::string> attachment;
  for (const auto& e : method(method::kMailSend).params) {
    const std::string prefix = "attachments[].";
    if (e.rfind(prefix, 0) == 0) attachment.insert(e.substr(prefix.size(), e.find(' ') - prefix.size()));
  }
  EXPECT_EQ(keys_of(MailAttachmentParams::kKeys), attachment);
}

}  // namespace
}  // namespace coproc::rpc
