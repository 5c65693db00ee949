/* The mail and HTTP parts of the C ABI from C, against libcoproc.dll and a
 * real coprocess.exe (relaying to aiosmtpd, trusting the test CA).
 *
 *   c_api_mail_http_test ENDPOINT HTTPS_URL_OF_HELLO HTTPS_URL_OF_ECHO
 *
 * Prints "ok: ..." and exits 0 when every check passes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "coproc/coproc.h"
#include "coproc/http.h"
#include "coproc/mail.h"

static int failures = 0;

#define CHECK(cond, client)                                                          \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      fprintf(stderr, "FAILED %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond,          \
              coproc_errmsg(client));                                                \
      ++failures;                                                                    \
    }                                                                                \
  } while (0)

static int mail_reaches(coproc_client* client, const char* id, const char* state) {
  char needle[64];
  int i;
  snprintf(needle, sizeof needle, "\"state\":\"%s\"", state);
  for (i = 0; i < 600; ++i) {
    char* json = NULL;
    int found = 0;
    if (coproc_mail_status(client, id, &json) == COPROC_OK) {
      found = strstr(json, needle) != NULL;
      coproc_free(json);
    }
    if (found) return 1;
    Sleep(100);
  }
  return 0;
}

int main(int argc, char** argv) {
  coproc_client* client = NULL;
  coproc_mail* mail = NULL;
  coproc_http_request* request = NULL;
  coproc_http_response* response = NULL;
  char* id = NULL;
  const void* body;
  size_t len = 0;
  static const char pdf[] = "%PDF-1.4\0binary";

  if (argc != 4) {
    fprintf(stderr, "usage: c_api_mail_http_test ENDPOINT HELLO_URL ECHO_URL\n");
    return 2;
  }
  CHECK(coproc_client_new(&client) == COPROC_OK, NULL);
  CHECK(coproc_client_set_str(client, COPROC_OPT_ENDPOINT, argv[1]) == COPROC_OK, client);
  CHECK(coproc_client_set_int(client, COPROC_OPT_AUTO_LAUNCH, 0) == COPROC_OK, client);

  /* mail: the one-call form, then the builder with an attachment */
  CHECK(coproc_mail_send(client, "app@example.org", "a@example.org", "from C", "body\r\n", &id) ==
            COPROC_OK,
        client);
  CHECK(id != NULL && mail_reaches(client, id, "sent"), client);
  coproc_free(id);
  id = NULL;
  CHECK(coproc_mail_new(&mail) == COPROC_OK, NULL);
  coproc_mail_set(mail, COPROC_MAIL_FROM, "app@example.org");
  coproc_mail_add_to(mail, "b@example.org");
  coproc_mail_set(mail, COPROC_MAIL_SUBJECT, "with attachment");
  CHECK(coproc_mail_attach_bytes(mail, "doc.pdf", pdf, sizeof pdf, NULL) == COPROC_OK, NULL);
  CHECK(coproc_mail_submit(client, mail, &id) == COPROC_OK, client);
  CHECK(id != NULL && mail_reaches(client, id, "sent"), client);
  coproc_free(id);
  coproc_mail_free(mail);
  CHECK(coproc_mail_attach_file(NULL, "x", NULL) == COPROC_E_MISUSE, NULL);

  /* http: GET, then POST through the request builder */
  CHECK(coproc_http_get(client, argv[2], &response) == COPROC_OK, client);
  CHECK(coproc_http_response_status(response) == 200, client);
  body = coproc_http_response_body(response, &len);
  CHECK(len == 17 && memcmp(body, "hello from nginx\n", 17) == 0, client);
  coproc_http_response_free(response);
  response = NULL;
  CHECK(coproc_http_request_new(&request, "POST", argv[3]) == COPROC_OK, NULL);
  CHECK(coproc_http_request_set_body(request, "from C", 6) == COPROC_OK, NULL);
  CHECK(coproc_http_perform(client, request, &response) == COPROC_OK, client);
  body = coproc_http_response_body(response, &len);
  CHECK(len == 18 && memcmp(body, "method=POST\nfrom C", 18) == 0, client);
  coproc_http_response_free(response);
  coproc_http_request_free(request);

  coproc_client_close(client);
  if (failures) return 1;
  printf("ok: mail sent twice, GET and POST over HTTPS\n");
  return 0;
}
