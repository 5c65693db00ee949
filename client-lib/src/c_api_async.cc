// The asynchronous half of the C ABI (coproc.h): starting calls without
// waiting, pending handles, waiting for one or any, the descriptor for an
// event loop. The calls themselves live in async_call.h.
#include <cstring>
#include <optional>
#include <vector>

#include "async_call.h"
#include "c_api_internal.h"
#include "coproc/coproc.h"
#include "json_bridge.h"

namespace coproc::capi {

coproc_status make_pending(coproc_client* c, std::shared_ptr<AsyncCall> call,
                           const CallResult& error, coproc_pending** out) {
  if (!call) return from_result(c, error);
  *out = new coproc_pending{c, std::move(call)};
  return succeed(c);
}

namespace {

std::optional<AsyncHub::Clock::time_point> deadline_of(long timeout_ms) {
  if (timeout_ms < 0) return std::nullopt;
  return AsyncHub::Clock::now() + std::chrono::milliseconds(timeout_ms);
}

// The result of the completed call of `p` in `*r`, or a recorded failure:
// COPROC_E_MISUSE while it is still running, its own error when it failed.
coproc_status completed_result(coproc_pending* p, const char* fn, CallResult* r) {
  if (!p->call->ready()) {
    return fail(p->client, COPROC_E_MISUSE,
                std::string(fn) + ": " + p->call->method() +
                    " has not completed yet (see coproc_pending_ready)");
  }
  *r = p->call->result();
  return r->ok() ? COPROC_OK : from_result(p->client, *r);
}

}  // namespace
}  // namespace coproc::capi

using namespace coproc;
using coproc::capi::fail;
using coproc::capi::guard;

