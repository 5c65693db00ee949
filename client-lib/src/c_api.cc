// The C ABI of libcoproc (coproc.h): client handles, options, calls, the
// JSON bridge, memory and error messages.
#include <strings.h>

#include <cstdlib>
#include <cstring>

#include "c_api_internal.h"
#include "coproc/coproc.h"
#include "json_bridge.h"

namespace coproc::capi {
namespace {

thread_local std::string t_last_error;  // failures without a handle

/// The body of coproc_client_set_str / _set_int: `edit` changes a copy of
/// the requested options (COPROC_OK) or refuses (a recorded failure); only
/// an accepted copy reaches the client.
template <class Edit>
coproc_status edit_options(coproc_client* c, const char* fn, Edit&& edit) {
  if (!c) return fail(nullptr, COPROC_E_MISUSE, std::string(fn) + ": client is NULL");
  return guard(c, fn, [&] {
    ClientOptions o = c->requested;
    if (const coproc_status st = edit(o); st != COPROC_OK) return st;
    c->requested = o;
    c->cpp.set_options(o);
    return succeed(c);
  });
}

coproc_status unknown_option(coproc_client* c, const char* fn, int option) {
  return fail(c, COPROC_E_MISUSE, std::string(fn) + ": unknown option " + std::to_string(option));
}

}  // namespace

coproc_status fail(coproc_client* c, coproc_status s, std::string message) {
  try {
    message = json::printable_utf8(message);
    if (!c) {
      t_last_error = std::move(message);
      return s;
    }
    std::lock_guard<std::mutex> lock(c->errors_mu);
    c->errors[std::this_thread::get_id()] = std::move(message);
  } catch (...) {
    // Out of memory while recording the message: the status still stands.
  }
  return s;
}

coproc_status succeed(coproc_client* c) {
  if (!c) {
    t_last_error.clear();
    return COPROC_OK;
  }
  std::lock_guard<std::mutex> lock(c->errors_mu);
  auto it = c->errors.find(std::this_thread::get_id());
  if (it != c->errors.end()) it->second.clear();
  return COPROC_OK;
}

coproc_status check_call(coproc_client* c, const char* fn, const char* method) {
  if (!c) return fail(nullptr, COPROC_E_MISUSE, std::string(fn) + ": client is NULL");
  if (!method || !*method) {
    return fail(c, COPROC_E_MISUSE, std::string(fn) + ": method is NULL or empty");
  }
  return COPROC_OK;
}

coproc_status from_result(coproc_client* c, const CallResult& r) {
  if (r.ok()) return succeed(c);
  return fail(c, r.status, r.error_name + ": " + r.error_message);
}

const char* find_header(const HeaderPairs* headers, const char* name) {
  if (!headers || !name) return nullptr;
  for (const auto& [n, v] : *headers) {
    if (::strcasecmp(n.c_str(), name) == 0) return v.c_str();
  }
  return nullptr;
}

coproc_status header_at(const char* fn, const char* handle, const HeaderPairs* headers,
                        std::size_t index, const char** name, const char** value) {
  if (name) *name = nullptr;
  if (value) *value = nullptr;
  if (!headers || !name || !value) {
    return fail(nullptr, COPROC_E_MISUSE,
                std::string(fn) + ": " + handle + ", name or value is NULL");
  }
  if (index >= headers->size()) {
    return fail(nullptr, COPROC_E_MISUSE,
                std::string(fn) + ": index " + std::to_string(index) + " is out of range (" +
                    std::to_string(headers->size()) + " headers)");
  }
  *name = (*headers)[index].first.c_str();
  *value = (*headers)[index].second.c_str();
  return COPROC_OK;
}

char* dup_string(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) return nullptr;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

void* dup_bytes(std::string_view s) {
  void* p = std::malloc(s.empty() ? 1 : s.size());
  if (p && !s.empty()) std::memcpy(p, s.data(), s.size());
  return p;
}

}  // namespace coproc::capi

using namespace coproc;
using coproc::capi::fail;
using coproc::capi::guard;

