/* Asynchronous calls from a single-threaded C program (compiled as C11,
 * linked with the shared libcoproc), the way a legacy application uses
 * them. Run by async_c_api_test.cc against a real coprocess and nginx:
 * argv[1] is the co-process socket, argv[2] the nginx base URL
 * (http://127.0.0.1:PORT). Prints "ok: N checks" and exits 0, or "FAIL: ..."
 * lines and exits 1. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coproc/coproc.h"
#include "coproc/http.h"
#include "c_check.h"

#define CALLS 10

static const char* base_url;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void url_params(char* out, size_t len, const char* path) {
  snprintf(out, len, "{\"url\": \"%s%s\"}", base_url, path);
}


/* Starts CALLS GETs of /slow300ms without waiting. */
static void start_slow_gets(coproc_client* c, coproc_pending** p) {
  char params[256];
  int i;
  url_params(params, sizeof params, "/slow300ms");
  for (i = 0; i < CALLS; ++i) {
    p[i] = NULL;
    CHECK(coproc_call_json_async(c, "http.request", params, &p[i]) == COPROC_OK);
    CHECK(p[i] != NULL);
  }
}

/* Takes the result of p[i], checks it, frees it and clears the slot. */
static void collect(coproc_pending** p, size_t i) {
  char* json = NULL;
  CHECK(coproc_pending_ready(p[i]) == 1);
  CHECK(coproc_pending_result_json(p[i], &json) == COPROC_OK);
  CHECK(contains(json, "\"status\":200") || contains(json, "\"status\": 200"));
  CHECK(contains(json, "slow answer"));
  coproc_free(json);
  coproc_pending_free(p[i]);
  p[i] = NULL;
}

static void check_wait_any(coproc_client* c) {
  coproc_pending* p[CALLS];
  int left = CALLS;
  double start = now_ms(), took;
  start_slow_gets(c, p);
  /* Starting did not wait for any answer. */
  CHECK(now_ms() - start < 250);
  while (left > 0) {
    size_t i = 99;
    coproc_status st = coproc_wait_any(p, CALLS, 5000, &i);
    CHECK(st == COPROC_OK);
    if (st != COPROC_OK) break;
    CHECK(i < CALLS);
    collect(p, i);
    --left;
  }
  took = now_ms() - start;
  printf("10 async GETs of 300 ms with coproc_wait_any: %.0f ms\n", took);
  CHECK(left == 0);
  CHECK(took < 1500); /* one after the other: 3000 ms */
}

static void check_poll(coproc_client* c) {
  coproc_pending* p[CALLS];
  struct pollfd pfd;
  int fd = -1, left = CALLS, rounds = 0;
  double start = now_ms(), took;
  CHECK(coproc_client_async_fd(c, &fd) == COPROC_OK);
  CHECK(fd >= 0);
  pfd.fd = fd;
  pfd.events = POLLIN;
  /* Nothing completed and uncollected: not readable. */
  CHECK(poll(&pfd, 1, 0) == 0);
  start_slow_gets(c, p);
  while (left > 0 && rounds++ < 1000) {
    size_t i;
    int n = poll(&pfd, 1, 5000);
    CHECK(n == 1);
    if (n != 1) break;
    /* Readable means a call is ready: looking finds it without waiting. */
    while (coproc_wait_any(p, CALLS, 0, &i) == COPROC_OK) {
      collect(p, i);
      --left;
    }
  }
  took = now_ms() - start;
  printf("10 async GETs of 300 ms with poll(): %.0f ms\n", took);
  CHECK(left == 0);
  CHECK(took < 1500);
  /* All collected: no longer readable. */
  CHECK(poll(&pfd, 1, 0) == 0);
}

static void check_cancel(coproc_client* c) {
  char params[256];
  coproc_pending* p = NULL;
  void* result = NULL;
  size_t len = 7;
  double start;
  url_params(params, sizeof params, "/stream");
  CHECK(coproc_call_json_async(c, "http.request", params, &p) == COPROC_OK);
  CHECK(coproc_pending_wait(p, 300) == COPROC_E_TIMEOUT); /* the body takes 5 s */
  CHECK(contains(coproc_errmsg(c), "has not completed within 300 ms"));
  CHECK(coproc_pending_ready(p) == 0);
  CHECK(coproc_pending_result(p, &result, &len) == COPROC_E_MISUSE);
  CHECK(result == NULL && len == 0);
  CHECK(contains(coproc_errmsg(c), "has not completed yet"));
  start = now_ms();
  CHECK(coproc_pending_cancel(p) == COPROC_OK);
  CHECK(coproc_pending_wait(p, 0) == COPROC_OK);
  CHECK(coproc_pending_result(p, &result, &len) == COPROC_E_CANCELLED);
  CHECK(result == NULL);
  CHECK(contains(coproc_errmsg(c), "sys.cancel"));
  CHECK(now_ms() - start < 100);
  CHECK(coproc_pending_cancel(p) == COPROC_OK); /* again: no-op */
  coproc_pending_free(p);
  /* Freeing a call in flight cancels it too. */
  p = NULL;
  CHECK(coproc_call_json_async(c, "http.request", params, &p) == COPROC_OK);
  coproc_pending_free(p);
}

static void check_blocking_alongside(coproc_client* c) {
  char params[256];
  coproc_pending* p = NULL;
  long long rtt = 0;
  void* result = NULL;
  size_t len = 0;
  double start;
  url_params(params, sizeof params, "/slow300ms");
  CHECK(coproc_call_json_async(c, "http.request", params, &p) == COPROC_OK);
  start = now_ms();
  /* A blocking call while an asynchronous one is in flight is not held up. */
  CHECK(coproc_ping(c, &rtt) == COPROC_OK);
  CHECK(now_ms() - start < 200);
  CHECK(coproc_pending_wait(p, -1) == COPROC_OK);
  CHECK(coproc_pending_result(p, &result, &len) == COPROC_OK);
  CHECK(len > 0);
  coproc_free(result);
  coproc_pending_free(p);
}

