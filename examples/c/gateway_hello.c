/* A gateway worker in C: serves GET /hello (and echoes POST bodies) for the
 * co-process's HTTP gateway, one request at a time, in a plain loop.
 *
 *   cc gateway_hello.c $(pkg-config --cflags --libs coproc) -o gateway_hello
 *   ./gateway_hello [QUEUE [MAX_REQUESTS]]     # QUEUE "" = the default queue
 *
 * with, in coproc.conf (docs/gateway.md):
 *   [gateway]
 *   listen = 127.0.0.1:8080
 *   allow = default=www-data          # the user this worker runs as
 *
 * Start as many copies as requests should be served at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coproc/coproc.h>
#include <coproc/gateway.h>

/* Copies the value of `key` in a query ("a=1&name=Ann") into out. */
static void query_value(const char* query, const char* key, char* out, size_t out_len) {
  size_t key_len = strlen(key);
  const char* p = query;
  out[0] = '\0';
  while (p && *p) {
    if (strncmp(p, key, key_len) == 0 && p[key_len] == '=') {
      size_t n = strcspn(p + key_len + 1, "&");
      if (n >= out_len) n = out_len - 1;
      memcpy(out, p + key_len + 1, n);
      out[n] = '\0';
      return;
    }
    p = strchr(p, '&');
    if (p) ++p;
  }
}

int main(int argc, char** argv) {
  const char* queue = argc > 1 ? argv[1] : "";
  long max_requests = argc > 2 ? atol(argv[2]) : 0; /* 0: serve until stopped */
  long served = 0;
  coproc_client* client = NULL;
  char headers[128], body[512], name[64];

  if (coproc_client_new(&client) != COPROC_OK) {
    fprintf(stderr, "coproc_client_new: %s\n", coproc_errmsg(NULL));
    return 1;
  }
  coproc_client_set_str(client, COPROC_OPT_CLIENT_NAME, "gateway_hello.c");
  snprintf(headers, sizeof headers, "Content-Type: text/plain\nX-Worker-Pid: %ld\n",
           (long)getpid());
  while (max_requests == 0 || served < max_requests) {
    coproc_gateway_request* req = NULL;
    const char* method;
    const char* path;
    int status;
    size_t body_len = 0;
    const void* request_body;
    coproc_status st = coproc_gateway_next(client, queue, 30000, &req);
    if (st == COPROC_E_TIMEOUT) continue; /* idle: ask again */
    if (st != COPROC_OK) {
      fprintf(stderr, "gateway_next: %s: %s\n", coproc_status_str(st), coproc_errmsg(client));
      coproc_client_close(client);
      return 1;
    }
    method = coproc_gateway_request_method(req);
    path = coproc_gateway_request_path(req);
    request_body = coproc_gateway_request_body(req, &body_len);
    if (strcmp(path, "/hello") == 0 && strcmp(method, "POST") == 0) {
      st = coproc_gateway_reply(client, req, 200, headers, request_body, body_len);
    } else if (strcmp(path, "/hello") == 0) {
      query_value(coproc_gateway_request_query(req), "name", name, sizeof name);
      status = snprintf(body, sizeof body, "Hello, %s!\n", name[0] ? name : "world");
      st = coproc_gateway_reply(client, req, 200, headers, body, (size_t)status);
    } else {
      st = coproc_gateway_reply(client, req, 404, headers, "not here\n", 9);
    }
    if (st != COPROC_OK) {
      /* e.g. not_found: the client already got 504 */
      fprintf(stderr, "gateway_reply: %s: %s\n", coproc_status_str(st), coproc_errmsg(client));
    }
    coproc_gateway_request_free(req);
    ++served;
  }
  coproc_client_close(client);
  return 0;
}
