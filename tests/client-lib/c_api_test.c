/* The C ABI used from C, the way a legacy application would: compiled as
 * C11, linked with the shared libcoproc. Run by c_api_test.cc against a
 * real coprocess: argv[1] is its runtime dir (started with
 * debug.methods=true), argv[2] an empty dir where nothing runs.
 * Prints "ok: N checks" and exits 0, or "FAIL: ..." lines and exits 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

#include "coproc/coproc.h"
#include "coproc/http.h"
#include "c_check.h"

static void check_constants(void) {
  CHECK(strcmp(coproc_version(), COPROC_VERSION) == 0);
  CHECK(coproc_version_number() == COPROC_VERSION_NUMBER);
  CHECK(strcmp(coproc_status_str(COPROC_OK), "ok") == 0);
  CHECK(strcmp(coproc_status_str(COPROC_E_TIMEOUT), "timeout") == 0);
  CHECK(strcmp(coproc_status_str(COPROC_E_CONNECTION_LOST), "connection_lost") == 0);
  CHECK(strcmp(coproc_status_str((coproc_status)999), "unknown") == 0);
  CHECK(COPROC_E_BAD_REQUEST == 1 && COPROC_E_CONFLICT == 12 && COPROC_E_MISUSE == 100 &&
        COPROC_E_IO == 107);
}

static void check_copy_text(void) {
  char buf[8];
  CHECK(coproc_copy_text("abc", buf, sizeof buf) == 3);
  CHECK(memcmp(buf, "abc     ", 8) == 0);
  CHECK(coproc_copy_text("0123456789", buf, sizeof buf) == 10);
  CHECK(memcmp(buf, "01234567", 8) == 0);
  CHECK(coproc_copy_text(NULL, buf, sizeof buf) == 0);
  CHECK(memcmp(buf, "        ", 8) == 0);
  CHECK(coproc_copy_text("abc", NULL, 0) == 3);
}

static void check_null_handling(void) {
  char* json = (char*)"untouched";
  void* raw = (void*)"untouched";
  size_t raw_len = 7;
  long long rtt = -1;
  CHECK(coproc_client_new(NULL) == COPROC_E_MISUSE);
  CHECK(contains(coproc_errmsg(NULL), "out is NULL"));
  CHECK(coproc_client_connect(NULL) == COPROC_E_MISUSE);
  CHECK(coproc_call_json(NULL, "sys.ping", NULL, &json) == COPROC_E_MISUSE);
  CHECK(json == NULL);
  CHECK(coproc_call(NULL, "sys.ping", NULL, 0, &raw, &raw_len) == COPROC_E_MISUSE);
  CHECK(raw == NULL && raw_len == 0);
  CHECK(coproc_ping(NULL, &rtt) == COPROC_E_MISUSE);
  CHECK(rtt == 0);
  CHECK(contains(coproc_errmsg(NULL), "coproc_ping: client is NULL"));
  {
    /* Every output is set on every failure, a NULL client included. */
    coproc_http_response* response = (coproc_http_response*)&rtt;
    coproc_http_request* request = NULL;
    const char* name = "untouched";
    const char* value = "untouched";
    CHECK(coproc_http_get(NULL, "http://127.0.0.1/", &response) == COPROC_E_MISUSE);
    CHECK(response == NULL);
    response = (coproc_http_response*)&rtt;
    CHECK(coproc_http_request_new(&request, "GET", "http://127.0.0.1/") == COPROC_OK);
    CHECK(coproc_http_perform(NULL, request, &response) == COPROC_E_MISUSE);
    CHECK(response == NULL);
    CHECK(contains(coproc_errmsg(NULL), "coproc_http_perform: client is NULL"));
    coproc_http_request_free(request);
    CHECK(coproc_http_response_header_at(NULL, 0, &name, &value) == COPROC_E_MISUSE);
    CHECK(name == NULL && value == NULL);
  }
  coproc_client_close(NULL); /* no-op */
  coproc_free(NULL);         /* no-op */
}

