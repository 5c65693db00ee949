/* A legacy application's view of coproc: one user session sends invoices by
 * mail through the shared co-process, with plain C strings and a file
 * attachment, then waits until each mail has left the outbox.
 *
 *   cc send_invoice.c $(pkg-config --cflags --libs coproc) -o send_invoice
 *   ./send_invoice SESSION_NAME COUNT
 *
 * The first call launches the co-process through coproc-service if it is not
 * running yet; nothing here knows about sockets, TLS or MIME.
 */
#define _DEFAULT_SOURCE /* usleep */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coproc/coproc.h>
#include <coproc/mail.h>

/* True when the JSON from coproc_mail_status says "state": "<state>". */
static int state_is(const char* json, const char* state) {
  char a[64], b[64];
  snprintf(a, sizeof a, "\"state\":\"%s\"", state);
  snprintf(b, sizeof b, "\"state\": \"%s\"", state);
  return strstr(json, a) != NULL || strstr(json, b) != NULL;
}

static int fail(coproc_client* client, const char* what, coproc_status st) {
  fprintf(stderr, "%s failed (%s): %s\n", what, coproc_status_str(st), coproc_errmsg(client));
  coproc_client_close(client);
  return 1;
}

int main(int argc, char** argv) {
  const char* session = argc > 1 ? argv[1] : "session";
  int count = argc > 2 ? atoi(argv[2]) : 1;
  coproc_client* client = NULL;
  coproc_status st;
  char path[256];
  char** ids = calloc((size_t)count, sizeof(char*));
  int i;

  if ((st = coproc_client_new(&client)) != COPROC_OK) return fail(NULL, "coproc_client_new", st);
  coproc_client_set_str(client, COPROC_OPT_CLIENT_NAME, session);

  /* The invoice file this session "printed"; the library opens it with our
   * rights and hands the open file to the co-process. */
  snprintf(path, sizeof path, "/tmp/invoice-%s-%d.txt", session, (int)getpid());
  FILE* f = fopen(path, "w");
  if (!f) return fail(client, "fopen", COPROC_E_IO);
  fprintf(f, "INVOICE for %s\nTotal: 42.00 EUR\n", session);
  fclose(f);

  for (i = 0; i < count; ++i) {
    coproc_mail* mail = NULL;
    char subject[128], to[128];
    snprintf(subject, sizeof subject, "Invoice %d from %s (\xe2\x82\xac 42.00)", i + 1, session);
    snprintf(to, sizeof to, "customer%d@example.com", i + 1);
    coproc_mail_new(&mail);
    coproc_mail_set(mail, COPROC_MAIL_FROM, "Billing <billing@example.com>");
    coproc_mail_add_to(mail, to);
    coproc_mail_set(mail, COPROC_MAIL_SUBJECT, subject);
    coproc_mail_set(mail, COPROC_MAIL_TEXT, "Dear customer,\nyour invoice is attached.\n");
    if ((st = coproc_mail_attach_file(mail, path, "text/plain")) != COPROC_OK) {
      coproc_mail_free(mail);
      return fail(client, "coproc_mail_attach_file", st);
    }
    st = coproc_mail_submit(client, mail, &ids[i]);
    coproc_mail_free(mail);
    if (st != COPROC_OK) return fail(client, "coproc_mail_submit", st);
    printf("%s: queued %s\n", session, ids[i]);
  }
  unlink(path);

  /* Wait until the co-process reports every mail as sent (or failed). */
  for (i = 0; i < count; ++i) {
    int tries;
    for (tries = 0; tries < 300; ++tries) {
      char* json = NULL;
      if ((st = coproc_mail_status(client, ids[i], &json)) != COPROC_OK) {
        return fail(client, "coproc_mail_status", st);
      }
      int done = state_is(json, "sent");
      int failed = state_is(json, "failed");
      if (done || failed) {
        printf("%s: %s %s\n", session, ids[i], done ? "sent" : "FAILED");
        if (failed) fprintf(stderr, "%s\n", json);
        coproc_free(json);
        if (failed) return 1;
        break;
      }
      coproc_free(json);
      usleep(100 * 1000);
    }
    if (tries == 300) {
      fprintf(stderr, "%s: %s still not sent after 30 s\n", session, ids[i]);
      return 1;
    }
    coproc_free(ids[i]);
  }
  free(ids);
  coproc_client_close(client);
  return 0;
}
