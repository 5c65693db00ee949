"""coproc for Python 3: a single-file binding of libcoproc with ctypes.

No compiled extension and no other module is needed; any Python 3 that can
load libcoproc.so.1 (libcoproc.dll on Windows) can use it. Copy this file
next to your program, or install the Debian package (it puts it on
Python's path).

    import coproc

    with coproc.Client() as c:
        mail_id = c.send_mail("billing@example.org", "customer@example.org",
                              "Your invoice", "Dear customer, ...",
                              attachments=["/srv/invoices/42.pdf"])
        print(c.mail_status(mail_id)["state"])
        page = c.http_get("https://example.org/")
        print(page.status, page.headers.get("content-type"), len(page.body))

Every failure raises a subclass of CoprocError named after the status
(BadRequest, Timeout, NotRunning, ...; see STATUS_ERRORS), carrying
`status` (the number of coproc.h), `name` and `message`.

The library is found through $COPROC_LIBRARY, else by its usual name. The
co-process is found like by every libcoproc client: $COPROC_ENDPOINT, else
$COPROC_RUNTIME_DIR/coproc.sock, else /run/coproc/coproc.sock (or the
named pipe on Windows), and launched through the service when absent.
A Client is thread-safe, like the C handle it wraps.
"""
import base64
import ctypes
import json
import os
import sys

__all__ = [
    "Client", "Pending", "HttpResponse", "CoprocError", "STATUS_ERRORS", "library_version",
    "BadRequest", "NotFound", "Timeout", "Unavailable", "PermissionDenied", "TooLarge",
    "Upstream", "Internal", "RateLimited", "ProtocolMismatch", "Cancelled", "Conflict",
    "Misuse", "NotRunning", "ServiceNotRunning", "ConnectionLost", "ProtocolError",
    "JsonError", "NoMemory", "LocalIoError",
]


class CoprocError(Exception):
    """A libcoproc call failed. `status` is the coproc_status number, `name`
    its stable name ("bad_request", ...) and `message` the detail."""

    status = None

    def __init__(self, status, name, message):
        super().__init__("%s: %s" % (name, message) if message else name)
        self.status = status
        self.name = name
        self.message = message


def _error(class_name, status, doc):
    return type(class_name, (CoprocError,), {"__doc__": doc, "status": status})


BadRequest = _error("BadRequest", 1, "The co-process rejected the arguments (the message names the parameter).")
NotFound = _error("NotFound", 2, "Unknown method, or no such mail (another user's mail looks the same).")
Timeout = _error("Timeout", 3, "A deadline passed (connect or call).")
Unavailable = _error("Unavailable", 4, "The co-process cannot serve now (e.g. the outbox cannot store).")
PermissionDenied = _error("PermissionDenied", 5, "Not allowed (socket mode or method).")
TooLarge = _error("TooLarge", 6, "A message or value over a limit.")
Upstream = _error("Upstream", 7, "The SMTP or HTTP server failed.")
Internal = _error("Internal", 8, "A bug; the message says where.")
RateLimited = _error("RateLimited", 9, "Too many requests for this user; try later.")
ProtocolMismatch = _error("ProtocolMismatch", 10, "Client and co-process speak other protocol levels.")
Cancelled = _error("Cancelled", 11, "The call was cancelled.")
Conflict = _error("Conflict", 12, "Conflicting state on the co-process.")
Misuse = _error("Misuse", 100, "Invalid argument from the caller.")
NotRunning = _error("NotRunning", 101, "The co-process is not reachable and auto-launch is off.")
ServiceNotRunning = type("ServiceNotRunning", (NotRunning,), {
    "__doc__": "The co-process is not reachable and no service runs to launch it.", "status": 102})
ConnectionLost = _error("ConnectionLost", 103, "Lost during a call that is not safe to resend: outcome unknown.")
ProtocolError = _error("ProtocolError", 104, "The peer sent something that is not MessagePack-RPC.")
JsonError = _error("JsonError", 105, "Invalid JSON given to the JSON bridge.")
NoMemory = _error("NoMemory", 106, "Out of memory.")
LocalIoError = _error("LocalIoError", 107, "A local file could not be opened or read.")

