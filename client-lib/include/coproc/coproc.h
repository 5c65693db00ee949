/* libcoproc — the stable C ABI of the coproc client library.
 *
 * A legacy application links libcoproc and talks to the one co-process of
 * the machine over a Unix socket (MessagePack-RPC). The co-process sends
 * mail and makes HTTP(S) requests for it. See docs/c-api.md.
 *
 * Rules that hold for every function below:
 *  - Every fallible function returns a coproc_status; COPROC_OK is 0.
 *  - Memory the library hands out is released with coproc_free(), never
 *    with the caller's own free().
 *  - A coproc_client may be used from many threads at once; calls made
 *    concurrently are pipelined on one connection. A handle does not cross
 *    fork(): a child process creates its own.
 *  - On every failure, every output pointer is set to NULL (output numbers
 *    to 0), also when the client is NULL.
 *  - Status codes are never renumbered; new ones are only appended.
 *  - No function is ever changed; a changed behaviour gets a new name.
 */
#ifndef COPROC_COPROC_H
#define COPROC_COPROC_H

#include <stddef.h>

#include "coproc/export.h"
#include "coproc/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Result of every fallible call. Codes 1..99 are errors reported by the
    co-process (equal to the wire codes); 100 and above are local. */
typedef enum coproc_status {
  COPROC_OK = 0,
  COPROC_E_BAD_REQUEST = 1,       /* the co-process rejected the arguments */
  COPROC_E_NOT_FOUND = 2,         /* unknown method or object */
  COPROC_E_TIMEOUT = 3,           /* a deadline passed (connect or call) */
  COPROC_E_UNAVAILABLE = 4,       /* the co-process cannot serve now */
  COPROC_E_PERMISSION_DENIED = 5, /* not allowed (socket mode or method) */
  COPROC_E_TOO_LARGE = 6,         /* a message or value over a limit */
  COPROC_E_UPSTREAM = 7,          /* the SMTP/HTTP server failed */
  COPROC_E_INTERNAL = 8,          /* a bug; the message says where */
  COPROC_E_RATE_LIMITED = 9,      /* too many requests for this user */
  COPROC_E_PROTOCOL_MISMATCH = 10,/* client and co-process speak other levels */
  COPROC_E_CANCELLED = 11,        /* the call was cancelled */
  COPROC_E_CONFLICT = 12,         /* conflicting state on the co-process */
  COPROC_E_MISUSE = 100,          /* invalid argument from the caller */
  COPROC_E_NOT_RUNNING = 101,     /* co-process not reachable, auto-launch off */
  COPROC_E_SERVICE_NOT_RUNNING = 102, /* co-process not reachable and no service to launch it */
  COPROC_E_CONNECTION_LOST = 103, /* lost during a non-idempotent call: outcome unknown */
  COPROC_E_PROTOCOL = 104,        /* peer sent something that is not valid MessagePack-RPC */
  COPROC_E_JSON = 105,            /* invalid JSON given to the JSON bridge */
  COPROC_E_NOMEM = 106,           /* out of memory */
  COPROC_E_IO = 107,              /* local file could not be opened/read */
  COPROC_STATUS_FORCE_INT = 0x7fffffff /* not a status: keeps any int a valid value */
} coproc_status;

/** An open client: options, one connection (made on demand) and the last
    error message of each thread that used it. Opaque. */
typedef struct coproc_client coproc_client;

/** Options of coproc_client_set_str(). */
typedef enum coproc_str_option {
  /** Path of the co-process socket. Default: $COPROC_ENDPOINT, else
      $COPROC_RUNTIME_DIR/coproc.sock, else /run/coproc/coproc.sock. */
  COPROC_OPT_ENDPOINT = 1,
  /** Path of the service's control socket, asked to launch the co-process.
      Default: $COPROC_CONTROL_ENDPOINT, else control.sock next to the endpoint. */
  COPROC_OPT_CONTROL_ENDPOINT = 2,
  /** Name sent in sys.hello and shown in the co-process log. Default "libcoproc". */
  COPROC_OPT_CLIENT_NAME = 3,
  COPROC_STR_OPTION_FORCE_INT = 0x7fffffff /* not an option: keeps any int a valid value */
} coproc_str_option;

