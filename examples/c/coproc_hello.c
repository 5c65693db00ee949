/* libcoproc from C: greet the co-process, then call any method with JSON.
 *
 *   cc coproc_hello.c $(pkg-config --cflags --libs coproc) -o coproc_hello
 *   ./coproc_hello                      # sys.hello
 *   ./coproc_hello sys.status           # any method
 *   ./coproc_hello http.request '{"method": "GET", "url": "https://example.org/"}'
 */
#include <stdio.h>

#include <coproc/coproc.h>

int main(int argc, char** argv) {
  const char* method = argc > 1 ? argv[1] : "sys.hello";
  const char* hello = "{\"protocol\": 1, \"client\": \"c example\"}";
  const char* params = argc > 2 ? argv[2] : (argc > 1 ? NULL : hello); /* NULL: no arguments */
  coproc_client* client = NULL;
  char* result = NULL;
  long long rtt_us = 0;
  coproc_status st;

  if (coproc_client_new(&client) != COPROC_OK) {
    fprintf(stderr, "coproc_client_new: %s\n", coproc_errmsg(NULL));
    return 1;
  }
  coproc_client_set_str(client, COPROC_OPT_CLIENT_NAME, "c example");
  coproc_client_set_int(client, COPROC_OPT_CALL_TIMEOUT_MS, 10000);

  st = coproc_ping(client, &rtt_us);
  if (st != COPROC_OK) {
    /* e.g. "service_not_running: the co-process is not running (...)" */
    fprintf(stderr, "ping failed (%s): %s\n", coproc_status_str(st), coproc_errmsg(client));
    coproc_client_close(client);
    return 1;
  }
  printf("ping: %lld us\n", rtt_us);

  st = coproc_call_json(client, method, params, &result);
  if (st != COPROC_OK) {
    fprintf(stderr, "%s failed (%s): %s\n", method, coproc_status_str(st), coproc_errmsg(client));
    coproc_client_close(client);
    return 1;
  }
  printf("%s -> %s\n", method, result);
  coproc_free(result); /* memory from libcoproc goes back to libcoproc */
  coproc_client_close(client);
  return 0;
}
