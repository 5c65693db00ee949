#!/usr/bin/python3
"""A tiny HTTP proxy for tests: absolute-URI forwarding for plain HTTP and
CONNECT tunnels for HTTPS. Listens on 127.0.0.1 (port 0 = any), writes
"port N" to stdout, then one line per request ("CONNECT host:port" or
"GET http://...", followed by "auth <value>" when the request carries
Proxy-Authorization) so tests can see that traffic went through it.

usage: http_proxy.py [port]
"""
import select
import socket
import socketserver
import urllib.parse

from http_test_server import log, serve


def relay(a, b):
    sockets = [a, b]
    while True:
        readable, _, _ = select.select(sockets, [], [], 30)
        if not readable:
            return
        for s in readable:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        client = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                return
            head += chunk
        header_block, rest = head.split(b"\r\n\r\n", 1)
        lines = header_block.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        log(method + " " + target)
        for h in lines[1:]:
            name, _, value = h.partition(":")
            if name.strip().lower() == "proxy-authorization":
                log("auth " + value.strip())
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)), timeout=10)
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            relay(client, upstream)
            upstream.close()
            return
        url = urllib.parse.urlsplit(target)
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        headers = [h for h in lines[1:] if not h.lower().startswith(("connection:", "proxy-"))]
        upstream = socket.create_connection((url.hostname, url.port or 80), timeout=10)
        request = "\r\n".join([method + " " + path + " " + version] + headers +
                              ["Connection: close", "", ""])
        upstream.sendall(request.encode("latin-1") + rest)
        # One request per connection: relay the answer until the server closes.
        relay(client, upstream)
        upstream.close()


if __name__ == "__main__":
    serve(Handler)