STATUS_ERRORS = {cls.status: cls for cls in (
    BadRequest, NotFound, Timeout, Unavailable, PermissionDenied, TooLarge, Upstream, Internal,
    RateLimited, ProtocolMismatch, Cancelled, Conflict, Misuse, NotRunning, ServiceNotRunning,
    ConnectionLost, ProtocolError, JsonError, NoMemory, LocalIoError)}

# Options of coproc.h (never renumbered).
_OPT_ENDPOINT = 1
_OPT_CONTROL_ENDPOINT = 2
_OPT_CLIENT_NAME = 3
_OPT_CONNECT_TIMEOUT_MS = 101
_OPT_CALL_TIMEOUT_MS = 102
_OPT_RETRIES = 103
_OPT_AUTO_LAUNCH = 104

_lib = None


def _library():
    """Loads libcoproc once and declares the functions used here."""
    global _lib
    if _lib is not None:
        return _lib
    name = os.environ.get("COPROC_LIBRARY") or (
        "libcoproc.dll" if sys.platform == "win32" else "libcoproc.so.1")
    lib = ctypes.CDLL(name)
    P, S, I, LL, SZ = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_longlong, ctypes.c_size_t
    out = ctypes.POINTER(ctypes.c_void_p)  # char** / T** outputs: kept as void* to free them
    decl = {
        "coproc_version": (S, []),
        "coproc_status_str": (S, [I]),
        "coproc_errmsg": (S, [P]),
        "coproc_free": (None, [P]),
        "coproc_client_new": (I, [out]),
        "coproc_client_set_str": (I, [P, I, S]),
        "coproc_client_set_int": (I, [P, I, LL]),
        "coproc_client_connect": (I, [P]),
        "coproc_client_close": (None, [P]),
        "coproc_call_json": (I, [P, S, S, out]),
        "coproc_ping": (I, [P, ctypes.POINTER(LL)]),
        "coproc_mail_new": (I, [out]),
        "coproc_mail_set": (I, [P, I, S]),
        "coproc_mail_add_to": (I, [P, S]),
        "coproc_mail_add_cc": (I, [P, S]),
        "coproc_mail_add_bcc": (I, [P, S]),
        "coproc_mail_add_header": (I, [P, S, S]),
        "coproc_mail_attach_file": (I, [P, S, S]),
        "coproc_mail_attach_bytes": (I, [P, S, ctypes.c_char_p, SZ, S]),
        "coproc_mail_submit": (I, [P, P, out]),
        "coproc_mail_free": (None, [P]),
        "coproc_mail_status": (I, [P, S, out]),
        "coproc_mail_list": (I, [P, S, I, out]),
        "coproc_http_request_new": (I, [out, S, S]),
        "coproc_http_request_add_header": (I, [P, S, S]),
        "coproc_http_request_set_body": (I, [P, ctypes.c_char_p, SZ]),
        "coproc_http_request_set_timeout_ms": (I, [P, ctypes.c_long]),
        "coproc_http_request_set_follow_redirects": (I, [P, I]),
        "coproc_http_request_set_verify_tls": (I, [P, I]),
        "coproc_http_request_free": (None, [P]),
        "coproc_http_perform": (I, [P, P, out]),
        "coproc_http_response_status": (I, [P]),
        "coproc_http_response_reason": (S, [P]),
        "coproc_http_response_header_count": (SZ, [P]),
        "coproc_http_response_header_at": (I, [P, SZ, ctypes.POINTER(S), ctypes.POINTER(S)]),
        "coproc_http_response_body": (P, [P, ctypes.POINTER(SZ)]),
        "coproc_http_response_url": (S, [P]),
        "coproc_http_response_free": (None, [P]),
        "coproc_call_json_async": (I, [P, S, S, out]),
        "coproc_pending_ready": (I, [P]),
        "coproc_pending_wait": (I, [P, ctypes.c_long]),
        "coproc_pending_result_json": (I, [P, out]),
        "coproc_pending_cancel": (I, [P]),
        "coproc_pending_free": (None, [P]),
        "coproc_wait_any": (I, [ctypes.POINTER(P), SZ, ctypes.c_long, ctypes.POINTER(SZ)]),
        "coproc_client_async_fd": (I, [P, ctypes.POINTER(I)]),
    }
    for fname, (restype, argtypes) in decl.items():
        f = getattr(lib, fname)
        f.restype = restype
        f.argtypes = argtypes
    _lib = lib
    return lib