/** Options of coproc_client_set_int(). */
typedef enum coproc_int_option {
  /** Deadline to connect (including launching the co-process), ms. Default 5000. */
  COPROC_OPT_CONNECT_TIMEOUT_MS = 101,
  /** Default deadline of one call, ms. Default 30000. */
  COPROC_OPT_CALL_TIMEOUT_MS = 102,
  /** How often a call may be resent after a lost connection. Default 3. */
  COPROC_OPT_RETRIES = 103,
  /** 1: ask the service to launch an absent co-process (default); 0: do not. */
  COPROC_OPT_AUTO_LAUNCH = 104,
  COPROC_INT_OPTION_FORCE_INT = 0x7fffffff /* not an option: keeps any int a valid value */
} coproc_int_option;

/// Version of the library actually loaded, e.g. "0.1.0". Static string.
/// Thread-safe.
COPROC_API const char* coproc_version(void);

/// COPROC_VERSION_NUMBER of the library actually loaded (compare it with the
/// header's macro to detect a mismatch). Thread-safe.
COPROC_API int coproc_version_number(void);

/// Stable lower-case name of a status ("ok", "timeout", "not_running", ...);
/// "unknown" for a number that is no status. Static string, never freed.
/// Thread-safe.
COPROC_API const char* coproc_status_str(coproc_status status);

/// Creates a client with default options in `*out` (NULL on failure). It
/// does not connect: set options, then coproc_client_connect() or just make
/// a call. The caller owns the handle and releases it with
/// coproc_client_close(). Thread-safe.
COPROC_API coproc_status coproc_client_new(coproc_client** out);

/// Sets a string option (copied). Call before the first connection; a
/// change applies to the next connection. `value` NULL restores the
/// default. COPROC_E_MISUSE for an unknown option. Do not call while other
/// threads make calls on the same handle.
COPROC_API coproc_status coproc_client_set_str(coproc_client* client, coproc_str_option option,
                                               const char* value);

/// Sets an integer option. Timeouts must be > 0, retries >= 0, auto-launch
/// 0 or 1; otherwise COPROC_E_MISUSE. Same threading rule as
/// coproc_client_set_str().
COPROC_API coproc_status coproc_client_set_int(coproc_client* client, coproc_int_option option,
                                               long long value);

/// Connects now (otherwise the first call connects): within the connect
/// deadline it retries with backoff, asks the service to launch the
/// co-process when auto-launch is on, and checks the protocol with
/// sys.hello. COPROC_OK when already connected. Thread-safe.
COPROC_API coproc_status coproc_client_connect(coproc_client* client);

/// Closes the connection and frees the handle. NULL is a no-op. No other
/// thread may use the handle during or after this call: afterwards the
/// handle is dead, and closing it again is undefined (like free()).
COPROC_API void coproc_client_close(coproc_client* client);

/// Calls `method` with `params`, one packed MessagePack array (usually
/// `[ {name: value, ...} ]`; NULL/0 means no arguments). On COPROC_OK,
/// `*result` receives the packed MessagePack result (freed with
/// coproc_free()) and `*result_len` its size; on failure `*result` is NULL
/// and coproc_errmsg() says why. Uses the call timeout. Thread-safe:
/// concurrent calls share the connection.
COPROC_API coproc_status coproc_call(coproc_client* client, const char* method, const void* params,
                                     size_t params_len, void** result, size_t* result_len);

