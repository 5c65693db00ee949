// The HTTP convenience C ABI (coproc/http.h): builds http.request params,
// passes an output file's descriptor, and unpacks the result into a
// response object with plain accessors.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "async_call.h"
#include "c_api_internal.h"
#include "client_internals.h"
#include "coproc/http.h"
#include "http_messages.h"
#include "methods.h"
#include "output_file.h"

struct coproc_http_request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;
  long timeout_ms = -1;
  int follow_redirects = -1;
  int verify_tls = -1;
  long long max_body_bytes = -1;
  std::string output_file;
  std::string ca_pem;  // read by the library from the caller's CA file
};

struct coproc_http_response {
  int status = 0;
  std::string reason;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  long long bytes_written = 0;
};

namespace coproc::capi {
namespace {

rpc::HttpRequestParams params_of(const coproc_http_request& r, bool to_fd) {
  rpc::HttpRequestParams p;
  p.method = r.method;
  p.url = r.url;
  p.headers = r.headers;
  p.body = r.body;
  if (r.timeout_ms > 0) p.timeout_ms = r.timeout_ms;
  if (r.follow_redirects >= 0) p.follow_redirects = r.follow_redirects != 0;
  if (r.verify_tls >= 0) p.verify_tls = r.verify_tls != 0;
  if (r.max_body_bytes >= 0) p.max_body_bytes = r.max_body_bytes;
  if (!r.ca_pem.empty()) p.ca_pem = r.ca_pem;
  if (to_fd) p.save_to_fd = 0;
  return p;
}

// The response of a successful http.request result, or a failure status.
coproc_status response_of(coproc_client* client, const CallResult& result,
                          std::unique_ptr<coproc_http_response>* response,
                          const msgpack::object* decoded = nullptr) {
  if (!result.ok()) return from_result(client, result);
  rpc::HttpResponseResult parsed;
  if (decoded ? !rpc::read_result(*decoded, &parsed) : !rpc::read_result(result.result, &parsed)) {
    return fail(client, COPROC_E_PROTOCOL,
                "protocol: http.request returned a result of unexpected shape");
  }
  *response = std::make_unique<coproc_http_response>();
  (*response)->status = parsed.status;
  (*response)->reason = std::move(parsed.reason);
  (*response)->url = std::move(parsed.url);
  (*response)->headers = std::move(parsed.headers);
  (*response)->body = std::move(parsed.body).value_or(std::string());
  (*response)->bytes_written = parsed.bytes_written.value_or(0);
  return COPROC_OK;
}

// GET and HEAD may be resent after a lost connection, except into a file
// (a resend would append to what the first attempt wrote).
int idempotent_request(const coproc_http_request& r, bool to_file) {
  return (r.method == "GET" || r.method == "HEAD") && !to_file ? 1 : 0;
}

coproc_status perform(coproc_client* client, const coproc_http_request& r,
                      coproc_http_response** out) {
  *out = nullptr;
  OutputFile file;
  if (!r.output_file.empty()) {
    std::string error;
    if (!file.open(r.output_file, &error)) {
      return fail(client, COPROC_E_IO, "coproc_http_perform: " + error);
    }
  }
  const int fd = file.fd();
  CallOptions options;
  // The co-process's deadline comes first; the call waits a little longer.
  // Without one of the request's own, the co-process applies http.timeout_ms,
  // which only the administrator knows: the client's call timeout
  // (COPROC_OPT_CALL_TIMEOUT_MS) bounds the wait, as for every other call.
  const long long base_ms =
      r.timeout_ms > 0 ? r.timeout_ms : client->cpp.options().call_timeout_ms;
  options.timeout_ms = static_cast<int>(std::min<long long>(base_ms + 5000, INT_MAX));
  options.idempotent = idempotent_request(r, fd >= 0);
  if (fd >= 0) options.fds.push_back(fd);
  // The answer stays decoded: the response is read from it as it arrived
  // (the body is not packed again and decoded a second time).
  rpc::Response answer;
  CallResult result = ClientInternals::call_decoded(
      client->cpp, rpc::method::kHttpRequest, rpc::pack_params(params_of(r, fd >= 0)).bytes,
      options, &answer);
  std::unique_ptr<coproc_http_response> response;
  if (const coproc_status st = response_of(client, result, &response, &answer.result);
      st != COPROC_OK) {
    return st;
  }
  if (!r.output_file.empty() && fd < 0) {
    // No descriptor could travel (Windows): the body came in the reply.
    std::string error;
    if (!file.write(response->body, &error)) return fail(client, COPROC_E_IO, error);
    response->bytes_written = static_cast<long long>(response->body.size());
    response->body.clear();
  }
  file.finish(true);
  *out = response.release();
  return succeed(client);
}

}  // namespace

bool has_crlf(const char* s) { return std::strpbrk(s, "\r\n") != nullptr; }

}  // namespace coproc::capi

using coproc::capi::fail;
using coproc::capi::guard;

