"""Exercises bindings/python/coproc.py against a real co-process.

    python3 python_binding_check.py BINDINGS_DIR ENDPOINT URL NOWHERE_ENDPOINT

Prints one "ok: ..." line per check and exits 0, or raises.
"""
import sys

sys.path.insert(0, sys.argv[1])
import coproc  # noqa: E402

endpoint, url, nowhere = sys.argv[2], sys.argv[3], sys.argv[4]

with coproc.Client(endpoint, auto_launch=False, client_name="binding-check") as c:
    assert c.ping() > 0
    mail_id = c.send_mail("Billing <billing@example.org>", ["a@example.org", "b@example.org"],
                          "Invoice 7", "Dear customer,\nplease find it attached.\n",
                          bcc="audit@example.org", headers={"X-Invoice": "7"},
                          attachments=[("invoice.txt", b"total: 42\n", "text/plain")])
    status = c.mail_status(mail_id)
    assert status["id"] == mail_id and status["state"] in ("queued", "sending", "sent"), status
    print("ok: send_mail", mail_id)

    raw_id = c.send_raw_mail(b"Subject: raw from python\nTo: a@example.org\nBcc: x@example.org\n\nhi\n",
                             "app@example.org", recipients_from_headers=True)
    assert raw_id in [m["id"] for m in c.mail_list()], c.mail_list()
    print("ok: send_raw_mail", raw_id)
    again = [c.send_raw_mail(b"Subject: once\n\nx\n", "app@example.org", "a@example.org",
                             idempotency_key="python-check-1") for _ in range(2)]
    assert again[0] == again[1], again
    print("ok: send_raw_mail with the same idempotency key queues once", again[0])

    page = c.http_get(url)
    assert page.status == 200 and page.body == b"hello from nginx\n", (page.status, page.body)
    assert page.headers["content-type"].startswith("text/plain"), page.headers
    print("ok: http_get", page.status, len(page.body))

    echo = c.http_request("POST", url.rsplit("/files/", 1)[0] + "/echo", body=b"ping",
                          headers={"X-Test": "binding"})
    assert echo.status == 200 and b"ping" in echo.body, echo.body
    print("ok: http_request POST")

    assert c.call("sys.ping", {})["pong"] is True
    print("ok: call")

    # Without waiting: two GETs and a ping in flight, collected as they come.
    import select
    calls = [c.call_async("http.request", {"url": url}) for _ in range(2)]
    calls.append(c.call_async("sys.ping"))
    left = len(calls)
    while left:
        ready, _, _ = select.select([c.async_fd()], [], [], 10)
        assert ready, "the async descriptor never became readable"
        i = c.wait_any(calls, 0)
        assert i is not None
        result = calls[i].result()
        assert result.get("status") == 200 or result.get("pong") is True, result
        calls[i].close()
        calls[i] = None
        left -= 1
    try:
        c.wait_any([None, None], 0)
        raise AssertionError("waited for nothing")
    except coproc.Misuse:
        pass
    p = c.call_async("sys.ping")
    assert p.wait(5000) and p.ready()
    p.cancel()  # completed already: a no-op
    assert p.result()["pong"] is True
    p.close()
    try:
        with c.call_async("no.such") as bad:
            bad.wait()
            bad.result()
        raise AssertionError("unknown method answered")
    except coproc.NotFound as e:
        print("ok: call_async NotFound:", e.message)
    print("ok: call_async, wait_any, async_fd")

    try:
        c.send_mail("not an address", "a@example.org")
        raise AssertionError("bad address accepted")
    except coproc.BadRequest as e:
        assert e.status == 1 and e.name == "bad_request" and "'from'" in e.message, e
        print("ok: BadRequest:", e.message)

    try:
        c.mail_status("does-not-exist")
        raise AssertionError("unknown id found")
    except coproc.NotFound as e:
        print("ok: NotFound:", e.message)

try:
    coproc.Client(nowhere, auto_launch=False).ping()
    raise AssertionError("connected to nothing")
except coproc.NotRunning as e:
    assert type(e) is coproc.NotRunning and e.status == 101, e
    print("ok: NotRunning")

try:
    coproc.Client(nowhere, connect_timeout_ms=2000).ping()
    raise AssertionError("connected to nothing")
except coproc.ServiceNotRunning as e:
    assert isinstance(e, coproc.NotRunning) and e.status == 102, e
    print("ok: ServiceNotRunning")

print("all checks passed, library", coproc.library_version())