/// The JSON bridge: calls `method` with JSON params and returns the result
/// as JSON. `params_json` is a JSON object (the named arguments), a JSON
/// array (the whole params array), or NULL/"" for none. On COPROC_OK
/// `*result_json` is a NUL-terminated UTF-8 JSON text freed with
/// coproc_free(); on failure it is NULL. Binary values: the input object
/// {"$base64": "..."} becomes MessagePack bin; a bin in the result becomes
/// a JSON string when it is valid UTF-8, else {"$base64": "..."}. Invalid
/// JSON gives COPROC_E_JSON with the position in coproc_errmsg().
/// Thread-safe.
COPROC_API coproc_status coproc_call_json(coproc_client* client, const char* method,
                                          const char* params_json, char** result_json);

/// Round trip of sys.ping (connecting first if needed, not counted); on
/// COPROC_OK `*rtt_us` (may be NULL) receives the time in microseconds.
/// Thread-safe.
COPROC_API coproc_status coproc_ping(coproc_client* client, long long* rtt_us);

/* ---- Asynchronous calls ------------------------------------------------
 *
 * A program that must not wait starts calls and collects them later:
 *
 *   coproc_pending* p[10];
 *   for (i = 0; i < 10; ++i) coproc_call_json_async(client, "http.request", params[i], &p[i]);
 *   while (left > 0) {
 *     size_t i;
 *     if (coproc_wait_any(p, 10, 100, &i) == COPROC_OK) {   // or poll() the async fd
 *       char* json; coproc_pending_result_json(p[i], &json); ...; coproc_free(json);
 *       coproc_pending_free(p[i]); p[i] = NULL; --left;
 *     }
 *   }
 *
 * Handles are pointers, like coproc_client: GnuCOBOL keeps them in USAGE
 * POINTER items and a table of them (OCCURS) is the array coproc_wait_any
 * takes; NULL entries are skipped, so collected slots are simply set to
 * NULL. Every call of a client is pipelined on its one connection; the
 * library reads the answers in its own I/O thread, so nothing needs to be
 * called for calls to progress. Errors of the functions below are
 * reported through coproc_errmsg() of the client the call was started on.
 * Free every pending call of a client before coproc_client_close().
 */

/** One asynchronous call: in flight, or completed with its result. Opaque;
    released with coproc_pending_free(). Thread-safe. */
typedef struct coproc_pending coproc_pending;

/// Starts `method` with packed MessagePack `params` (as coproc_call) and
/// returns at once: on COPROC_OK `*out` is the pending call. The status
/// only says whether the call could be sent (bad params, no connection:
/// `*out` is NULL); the call's own outcome comes from
/// coproc_pending_result(). There is no client-side deadline: the
/// co-process's own (http timeout_ms...) applies, and coproc_pending_cancel()
/// ends a call early. A lost connection resends an idempotent call (or one
/// never sent) like a blocking call; others complete as
/// COPROC_E_CONNECTION_LOST. Thread-safe.
COPROC_API coproc_status coproc_call_async(coproc_client* client, const char* method,
                                           const void* params, size_t params_len,
                                           coproc_pending** out);

/// coproc_call_async with JSON params (as coproc_call_json). Invalid JSON
/// is COPROC_E_JSON, and nothing is sent. Thread-safe.
COPROC_API coproc_status coproc_call_json_async(coproc_client* client, const char* method,
                                                const char* params_json, coproc_pending** out);

/// 1 when the call has completed (its result is ready), else 0 (also for
/// NULL). Never blocks. Thread-safe.
COPROC_API int coproc_pending_ready(const coproc_pending* pending);

/// Waits until the call completes: COPROC_OK when it has (whatever its
/// outcome), COPROC_E_TIMEOUT when `timeout_ms` passed first (0 only looks,
/// -1 waits without limit). The call goes on after a timeout. Thread-safe.
COPROC_API coproc_status coproc_pending_wait(coproc_pending* pending, long timeout_ms);

