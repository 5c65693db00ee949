/* libcoproc — sending mail through the co-process with plain C strings.
 *
 *   char* id = NULL;
 *   if (coproc_mail_send(client, "app@example.org", "a@example.net, b@example.net",
 *                        "Invoice 42", "Hello,\nplease find...", &id) == COPROC_OK) {
 *     ... keep id to ask coproc_mail_status() later ...
 *   }
 *   coproc_free(id);
 *
 * or, for cc/bcc/HTML/attachments, a message builder:
 *
 *   coproc_mail* m = NULL;
 *   coproc_mail_new(&m);
 *   coproc_mail_set(m, COPROC_MAIL_FROM, "app@example.org");
 *   coproc_mail_add_to(m, "a@example.net");
 *   coproc_mail_set(m, COPROC_MAIL_SUBJECT, "Report");
 *   coproc_mail_set(m, COPROC_MAIL_TEXT, "See attachment.");
 *   coproc_mail_attach_file(m, "/home/me/report.pdf", NULL);
 *   coproc_mail_submit(client, m, &id);
 *   coproc_mail_free(m);
 *
 * COPROC_OK means the co-process has stored the mail durably (it survives a
 * crash or restart of the co-process) and will deliver it, retrying
 * transient failures; coproc_mail_status() tells how that went. Every
 * string is UTF-8. Failures: COPROC_E_BAD_REQUEST (invalid address, CR/LF
 * in a header...), COPROC_E_TOO_LARGE (over mail.max_message_bytes),
 * COPROC_E_RATE_LIMITED (mail.per_uid_per_minute), COPROC_E_IO (an
 * attachment file could not be opened), and the connection statuses of
 * coproc.h; coproc_errmsg() says what exactly. See docs/mail.md.
 *
 * Each submission carries an idempotency key, so when the connection is
 * lost mid-call the library resends it safely: the co-process answers with
 * the id of the mail it already has instead of queueing a second copy.
 *
 * A coproc_mail belongs to the caller and is not thread-safe; different
 * objects may be used in different threads. The client handle is
 * thread-safe.
 */
#ifndef COPROC_MAIL_H
#define COPROC_MAIL_H

#include <stddef.h>

#include "coproc/coproc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A mail being built. Opaque. */
typedef struct coproc_mail coproc_mail;

/** Single-valued fields of a mail, for coproc_mail_set(). Never renumbered. */
typedef enum coproc_mail_field {
  COPROC_MAIL_FROM = 1,            /**< "app@example.org" or "Name <app@example.org>" */
  COPROC_MAIL_SUBJECT = 2,         /**< one line */
  COPROC_MAIL_TEXT = 3,            /**< plain-text body, any line endings */
  COPROC_MAIL_HTML = 4,            /**< HTML body (with TEXT: multipart/alternative) */
  COPROC_MAIL_REPLY_TO = 5,        /**< address(es), comma-separated */
  COPROC_MAIL_IDEMPOTENCY_KEY = 6  /**< replaces the key the library generated */
} coproc_mail_field;

/// Sends a plain-text mail. `from` and `to` are required (COPROC_E_MISUSE);
/// `to` may list several addresses separated by commas. `subject` and
/// `text_body` may be NULL (empty). Every call is a new mail (a fresh
/// idempotency key): calling it twice sends twice. On COPROC_OK `*id_out`
/// (when `id_out` is not NULL) receives the mail's id, freed with
/// coproc_free(). Thread-safe on `client`.
COPROC_API coproc_status coproc_mail_send(coproc_client* client, const char* from, const char* to,
                                          const char* subject, const char* text_body,
                                          char** id_out);

/// Creates an empty mail with a fresh idempotency key; the caller owns it
/// and frees it with coproc_mail_free(). COPROC_E_MISUSE when `out` is NULL.
/// The builder functions below have no client: their failures are read
/// with coproc_errmsg(NULL).
COPROC_API coproc_status coproc_mail_new(coproc_mail** out);

/// Sets (replaces) one field; the value is copied. NULL clears it, except
/// COPROC_MAIL_IDEMPOTENCY_KEY, which cannot be NULL or "". COPROC_E_MISUSE
/// for a NULL mail, an unknown field or an empty key.
COPROC_API coproc_status coproc_mail_set(coproc_mail* mail, coproc_mail_field field,
                                         const char* value);

