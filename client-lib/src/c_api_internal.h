// Shared by every C ABI file (c_api.cc, c_api_mail.cc, c_api_http.cc): the
// handle's layout and the helpers that keep the ABI rules — statuses,
// per-thread error messages, library-owned memory, no exception crossing.
#pragma once

#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "coproc/client.hpp"
#include "coproc/coproc.h"

struct coproc_client {
  coproc::Client cpp;
  /// Options as the caller set them (empty strings: defaults).
  coproc::ClientOptions requested;
  /// Last error message of each thread that used this handle.
  std::mutex errors_mu;
  std::unordered_map<std::thread::id, std::string> errors;
};

namespace coproc {
class AsyncCall;
}

struct coproc_pending {
  coproc_client* client;
  std::shared_ptr<coproc::AsyncCall> call;
};

namespace coproc::capi {

/// Wraps a started asynchronous call in a handle for the C caller; nullptr
/// and a recorded error when `call` is null (the start failed: `error`).
coproc_status make_pending(coproc_client* c, std::shared_ptr<AsyncCall> call,
                           const CallResult& error, coproc_pending** out);

/// Records `message` as this thread's last error on `c` (or in the
/// thread-local slot when `c` is NULL) and returns `s`. Bytes that are not
/// valid UTF-8 (a caller's path, a co-process message) are written as
/// `\xNN`, so every message is valid UTF-8.
coproc_status fail(coproc_client* c, coproc_status s, std::string message);
/// Clears this thread's last error on `c`; returns COPROC_OK.
coproc_status succeed(coproc_client* c);
/// The checks a call function `fn` starts with: a client and a method name;
/// COPROC_OK, or a recorded COPROC_E_MISUSE.
coproc_status check_call(coproc_client* c, const char* fn, const char* method);
/// COPROC_OK, or records "name: message" of a failed result.
coproc_status from_result(coproc_client* c, const CallResult& r);

/// The headers a handle hands out by index (an HTTP response's, a gateway
/// request's), in the order received.
using HeaderPairs = std::vector<std::pair<std::string, std::string>>;
/// Value of the first header named `name` (case-insensitive); nullptr when
/// there is none, `headers` is NULL (a NULL handle) or `name` is NULL.
const char* find_header(const HeaderPairs* headers, const char* name);
/// The body of coproc_*_header_at (`fn`): header `index` into `*name` and
/// `*value`, or COPROC_E_MISUSE in the thread-local slot when `headers` (the
/// `handle`, NULL), `name` or `value` is NULL or `index` is out of range.
coproc_status header_at(const char* fn, const char* handle, const HeaderPairs* headers,
                        std::size_t index, const char** name, const char** value);

/// NUL-terminated copy freed by coproc_free; nullptr when out of memory.
char* dup_string(std::string_view s);
/// Copy freed by coproc_free (at least one byte is allocated).
void* dup_bytes(std::string_view s);

/// Runs `body` (returning coproc_status) of the C function `function`;
/// exceptions become statuses with a "function: message" text.
template <class F>
coproc_status guard(coproc_client* c, const char* function, F&& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(c, COPROC_E_NOMEM, std::string(function) + ": out of memory");
  } catch (const std::exception& e) {
    return fail(c, COPROC_E_INTERNAL, std::string(function) + ": internal error: " + e.what());
  } catch (...) {
    return fail(c, COPROC_E_INTERNAL, std::string(function) + ": internal error");
  }
}

}  // namespace coproc::capi