/// The outcome of a completed call, as coproc_call() would have returned
/// it: COPROC_OK with `*result` (packed MessagePack, freed with
/// coproc_free(); `*result_len` its size), or the call's error status with
/// the detail in coproc_errmsg(client). COPROC_E_MISUSE when the call has
/// not completed yet (see coproc_pending_ready). May be called again; each
/// call returns a new copy. Thread-safe.
COPROC_API coproc_status coproc_pending_result(coproc_pending* pending, void** result,
                                               size_t* result_len);

/// Like coproc_pending_result(), with the result as JSON text (as
/// coproc_call_json), whichever function started the call.
COPROC_API coproc_status coproc_pending_result_json(coproc_pending* pending, char** result_json);

/// Cancels the call: the wait ends and the work in the co-process stops —
/// the co-process is sent sys.cancel for it (an HTTP request in flight is
/// aborted and its connection closed). The call then completes with
/// COPROC_E_CANCELLED, unless its answer was already arriving (then it
/// completes with that answer). COPROC_OK also when it had completed.
/// A mail.send that reached the co-process is queued already: cancelling
/// it does not unsend it. Thread-safe.
COPROC_API coproc_status coproc_pending_cancel(coproc_pending* pending);

/// Frees the handle; a call still in flight is cancelled first. NULL is a
/// no-op. No other thread may use the handle during or after this call.
COPROC_API void coproc_pending_free(coproc_pending* pending);

/// Waits until one of the `n` calls in `pendings` completes and sets
/// `*index` to the first completed one (lowest index). NULL entries are
/// skipped; all others must belong to one client. COPROC_OK when one is
/// complete, COPROC_E_TIMEOUT when `timeout_ms` passed first (0 only looks,
/// -1 waits without limit; `*index` is then n), COPROC_E_MISUSE when no
/// entry is set or they belong to different clients. Returns at once when
/// one has completed already — set collected slots to NULL. Thread-safe.
COPROC_API coproc_status coproc_wait_any(coproc_pending* const* pendings, size_t n,
                                         long timeout_ms, size_t* index);

/// A descriptor for programs with their own event loop (poll/select on
/// POSIX): it is readable while at least one asynchronous call of `client`
/// has completed and not been collected — collected means its result was
/// taken (coproc_pending_result*) or it was freed. Poll it, then find the
/// call with coproc_wait_any(..., 0, ...). Owned by the client: never read,
/// write or close it. Valid until coproc_client_close(). On Windows:
/// COPROC_E_MISUSE, use coproc_client_async_event(). Thread-safe.
COPROC_API coproc_status coproc_client_async_fd(coproc_client* client, int* fd);

/// Windows: the event HANDLE (manual-reset) that is signalled under the
/// same rule as coproc_client_async_fd(), for WaitForMultipleObjects or
/// MsgWaitForMultipleObjects. Owned by the client: never set, reset or
/// close it. POSIX: COPROC_E_MISUSE, use coproc_client_async_fd().
COPROC_API coproc_status coproc_client_async_event(coproc_client* client, void** event);

/// Frees memory returned by libcoproc. NULL is a no-op. Thread-safe.
COPROC_API void coproc_free(void* memory);

/// The detail of the last failure in this thread on `client` ("" when the
/// last call succeeded). With NULL: this thread's last failure of a
/// function that had no handle (e.g. coproc_client_new). The string stays
/// valid until this thread's next call on the same handle. Never NULL.
COPROC_API const char* coproc_errmsg(const coproc_client* client);

/// Copies the NUL-terminated `text` (a result, coproc_errmsg(), a status
/// name; NULL is "") into the fixed-length `buffer` of `buffer_len` bytes
/// and fills the rest with spaces — the blank-padded strings of COBOL,
/// Fortran and Pascal's fixed arrays, which cannot follow a char* or find
/// its NUL. No NUL is written. Returns the length of `text`: more than
/// `buffer_len` means it was cut. Needs no handle; thread-safe.
COPROC_API size_t coproc_copy_text(const char* text, char* buffer, size_t buffer_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COPROC_COPROC_H */
