#!/usr/bin/env python3
"""The HTTP gateway of coprocess.exe under wine, with HTTP clients on the Linux side.

coprocess.exe (gateway on 127.0.0.1 and a free port), the C worker example
(examples/c/gateway_hello.c built for mingw against libcoproc.dll) and
coprocctl.exe run under wine; Python's http.client and the clients of
tests/gateway/http_client.py talk to the gateway from Linux (wine's sockets
are the host's). Each test starts its own co-process on a pipe of its own.

  gateway_win_test.py BUILD_DIR [unittest arguments, e.g. GatewayWinTest.test_x]

Wine runs every process as one user, an administrator whose token holds
BUILTIN\\Users and BUILTIN\\Administrators: a caller outside gateway.allow is
shown with a SID that user does not have (docs/windows.md).
"""
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

BUILD = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build-windows"
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HTTP_CLIENT = os.path.join(SOURCE, "tests", "gateway", "http_client.py")
WINE = shutil.which("wine") or shutil.which("wine64") or "wine"

# A SID the wine user's token does not hold (a made-up domain account).
FOREIGN_SID = "S-1-5-21-1111-2222-3333-4242"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def windows_path(path):
    """The Linux path as a program under wine sees it (drive Z:)."""
    return "Z:" + path.replace("/", "\\")


class GatewayWinTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="coproc-gw-win-")
        self.port = free_port()
        self.endpoint = "coproc-gw-test-%d-%d/coproc.sock" % (os.getpid(), self.port)
        self.env = dict(os.environ, WINEDEBUG="-all", COPROC_ENDPOINT=self.endpoint)
        self.processes = []
        self.coprocess = None
        self.log_path = os.path.join(self.tmp, "coprocess.log")

    def tearDown(self):
        for p in self.processes:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=30)
        if os.path.exists(self.log_path):  # ctest shows it when the test failed
            sys.stderr.write("coprocess log:\n" + self.log() + "\n")
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- processes under wine
    def wine(self, exe, args, log=None, **kwargs):
        out = open(log, "wb") if log else subprocess.DEVNULL
        try:
            p = subprocess.Popen([WINE, os.path.join(BUILD, exe)] + args, env=self.env,
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                 **kwargs)
        finally:
            if log:
                out.close()  # the child has its own handle
        self.processes.append(p)
        return p

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_search(self, pattern, timeout=10):
        """The first match of `pattern` in the log, waiting for it: a
        request's log line is written right after its answer went out."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.log())
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def start(self, allow="default=BUILTIN\\Users", extra=(), expect_up=True):
        args = ["--set", "server.pipe_name=" + self.endpoint, "--log-level", "debug",
                "--state-dir", windows_path(os.path.join(self.tmp, "state")),
                "--set", "gateway.listen=127.0.0.1:%d" % self.port,
                "--set", "gateway.allow=" + allow] + list(extra)
        self.coprocess = self.wine("coprocess/coprocess.exe", args, log=self.log_path)
        if not expect_up:
            return self.coprocess
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            self.assertIsNone(self.coprocess.poll(), "coprocess.exe ended:\n" + self.log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self.coprocess
            except OSError:
                time.sleep(0.2)
        self.fail("the gateway did not listen on port %d:\n%s" % (self.port, self.log()))

    def worker(self, max_requests=0):
        """The C example worker of the default queue, under wine."""
        log = os.path.join(self.tmp, "worker-%d.log" % len(self.processes))
        return self.wine("tests/windows/gateway_hello.exe", ["", str(max_requests)], log=log)

    def slow_worker(self, delay_ms, max_requests=0, queue=""):
        """tests/windows/gateway_slow_worker.c: DELAY_MS per request, X-Worker-Pid."""
        return self.wine("tests/windows/gateway_slow_worker.exe",
                         [str(delay_ms), str(max_requests), queue],
                         log=os.path.join(self.tmp, "worker-%d.log" % len(self.processes)))

    def coprocctl(self, *args):
        r = subprocess.run([WINE, os.path.join(BUILD, "client-lib/coprocctl.exe"),
                            "--endpoint", self.endpoint, "--no-launch"] + list(args),
                           env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=120)
        return r.returncode, r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")

    def waiting_workers(self, n, timeout=60):
        """True once n workers wait in gateway.next (gateway.status, as admin)."""
        return self.queues_reach("waiting_workers", n, timeout)

    def queues_reach(self, key, n, timeout=60):
        """True once the sum of key over gateway.status's queues reaches n."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc, out, _ = self.coprocctl("--json", "gateway", "status")
            if rc == 0:
                queues = json.loads(out).get("queues", [])
                if sum(q.get(key, 0) for q in queues) >= n:
                    return True
            time.sleep(0.3)
        return False

    def get(self, path, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read(), dict(r.getheaders())
        finally:
            c.close()

    def http_client(self, *args):
        r = subprocess.run([sys.executable, HTTP_CLIENT] + [str(a) for a in args],
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return json.loads(r.stdout)

    def at_once(self, path, n=8):
        """n requests at once, each on its own connection (http_client.py)."""
        out = self.http_client("concurrent", self.port, n, path)
        self.assertEqual(out["statuses"], [200] * n, out)
        return out

    # ---- the tests
    def test_eight_workers_serve_eight_concurrent_requests_in_about_one_request_time(self):
        # Eight workers on the default queue and, as the anchor measured in
        # the same run, one worker on the queue "one": all at 200 ms a request.
        self.start(allow="default=BUILTIN\\Users; one=BUILTIN\\Users",
                   extra=["--set", "gateway.route=/one=one"])
        for _ in range(8):
            self.slow_worker(200)
        self.slow_worker(200, queue="one")
        self.assertTrue(self.waiting_workers(9), self.log())
        # Best of three rounds: the machine's load only ever adds time, and
        # one by one could not go under 8 x 200 ms in any round.
        rounds = [self.at_once("/hello") for _ in range(3)]
        serial = self.at_once("/one/hello")
        parallel_ms = min(r["elapsed_ms"] for r in rounds)
        figures = "8 requests: %s ms with 8 workers (3 rounds), %d ms with one" % (
            [r["elapsed_ms"] for r in rounds], serial["elapsed_ms"])
        sys.stderr.write(figures + "\n")
        for r in rounds:
            self.assertEqual(r["workers"], 8, r)  # each request had a worker of its own
        self.assertEqual(serial["workers"], 1, serial)
        self.assertGreaterEqual(serial["elapsed_ms"], 1600, figures)  # 8 x 200 ms one by one
        self.assertGreaterEqual(parallel_ms, 200, figures)
        # About one request's time: under half the one-by-one anchor of this
        # run, and under what one by one could ever take.
        self.assertLess(parallel_ms, serial["elapsed_ms"] / 2, figures)
        self.assertLess(parallel_ms, 1500, figures)

    def test_one_worker_serves_concurrent_requests_one_by_one(self):
        self.start()
        self.slow_worker(200)
        self.assertTrue(self.waiting_workers(1), self.log())
        out = self.at_once("/hello")
        self.assertEqual(out["workers"], 1, out)
        self.assertGreaterEqual(out["elapsed_ms"], 1600, out)

    def test_a_worker_killed_mid_request_is_502_and_the_next_request_goes_to_another(self):
        self.start()
        first = self.slow_worker(5000)
        self.assertTrue(self.waiting_workers(1), self.log())
        self.slow_worker(0)
        self.assertTrue(self.waiting_workers(2), self.log())
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending = pool.submit(self.get, "/hello")
            # The first worker (first in line) holds the request: kill it.
            self.assertTrue(self.queues_reach("in_progress", 1), self.log())
            first.kill()
            first.wait(timeout=30)
            status, body, _ = pending.result(timeout=60)
        self.assertEqual(status, 502, body)
        killed = self.log_search(r"status=502 .*worker_pid=(\d+)")
        self.assertIsNotNone(killed, self.log())
        status, body, headers = self.get("/hello")
        self.assertEqual(status, 200, body)
        self.assertNotEqual(headers["X-Worker-Pid"], killed.group(1), self.log())
        self.assertEqual(body, b"served by %s\n" % headers["X-Worker-Pid"].encode())

    def test_get_hello_is_answered_by_a_worker_allowed_through_its_group(self):
        self.start(allow="default=BUILTIN\\Users")
        self.worker()
        self.assertTrue(self.waiting_workers(1), self.log())
        status, body, headers = self.get("/hello?name=Wine")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"Hello, Wine!\n")
        self.assertEqual(headers.get("Content-Type"), "text/plain")
        self.assertIn("X-Worker-Pid", headers)
        status, body, _ = self.get("/elsewhere")
        self.assertEqual((status, body), (404, b"not here\n"))

    def test_a_group_name_with_spaces_in_quotes_allows_its_members(self):
        self.start(allow='default=@"NT AUTHORITY\\Authenticated Users"')
        self.worker()
        self.assertTrue(self.waiting_workers(1), self.log())
        self.assertEqual(self.get("/hello")[:2], (200, b"Hello, world!\n"))

    def test_a_post_body_arrives_byte_identical(self):
        self.start(allow="default=S-1-5-32-545")  # BUILTIN\Users as a literal SID
        self.worker()
        self.assertTrue(self.waiting_workers(1), self.log())
        data = os.path.join(self.tmp, "body.bin")
        with open(data, "wb") as f:
            f.write(bytes(range(256)) * 1024 + b"\r\n\0end")  # 256 KiB, then CR LF NUL "end"
        out = self.http_client("post", self.port, "/hello", data)
        self.assertEqual(out["status"], 200, out)
        self.assertEqual(out["sha256"], out["sent_sha256"], out)
        self.assertEqual(out["length"], 256 * 1024 + 6, out)

    def test_an_https_listener_serves_with_its_certificate(self):
        cert, key = os.path.join(self.tmp, "gw.pem"), os.path.join(self.tmp, "gw.key")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)
        self.start(extra=["--set", "gateway.listen=127.0.0.1:%d tls" % self.port,
                          "--set", "gateway.tls_cert=" + windows_path(cert),
                          "--set", "gateway.tls_key=" + windows_path(key)])
        self.worker()
        self.assertTrue(self.waiting_workers(1), self.log())
        context = ssl.create_default_context(cafile=cert)
        c = http.client.HTTPSConnection("localhost", self.port, timeout=60, context=context)
        try:
            for _ in range(2):  # two requests on one kept-alive TLS connection
                c.request("GET", "/hello?name=TLS")
                r = c.getresponse()
                self.assertEqual((r.status, r.read()), (200, b"Hello, TLS!\n"))
            self.assertEqual(c.sock.version()[:5], "TLSv1")
        finally:
            c.close()

    def test_no_worker_is_503_after_the_queue_timeout(self):
        self.start(extra=["--set", "gateway.queue_timeout_ms=700"])
        t0 = time.monotonic()
        status, body, _ = self.get("/hello")
        elapsed = time.monotonic() - t0
        self.assertEqual(status, 503, body)
        self.assertGreaterEqual(elapsed, 0.65)
        self.assertLess(elapsed, 10)
        self.assertIn("gateway.queue_timeout_ms", self.log())

    def test_a_worker_that_leaves_holding_a_request_is_502(self):
        self.start()
        # coprocctl takes one request with gateway.next, prints it and exits
        # without a reply: its pipe connection closes while it holds the request.
        taker = subprocess.Popen([WINE, os.path.join(BUILD, "client-lib/coprocctl.exe"),
                                  "--endpoint", self.endpoint, "--no-launch", "--json", "call",
                                  "gateway.next", '{"queue": "", "timeout_ms": 60000}'],
                                 env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        self.processes.append(taker)
        self.assertTrue(self.waiting_workers(1), self.log())
        status, body, _ = self.get("/hello?from=linux")
        self.assertEqual(status, 502, body)
        taken = json.loads(taker.communicate(timeout=60)[0])
        self.assertEqual((taken["method"], taken["path"], taken["query"]),
                         ("GET", "/hello", "from=linux"), taken)

    def test_a_worker_slower_than_the_reply_timeout_is_504(self):
        self.start(extra=["--set", "gateway.reply_timeout_ms=500"])
        worker = subprocess.Popen([WINE, os.path.join(BUILD, "tests/windows/gateway_slow_worker.exe"),
                                   "2500"], env=self.env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE)
        self.processes.append(worker)
        self.assertTrue(self.waiting_workers(1), self.log())
        t0 = time.monotonic()
        status, body, _ = self.get("/hello")
        self.assertEqual(status, 504, body)
        self.assertLess(time.monotonic() - t0, 2.4)  # not the worker's 2.5 s
        # Its late reply finds the request gone.
        self.assertEqual(worker.communicate(timeout=60)[0].strip(), b"not_found")
        self.assertIn("gateway.reply_timeout_ms", self.log())

    def test_a_caller_not_in_gateway_allow_gets_permission_denied(self):
        self.start(allow="default=" + FOREIGN_SID)
        rc, out, err = self.coprocctl("call", "gateway.next", '{"queue": "", "timeout_ms": 100}')
        self.assertNotEqual(rc, 0, out)
        self.assertIn("permission_denied", err + out)
        self.assertIn("gateway.allow", err + out)
        self.assertIn("user S-1-5-21-", err + out)  # named by its SID, not a made-up uid
        worker = self.worker()
        self.assertNotEqual(worker.wait(timeout=120), 0)
        status, _, _ = self.get("/hello")  # nobody may take it
        self.assertEqual(status, 503)

    def test_gateway_status_counts_requests_for_an_administrator(self):
        self.start(extra=["--set", "gateway.queue_timeout_ms=200"])
        self.worker(max_requests=2)
        self.assertTrue(self.waiting_workers(1), self.log())
        self.assertEqual(self.get("/hello")[0], 200)
        self.assertEqual(self.get("/hello")[0], 200)
        self.assertEqual(self.get("/hello")[0], 503)  # the worker served its two and left
        rc, out, err = self.coprocctl("--json", "gateway", "status")
        self.assertEqual(rc, 0, err)
        status = json.loads(out)
        self.assertTrue(status["enabled"], status)
        self.assertEqual(status["listeners"], ["127.0.0.1:%d" % self.port], status)
        self.assertEqual(status["requests"], 3, status)
        self.assertEqual(status["status_2xx"], 2, status)
        self.assertEqual(status["status_5xx"], 1, status)
        self.assertEqual([q["name"] for q in status["queues"]], ["default"], status)

    def test_a_slowloris_client_gets_408_while_others_are_served(self):
        self.start(extra=["--set", "gateway.request_timeout_ms=3000"])
        self.worker()
        self.assertTrue(self.waiting_workers(1), self.log())
        slow = subprocess.Popen([sys.executable, HTTP_CLIENT, "slowloris", str(self.port), "100"],
                                stdout=subprocess.PIPE)
        time.sleep(0.3)
        for _ in range(3):
            t0 = time.monotonic()
            self.assertEqual(self.get("/hello")[0], 200)
            self.assertLess(time.monotonic() - t0, 2.5)
        out = json.loads(slow.communicate(timeout=60)[0])
        self.assertTrue(out["status_line"].startswith("HTTP/1.1 408"), out)
        self.assertGreaterEqual(out["after_ms"], 2700, out)
        self.assertLess(out["after_ms"], 8000, out)

    def test_an_unknown_account_in_gateway_allow_stops_startup(self):
        p = self.start(allow="default=no-such-account-here", expect_up=False)
        self.assertNotEqual(p.wait(timeout=120), 0)
        self.assertIn("no account or group 'no-such-account-here'", self.log())

    def test_a_uid_number_in_gateway_allow_stops_startup_with_the_windows_syntax(self):
        p = self.start(allow="default=1000", expect_up=False)
        self.assertNotEqual(p.wait(timeout=120), 0)
        self.assertIn("Windows has no numeric uids", self.log())


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0]] + sys.argv[2:], verbosity=2)
