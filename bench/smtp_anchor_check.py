#!/usr/bin/python3
"""Independent check of an SMTP benchmark's anchors: Python's smtplib sends
N small mails to HOST:PORT, once over one persistent session and once with a
new session (connect, EHLO, MAIL, RCPT, DATA, QUIT) per mail, and prints the
milliseconds per mail of each:

    persistent_ms=0.412 per_session_ms=1.730

A server that stalls new sessions (e.g. Nagle's algorithm on its multi-line
EHLO reply) shows up here as a per-session time far above the persistent one,
whatever client the benchmark itself uses.
"""
import smtplib
import sys
import time

MESSAGE = ("From: check@example.org\r\nTo: sink@example.net\r\nSubject: check\r\n\r\n"
           "small body\r\n")


def main():
    host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    start = time.perf_counter()
    with smtplib.SMTP(host, port) as s:
        s.ehlo("check")
        for _ in range(n):
            s.sendmail("check@example.org", ["sink@example.net"], MESSAGE)
    persistent = (time.perf_counter() - start) * 1000 / n
    start = time.perf_counter()
    for _ in range(n):
        with smtplib.SMTP(host, port) as s:
            s.ehlo("check")
            s.sendmail("check@example.org", ["sink@example.net"], MESSAGE)
    per_session = (time.perf_counter() - start) * 1000 / n
    print("persistent_ms=%.3f per_session_ms=%.3f" % (persistent, per_session))
    return 0


if __name__ == "__main__":
    sys.exit(main())
