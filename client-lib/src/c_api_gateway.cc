// The gateway worker C ABI (coproc/gateway.h): gateway.next and
// gateway.reply with the wire shapes of protocol/src/gateway_messages.h, and
// a request object read through accessors.
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "c_api_internal.h"
#include "client_internals.h"
#include "coproc/gateway.h"
#include "gateway_messages.h"

struct coproc_gateway_request {
  coproc::rpc::GatewayRequest r;
};

namespace coproc::capi {
namespace {

const char* text_or_empty(const coproc_gateway_request* req, std::string coproc::rpc::GatewayRequest::*field) {
  return req ? (req->r.*field).c_str() : "";
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// "Name: value" lines separated by LF (or CRLF); blank lines are skipped.
// False with `*error` for a line without a name and a colon. Read in place:
// only the names and values are copied.
bool parse_headers(const char* text, rpc::GatewayHeaders* out, std::string* error) {
  if (!text) return true;
  const std::string_view all(text);
  std::size_t start = 0;
  while (start <= all.size()) {
    auto end = all.find('\n', start);
    if (end == std::string_view::npos) end = all.size();
    const std::string_view line = trim(all.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      *error = "header line '" + std::string(line) + "' is not 'Name: value'";
      return false;
    }
    out->emplace_back(std::string(trim(line.substr(0, colon))),
                      std::string(trim(line.substr(colon + 1))));
  }
  return true;
}

// NULL client, request or body pointer, or a status out of range.
coproc_status check_reply(coproc_client* client, const char* fn,
                          const coproc_gateway_request* request, int status, const void* body,
                          std::size_t body_len) {
  if (!request) return fail(client, COPROC_E_MISUSE, std::string(fn) + ": request is NULL");
  if (!body && body_len != 0) {
    return fail(client, COPROC_E_MISUSE, std::string(fn) + ": body is NULL but body_len is not 0");
  }
  if (status < 200 || status > 599) {
    return fail(client, COPROC_E_MISUSE,
                std::string(fn) + ": status must be between 200 and 599, got " +
                    std::to_string(status));
  }
  return COPROC_OK;
}

// What every call that takes a request checks first: a client, somewhere to
// put the request (`out_name`, cleared) and a timeout in range.
coproc_status check_take(coproc_client* client, const char* fn, const char* out_name,
                         coproc_gateway_request** out, long timeout_ms) {
  if (out) *out = nullptr;
  if (!client) return fail(nullptr, COPROC_E_MISUSE, std::string(fn) + ": client is NULL");
  if (!out) return fail(client, COPROC_E_MISUSE, std::string(fn) + ": " + out_name + " is NULL");
  if (timeout_ms < 0 || timeout_ms > rpc::GatewayNextParams::kMaxTimeoutMs) {
    return fail(client, COPROC_E_MISUSE,
                std::string(fn) + ": timeout_ms must be between 0 and " +
                    std::to_string(rpc::GatewayNextParams::kMaxTimeoutMs));
  }
  return COPROC_OK;
}

rpc::GatewayNextParams next_params(const char* queue, long timeout_ms) {
  rpc::GatewayNextParams p;
  p.queue = queue ? queue : "";
  p.timeout_ms = timeout_ms;
  return p;
}

// Calls `method` (gateway.next, or gateway.reply with `next`) and takes the
// request it answers into `*out`; COPROC_E_TIMEOUT for nil.
coproc_status take_request(coproc_client* client, const char* fn, std::string_view method,
                           const rpc::Packed& params, long timeout_ms,
                           coproc_gateway_request** out) {
  CallOptions options;
  // The co-process answers at timeout_ms; the call waits a little longer.
  options.timeout_ms = static_cast<int>(timeout_ms + 10000);
  options.idempotent = 0;  // a resend could take a second request
  // The answer stays decoded: the request's fields are read from it as it
  // arrived (a worker's every request passes here).
  rpc::Response answer;
  const CallResult result =
      ClientInternals::call_decoded(client->cpp, method, params.bytes, options, &answer);
  if (!result.ok()) return from_result(client, result);
  auto req = std::make_unique<coproc_gateway_request>();
  try {
    if (!rpc::read_result(answer.result, &req->r)) {
      return fail(client, COPROC_E_TIMEOUT,
                  std::string(fn) + ": no request within " + std::to_string(timeout_ms) + " ms");
    }
  } catch (const msgpack::type_error&) {
    return fail(client, COPROC_E_PROTOCOL,
                "protocol: " + std::string(method) + " returned a result of unexpected shape");
  }
  *out = req.release();
  return succeed(client);
}

// The gateway.reply params, or a recorded COPROC_E_MISUSE for bad arguments.
coproc_status reply_params(coproc_client* client, const char* fn,
                           const coproc_gateway_request* request, int status, const char* headers,
                           const void* body, std::size_t body_len, rpc::GatewayReplyParams* p) {
  if (auto st = check_reply(client, fn, request, status, body, body_len); st != COPROC_OK) {
    return st;
  }
  p->request_id = request->r.request_id;
  p->status = status;
  std::string error;
  if (!parse_headers(headers, &p->headers, &error)) {
    return fail(client, COPROC_E_MISUSE, std::string(fn) + ": " + error);
  }
  if (body_len) p->body.assign(static_cast<const char*>(body), body_len);
  return COPROC_OK;
}

}  // namespace
}  // namespace coproc::capi

using coproc::capi::fail;
using coproc::capi::guard;

extern "C" {

coproc_status coproc_gateway_next(coproc_client* client, const char* queue, long timeout_ms,
                                  coproc_gateway_request** out) {
  if (auto st = coproc::capi::check_take(client, __func__, "out", out, timeout_ms);
      st != COPROC_OK) {
    return st;
  }
  return guard(client, __func__, [&] {
    return coproc::capi::take_request(
        client, __func__, coproc::rpc::method::kGatewayNext,
        coproc::rpc::pack_params(coproc::capi::next_params(queue, timeout_ms)), timeout_ms, out);
  });
}

coproc_status coproc_gateway_reply(coproc_client* client, const coproc_gateway_request* request,
                                   int status, const char* headers, const void* body,
                                   size_t body_len) {
  if (!client) return fail(nullptr, COPROC_E_MISUSE, "coproc_gateway_reply: client is NULL");
  return guard(client, __func__, [&] {
    coproc::rpc::GatewayReplyParams p;
    if (auto st = coproc::capi::reply_params(client, __func__, request, status, headers, body,
                                             body_len, &p);
        st != COPROC_OK) {
      return st;
    }
    coproc::CallOptions options;
    options.idempotent = 0;
    const coproc::CallResult result = client->cpp.call(
        coproc::rpc::method::kGatewayReply, coproc::rpc::pack_params(p).bytes, options);
    if (!result.ok()) return coproc::capi::from_result(client, result);
    return coproc::capi::succeed(client);
  });
}

coproc_status coproc_gateway_reply_next(coproc_client* client,
                                        const coproc_gateway_request* request, int status,
                                        const char* headers, const void* body, size_t body_len,
                                        const char* queue, long timeout_ms,
                                        coproc_gateway_request** next) {
  if (auto st = coproc::capi::check_take(client, __func__, "next", next, timeout_ms);
      st != COPROC_OK) {
    return st;
  }
  return guard(client, __func__, [&] {
    coproc::rpc::GatewayReplyParams p;
    if (auto st = coproc::capi::reply_params(client, __func__, request, status, headers, body,
                                             body_len, &p);
        st != COPROC_OK) {
      return st;
    }
    p.next = coproc::capi::next_params(queue, timeout_ms);
    return coproc::capi::take_request(client, __func__, coproc::rpc::method::kGatewayReply,
                                      coproc::rpc::pack_params(p), timeout_ms, next);
  });
}

const char* coproc_gateway_request_id(const coproc_gateway_request* request) {
  return coproc::capi::text_or_empty(request, &coproc::rpc::GatewayRequest::request_id);
}
const char* coproc_gateway_request_method(const coproc_gateway_request* request) {
  return coproc::capi::text_or_empty(request, &coproc::rpc::GatewayRequest::method);
}
const char* coproc_gateway_request_path(const coproc_gateway_request* request) {
  return coproc::capi::text_or_empty(request, &coproc::rpc::GatewayRequest::path);
}
const char* coproc_gateway_request_query(const coproc_gateway_request* request) {
  return coproc::capi::text_or_empty(request, &coproc::rpc::GatewayRequest::query);
}
const char* coproc_gateway_request_remote_addr(const coproc_gateway_request* request) {
  return coproc::capi::text_or_empty(request, &coproc::rpc::GatewayRequest::remote_addr);
}
const char* coproc_gateway_request_queue(const coproc_gateway_request* request) {
  return coproc::capi::text_or_empty(request, &coproc::rpc::GatewayRequest::queue);
}

const char* coproc_gateway_request_header(const coproc_gateway_request* request,
                                          const char* name) {
  return coproc::capi::find_header(request ? &request->r.headers : nullptr, name);
}

size_t coproc_gateway_request_header_count(const coproc_gateway_request* request) {
  return request ? request->r.headers.size() : 0;
}

coproc_status coproc_gateway_request_header_at(const coproc_gateway_request* request,
                                               size_t index, const char** name,
                                               const char** value) {
  return coproc::capi::header_at(__func__, "request", request ? &request->r.headers : nullptr,
                                 index, name, value);
}

const void* coproc_gateway_request_body(const coproc_gateway_request* request, size_t* len) {
  if (len) *len = request ? request->r.body.size() : 0;
  return request ? request->r.body.c_str() : "";
}

void coproc_gateway_request_free(coproc_gateway_request* request) { delete request; }

}  // extern "C"
