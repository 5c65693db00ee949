"""What the small HTTP test servers here share: logging to stdout, reading
requests off a keep-alive connection, and a threading server on 127.0.0.1
that prints "port N" first."""
import itertools
import socketserver
import sys


def log(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def requests(sock):
    """Yields (n, method, path, headers) for each request read from `sock`
    (bodies by Content-Length are read and dropped); stops at EOF."""
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
        headers = []
        for h in lines[1:]:
            name, _, value = h.partition(":")
            headers.append((name.strip(), value.strip()))
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        while len(buffered) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return
            buffered += chunk
        buffered = buffered[length:]
        method, path, _ = lines[0].split(" ", 2)
        yield n, method, path, headers


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve(handler):
    """Runs a server with `handler` on the port in argv[1] (0 = any) of the
    address in argv[2] (127.0.0.1 by default)."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    with Server((host, port), handler) as server:
        log("port %d" % server.server_address[1])
        server.serve_forever()
