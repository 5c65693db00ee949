#!/usr/bin/python3
"""Speaks raw MessagePack-RPC to the co-process with Debian's python3-msgpack,
an implementation that shares no code with ours, and checks the wire format
against the specification. Usage: msgpack_rpc_conformance.py SOCKET_PATH.
Prints one line per check and "conformance: ok" at the end; exits 1 on the
first failure."""
import socket
import sys

import msgpack


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print("ok: " + message)


class Peer:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(path)
        self.unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)

    def send(self, message):
        self.sock.sendall(msgpack.packb(message, use_bin_type=True))

    def send_raw(self, data):
        self.sock.sendall(data)

    def receive(self):
        while True:
            for message in self.unpacker:
                return message
            data = self.sock.recv(65536)
            if not data:
                fail("server closed the connection")
            self.unpacker.feed(data)

    def call(self, msgid, method, params):
        self.send([0, msgid, method, params])
        return self.receive()


def check_response_shape(response, msgid, what):
    check(isinstance(response, list) and len(response) == 4,
          what + ": response is an array of 4 elements")
    check(response[0] == 1, what + ": response type is 1")
    check(response[1] == msgid, what + ": response carries the request's msgid")


def check_error(error, code, name, what):
    check(isinstance(error, dict), what + ": error is a map")
    check(error.get("code") == code, what + ": error code is %d (got %r)" % (code, error.get("code")))
    check(error.get("name") == name, what + ": error name is %s (got %r)" % (name, error.get("name")))
    check(isinstance(error.get("message"), str) and error["message"],
          what + ": error has a message")


def main():
    path = sys.argv[1]
    peer = Peer(path)

    hello = peer.call(1, "sys.hello", [{"protocol": 1, "client": "python3-msgpack"}])
    check_response_shape(hello, 1, "sys.hello")
    check(hello[2] is None, "sys.hello: error is nil")
    check(hello[3]["protocol"] == 1, "sys.hello: result says protocol 1")
    check(isinstance(hello[3]["pid"], int), "sys.hello: result has the server pid")

    ping = peer.call(2, "sys.ping", [])
    check_response_shape(ping, 2, "sys.ping with []")
    check(ping[2] is None, "sys.ping: error is nil")

    big = 2 ** 32 - 1
    ping = peer.call(big, "sys.ping", [{}])
    check_response_shape(ping, big, "sys.ping with msgid 2^32-1")

    # Pipelining: several requests in one write, every answer matched by msgid.
    batch = b"".join(msgpack.packb([0, 100 + i, "sys.ping", [{}]]) for i in range(20))
    peer.send_raw(batch)
    seen = set()
    for _ in range(20):
        response = peer.receive()
        check(response[0] == 1 and response[2] is None, "pipelined ping answered")
        seen.add(response[1])
    check(seen == set(range(100, 120)), "all 20 pipelined msgids answered exactly once")

    unknown = peer.call(3, "no.such_method", [{}])
    check_response_shape(unknown, 3, "unknown method")
    check_error(unknown[2], 2, "not_found", "unknown method")
    check(unknown[3] is None, "unknown method: result is nil")

    bad_params = peer.call(4, "sys.ping", {"not": "an array"})
    check_response_shape(bad_params, 4, "params not an array")
    check_error(bad_params[2], 1, "bad_request", "params not an array")

    bad_method = peer.call(5, 42, [])
    check_response_shape(bad_method, 5, "method not a string")
    check_error(bad_method[2], 1, "bad_request", "method not a string")

    # A notification gets no answer; the next request is answered normally.
    peer.send([2, "sys.ping", [{}]])
    after = peer.call(6, "sys.ping", [{}])
    check_response_shape(after, 6, "request after a notification")

    # str8 / bin types from a spec-compliant encoder are accepted.
    status = peer.call(7, "sys.status", [{}])
    check_response_shape(status, 7, "sys.status")
    check(status[2] is None and isinstance(status[3], dict), "sys.status: result is a map")

    # A second connection is served alongside.
    other = Peer(path)
    response = other.call(1, "sys.ping", [{}])
    check_response_shape(response, 1, "second connection")
    print("conformance: ok")


if __name__ == "__main__":
    main()
