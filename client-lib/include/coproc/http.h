/* libcoproc — HTTP(S) requests through the co-process, without MessagePack.
 *
 *   coproc_http_response* resp = NULL;
 *   if (coproc_http_get(client, "https://example.com/", &resp) == COPROC_OK) {
 *     size_t len; const void* body = coproc_http_response_body(resp, &len);
 *     ...
 *   }
 *   coproc_http_response_free(resp);
 *
 * A 404 or 500 answer is COPROC_OK with that status; failures are
 * COPROC_E_BAD_REQUEST (invalid URL, header...), COPROC_E_TIMEOUT,
 * COPROC_E_TOO_LARGE (body over the limit), COPROC_E_UPSTREAM (connection,
 * TLS certificate, redirect loop...; coproc_errmsg() says which) and the
 * connection statuses of coproc.h. See docs/http.md.
 *
 * Request and response objects belong to the caller and are not
 * thread-safe; different objects may be used in different threads.
 */
#ifndef COPROC_HTTP_H
#define COPROC_HTTP_H

#include <stddef.h>

#include "coproc/coproc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A request being built. Opaque. */
typedef struct coproc_http_request coproc_http_request;
/** A received response (status, headers, body). Opaque. */
typedef struct coproc_http_response coproc_http_response;

/// GET `url` with default settings (redirects followed, TLS verified,
/// co-process timeouts). On COPROC_OK `*out` holds the response (free with
/// coproc_http_response_free()); on failure `*out` is NULL and
/// coproc_errmsg(client) says why. Thread-safe on `client`.
COPROC_API coproc_status coproc_http_get(coproc_client* client, const char* url,
                                         coproc_http_response** out);

/// Creates a request for `method` ("GET", "POST", ...; upper-cased; NULL or
/// "" means "GET") and the absolute http:// or https:// `url` (copied). The
/// caller owns it and frees it with coproc_http_request_free(); it may be
/// performed any number of times. COPROC_E_MISUSE when out or url is NULL.
/// The URL and method are checked by the co-process. The builder functions
/// have no client: their failures are read with coproc_errmsg(NULL).
COPROC_API coproc_status coproc_http_request_new(coproc_http_request** out, const char* method,
                                                 const char* url);

/// Adds a header (both strings copied; repeated names are sent repeatedly).
/// COPROC_E_MISUSE for NULL arguments or a name/value containing CR or LF.
COPROC_API coproc_status coproc_http_request_add_header(coproc_http_request* request,
                                                        const char* name, const char* value);

/// Sets the request body: `len` bytes at `data` (copied; may contain NUL).
/// `data` NULL with `len` 0 clears it; NULL with `len` > 0 is COPROC_E_MISUSE.
COPROC_API coproc_status coproc_http_request_set_body(coproc_http_request* request,
                                                      const void* data, size_t len);

/// Whole-request deadline in ms, redirects included (1 .. 3600000, else
/// COPROC_E_MISUSE). Default: the co-process's http.timeout_ms (30 s). A
/// blocking coproc_http_perform() waits this long + 5 s for the answer;
/// without a timeout set, COPROC_OPT_CALL_TIMEOUT_MS + 5 s (35 s by default).
COPROC_API coproc_status coproc_http_request_set_timeout_ms(coproc_http_request* request,
                                                            long timeout_ms);

/// Follow redirects (1, default) or return the 3xx response (0).
COPROC_API coproc_status coproc_http_request_set_follow_redirects(coproc_http_request* request,
                                                                  int follow);

/// 0 turns TLS certificate and host-name checks off (logged as a warning by
/// the co-process); 1 (default) keeps them on.
COPROC_API coproc_status coproc_http_request_set_verify_tls(coproc_http_request* request,
                                                            int verify);

/// Largest response body accepted (bytes, >= 0, else COPROC_E_MISUSE); a
/// larger one fails with COPROC_E_TOO_LARGE, it is never truncated.
/// Default: http.max_body_bytes.
COPROC_API coproc_status coproc_http_request_set_max_body_bytes(coproc_http_request* request,
                                                                long long max_bytes);

/// Streams the response body into the file at `path` instead of memory (for
/// large downloads). The LIBRARY opens the file (created or truncated, mode
/// 0666 minus umask) with the calling process's rights and hands the open
/// descriptor to the co-process, which never opens user paths. A regular
/// file is written under a temporary name beside it and renamed over `path`
/// only when the request succeeds: a failed request leaves an existing file
/// untouched and creates none. Other files (/dev/null, a FIFO) are written
/// directly. On Windows (pipes carry no descriptors) the body comes back in
/// the reply and the library writes the file the same way. NULL restores
/// in-memory bodies.
COPROC_API coproc_status coproc_http_request_set_output_file(coproc_http_request* request,
                                                             const char* path);