def library_version():
    """Version of the libcoproc actually loaded, e.g. "0.1.0"."""
    return _library().coproc_version().decode()


def _text(value):
    return None if value is None else (value if isinstance(value, bytes) else str(value).encode())


class HttpResponse:
    """An HTTP response: `status` (int), `reason`, `headers` (dict with
    lower-case names; the first value of a repeated header), `header_list`
    (every (name, value) in order), `body` (bytes), `url` (after redirects)."""

    def __init__(self, status, reason, header_list, body, url):
        self.status = status
        self.reason = reason
        self.header_list = header_list
        self.headers = {}
        for name, value in header_list:
            self.headers.setdefault(name.lower(), value)
        self.body = body
        self.url = url

    def text(self, encoding="utf-8"):
        return self.body.decode(encoding, "replace")


class _Closes:
    """`with` and garbage collection both end in close() (idempotent)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Client(_Closes):
    """A connection to the co-process (made on the first call). Use it as a
    context manager, or call close()."""

    def __init__(self, endpoint=None, *, client_name="python", connect_timeout_ms=None,
                 call_timeout_ms=None, retries=None, auto_launch=None):
        self._lib = _library()
        self._handle = ctypes.c_void_p()
        self._check(self._lib.coproc_client_new(ctypes.byref(self._handle)), None)
        try:
            for option, value in ((_OPT_ENDPOINT, endpoint), (_OPT_CLIENT_NAME, client_name)):
                if value is not None:
                    self._check(self._lib.coproc_client_set_str(self._handle, option, _text(value)))
            for option, value in ((_OPT_CONNECT_TIMEOUT_MS, connect_timeout_ms),
                                  (_OPT_CALL_TIMEOUT_MS, call_timeout_ms),
                                  (_OPT_RETRIES, retries),
                                  (_OPT_AUTO_LAUNCH, None if auto_launch is None else int(auto_launch))):
                if value is not None:
                    self._check(self._lib.coproc_client_set_int(self._handle, option, value))
        except CoprocError:
            self.close()
            raise

    # -- plumbing ---------------------------------------------------------

    def _check(self, status, handle=True):
        if status == 0:
            return
        lib = self._lib
        message = lib.coproc_errmsg(self._handle if handle else None).decode("utf-8", "replace")
        name = lib.coproc_status_str(status).decode()
        # coproc_errmsg is "name: message"; keep only the message part.
        if message.startswith(name + ": "):
            message = message[len(name) + 2:]
        raise STATUS_ERRORS.get(status, CoprocError)(status, name, message)

    def _take_string(self, pointer):
        """A char* the library allocated, as str; freed here."""
        try:
            return ctypes.string_at(pointer.value).decode("utf-8") if pointer.value else ""
        finally:
            self._lib.coproc_free(pointer)

    def close(self):
        """Closes the connection and frees the handle; idempotent."""
        if self._handle:
            self._lib.coproc_client_close(self._handle)
            self._handle = ctypes.c_void_p()


    # -- any method -------------------------------------------------------

    def connect(self):
        """Connects now (launching the co-process through the service when
        needed); otherwise the first call connects."""
        self._check(self._lib.coproc_client_connect(self._handle))

    def call(self, method, params=None):
        """Calls any co-process method with a dict of named arguments and
        returns the result as Python values (the JSON bridge). bytes values
        are sent as binary."""
        def encode(v):
            if isinstance(v, (bytes, bytearray)):
                return {"$base64": base64.b64encode(bytes(v)).decode()}
            if isinstance(v, dict):
                return {k: encode(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [encode(x) for x in v]
            return v
        out = ctypes.c_void_p()
        text = None if params is None else json.dumps(encode(params)).encode()
        self._check(self._lib.coproc_call_json(self._handle, method.encode(), text, ctypes.byref(out)))
        return json.loads(self._take_string(out))

    # -- without waiting (docs/c-api.md, Asynchronous calls) ---------------

    def call_async(self, method, params=None):
        """Starts `method` and returns a Pending at once; its result() gives
        what call() would have returned."""
        out = ctypes.c_void_p()
        text = None if params is None else json.dumps(params).encode()
        self._check(self._lib.coproc_call_json_async(self._handle, method.encode(), text,
                                                      ctypes.byref(out)))
        return Pending(self, out)

    def wait_any(self, pendings, timeout_ms=-1):
        """Index of the first completed call in `pendings` (None entries are
        skipped), or None when `timeout_ms` passed first (-1: no limit)."""
        handles = (ctypes.c_void_p * len(pendings))(
            *[p._handle if p is not None else None for p in pendings])
        index = ctypes.c_size_t()
        status = self._lib.coproc_wait_any(handles, len(pendings), timeout_ms, ctypes.byref(index))
        if status == 3:  # COPROC_E_TIMEOUT
            return None
        self._check(status)
        return index.value

    def async_fd(self):
        """Descriptor readable while a completed call is not collected (for
        select/poll loops; never read or close it). POSIX only."""
        fd = ctypes.c_int()
        self._check(self._lib.coproc_client_async_fd(self._handle, ctypes.byref(fd)))
        return fd.value

    def ping(self):
        """sys.ping round trip in microseconds."""
        rtt = ctypes.c_longlong()
        self._check(self._lib.coproc_ping(self._handle, ctypes.byref(rtt)))
        return rtt.value

    # -- mail -------------------------------------------------------------

    def send_mail(self, sender, to, subject="", text="", *, cc=(), bcc=(), html=None,
                  reply_to=None, headers=None, attachments=(), idempotency_key=None):
        """Queues a mail and returns its id. `to`, `cc`, `bcc`: an address
        string (several separated by commas) or a list. `attachments`: file
        paths (opened here, with this process's rights) or (filename, bytes)
        or (filename, bytes, content_type) tuples. `headers`: dict of extra
        headers."""
        lib = self._lib
        mail = ctypes.c_void_p()
        self._check(lib.coproc_mail_new(ctypes.byref(mail)), None)
        try:
            fields = ((1, sender), (2, subject), (3, text), (4, html), (5, reply_to),
                      (6, idempotency_key))
            for field, value in fields:
                if value is not None:
                    self._check(lib.coproc_mail_set(mail, field, _text(value)), None)
            for add, addresses in ((lib.coproc_mail_add_to, to), (lib.coproc_mail_add_cc, cc),
                                   (lib.coproc_mail_add_bcc, bcc)):
                for address in [addresses] if isinstance(addresses, str) else addresses:
                    self._check(add(mail, _text(address)), None)
            for name, value in (headers or {}).items():
                self._check(lib.coproc_mail_add_header(mail, _text(name), _text(value)), None)
            for a in attachments:
                if isinstance(a, (str, os.PathLike)):
                    self._check(lib.coproc_mail_attach_file(mail, os.fsencode(a), None), None)
                else:
                    data = bytes(a[1])
                    ctype = _text(a[2]) if len(a) > 2 else None
                    self._check(lib.coproc_mail_attach_bytes(mail, _text(a[0]), data, len(data),
                                                             ctype), None)
            out = ctypes.c_void_p()
            self._check(lib.coproc_mail_submit(self._handle, mail, ctypes.byref(out)))
            return self._take_string(out)
        finally:
            lib.coproc_mail_free(mail)

    def send_raw_mail(self, message, envelope_from, envelope_to=(), *,
                      recipients_from_headers=False, idempotency_key=None):
        """Queues a finished RFC 5322 message (bytes) as it is — Bcc removed,
        Date and Message-ID added when missing — and returns its id."""
        params = {"raw": bytes(message), "envelope_from": envelope_from,
                  "envelope_to": [envelope_to] if isinstance(envelope_to, str) else list(envelope_to),
                  "recipients_from_headers": bool(recipients_from_headers)}
        if idempotency_key is not None:
            params["idempotency_key"] = idempotency_key
        return self.call("mail.send", params)["id"]

    def mail_status(self, mail_id):
        """Where a mail is: a dict with "state" (queued, sending, sent,
        failed), "attempts", "last_error", "delivered_to", "refused", ..."""
        out = ctypes.c_void_p()
        self._check(self._lib.coproc_mail_status(self._handle, _text(mail_id), ctypes.byref(out)))
        return json.loads(self._take_string(out))

    def mail_list(self, state=None, limit=0):
        """The caller's mails, newest first (list of dicts as mail_status)."""
        out = ctypes.c_void_p()
        self._check(self._lib.coproc_mail_list(self._handle, _text(state), limit, ctypes.byref(out)))
        return json.loads(self._take_string(out))["mails"]

    # -- HTTP -------------------------------------------------------------

    def http_request(self, method, url, *, headers=None, body=None, timeout_ms=None,
                     follow_redirects=True, verify_tls=True):
        """Performs an HTTP(S) request through the co-process and returns an
        HttpResponse. Any status (404, 500) is a response, not an error."""
        lib = self._lib
        req = ctypes.c_void_p()
        self._check(lib.coproc_http_request_new(ctypes.byref(req), _text(method), _text(url)), None)
        resp = ctypes.c_void_p()
        try:
            for name, value in (headers or {}).items():
                self._check(lib.coproc_http_request_add_header(req, _text(name), _text(value)), None)
            if body is not None:
                data = _text(body)
                self._check(lib.coproc_http_request_set_body(req, data, len(data)), None)
            if timeout_ms is not None:
                self._check(lib.coproc_http_request_set_timeout_ms(req, timeout_ms), None)
            self._check(lib.coproc_http_request_set_follow_redirects(req, int(follow_redirects)), None)
            self._check(lib.coproc_http_request_set_verify_tls(req, int(verify_tls)), None)
            self._check(lib.coproc_http_perform(self._handle, req, ctypes.byref(resp)))
            header_list = []
            name, value = ctypes.c_char_p(), ctypes.c_char_p()
            for i in range(lib.coproc_http_response_header_count(resp)):
                self._check(lib.coproc_http_response_header_at(resp, i, ctypes.byref(name),
                                                               ctypes.byref(value)), None)
                header_list.append((name.value.decode("latin-1"), value.value.decode("latin-1")))
            size = ctypes.c_size_t()
            data = lib.coproc_http_response_body(resp, ctypes.byref(size))
            return HttpResponse(lib.coproc_http_response_status(resp),
                                lib.coproc_http_response_reason(resp).decode("latin-1"),
                                header_list, ctypes.string_at(data, size.value),
                                lib.coproc_http_response_url(resp).decode())
        finally:
            lib.coproc_http_response_free(resp)
            lib.coproc_http_request_free(req)

    def http_get(self, url, **options):
        """GET `url` (see http_request for the options)."""
        return self.http_request("GET", url, **options)


class Pending(_Closes):
    """An asynchronous call (Client.call_async). Free it with close() or use
    it as a context manager; closing a call in flight cancels it."""

    def __init__(self, client, handle):
        self._client = client
        self._handle = handle

    def ready(self):
        """True once the call has completed; never blocks."""
        return bool(self._client._lib.coproc_pending_ready(self._handle))

    def wait(self, timeout_ms=-1):
        """True when the call completed within `timeout_ms` (-1: no limit)."""
        return self._client._lib.coproc_pending_wait(self._handle, timeout_ms) == 0

    def result(self):
        """The result as Python values, or the call's error raised."""
        out = ctypes.c_void_p()
        self._client._check(self._client._lib.coproc_pending_result_json(self._handle,
                                                                          ctypes.byref(out)))
        return json.loads(self._client._take_string(out))

    def cancel(self):
        """Stops the call in the co-process; result() then raises Cancelled
        unless the answer had already arrived."""
        self._client._check(self._client._lib.coproc_pending_cancel(self._handle))

    def close(self):
        if self._handle:
            self._client._lib.coproc_pending_free(self._handle)
            self._handle = None

