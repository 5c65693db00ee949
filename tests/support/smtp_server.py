#!/usr/bin/python3
"""A real SMTP server for coproc's tests and benchmarks (aiosmtpd, Debian's
python3-aiosmtpd). Listens on 127.0.0.1 only.

Every accepted message is saved raw, exactly as received after the DATA
dot-unstuffing, as DIR/messages/NNNNNN.eml (written to a temp name, then
renamed), with its envelope in NNNNNN.env (JSON). DIR/events.log gets one
line per EHLO / STARTTLS / AUTH so tests can see what happened in clear
text. DIR/port holds the port once the server accepts connections.

Run with /usr/bin/python3 (the Debian modules are not in other pythons).
"""
import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def is_tls(server):
    """True after STARTTLS and on an implicit-TLS connection."""
    return (server.session is not None and server.session.ssl is not None) or (
        server.transport is not None and server.transport.get_extra_info("ssl_object") is not None)


def write_atomic(path, data):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class Recorder:
    def __init__(self, folder, data_reply, sink, delay_ms=0):
        self.delay = delay_ms / 1000.0
        self.folder = folder
        self.messages = os.path.join(folder, "messages")
        os.makedirs(self.messages, exist_ok=True)
        self.events = open(os.path.join(folder, "events.log"), "a", buffering=1)
        self.count = len([n for n in os.listdir(self.messages) if n.endswith(".eml")])
        self.data_reply = data_reply
        self.sink = sink
        self.deferred_once = set()

    def event(self, text):
        self.events.write(text + "\n")

    # Recipients by local part, like a real relay's answers: "nobody" is an
    # unknown mailbox (550), "busy" is full for good (452 on every try) and
    # "later" is deferred once (450) and accepted on the next attempt.
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local == "nobody":
            self.event("RCPT refused: " + address)
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local == "busy":
            self.event("RCPT deferred: " + address)
            return "452 4.2.2 <%s>: Mailbox full, try again later" % address
        if local == "later" and address not in self.deferred_once:
            self.deferred_once.add(address)
            self.event("RCPT deferred once: " + address)
            return "450 4.2.1 <%s>: Try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            self.event("DATA refused: " + self.data_reply)
            return self.data_reply
        if self.delay:
            await asyncio.sleep(self.delay)
        self.count += 1
        if not self.sink:
            name = "%06d" % self.count
            write_atomic(os.path.join(self.messages, name + ".env"),
                         json.dumps({"mail_from": envelope.mail_from,
                                     "rcpt_tos": envelope.rcpt_tos,
                                     "tls": is_tls(server),
                                     "authenticated": bool(session.authenticated)}).encode())
            write_atomic(os.path.join(self.messages, name + ".eml"), envelope.original_content)
        return "250 2.0.0 Ok: queued as %d" % self.count


class RecordingSMTP(SMTP):
    recorder = None

    def connection_made(self, transport):
        # Replies go out at once: with Nagle on, a multi-line EHLO reply
        # written in pieces waits for the client's delayed ACK (~40 ms per
        # session), which made every new-connection client look slow.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    async def smtp_EHLO(self, hostname):
        self.recorder.event("EHLO %s tls=%s" % (hostname, is_tls(self)))
        return await super().smtp_EHLO(hostname)

    async def smtp_STARTTLS(self, arg):
        self.recorder.event("STARTTLS")
        return await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):
        mech = (arg or "").split(" ")[0]
        self.recorder.event("AUTH %s tls=%s" % (mech, is_tls(self)))
        return await super().smtp_AUTH(arg)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls", choices=["none", "starttls", "implicit"], default="none")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--mechanisms", default="PLAIN LOGIN", help="AUTH mechanisms offered")
    p.add_argument("--auth-in-clear", action="store_true",
                   help="offer AUTH without TLS (to prove a client does not use it)")
    p.add_argument("--data-reply", default="", help='answer DATA with this, e.g. "451 4.3.0 later"')
    p.add_argument("--delay-ms", type=int, default=0, help="wait this long before accepting DATA")
    p.add_argument("--sink", action="store_true", help="count messages, do not save them")
    a = p.parse_args()

    os.makedirs(a.dir, exist_ok=True)
    recorder = Recorder(a.dir, a.data_reply, a.sink, a.delay_ms)
    RecordingSMTP.recorder = recorder

    context = None
    if a.tls != "none":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              auth_data.login.decode() == a.user and auth_data.password.decode() == a.password)
        recorder.event("AUTH-RESULT %s %s tls=%s" % (mechanism, "ok" if ok else "bad",
                                                     is_tls(server)))
        return AuthResult(success=ok, handled=False)

    all_mechs = {"PLAIN", "LOGIN"}
    offered = set(a.mechanisms.split())
    kwargs = dict(decode_data=False, data_size_limit=64 * 1024 * 1024, hostname="smtp.test")
    if a.user:
        # aiosmtpd does not count implicit TLS as TLS for auth_require_tls.
        in_clear_ok = a.auth_in_clear or a.tls == "implicit"
        kwargs.update(authenticator=authenticator, auth_require_tls=not in_clear_ok,
                      auth_exclude_mechanism=list(all_mechs - offered))
    if a.tls == "starttls":
        kwargs.update(tls_context=context, require_starttls=False)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", a.port))
    sock.listen(128)
    port = sock.getsockname()[1]

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        return RecordingSMTP(recorder, loop=loop, **kwargs)

    server = loop.run_until_complete(loop.create_server(
        factory, sock=sock, ssl=context if a.tls == "implicit" else None))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    if a.sink:
        # The sink keeps its count in memory and publishes it every 2 ms, so
        # its per-message cost does not depend on the disk.
        async def publish_count():
            shown = -1
            while True:
                if recorder.count != shown:
                    shown = recorder.count
                    write_atomic(os.path.join(a.dir, "count"), str(shown).encode())
                await asyncio.sleep(0.002)
        loop.create_task(publish_count())
    write_atomic(os.path.join(a.dir, "port"), str(port).encode())
    try:
        loop.run_forever()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
