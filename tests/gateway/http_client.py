#!/usr/bin/env python3
"""HTTP clients for gateway_test.cc (Python's http.client and raw sockets).

Each mode prints one JSON line:
  concurrent PORT N PATH    N requests at once, each on its own connection
  keepalive PORT N PATH     N requests on one connection
  pipelined PORT N PATH     N requests sent in one write on one connection
  idle PORT PATH            one request, then how long until the server closes
  post PORT PATH FILE       POST the file's bytes; status and the reply body's sha256
  bigheader PORT KB         one request with a KB-kilobyte header value
  manyheaders PORT N        one request with N small headers
  raw PORT HEXBYTES         send the bytes, print the status line answered
  slowloris PORT INTERVAL_MS  a header sent one byte per interval
"""
import hashlib
import http.client
import json
import re
import socket
import string
import sys
import threading
import time


def status_line(sock, timeout=15):
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError) as e:
        return "error: %s" % type(e).__name__
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    out = {}
    if mode == "concurrent":
        n, path = int(sys.argv[3]), sys.argv[4]
        results = [None] * n
        start = threading.Barrier(n)

        def one(i):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            start.wait()
            t0 = time.monotonic()
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            results[i] = (r.status, time.monotonic() - t0, r.getheader("X-Worker-Pid"), body.decode())
            c.close()

        t0 = time.monotonic()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out = {"elapsed_ms": int((time.monotonic() - t0) * 1000),
               "statuses": [r[0] for r in results],
               "workers": len(set(r[2] for r in results if r[2]))}
    elif mode == "keepalive":
        n, path = int(sys.argv[3]), sys.argv[4]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        statuses, ports = [], set()
        for _ in range(n):
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            statuses.append(r.status)
            ports.add(c.sock.getsockname()[1])
        out = {"statuses": statuses, "connections": len(ports)}
    elif mode == "pipelined":
        n, path = int(sys.argv[3]), sys.argv[4]
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(15)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode() * n)
        data = b""
        try:
            while data.count(b"HTTP/1.1 ") < n or not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
        out = {"statuses": [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]}
    elif mode == "idle":
        path = sys.argv[3]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        t0 = time.monotonic()
        c.sock.settimeout(10)
        try:
            closed = c.sock.recv(1) == b""
        except (socket.timeout, ConnectionResetError):
            closed = False
        out = {"status": r.status, "closed": closed,
               "closed_after_ms": int((time.monotonic() - t0) * 1000)}
    elif mode == "slowread":
        # Asks for a big answer and reads it only after a while: it cannot
        # fit the sockets' buffers meanwhile. Twice on one connection.
        path, size = sys.argv[3], int(sys.argv[4])
        want = (string.ascii_lowercase * (size // 26 + 1))[:size].encode()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        statuses, intact, ports = [], [], set()
        for _ in range(2):
            c.request("GET", path, headers={"X-Want-Bytes": str(size)})
            time.sleep(0.5)
            r = c.getresponse()
            body = r.read()
            statuses.append(r.status)
            intact.append(body == want)
            ports.add(c.sock.getsockname()[1])
        out = {"statuses": statuses, "intact": intact, "connections": len(ports)}
    elif mode == "headthenget":
        path = sys.argv[3]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("HEAD", path)
        r = c.getresponse()
        head_body = r.read()
        head = [r.status, r.getheader("Content-Length"), len(head_body)]
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        out = {"head": head, "get": [r.status, r.getheader("Content-Length"), len(body)],
               "get_body": body.decode(errors="replace").strip()}
    elif mode == "post":
        path, data = sys.argv[3], open(sys.argv[4], "rb").read()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("POST", path, body=data, headers={"Content-Type": "application/octet-stream"})
        r = c.getresponse()
        body = r.read()
        out = {"status": r.status, "sha256": hashlib.sha256(body).hexdigest(),
               "sent_sha256": hashlib.sha256(data).hexdigest(), "length": len(body)}
    elif mode in ("bigheader", "manyheaders"):
        s = socket.create_connection(("127.0.0.1", port))
        if mode == "bigheader":
            headers = b"X-Big: " + b"a" * (int(sys.argv[3]) * 1024) + b"\r\n"
        else:
            headers = b"".join(b"X-H%d: v\r\n" % i for i in range(int(sys.argv[3])))
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        out = {"status_line": status_line(s)}
    elif mode == "raw":
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(bytes.fromhex(sys.argv[3]))
        out = {"status_line": status_line(s)}
    elif mode == "slowloris":
        interval = int(sys.argv[3]) / 1000.0
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
        s.setblocking(False)
        t0 = time.monotonic()
        answer = b""
        # One byte per interval until the server answers or 30 s pass.
        while time.monotonic() - t0 < 30:
            try:
                s.send(b"X")
            except OSError:
                pass
            time.sleep(interval)
            try:
                chunk = s.recv(4096)
                if chunk or chunk == b"":
                    answer += chunk
                    break
            except BlockingIOError:
                pass
        s.setblocking(True)
        out = {"status_line": answer.split(b"\r\n", 1)[0].decode("latin-1") if answer else "",
               "after_ms": int((time.monotonic() - t0) * 1000)}
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