static void check_options(coproc_client* c) {
  CHECK(coproc_client_set_int(c, COPROC_OPT_CALL_TIMEOUT_MS, 0) == COPROC_E_MISUSE);
  CHECK(contains(coproc_errmsg(c), "COPROC_OPT_CALL_TIMEOUT_MS must be between 1"));
  CHECK(coproc_client_set_int(c, COPROC_OPT_AUTO_LAUNCH, 2) == COPROC_E_MISUSE);
  CHECK(coproc_client_set_int(c, (coproc_int_option)77, 1) == COPROC_E_MISUSE);
  CHECK(contains(coproc_errmsg(c), "unknown option 77"));
  CHECK(coproc_client_set_str(c, (coproc_str_option)77, "x") == COPROC_E_MISUSE);
  CHECK(coproc_client_set_int(c, COPROC_OPT_RETRIES, 2) == COPROC_OK);
  CHECK(strcmp(coproc_errmsg(c), "") == 0); /* success clears the message */
  CHECK(coproc_client_set_str(c, COPROC_OPT_CLIENT_NAME, "c_api_test") == COPROC_OK);
}

static void check_deadlines_and_limits(coproc_client* c);

/* A monotonic clock in milliseconds, for lower bounds on waits only: an
   upper bound on wall-clock time fails on a loaded machine. */
static double now_ms(void) {
#ifdef _WIN32
  LARGE_INTEGER frequency, counter;
  QueryPerformanceFrequency(&frequency);
  QueryPerformanceCounter(&counter);
  return (double)counter.QuadPart * 1000.0 / (double)frequency.QuadPart;
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
#endif
}

static void check_calls(coproc_client* c) {
  char* json = NULL;
  void* raw = NULL;
  size_t raw_len = 0;
  long long rtt = -1;
  static const char no_args[] = {(char)0x91, (char)0x80}; /* [{}] */

  CHECK(coproc_client_connect(c) == COPROC_OK);
  CHECK(coproc_ping(c, &rtt) == COPROC_OK);
  CHECK(rtt >= 0);
  CHECK(coproc_ping(c, NULL) == COPROC_OK);

  CHECK(coproc_call_json(c, "sys.hello", "{\"protocol\": 1, \"client\": \"c\"}", &json) ==
        COPROC_OK);
  CHECK(contains(json, "\"protocol\":1"));
  coproc_free(json);

  CHECK(coproc_call_json(c, "debug.echo", "{\"data\": \"h\\u00e9\"}", &json) == COPROC_OK);
  CHECK(json != NULL && strcmp(json, "{\"data\":\"h\xc3\xa9\"}") == 0);
  coproc_free(json);

  CHECK(coproc_call_json(c, "debug.echo", "{\"data\": {\"$base64\": \"AAEC/w==\"}}", &json) ==
        COPROC_OK);
  CHECK(json != NULL && strcmp(json, "{\"data\":{\"$base64\":\"AAEC/w==\"}}") == 0);
  coproc_free(json);

  CHECK(coproc_call(c, "sys.ping", no_args, sizeof no_args, &raw, &raw_len) == COPROC_OK);
  CHECK(raw != NULL && raw_len > 0);
  coproc_free(raw);
  CHECK(coproc_call(c, "sys.ping", NULL, 0, &raw, &raw_len) == COPROC_OK);
  coproc_free(raw);

  /* Failures: status, message, and NULL outputs. */
  json = (char*)"untouched";
  CHECK(coproc_call_json(c, "sys.ping", "{\"a\": }", &json) == COPROC_E_JSON);
  CHECK(json == NULL);
  CHECK(contains(coproc_errmsg(c), "json: invalid JSON at byte 6"));

  CHECK(coproc_call_json(c, "no.such_method", NULL, &json) == COPROC_E_NOT_FOUND);
  CHECK(contains(coproc_errmsg(c), "not_found: unknown method 'no.such_method'"));

  CHECK(coproc_call_json(c, "debug.sleep", "{\"ms\": -5}", &json) == COPROC_E_BAD_REQUEST);
  CHECK(contains(coproc_errmsg(c), "bad_request:"));

  CHECK(coproc_call(c, NULL, NULL, 0, &raw, &raw_len) == COPROC_E_MISUSE);
  CHECK(coproc_call(c, "sys.ping", NULL, 5, &raw, &raw_len) == COPROC_E_MISUSE);
  CHECK(coproc_call(c, "sys.ping", "\xc1", 1, &raw, &raw_len) == COPROC_E_MISUSE);
  CHECK(coproc_call_json(c, "sys.ping", NULL, NULL) == COPROC_E_MISUSE);

  CHECK(coproc_client_set_int(c, COPROC_OPT_CALL_TIMEOUT_MS, 100) == COPROC_OK);
  CHECK(coproc_call_json(c, "debug.sleep", "{\"ms\": 3000}", &json) == COPROC_E_TIMEOUT);
  CHECK(contains(coproc_errmsg(c), "timeout: no answer to debug.sleep within 100 ms"));
  CHECK(coproc_client_set_int(c, COPROC_OPT_CALL_TIMEOUT_MS, 30000) == COPROC_OK);

  /* Messages are valid UTF-8 and never echo raw input bytes. */
  CHECK(coproc_call_json(c, "sys.ping", "\xff\xfe", &json) == COPROC_E_JSON);
  CHECK(contains(coproc_errmsg(c), "json: invalid JSON at byte 0: unexpected character byte 0xff"));
  CHECK(strchr(coproc_errmsg(c), '\xff') == NULL);

  check_deadlines_and_limits(c);

  /* The handle keeps working after every failure above. */
  CHECK(coproc_ping(c, &rtt) == COPROC_OK);
  CHECK(strcmp(coproc_errmsg(c), "") == 0);
}