extern "C" {

coproc_status coproc_http_get(coproc_client* client, const char* url, coproc_http_response** out) {
  if (out) *out = nullptr;
  if (!client) return fail(nullptr, COPROC_E_MISUSE, "coproc_http_get: client is NULL");
  if (!out) return fail(client, COPROC_E_MISUSE, "coproc_http_get: out is NULL");
  if (!url) return fail(client, COPROC_E_MISUSE, "coproc_http_get: url is NULL");
  return guard(client, __func__, [&] {
    coproc_http_request r;
    r.url = url;
    return coproc::capi::perform(client, r, out);
  });
}

coproc_status coproc_http_request_async(coproc_client* client,
                                        const coproc_http_request* request,
                                        coproc_pending** out) {
  if (out) *out = nullptr;
  if (!client) return fail(nullptr, COPROC_E_MISUSE, "coproc_http_request_async: client is NULL");
  if (!request || !out) {
    return fail(client, COPROC_E_MISUSE, "coproc_http_request_async: request or out is NULL");
  }
  if (!request->output_file.empty()) {
    return fail(client, COPROC_E_MISUSE,
                "coproc_http_request_async: an output file needs coproc_http_perform (an "
                "asynchronous call carries no file descriptor)");
  }
  return guard(client, __func__, [&] {
    coproc::CallOptions options;
    options.idempotent = coproc::capi::idempotent_request(*request, false);
    coproc::CallResult error;
    auto call = client->cpp.call_async(
        coproc::rpc::method::kHttpRequest,
        coproc::rpc::pack_params(coproc::capi::params_of(*request, false)).bytes, &error, options);
    return coproc::capi::make_pending(client, std::move(call), error, out);
  });
}

coproc_status coproc_http_pending_response(coproc_pending* pending,
                                           coproc_http_response** out) {
  if (out) *out = nullptr;
  if (!pending) {
    return fail(nullptr, COPROC_E_MISUSE, "coproc_http_pending_response: pending is NULL");
  }
  coproc_client* client = pending->client;
  if (!out) return fail(client, COPROC_E_MISUSE, "coproc_http_pending_response: out is NULL");
  return guard(client, __func__, [&] {
    if (!pending->call->ready()) {
      return fail(client, COPROC_E_MISUSE,
                  "coproc_http_pending_response: the request has not completed yet (see "
                  "coproc_pending_ready)");
    }
    std::unique_ptr<coproc_http_response> response;
    const coproc_status st = coproc::capi::response_of(client, pending->call->result(), &response);
    if (st != COPROC_OK) return st;
    *out = response.release();
    return coproc::capi::succeed(client);
  });
}

coproc_status coproc_http_request_new(coproc_http_request** out, const char* method,
                                      const char* url) {
  if (!out) return fail(nullptr, COPROC_E_MISUSE, "coproc_http_request_new: out is NULL");
  *out = nullptr;
  if (!url) return fail(nullptr, COPROC_E_MISUSE, "coproc_http_request_new: url is NULL");
  return guard(nullptr, __func__, [&] {
    auto r = std::make_unique<coproc_http_request>();
    if (method && *method) r->method = method;
    for (auto& c : r->method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    r->url = url;
    *out = r.release();
    return coproc::capi::succeed(nullptr);
  });
}

coproc_status coproc_http_request_add_header(coproc_http_request* request, const char* name,
                                             const char* value) {
  if (!request || !name || !value) {
    return fail(nullptr, COPROC_E_MISUSE, "coproc_http_request_add_header: NULL argument");
  }
  if (coproc::capi::has_crlf(name) || coproc::capi::has_crlf(value)) {
    return fail(nullptr, COPROC_E_MISUSE,
                std::string("coproc_http_request_add_header: header '") + name +
                    "' contains CR or LF");
  }
  return guard(nullptr, __func__, [&] {
    request->headers.emplace_back(name, value);
    return coproc::capi::succeed(nullptr);
  });
}

coproc_status coproc_http_request_set_body(coproc_http_request* request, const void* data,
                                           size_t len) {
  if (!request || (!data && len > 0)) {
    return fail(nullptr, COPROC_E_MISUSE, "coproc_http_request_set_body: NULL argument");
  }
  return guard(nullptr, __func__, [&] {
    if (!data) {
      request->body.reset();
    } else {
      request->body.emplace(static_cast<const char*>(data), len);
    }
    return coproc::capi::succeed(nullptr);
  });
}

coproc_status coproc_http_request_set_timeout_ms(coproc_http_request* request, long timeout_ms) {
  if (!request || timeout_ms <= 0 || timeout_ms > 3600000) {
    return fail(nullptr, COPROC_E_MISUSE,
                "coproc_http_request_set_timeout_ms: timeout must be 1..3600000 ms");
  }
  request->timeout_ms = timeout_ms;
  return coproc::capi::succeed(nullptr);
}

coproc_status coproc_http_request_set_follow_redirects(coproc_http_request* request, int follow) {
  if (!request) return fail(nullptr, COPROC_E_MISUSE, "coproc_http_request_set_follow_redirects: NULL");
  request->follow_redirects = follow ? 1 : 0;
  return coproc::capi::succeed(nullptr);
}

coproc_status coproc_http_request_set_verify_tls(coproc_http_request* request, int verify) {
  if (!request) return fail(nullptr, COPROC_E_MISUSE, "coproc_http_request_set_verify_tls: NULL");
  request->verify_tls = verify ? 1 : 0;
  return coproc::capi::succeed(nullptr);
}

coproc_status coproc_http_request_set_max_body_bytes(coproc_http_request* request,
                                                     long long max_bytes) {
  if (!request || max_bytes < 0) {
    return fail(nullptr, COPROC_E_MISUSE,
                "coproc_http_request_set_max_body_bytes: limit must be >= 0");
  }
  request->max_body_bytes = max_bytes;
  return coproc::capi::succeed(nullptr);
}

coproc_status coproc_http_request_set_output_file(coproc_http_request* request, const char* path) {
  if (!request) return fail(nullptr, COPROC_E_MISUSE, "coproc_http_request_set_output_file: NULL");
  return guard(nullptr, __func__, [&] {
    request->output_file = path ? path : "";
    return coproc::capi::succeed(nullptr);
  });
}

coproc_status coproc_http_request_set_ca_file(coproc_http_request* request, const char* path) {
  if (!request) return fail(nullptr, COPROC_E_MISUSE, "coproc_http_request_set_ca_file: NULL");
  return guard(nullptr, __func__, [&] {
    if (!path) {
      request->ca_pem.clear();
      return coproc::capi::succeed(nullptr);
    }
    // Read here, with the caller's rights; the co-process gets the bytes.
    constexpr std::size_t kMax = 1 << 20;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return fail(nullptr, COPROC_E_IO,
                  std::string("coproc_http_request_set_ca_file: cannot open CA file '") + path +
                      "': " + std::strerror(errno));
    }
    // A directory opens as a stream on POSIX and then reads as "empty".
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      return fail(nullptr, COPROC_E_IO,
                  std::string("coproc_http_request_set_ca_file: cannot open CA file '") + path +
                      "': it is a directory");
    }
    std::string pem(kMax + 1, '\0');
    in.read(&pem[0], static_cast<std::streamsize>(pem.size()));
    pem.resize(static_cast<std::size_t>(in.gcount()));
    if (pem.size() > kMax) {
      return fail(nullptr, COPROC_E_MISUSE, std::string("coproc_http_request_set_ca_file: CA file '") +
                                                path + "' is larger than 1 MiB");
    }
    if (pem.empty()) {
      return fail(nullptr, COPROC_E_MISUSE,
                  std::string("coproc_http_request_set_ca_file: CA file '") + path + "' is empty");
    }
    request->ca_pem = std::move(pem);
    return coproc::capi::succeed(nullptr);
  });
}

