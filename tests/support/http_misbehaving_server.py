#!/usr/bin/python3
"""An HTTP/1.1 server for tests whose answers break the framing rules on
purpose, one path per misbehaviour. Every connection is kept alive unless the
path says otherwise. Listens on 127.0.0.1 (port 0 = any), writes "port N" to
stdout, then "connection N" per connection and one line per request
("<connection> <n> <method> <path>").

  /hello               200 "hello from connection N" (well framed)
  /headers             200, the request's headers as the body
  /redirect-to/H:P/X   302 to http://H:P/X
  /chunked-truncated   chunked, closes before the last chunk
  /chunked-bad-size    chunked, the second chunk-size line is not hex
  /short-length        Content-Length: 100, sends 16 bytes and closes
  /conflicting-length  two Content-Length headers (5 and 7)
  /extra-after-204     204, then a whole second response nobody asked for
  /extra-after-length  200 with Content-Length: 5, then a second response
  /extra-after-head    (HEAD) Content-Length: N, then N bytes anyway
  /slow-headers        sleeps 3 s before answering
  /silent              accepts and never answers (a TLS client waits forever)
  /redirect-protocol-relative  302 to //127.0.0.1:<port>/hello
  /repeated-headers    three Set-Cookie and two X-Order headers, interleaved
  /blank-before-colon  "Content-Length : 5" (RFC 9112 forbids the blank), then
                       11 body bytes and close

usage: http_misbehaving_server.py [port [address]]
"""
import itertools
import socket
import socketserver
import time

from http_test_server import log, requests, serve

connection_ids = itertools.count(1)
LEAK = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nLEAKED"


def response(status, body=b"", headers=()):
    head = "HTTP/1.1 %s\r\n" % status
    for name, value in headers:
        head += "%s: %s\r\n" % (name, value)
    return head.encode("latin-1") + b"\r\n" + body


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn_id = next(connection_ids)
        log("connection %d" % conn_id)
        sock = self.request
        for n, method, path, headers in requests(sock):
            log("%d %d %s %s" % (conn_id, n, method, path))
            if not self.answer(sock, conn_id, path, headers):
                sock.shutdown(socket.SHUT_RDWR)
                return

    def answer(self, sock, conn_id, path, headers):
        """Sends the answer; False closes the connection."""
        keep = ("Connection", "keep-alive")
        if path == "/hello":
            body = b"hello from connection %d" % conn_id
            sock.sendall(response("200 OK", body, [("Content-Length", len(body)), keep]))
        elif path == "/headers":
            body = "".join("%s: %s\n" % h for h in headers).encode("latin-1")
            sock.sendall(response("200 OK", body, [("Content-Length", len(body)), keep]))
        elif path.startswith("/redirect-to/"):
            sock.sendall(response("302 Found", b"", [("Location", "http://" + path[13:]),
                                                     ("Content-Length", 0), keep]))
        elif path == "/chunked-truncated":
            sock.sendall(response("200 OK", b"10\r\n0123456789abcdef\r\n",
                                  [("Transfer-Encoding", "chunked"), keep]))
            return False
        elif path == "/chunked-bad-size":
            sock.sendall(response("200 OK", b"10\r\n0123456789abcdef\r\nzz\r\nmore\r\n0\r\n\r\n",
                                  [("Transfer-Encoding", "chunked"), keep]))
        elif path == "/short-length":
            sock.sendall(response("200 OK", b"0123456789abcdef", [("Content-Length", 100), keep]))
            return False
        elif path == "/conflicting-length":
            sock.sendall(response("200 OK", b"1234567",
                                  [("Content-Length", 5), ("Content-Length", 7), keep]))
        elif path == "/extra-after-204":
            sock.sendall(response("204 No Content", b"", [keep]) + LEAK)
        elif path == "/extra-after-length":
            sock.sendall(response("200 OK", b"hello", [("Content-Length", 5), keep]) + LEAK)
        elif path == "/extra-after-head":
            sock.sendall(response("200 OK", b"", [("Content-Length", len(LEAK)), keep]) +
                         LEAK)
        elif path == "/slow-headers":
            time.sleep(3)
            sock.sendall(response("200 OK", b"late", [("Content-Length", 4), keep]))
        elif path == "/silent":
            time.sleep(30)
            return False
        elif path == "/redirect-protocol-relative":
            port = sock.getsockname()[1]
            sock.sendall(response("302 Found", b"",
                                  [("Location", "//127.0.0.1:%d/hello" % port),
                                   ("Content-Length", 0), keep]))
        elif path == "/blank-before-colon":
            sock.sendall(response("200 OK", b"hello world", [("Content-Length ", 5), keep]))
            return False
        elif path == "/repeated-headers":
            sock.sendall(response("200 OK", b"", [
                ("Set-Cookie", "a=1"), ("X-Order", "first"), ("Set-Cookie", "b=2"),
                ("X-Order", "second"), ("Set-Cookie", "c=3"), ("Content-Length", 0), keep]))
        else:
            sock.sendall(response("404 Not Found", b"", [("Content-Length", 0), keep]))
        return True


if __name__ == "__main__":
    serve(Handler)
