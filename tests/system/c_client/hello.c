/* A legacy-app developer's first program against the installed coproc
 * package: built with `pkg-config --cflags --libs coproc` and with CMake
 * find_package(coproc) by tests/system/package_test.cc, then run as an
 * ordinary user. Prints "ok <version> <rtt>" and exits 0 when a ping
 * through the system service's co-process succeeds. */
#include <coproc/coproc.h>
#include <stdio.h>

int main(void) {
  coproc_client* client = NULL;
  long long rtt_us = 0;
  coproc_status status = coproc_client_new(&client);
  if (status != COPROC_OK) {
    fprintf(stderr, "coproc_client_new: %s: %s\n", coproc_status_str(status), coproc_errmsg(NULL));
    return 1;
  }
  status = coproc_ping(client, &rtt_us);
  if (status != COPROC_OK) {
    fprintf(stderr, "coproc_ping: %s: %s\n", coproc_status_str(status), coproc_errmsg(client));
    coproc_client_close(client);
    return 1;
  }
  printf("ok %s %lld us\n", coproc_version(), rtt_us);
  coproc_client_close(client);
  return 0;
}