static void check_msgpack_and_errors(coproc_client* c) {
  /* [{}] packed: sys.ping with no arguments. */
  static const unsigned char empty_params[] = {0x91, 0x80};
  static const unsigned char pong[] = {0x81, 0xa4, 'p', 'o', 'n', 'g', 0xc3};
  coproc_pending* p = NULL;
  coproc_pending* none[3] = {NULL, NULL, NULL};
  void* result = NULL;
  size_t len = 0, index = 0;
  char* json = NULL;
  void* event = (void*)1;

  CHECK(coproc_call_async(c, "sys.ping", empty_params, sizeof empty_params, &p) == COPROC_OK);
  CHECK(coproc_pending_wait(p, 5000) == COPROC_OK);
  CHECK(coproc_pending_result(p, &result, &len) == COPROC_OK);
  CHECK(len == sizeof pong && memcmp(result, pong, len) == 0);
  coproc_free(result);
  /* The same result again, and as JSON. */
  CHECK(coproc_pending_result_json(p, &json) == COPROC_OK);
  CHECK(contains(json, "\"pong\""));
  coproc_free(json);
  coproc_pending_free(p);

  /* A remote error is the call's status, with its message. */
  p = NULL;
  CHECK(coproc_call_json_async(c, "no.such", "{}", &p) == COPROC_OK);
  CHECK(coproc_pending_wait(p, 5000) == COPROC_OK);
  CHECK(coproc_pending_result_json(p, &json) == COPROC_E_NOT_FOUND);
  CHECK(json == NULL);
  CHECK(contains(coproc_errmsg(c), "no.such"));
  coproc_pending_free(p);

  /* Misuse is reported before anything is sent. */
  p = (coproc_pending*)1;
  CHECK(coproc_call_json_async(c, "sys.ping", "{bad json", &p) == COPROC_E_JSON);
  CHECK(p == NULL);
  CHECK(coproc_call_async(c, "sys.ping", "\x01", 1, &p) == COPROC_E_MISUSE);
  CHECK(coproc_call_async(c, "", NULL, 0, &p) == COPROC_E_MISUSE);
  CHECK(coproc_call_async(NULL, "sys.ping", NULL, 0, &p) == COPROC_E_MISUSE);
  CHECK(coproc_call_async(c, "sys.ping", NULL, 0, NULL) == COPROC_E_MISUSE);
  CHECK(coproc_wait_any(none, 3, 0, &index) == COPROC_E_MISUSE);
  CHECK(index == 3);
  CHECK(coproc_wait_any(NULL, 0, 0, &index) == COPROC_E_MISUSE);
  CHECK(coproc_pending_ready(NULL) == 0);
  CHECK(coproc_pending_wait(NULL, 0) == COPROC_E_MISUSE);
  CHECK(coproc_pending_cancel(NULL) == COPROC_E_MISUSE);
  CHECK(coproc_client_async_event(c, &event) == COPROC_E_MISUSE); /* POSIX: use the fd */
  CHECK(event == NULL);
  coproc_pending_free(NULL);
}

static void check_http_convenience(coproc_client* c) {
  char url[256];
  coproc_http_request* req = NULL;
  coproc_http_response* resp = (coproc_http_response*)1;
  coproc_pending* p = NULL;
  size_t len = 0;
  const char* body;
  snprintf(url, sizeof url, "%s/slow300ms", base_url);
  CHECK(coproc_http_request_new(&req, "GET", url) == COPROC_OK);
  CHECK(coproc_http_request_async(c, req, &p) == COPROC_OK);
  coproc_http_request_free(req); /* the call keeps what it needs */
  CHECK(coproc_http_pending_response(p, &resp) == COPROC_E_MISUSE);
  CHECK(resp == NULL);
  CHECK(coproc_pending_wait(p, 5000) == COPROC_OK);
  CHECK(coproc_http_pending_response(p, &resp) == COPROC_OK);
  CHECK(coproc_http_response_status(resp) == 200);
  body = (const char*)coproc_http_response_body(resp, &len);
  CHECK(len == 12 && memcmp(body, "slow answer\n", 12) == 0);
  coproc_http_response_free(resp);
  coproc_pending_free(p);

  /* An output file needs the blocking form. */
  p = NULL;
  CHECK(coproc_http_request_new(&req, "GET", url) == COPROC_OK);
  CHECK(coproc_http_request_set_output_file(req, "/dev/null") == COPROC_OK);
  CHECK(coproc_http_request_async(c, req, &p) == COPROC_E_MISUSE);
  CHECK(p == NULL);
  CHECK(contains(coproc_errmsg(c), "coproc_http_perform"));
  coproc_http_request_free(req);
}

int main(int argc, char** argv) {
  coproc_client* c = NULL;
  if (argc != 3) {
    fprintf(stderr, "usage: %s SOCKET BASE_URL\n", argv[0]);
    return 2;
  }
  base_url = argv[2];
  CHECK(coproc_client_new(&c) == COPROC_OK);
  CHECK(coproc_client_set_str(c, COPROC_OPT_ENDPOINT, argv[1]) == COPROC_OK);
  CHECK(coproc_client_set_int(c, COPROC_OPT_AUTO_LAUNCH, 0) == COPROC_OK);
  check_msgpack_and_errors(c);
  check_wait_any(c);
  check_poll(c);
  check_blocking_alongside(c);
  check_http_convenience(c);
  check_cancel(c);
  coproc_client_close(c);
  if (failures) return 1;
  printf("ok: %d checks\n", checks);
  return 0;
}
