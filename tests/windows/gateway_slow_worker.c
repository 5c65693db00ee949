/* A gateway worker for gateway_win_test.py that takes its time: it takes a
 * request of QUEUE (default: the default queue), waits DELAY_MS, then
 * replies 200 with an X-Worker-Pid header, and prints the reply's status
 * name ("ok", or e.g. "not_found" when the gateway had answered 504
 * meanwhile). It serves MAX_REQUESTS requests (default 1; 0: until
 * stopped). Built with mingw against libcoproc.dll.
 *
 *   gateway_slow_worker.exe DELAY_MS [MAX_REQUESTS [QUEUE]]
 */
#include <stdio.h>
#include <stdlib.h>

#include <windows.h>

#include <coproc/coproc.h>
#include <coproc/gateway.h>

int main(int argc, char** argv) {
  coproc_client* client = NULL;
  coproc_status st;
  long max_requests = argc > 2 ? atol(argv[2]) : 1;
  const char* queue = argc > 3 ? argv[3] : "";
  long served = 0;
  char headers[96], body[64];
  int body_len;
  if (argc < 2 || argc > 4) {
    fprintf(stderr, "usage: gateway_slow_worker DELAY_MS [MAX_REQUESTS [QUEUE]]\n");
    return 2;
  }
  if (coproc_client_new(&client) != COPROC_OK) {
    fprintf(stderr, "coproc_client_new: %s\n", coproc_errmsg(NULL));
    return 1;
  }
  snprintf(headers, sizeof headers, "Content-Type: text/plain\nX-Worker-Pid: %lu\n",
           (unsigned long)GetCurrentProcessId());
  body_len = snprintf(body, sizeof body, "served by %lu\n", (unsigned long)GetCurrentProcessId());
  while (max_requests == 0 || served < max_requests) {
    coproc_gateway_request* req = NULL;
    st = coproc_gateway_next(client, queue, 60000, &req);
    if (st == COPROC_E_TIMEOUT) continue; /* idle: ask again */
    if (st != COPROC_OK) {
      fprintf(stderr, "gateway_next: %s: %s\n", coproc_status_str(st), coproc_errmsg(client));
      coproc_client_close(client);
      return 1;
    }
    Sleep((DWORD)atol(argv[1]));
    st = coproc_gateway_reply(client, req, 200, headers, body, (size_t)body_len);
    printf("%s\n", st == COPROC_OK ? "ok" : coproc_status_str(st));
    fflush(stdout);
    coproc_gateway_request_free(req);
    ++served;
  }
  coproc_client_close(client);
  return 0;
}