static void check_deadlines_and_limits(coproc_client* c) {
  char* json = NULL;
  int ok = 0, timed_out = 0, early = 0, other = 0;
  double shortest = 1e9;
  int i;
  size_t n;
  char* big;
  /* 1 ms means 1 ms: the time left is rounded up, never down to a wait that
     does not wait (which failed nearly every such call at once). How many
     pings a loaded machine answers within 1 ms is the machine's business
     (under wine at load 10, 5 of 20); a ping that times out must have
     waited its millisecond first, and none may fail any other way. */
  CHECK(coproc_client_set_int(c, COPROC_OPT_CALL_TIMEOUT_MS, 1) == COPROC_OK);
  for (i = 0; i < 20; ++i) {
    const double start = now_ms();
    const coproc_status s = coproc_ping(c, NULL);
    const double waited = now_ms() - start;
    if (s == COPROC_OK) {
      ++ok;
    } else if (s == COPROC_E_TIMEOUT) {
      ++timed_out;
      if (waited < shortest) shortest = waited;
      if (waited < 1.0) ++early;
    } else {
      ++other;
    }
  }
  CHECK(early == 0);
  CHECK(other == 0);
  if (early != 0 || other != 0) {
    printf("pings with a 1 ms call timeout: %d ok, %d timed out (%d of them in under 1 ms, "
           "the shortest after %.3f ms), %d failed otherwise\n",
           ok, timed_out, early, shortest, other);
  }
  CHECK(coproc_client_set_int(c, COPROC_OPT_CALL_TIMEOUT_MS, 30000) == COPROC_OK);

  /* A request the co-process refuses while it is still being written: its
     too_large answer is read and returned, not "connection lost". */
  n = 20u << 20;
  big = (char*)malloc(n + 32);
  if (big != NULL) {
    strcpy(big, "{\"data\": \"");
    memset(big + 10, 'x', n);
    strcpy(big + 10 + n, "\"}");
    CHECK(coproc_call_json(c, "debug.echo", big, &json) == COPROC_E_TOO_LARGE);
    CHECK(contains(coproc_errmsg(c), "too_large: a string is longer than"));
    CHECK(json == NULL);
    /* Valid JSON with more entries than any server limit: too_large too. */
    n = 1100000;
    big[0] = '[';
    for (i = 0; i < (int)n; ++i) {
      big[1 + 2 * i] = '0';
      big[2 + 2 * i] = ',';
    }
    big[2 * n] = ']';
    big[2 * n + 1] = '\0';
    CHECK(coproc_call_json(c, "sys.ping", big, &json) == COPROC_E_TOO_LARGE);
    CHECK(contains(coproc_errmsg(c), "too_large: params hold an array or map of more than"));
    free(big);
  }
}