/// Adds To recipients (copied; one address or several separated by
/// commas). COPROC_E_MISUSE for a NULL mail or address. Addresses are
/// checked by the co-process at submit time (COPROC_E_BAD_REQUEST).
COPROC_API coproc_status coproc_mail_add_to(coproc_mail* mail, const char* address);
/// Adds Cc recipients, as coproc_mail_add_to().
COPROC_API coproc_status coproc_mail_add_cc(coproc_mail* mail, const char* address);
/// Adds Bcc recipients, as coproc_mail_add_to(): they get the mail but
/// appear in no header.
COPROC_API coproc_status coproc_mail_add_bcc(coproc_mail* mail, const char* address);

/// Same as coproc_mail_set(mail, COPROC_MAIL_HTML, html).
COPROC_API coproc_status coproc_mail_set_html(coproc_mail* mail, const char* html);

/// Adds a header such as "X-Invoice: 42" (both strings copied).
/// COPROC_E_MISUSE at once for a NULL argument or a CR or LF in either;
/// headers the co-process sets itself (From, To, Subject, Date,
/// Message-ID, ...) are refused at submit time (COPROC_E_BAD_REQUEST).
COPROC_API coproc_status coproc_mail_add_header(coproc_mail* mail, const char* name,
                                                const char* value);

/// Attaches the file at `path`. The LIBRARY opens it now, read-only, with
/// the rights of the calling process, and passes the open descriptor to the
/// co-process at submit time — the co-process never opens a path, so no
/// user can make it read someone else's file. On Windows (pipes carry no
/// descriptors) the library reads the file now and sends its bytes. The
/// attachment is named after the last component of `path`; `content_type`
/// NULL means guessed from the extension. COPROC_E_IO (see coproc_errmsg(NULL)) when the file
/// cannot be opened or is a directory. The descriptor is closed by
/// coproc_mail_free().
COPROC_API coproc_status coproc_mail_attach_file(coproc_mail* mail, const char* path,
                                                 const char* content_type);

/// Attaches `len` bytes at `data` (copied; may contain NUL; NULL only with
/// `len` 0) as `filename`. COPROC_E_MISUSE for a NULL mail or filename.
COPROC_API coproc_status coproc_mail_attach_bytes(coproc_mail* mail, const char* filename,
                                                  const void* data, size_t len,
                                                  const char* content_type);

/// Hands the mail to the co-process. On COPROC_OK `*id_out` (when not NULL)
/// receives the id (coproc_free()). Submitting the same, unchanged
/// coproc_mail again returns the same id (same idempotency key) and sends
/// nothing twice; changed content under the same key is COPROC_E_CONFLICT.
/// The mail is not consumed: free it with coproc_mail_free() afterwards.
/// Thread-safe on `client`; `mail` must not be used by another thread.
COPROC_API coproc_status coproc_mail_submit(coproc_client* client, coproc_mail* mail,
                                            char** id_out);

/// Frees the mail and closes the files it holds. NULL is a no-op.
COPROC_API void coproc_mail_free(coproc_mail* mail);

/// The state of mail `id` as JSON text: {"id", "state" ("queued" | "sending"
/// | "sent" | "failed"), "attempts", "last_error" (the server's reply),
/// "next_attempt_ms", "sent_ms", "created_ms", "message_id", "delivered_to"
/// (recipients the relay accepted), "refused" ([{"address", "reply"}] for
/// recipients it refused), ...}, freed with coproc_free(). "sent" means at
/// least one recipient has it. COPROC_E_NOT_FOUND for an unknown id or
/// another user's mail; COPROC_E_MISUSE when `id` or `json_out` is NULL.
/// Thread-safe on `client`.
COPROC_API coproc_status coproc_mail_status(coproc_client* client, const char* id,
                                            char** json_out);

/// The caller's mails, newest first, as JSON text {"mails": [...]} (same
/// fields as coproc_mail_status). `state` NULL means every state; `limit`
/// <= 0 means 100. Freed with coproc_free(). Thread-safe on `client`.
COPROC_API coproc_status coproc_mail_list(coproc_client* client, const char* state, int limit,
                                          char** json_out);

#ifdef __cplusplus
}
#endif

#endif /* COPROC_MAIL_H */
