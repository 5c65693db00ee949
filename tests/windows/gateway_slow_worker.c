/* A gateway worker for gateway_win_test.py that is too slow: it takes one
 * request of the default queue, waits DELAY_MS, then replies, and prints the
 * reply's status name ("ok", or e.g. "not_found" when the gateway had
 * answered 504 meanwhile). Built with mingw against libcoproc.dll.
 *
 *   gateway_slow_worker.exe DELAY_MS
 */
#include <stdio.h>
#include <stdlib.h>

#include <windows.h>

#include <coproc/coproc.h>
#include <coproc/gateway.h>

int main(int argc, char** argv) {
  coproc_client* client = NULL;
  coproc_gateway_request* req = NULL;
  coproc_status st;
  if (argc != 2) {
    fprintf(stderr, "usage: gateway_slow_worker DELAY_MS\n");
    return 2;
  }
  if (coproc_client_new(&client) != COPROC_OK) {
    fprintf(stderr, "coproc_client_new: %s\n", coproc_errmsg(NULL));
    return 1;
  }
  st = coproc_gateway_next(client, "", 60000, &req);
  if (st != COPROC_OK) {
    fprintf(stderr, "gateway_next: %s: %s\n", coproc_status_str(st), coproc_errmsg(client));
    coproc_client_close(client);
    return 1;
  }
  Sleep((DWORD)atol(argv[1]));
  st = coproc_gateway_reply(client, req, 200, "Content-Type: text/plain", "late\n", 5);
  printf("%s\n", st == COPROC_OK ? "ok" : coproc_status_str(st));
  fflush(stdout);
  coproc_gateway_request_free(req);
  coproc_client_close(client);
  return 0;
}
