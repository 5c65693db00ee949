/* libcoproc — serve HTTP(S) from a single-threaded program: the worker side
 * of the co-process's HTTP gateway (docs/gateway.md).
 *
 * The co-process accepts the HTTP connections (TLS, limits, keep-alive) and
 * queues each request; a worker takes one, answers it, and takes the next.
 * Concurrency is the number of worker processes.
 *
 *   coproc_gateway_request* req;
 *   for (;;) {
 *     coproc_status s = coproc_gateway_next(client, "orders", 30000, &req);
 *     if (s == COPROC_E_TIMEOUT) continue;           // nothing came: ask again
 *     if (s != COPROC_OK) break;                     // coproc_errmsg(client) says why
 *     const char* path = coproc_gateway_request_path(req);
 *     ...
 *     coproc_gateway_reply(client, req, 200, "Content-Type: text/plain", "hi\n", 3);
 *     coproc_gateway_request_free(req);
 *   }
 *
 * Every field is read through an accessor (no structure to lay out in a
 * foreign language); text comes back as NUL-terminated strings that stay
 * valid until the request is freed — coproc_copy_text() copies one into a
 * blank-padded COBOL or Fortran field. A request not replied to before the
 * worker's connection closes is answered 502 by the gateway; one not
 * replied to within gateway.reply_timeout_ms, 504.
 *
 * Request objects belong to the caller and are not thread-safe; different
 * requests may be used in different threads.
 */
#ifndef COPROC_GATEWAY_H
#define COPROC_GATEWAY_H

#include <stddef.h>

#include "coproc/coproc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One HTTP request taken from a gateway queue. Opaque. */
typedef struct coproc_gateway_request coproc_gateway_request;

/// Waits up to `timeout_ms` (0 .. 300000; 0 only looks) for the next
/// request of `queue` (NULL or "" = the gateway's default queue) and takes
/// it: on COPROC_OK `*out` holds it (free with coproc_gateway_request_free()
/// after replying). COPROC_E_TIMEOUT with `*out` NULL when none came in time
/// — the normal idle case, ask again. Other failures: COPROC_E_PERMISSION_DENIED
/// (this user is not in gateway.allow for the queue), COPROC_E_NOT_FOUND (no
/// such queue), COPROC_E_UNAVAILABLE (the gateway is off or stopping), and
/// the connection statuses of coproc.h; coproc_errmsg(client) says why.
/// Never resent after a lost connection. Thread-safe on `client`.
COPROC_API coproc_status coproc_gateway_next(coproc_client* client, const char* queue,
                                             long timeout_ms, coproc_gateway_request** out);

/// Answers `request` with HTTP `status` (200 .. 599), `headers` and `body_len`
/// bytes at `body` (may contain NUL; NULL with 0 for none). `headers` is NULL
/// or text of "Name: value" lines separated by LF or CRLF, blanks around
/// names and values ignored (so a blank-padded COBOL field works); the
/// gateway sets Content-Length, Connection and Date itself. COPROC_E_MISUSE
/// for a malformed header line; COPROC_E_NOT_FOUND when the request is no
/// longer waiting (answered already, or timed out: the client got 504).
/// The request object stays valid (free it afterwards). Thread-safe on
/// `client`.
COPROC_API coproc_status coproc_gateway_reply(coproc_client* client,
                                              const coproc_gateway_request* request, int status,
                                              const char* headers, const void* body,
                                              size_t body_len);

/// coproc_gateway_reply, then coproc_gateway_next(client, queue, timeout_ms,
/// next) in ONE round trip to the co-process — the loop of a busy worker.
/// COPROC_OK: replied, and `*next` holds the next request. COPROC_E_TIMEOUT:
/// replied, no request came in time (`*next` NULL). Any other status: the
/// reply was NOT made (a `queue` this user may not work or that does not
/// exist is found before replying; or the reply's own failures, e.g.
/// COPROC_E_NOT_FOUND after a 504) — except COPROC_E_UNAVAILABLE, which can
/// also mean the gateway stopped after the reply. Thread-safe on `client`.
COPROC_API coproc_status coproc_gateway_reply_next(coproc_client* client,
                                                   const coproc_gateway_request* request,
                                                   int status, const char* headers,
                                                   const void* body, size_t body_len,
                                                   const char* queue, long timeout_ms,
                                                   coproc_gateway_request** next);

/// The request's id (16 hex digits), as gateway.reply takes it. "" for NULL.
COPROC_API const char* coproc_gateway_request_id(const coproc_gateway_request* request);
/// "GET", "POST", ... "" for NULL.
COPROC_API const char* coproc_gateway_request_method(const coproc_gateway_request* request);
/// The path as sent ("/api/orders/7"; percent-encoding kept), without the
/// query. "" for NULL.
COPROC_API const char* coproc_gateway_request_path(const coproc_gateway_request* request);
/// What followed '?' in the request target ("" when nothing). "" for NULL.
COPROC_API const char* coproc_gateway_request_query(const coproc_gateway_request* request);
/// The HTTP client's "address:port". "" for NULL.
COPROC_API const char* coproc_gateway_request_remote_addr(const coproc_gateway_request* request);
/// The queue the request came from. "" for NULL.
COPROC_API const char* coproc_gateway_request_queue(const coproc_gateway_request* request);

/// Value of the first header named `name` (case-insensitive), or NULL.
COPROC_API const char* coproc_gateway_request_header(const coproc_gateway_request* request,
                                                     const char* name);
/// Number of request headers, in the order received.
COPROC_API size_t coproc_gateway_request_header_count(const coproc_gateway_request* request);
/// Header `index` (0-based): `*name` and `*value` point into the request.
/// COPROC_E_MISUSE when index is out of range or an argument is NULL.
COPROC_API coproc_status coproc_gateway_request_header_at(const coproc_gateway_request* request,
                                                          size_t index, const char** name,
                                                          const char** value);

/// The body and its length in `*len` (may be NULL). Never NULL: an empty
/// body is "" with length 0. The bytes are followed by a NUL not counted in
/// `*len`, so a text body is also a C string.
COPROC_API const void* coproc_gateway_request_body(const coproc_gateway_request* request,
                                                   size_t* len);

/// Frees a request (replied to or not). NULL is a no-op.
COPROC_API void coproc_gateway_request_free(coproc_gateway_request* request);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COPROC_GATEWAY_H */