void coproc_http_request_free(coproc_http_request* request) { delete request; }

coproc_status coproc_http_perform(coproc_client* client, const coproc_http_request* request,
                                  coproc_http_response** out) {
  if (out) *out = nullptr;
  if (!client) return fail(nullptr, COPROC_E_MISUSE, "coproc_http_perform: client is NULL");
  if (!out) return fail(client, COPROC_E_MISUSE, "coproc_http_perform: out is NULL");
  if (!request) return fail(client, COPROC_E_MISUSE, "coproc_http_perform: request is NULL");
  return guard(client, __func__, [&] { return coproc::capi::perform(client, *request, out); });
}

int coproc_http_response_status(const coproc_http_response* response) {
  return response ? response->status : 0;
}

const char* coproc_http_response_reason(const coproc_http_response* response) {
  return response ? response->reason.c_str() : "";
}

const char* coproc_http_response_header(const coproc_http_response* response, const char* name) {
  return coproc::capi::find_header(response ? &response->headers : nullptr, name);
}

size_t coproc_http_response_header_count(const coproc_http_response* response) {
  return response ? response->headers.size() : 0;
}

coproc_status coproc_http_response_header_at(const coproc_http_response* response, size_t index,
                                             const char** name, const char** value) {
  return coproc::capi::header_at(__func__, "response", response ? &response->headers : nullptr,
                                 index, name, value);
}

const void* coproc_http_response_body(const coproc_http_response* response, size_t* len) {
  if (!response) {
    if (len) *len = 0;
    return "";
  }
  if (len) *len = response->body.size();
  return response->body.c_str();
}

long long coproc_http_response_bytes_written(const coproc_http_response* response) {
  return response ? response->bytes_written : 0;
}

const char* coproc_http_response_url(const coproc_http_response* response) {
  return response ? response->url.c_str() : "";
}

void coproc_http_response_free(coproc_http_response* response) { delete response; }

}  // extern "C"
