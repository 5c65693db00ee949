#!/usr/bin/python3
"""An HTTP/1.1 server for tests that answers the first request of every
connection with keep-alive, then closes the connection without answering
when a second request arrives on it: the race of a server dropping an idle
keep-alive connection just as the client reuses it, made deterministic.
Listens on 127.0.0.1 (port 0 = any), writes "port N" to stdout, then one line
per request ("<connection> <n> <method> <path>").

usage: http_flaky_server.py [port]
"""
import itertools
import socket
import socketserver

from http_test_server import log, requests, serve

connection_ids = itertools.count(1)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn_id = next(connection_ids)
        sock = self.request
        for n, method, path, _ in requests(sock):
            log("%d %d %s %s" % (conn_id, n, method, path))
            if n >= 2:
                sock.shutdown(socket.SHUT_RDWR)
                return
            body = b"answer from connection %d" % conn_id
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                         b"Connection: keep-alive\r\n\r\n%s" % (len(body), body))


if __name__ == "__main__":
    serve(Handler)