extern "C" {

const char* coproc_version(void) { return COPROC_VERSION; }

int coproc_version_number(void) { return COPROC_VERSION_NUMBER; }

const char* coproc_status_str(coproc_status status) { return status_name(status); }

coproc_status coproc_client_new(coproc_client** out) {
  if (!out) return fail(nullptr, COPROC_E_MISUSE, "coproc_client_new: out is NULL");
  *out = nullptr;
  return guard(nullptr, __func__, [&] {
    *out = new coproc_client{Client(), ClientOptions{}, {}, {}};
    return capi::succeed(nullptr);
  });
}

coproc_status coproc_client_set_str(coproc_client* c, coproc_str_option option, const char* value) {
  return capi::edit_options(c, __func__, [&](ClientOptions& o) {
    const std::string v = value ? value : "";
    switch (option) {
      case COPROC_OPT_ENDPOINT: o.endpoint = v; break;
      case COPROC_OPT_CONTROL_ENDPOINT: o.control_endpoint = v; break;
      case COPROC_OPT_CLIENT_NAME: o.client_name = v.empty() ? "libcoproc" : v; break;
      case COPROC_STR_OPTION_FORCE_INT:
      default:
        return capi::unknown_option(c, "coproc_client_set_str", option);
    }
    return COPROC_OK;
  });
}

coproc_status coproc_client_set_int(coproc_client* c, coproc_int_option option, long long value) {
  return capi::edit_options(c, __func__, [&](ClientOptions& o) {
    constexpr long long kMaxMs = 24LL * 3600 * 1000;
    auto range = [&](const char* name, long long min, long long max) {
      return fail(c, COPROC_E_MISUSE, std::string("coproc_client_set_int: ") + name +
                                          " must be between " + std::to_string(min) + " and " +
                                          std::to_string(max) + ", got " + std::to_string(value));
    };
    switch (option) {
      case COPROC_OPT_CONNECT_TIMEOUT_MS:
        if (value < 1 || value > kMaxMs) return range("COPROC_OPT_CONNECT_TIMEOUT_MS", 1, kMaxMs);
        o.connect_timeout_ms = static_cast<int>(value);
        break;
      case COPROC_OPT_CALL_TIMEOUT_MS:
        if (value < 1 || value > kMaxMs) return range("COPROC_OPT_CALL_TIMEOUT_MS", 1, kMaxMs);
        o.call_timeout_ms = static_cast<int>(value);
        break;
      case COPROC_OPT_RETRIES:
        if (value < 0 || value > 1000) return range("COPROC_OPT_RETRIES", 0, 1000);
        o.retries = static_cast<int>(value);
        break;
      case COPROC_OPT_AUTO_LAUNCH:
        if (value < 0 || value > 1) return range("COPROC_OPT_AUTO_LAUNCH", 0, 1);
        o.auto_launch = value == 1;
        break;
      case COPROC_INT_OPTION_FORCE_INT:
      default:
        return capi::unknown_option(c, "coproc_client_set_int", option);
    }
    return COPROC_OK;
  });
}

coproc_status coproc_client_connect(coproc_client* c) {
  if (!c) return fail(nullptr, COPROC_E_MISUSE, "coproc_client_connect: client is NULL");
  return guard(c, __func__, [&] {
    std::string message;
    const coproc_status s = c->cpp.connect(&message);
    if (s == COPROC_OK) return capi::succeed(c);
    return fail(c, s, std::string(status_name(s)) + ": " + message);
  });
}

void coproc_client_close(coproc_client* c) {
  if (!c) return;
  try {
    delete c;
  } catch (...) {
    // Destructors do not throw; nothing may cross the ABI regardless.
  }
}

coproc_status coproc_call(coproc_client* c, const char* method, const void* params,
                          size_t params_len, void** result, size_t* result_len) {
  if (result) *result = nullptr;
  if (result_len) *result_len = 0;
  if (auto st = capi::check_call(c, __func__, method); st != COPROC_OK) return st;
  if (!result || !result_len) {
    return fail(c, COPROC_E_MISUSE, "coproc_call: result and result_len must not be NULL");
  }
  if (!params && params_len) {
    return fail(c, COPROC_E_MISUSE, "coproc_call: params is NULL but params_len is not 0");
  }
  return guard(c, __func__, [&] {
    const std::string_view p(static_cast<const char*>(params), params ? params_len : 0);
    CallResult r = c->cpp.call(method, p);
    if (!r.ok()) return capi::from_result(c, r);
    void* out = capi::dup_bytes(r.result);
    if (!out) return fail(c, COPROC_E_NOMEM, "coproc_call: out of memory copying the result");
    *result = out;
    *result_len = r.result.size();
    return capi::succeed(c);
  });
}

coproc_status coproc_call_json(coproc_client* c, const char* method, const char* params_json,
                               char** result_json) {
  if (result_json) *result_json = nullptr;
  if (auto st = capi::check_call(c, __func__, method); st != COPROC_OK) return st;
  if (!result_json) return fail(c, COPROC_E_MISUSE, "coproc_call_json: result_json is NULL");
  return guard(c, __func__, [&] {
    CallResult r = c->cpp.call_json(method, params_json ? params_json : "");
    if (!r.ok()) return capi::from_result(c, r);
    char* out = capi::dup_string(r.result);
    if (!out) return fail(c, COPROC_E_NOMEM, "coproc_call_json: out of memory copying the result");
    *result_json = out;
    return capi::succeed(c);
  });
}

coproc_status coproc_ping(coproc_client* c, long long* rtt_us) {
  if (rtt_us) *rtt_us = 0;
  if (!c) return fail(nullptr, COPROC_E_MISUSE, "coproc_ping: client is NULL");
  return guard(c, __func__, [&] {
    long long us = 0;
    CallResult r = c->cpp.ping(&us);
    if (r.ok() && rtt_us) *rtt_us = us;
    return capi::from_result(c, r);
  });
}

void coproc_free(void* memory) { std::free(memory); }

const char* coproc_errmsg(const coproc_client* c) {
  if (!c) return capi::t_last_error.c_str();
  auto* m = const_cast<coproc_client*>(c);
  try {
    std::lock_guard<std::mutex> lock(m->errors_mu);
    auto it = m->errors.find(std::this_thread::get_id());
    return it == m->errors.end() ? "" : it->second.c_str();
  } catch (...) {
    return "";
  }
}

size_t coproc_copy_text(const char* text, char* buffer, size_t buffer_len) {
  const size_t len = text ? std::strlen(text) : 0;
  if (!buffer) return len;
  const size_t n = len < buffer_len ? len : buffer_len;
  if (n) std::memcpy(buffer, text, n);
  if (buffer_len > n) std::memset(buffer + n, ' ', buffer_len - n);
  return len;
}

}  // extern "C"
