#!/usr/bin/env python3
"""libcoproc from Python with the single-file ctypes binding
(bindings/python/coproc.py): no msgpack module is needed, the JSON bridge
does the encoding.

    python3 coproc_hello.py                  # sys.hello
    python3 coproc_hello.py sys.status
    COPROC_LIBRARY=./libcoproc.so.1 python3 coproc_hello.py

The binding is found next to this tree's bindings/ folder, else where the
Debian package installs it, else on Python's path.
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
for folder in (os.path.join(here, "..", "..", "bindings", "python"),
               "/usr/share/coproc/bindings/python"):
    if os.path.isfile(os.path.join(folder, "coproc.py")):
        sys.path.insert(0, folder)
        break
import coproc  # noqa: E402


def main():
    method = sys.argv[1] if len(sys.argv) > 1 else "sys.hello"
    params = json.loads(sys.argv[2]) if len(sys.argv) > 2 else (
        {"protocol": 1, "client": "python ctypes"} if method == "sys.hello" else {})
    try:
        with coproc.Client(client_name="python ctypes") as c:
            print("libcoproc %s, ping: %d us" % (coproc.library_version(), c.ping()))
            print("%s -> %s" % (method, json.dumps(c.call(method, params), sort_keys=True)))
    except coproc.CoprocError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