/// Verifies HTTPS servers against the CA certificates in the PEM file at
/// `path` instead of the co-process's default. The LIBRARY reads the file now,
/// with the calling process's rights, and sends its bytes (at most 1 MiB);
/// the co-process never opens the path. COPROC_E_IO when it cannot be
/// opened or is a directory, COPROC_E_MISUSE when it is empty or larger. NULL restores the
/// default.
COPROC_API coproc_status coproc_http_request_set_ca_file(coproc_http_request* request,
                                                         const char* path);

/// Frees a request. NULL is a no-op.
COPROC_API void coproc_http_request_free(coproc_http_request* request);

/// Performs `request` through `client`. On COPROC_OK `*out` holds the
/// response; on failure NULL and coproc_errmsg(client) says why
/// (COPROC_E_IO when the output file cannot be opened). GET and HEAD are
/// resent after a lost connection, except into an output file on POSIX;
/// other methods report COPROC_E_CONNECTION_LOST. `request` is not changed.
/// Thread-safe on `client`; `request` must not be changed meanwhile.
COPROC_API coproc_status coproc_http_perform(coproc_client* client,
                                             const coproc_http_request* request,
                                             coproc_http_response** out);

/// Starts `request` without waiting (see coproc_call_async in coproc.h):
/// on COPROC_OK `*out` is the pending call, collected with
/// coproc_http_pending_response() (or coproc_pending_result_json) and freed
/// with coproc_pending_free(). The request object may be freed or reused at
/// once. GET and HEAD are resent after a lost connection, other methods
/// complete as COPROC_E_CONNECTION_LOST. COPROC_E_MISUSE for a request with
/// an output file (use coproc_http_perform). coproc_pending_cancel() aborts
/// the request in the co-process. Thread-safe on `client`.
COPROC_API coproc_status coproc_http_request_async(coproc_client* client,
                                                   const coproc_http_request* request,
                                                   coproc_pending** out);

/// The response of a completed asynchronous request (from
/// coproc_http_request_async or an "http.request" coproc_call_async): on
/// COPROC_OK `*out` is a new response object (free it with
/// coproc_http_response_free()); otherwise the request's failure status
/// (COPROC_E_TIMEOUT, COPROC_E_UPSTREAM, COPROC_E_CANCELLED, ...) with
/// coproc_errmsg() of the client the call was started on saying why, or
/// COPROC_E_MISUSE when it has not
/// completed yet. May be called again (each success is a new response).
COPROC_API coproc_status coproc_http_pending_response(coproc_pending* pending,
                                                      coproc_http_response** out);

/// HTTP status code (200, 404, ...); 0 for NULL. The response accessors
/// below only read: strings and bytes they return belong to the response
/// (never coproc_free() them) and stay valid until it is freed.
COPROC_API int coproc_http_response_status(const coproc_http_response* response);

/// Reason phrase ("OK"); "" for NULL. Valid until the response is freed.
COPROC_API const char* coproc_http_response_reason(const coproc_http_response* response);

/// Value of the first header named `name` (case-insensitive), or NULL.
/// Valid until the response is freed.
COPROC_API const char* coproc_http_response_header(const coproc_http_response* response,
                                                   const char* name);

/// Number of response headers, in the order received.
COPROC_API size_t coproc_http_response_header_count(const coproc_http_response* response);

/// Header `index` (0-based): `*name` and `*value` point into the response.
/// COPROC_E_MISUSE when index is out of range or an argument is NULL.
COPROC_API coproc_status coproc_http_response_header_at(const coproc_http_response* response,
                                                        size_t index, const char** name,
                                                        const char** value);

/// The body (decoded when the co-process negotiated gzip) and its length in
/// `*len` (may be NULL). Never NULL: an empty body is a pointer to "" with
/// length 0. The bytes are followed by a NUL not counted in `*len`. Empty
/// when the body went to an output file.
COPROC_API const void* coproc_http_response_body(const coproc_http_response* response,
                                                 size_t* len);

/// Bytes written to the output file (0 without one).
COPROC_API long long coproc_http_response_bytes_written(const coproc_http_response* response);

/// The final URL after redirects; "" for NULL. Valid until the response is
/// freed.
COPROC_API const char* coproc_http_response_url(const coproc_http_response* response);

/// Frees a response and every string its accessors returned. NULL is a
/// no-op.
COPROC_API void coproc_http_response_free(coproc_http_response* response);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COPROC_HTTP_H */
