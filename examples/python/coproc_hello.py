#!/usr/bin/env python3
"""libcoproc from Python with ctypes only: no msgpack module is needed, the
JSON bridge does the encoding.

    python3 coproc_hello.py                  # sys.hello
    python3 coproc_hello.py sys.status
    COPROC_LIBRARY=./libcoproc.so.1 python3 coproc_hello.py
"""
import ctypes
import json
import os
import sys


class CoprocError(Exception):
    def __init__(self, status, name, message):
        super().__init__("%s (%d): %s" % (name, status, message))
        self.status = status
        self.name = name


class Coproc:
    """A libcoproc client handle. Thread-safe, like the C handle."""

    OPT_ENDPOINT = 1
    OPT_CLIENT_NAME = 3
    OPT_CALL_TIMEOUT_MS = 102

    def __init__(self, library=None, endpoint=None, client_name="python ctypes"):
        lib = ctypes.CDLL(library or os.environ.get("COPROC_LIBRARY", "libcoproc.so.1"))
        lib.coproc_version.restype = ctypes.c_char_p
        lib.coproc_status_str.restype = ctypes.c_char_p
        lib.coproc_status_str.argtypes = [ctypes.c_int]
        lib.coproc_errmsg.restype = ctypes.c_char_p
        lib.coproc_errmsg.argtypes = [ctypes.c_void_p]
        lib.coproc_client_new.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        lib.coproc_client_set_str.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p]
        lib.coproc_client_set_int.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_longlong]
        lib.coproc_client_close.argtypes = [ctypes.c_void_p]
        lib.coproc_client_close.restype = None
        # char** out: receive a pointer we free with coproc_free, so declare
        # it as void* rather than c_char_p (which would copy and lose it).
        lib.coproc_call_json.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                         ctypes.POINTER(ctypes.c_void_p)]
        lib.coproc_ping.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_longlong)]
        lib.coproc_free.argtypes = [ctypes.c_void_p]
        lib.coproc_free.restype = None
        self._lib = lib
        self._handle = ctypes.c_void_p()
        self._check(lib.coproc_client_new(ctypes.byref(self._handle)), None)
        if endpoint:
            self._check(lib.coproc_client_set_str(self._handle, self.OPT_ENDPOINT,
                                                  endpoint.encode()))
        self._check(lib.coproc_client_set_str(self._handle, self.OPT_CLIENT_NAME,
                                              client_name.encode()))

    def _check(self, status, handle=False):
        if status != 0:
            h = self._handle if handle is not None else None
            raise CoprocError(status, self._lib.coproc_status_str(status).decode(),
                              self._lib.coproc_errmsg(h).decode("utf-8", "replace"))

    @property
    def version(self):
        return self._lib.coproc_version().decode()

    def ping(self):
        """Round trip of sys.ping in microseconds."""
        rtt = ctypes.c_longlong()
        self._check(self._lib.coproc_ping(self._handle, ctypes.byref(rtt)))
        return rtt.value

    def call(self, method, params=None):
        """Calls `method` with a dict of named arguments; returns the result
        decoded from JSON. Bytes go as {"$base64": ...} (see docs/c-api.md)."""
        out = ctypes.c_void_p()
        text = json.dumps(params if params is not None else {}).encode()
        self._check(self._lib.coproc_call_json(self._handle, method.encode(), text,
                                               ctypes.byref(out)))
        try:
            return json.loads(ctypes.string_at(out.value).decode("utf-8"))
        finally:
            self._lib.coproc_free(out)

    def close(self):
        if self._handle:
            self._lib.coproc_client_close(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main():
    method = sys.argv[1] if len(sys.argv) > 1 else "sys.hello"
    params = json.loads(sys.argv[2]) if len(sys.argv) > 2 else (
        {"protocol": 1, "client": "python ctypes"} if method == "sys.hello" else {})
    try:
        with Coproc() as c:
            print("libcoproc %s, ping: %d us" % (c.version, c.ping()))
            print("%s -> %s" % (method, json.dumps(c.call(method, params), sort_keys=True)))
    except CoprocError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