extern "C" {

coproc_status coproc_call_async(coproc_client* c, const char* method, const void* params,
                                size_t params_len, coproc_pending** out) {
  if (out) *out = nullptr;
  if (auto st = capi::check_call(c, __func__, method); st != COPROC_OK) return st;
  if (!out) return fail(c, COPROC_E_MISUSE, "coproc_call_async: out is NULL");
  if (!params && params_len) {
    return fail(c, COPROC_E_MISUSE, "coproc_call_async: params is NULL but params_len is not 0");
  }
  return guard(c, __func__, [&] {
    const std::string_view p(static_cast<const char*>(params), params ? params_len : 0);
    CallResult error;
    auto call = c->cpp.call_async(method, p, &error);
    return capi::make_pending(c, std::move(call), error, out);
  });
}

coproc_status coproc_call_json_async(coproc_client* c, const char* method,
                                     const char* params_json, coproc_pending** out) {
  if (out) *out = nullptr;
  if (auto st = capi::check_call(c, __func__, method); st != COPROC_OK) return st;
  if (!out) return fail(c, COPROC_E_MISUSE, "coproc_call_json_async: out is NULL");
  return guard(c, __func__, [&] {
    std::string packed, error;
    if (!json::params_to_msgpack(params_json ? params_json : "", &packed, &error)) {
      return fail(c, COPROC_E_JSON, "json: " + error);
    }
    CallResult failed;
    auto call = c->cpp.call_async(method, packed, &failed);
    return capi::make_pending(c, std::move(call), failed, out);
  });
}

int coproc_pending_ready(const coproc_pending* p) {
  if (!p) return 0;
  try {
    return p->call->ready() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

coproc_status coproc_pending_wait(coproc_pending* p, long timeout_ms) {
  if (!p) return fail(nullptr, COPROC_E_MISUSE, "coproc_pending_wait: pending is NULL");
  return guard(p->client, __func__, [&] {
    AsyncCall& call = *p->call;
    if (call.hub().wait(capi::deadline_of(timeout_ms), [&] { return call.ready(); })) {
      return capi::succeed(p->client);
    }
    return fail(p->client, COPROC_E_TIMEOUT,
                "coproc_pending_wait: " + call.method() + " has not completed within " +
                    std::to_string(timeout_ms) + " ms (it goes on)");
  });
}

coproc_status coproc_pending_result(coproc_pending* p, void** result, size_t* result_len) {
  if (result) *result = nullptr;
  if (result_len) *result_len = 0;
  if (!p) return fail(nullptr, COPROC_E_MISUSE, "coproc_pending_result: pending is NULL");
  if (!result || !result_len) {
    return fail(p->client, COPROC_E_MISUSE,
                "coproc_pending_result: result and result_len must not be NULL");
  }
  return guard(p->client, __func__, [&] {
    CallResult r;
    if (auto st = capi::completed_result(p, "coproc_pending_result", &r); st != COPROC_OK) {
      return st;
    }
    void* out = capi::dup_bytes(r.result);
    if (!out) {
      return fail(p->client, COPROC_E_NOMEM, "coproc_pending_result: out of memory");
    }
    *result = out;
    *result_len = r.result.size();
    return capi::succeed(p->client);
  });
}

coproc_status coproc_pending_result_json(coproc_pending* p, char** result_json) {
  if (result_json) *result_json = nullptr;
  if (!p) return fail(nullptr, COPROC_E_MISUSE, "coproc_pending_result_json: pending is NULL");
  if (!result_json) {
    return fail(p->client, COPROC_E_MISUSE, "coproc_pending_result_json: result_json is NULL");
  }
  return guard(p->client, __func__, [&] {
    CallResult r;
    if (auto st = capi::completed_result(p, "coproc_pending_result_json", &r); st != COPROC_OK) {
      return st;
    }
    std::string text, error;
    if (!msgpack_to_json(r.result, &text, &error)) {
      return fail(p->client, COPROC_E_PROTOCOL,
                  "protocol: the result of " + p->call->method() + " cannot be shown as JSON: " +
                      error);
    }
    char* out = capi::dup_string(text);
    if (!out) {
      return fail(p->client, COPROC_E_NOMEM, "coproc_pending_result_json: out of memory");
    }
    *result_json = out;
    return capi::succeed(p->client);
  });
}

coproc_status coproc_pending_cancel(coproc_pending* p) {
  if (!p) return fail(nullptr, COPROC_E_MISUSE, "coproc_pending_cancel: pending is NULL");
  return guard(p->client, __func__, [&] {
    p->call->cancel();
    return capi::succeed(p->client);
  });
}

void coproc_pending_free(coproc_pending* p) {
  if (!p) return;
  try {
    p->call->cancel();
    p->call->collect();
  } catch (...) {
    // Nothing may cross the ABI; the handle is freed regardless.
  }
  delete p;
}

coproc_status coproc_wait_any(coproc_pending* const* pendings, size_t n, long timeout_ms,
                              size_t* index) {
  if (index) *index = n;
  coproc_client* c = nullptr;
  for (size_t i = 0; pendings && i < n; ++i) {
    if (!pendings[i]) continue;
    if (c && pendings[i]->client != c) {
      return fail(c, COPROC_E_MISUSE,
                  "coproc_wait_any: the calls belong to different clients (entry " +
                      std::to_string(i) + ")");
    }
    c = pendings[i]->client;
  }
  if (!index) return fail(c, COPROC_E_MISUSE, "coproc_wait_any: index is NULL");
  if (!c) {
    return fail(nullptr, COPROC_E_MISUSE,
                "coproc_wait_any: no call given (pendings is NULL, n is 0 or every entry is NULL)");
  }
  return guard(c, __func__, [&] {
    size_t found = n;
    auto any_ready = [&] {
      for (size_t i = 0; i < n; ++i) {
        if (pendings[i] && pendings[i]->call->ready()) {
          found = i;
          return true;
        }
      }
      return false;
    };
    if (c->cpp.async_hub().wait(capi::deadline_of(timeout_ms), any_ready)) {
      *index = found;
      return capi::succeed(c);
    }
    return fail(c, COPROC_E_TIMEOUT,
                "coproc_wait_any: none of the calls completed within " +
                    std::to_string(timeout_ms) + " ms (they go on)");
  });
}

coproc_status coproc_client_async_fd(coproc_client* c, int* fd) {
  if (fd) *fd = -1;
  if (!c) return fail(nullptr, COPROC_E_MISUSE, "coproc_client_async_fd: client is NULL");
  if (!fd) return fail(c, COPROC_E_MISUSE, "coproc_client_async_fd: fd is NULL");
  const int value = c->cpp.async_hub().signal().fd();
  if (value < 0) {
    return fail(c, COPROC_E_MISUSE,
                "coproc_client_async_fd: no descriptor on this platform; use "
                "coproc_client_async_event");
  }
  *fd = value;
  return capi::succeed(c);
}

coproc_status coproc_client_async_event(coproc_client* c, void** event) {
  if (event) *event = nullptr;
  if (!c) return fail(nullptr, COPROC_E_MISUSE, "coproc_client_async_event: client is NULL");
  if (!event) return fail(c, COPROC_E_MISUSE, "coproc_client_async_event: event is NULL");
  void* value = c->cpp.async_hub().signal().handle();
  if (!value) {
    return fail(c, COPROC_E_MISUSE,
                "coproc_client_async_event: no event HANDLE on this platform; use "
                "coproc_client_async_fd");
  }
  *event = value;
  return capi::succeed(c);
}

}  // extern "C"