/* Asynchronous calls, the same over a Unix socket and a Windows pipe. */
static void check_async(coproc_client* c) {
  coproc_pending* p[2] = {NULL, NULL};
  size_t index = 9;
  char* json = NULL;
  int fd = 0;
  void* event = NULL;
  CHECK(coproc_call_json_async(c, "debug.sleep", "{\"ms\": 5000}", &p[0]) == COPROC_OK);
  CHECK(coproc_call_json_async(c, "sys.ping", NULL, &p[1]) == COPROC_OK);
  CHECK(coproc_wait_any(p, 2, 5000, &index) == COPROC_OK);
  CHECK(index == 1);
  CHECK(coproc_pending_result_json(p[1], &json) == COPROC_OK);
  CHECK(contains(json, "pong"));
  coproc_free(json);
  json = NULL;
  CHECK(coproc_pending_ready(p[0]) == 0);
  CHECK(coproc_pending_cancel(p[0]) == COPROC_OK);
  CHECK(coproc_pending_wait(p[0], 1000) == COPROC_OK);
  CHECK(coproc_pending_result_json(p[0], &json) == COPROC_E_CANCELLED);
  CHECK(json == NULL);
  coproc_pending_free(p[0]);
  coproc_pending_free(p[1]);
#ifdef _WIN32
  CHECK(coproc_client_async_event(c, &event) == COPROC_OK);
  CHECK(event != NULL);
  CHECK(coproc_client_async_fd(c, &fd) == COPROC_E_MISUSE);
  CHECK(fd == -1);
#else
  CHECK(coproc_client_async_fd(c, &fd) == COPROC_OK);
  CHECK(fd >= 0);
  CHECK(coproc_client_async_event(c, &event) == COPROC_E_MISUSE);
  CHECK(event == NULL);
#endif
}

static void check_not_running(const char* empty_dir) {
  coproc_client* c = NULL;
  char path[512];
  char* json = NULL;
  snprintf(path, sizeof path, "%s/coproc.sock", empty_dir);
  CHECK(coproc_client_new(&c) == COPROC_OK);
  CHECK(coproc_client_set_str(c, COPROC_OPT_ENDPOINT, path) == COPROC_OK);
  CHECK(coproc_client_set_int(c, COPROC_OPT_AUTO_LAUNCH, 0) == COPROC_OK);
  CHECK(coproc_client_connect(c) == COPROC_E_NOT_RUNNING);
  CHECK(contains(coproc_errmsg(c), "not_running: the co-process is not running"));
  CHECK(coproc_client_set_int(c, COPROC_OPT_AUTO_LAUNCH, 1) == COPROC_OK);
  CHECK(coproc_call_json(c, "sys.ping", NULL, &json) == COPROC_E_SERVICE_NOT_RUNNING);
  CHECK(json == NULL);
  CHECK(contains(coproc_errmsg(c), "control.sock"));
  coproc_client_close(c);
}

int main(int argc, char** argv) {
  coproc_client* c = NULL;
  char endpoint[512];
  if (argc != 3) {
    fprintf(stderr, "usage: %s RUNTIME_DIR EMPTY_DIR\n", argv[0]);
    return 2;
  }
  check_constants();
  check_copy_text();
  check_null_handling();
  CHECK(coproc_client_new(&c) == COPROC_OK);
  CHECK(c != NULL);
  if (c != NULL) {
    snprintf(endpoint, sizeof endpoint, "%s/coproc.sock", argv[1]);
    CHECK(coproc_client_set_str(c, COPROC_OPT_ENDPOINT, endpoint) == COPROC_OK);
    check_options(c);
    check_calls(c);
    check_async(c);
    coproc_client_close(c);
  }
  check_not_running(argv[2]);
  if (failures) {
    printf("%d of %d checks failed\n", failures, checks);
    return 1;
  }
  printf("ok: %d checks\n", checks);
  return 0;
}
