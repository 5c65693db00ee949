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
import sys

connection_ids = itertools.count(1)


def log(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn_id = next(connection_ids)
        sock = self.request
        buffered = b""
        for n in itertools.count(1):
            while b"\r\n\r\n" not in buffered:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffered += chunk
            head, buffered = buffered.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            length = 0
            for h in lines[1:]:
                name, _, value = h.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            while len(buffered) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffered += chunk
            buffered = buffered[length:]
            method, path, _ = lines[0].split(" ", 2)
            log("%d %d %s %s" % (conn_id, n, method, path))
            if n >= 2:
                sock.shutdown(socket.SHUT_RDWR)
                return
            body = b"answer from connection %d" % conn_id
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                         b"Connection: keep-alive\r\n\r\n%s" % (len(body), body))


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with Server(("127.0.0.1", port), Handler) as server:
        log("port %d" % server.server_address[1])
        server.serve_forever()
