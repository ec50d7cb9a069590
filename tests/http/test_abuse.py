#!/usr/bin/env python3
"""tests/http/test_abuse.py: the console under abuse (issue 13, items 1, 2, 3 and 6), against
the real server on a loopback port, with the figures printed:

1. idle and slowloris connections: with 200 idle sockets and 100 connections trickling
   header bytes open from 127.0.0.1, a normal request from 127.0.0.1 is answered within a
   second; the server closes every one of them once the head deadline passes, trickling or
   not; a body trickled past the request deadline is cut off too;
2. sign-in throttling that a flood cannot flush: thousands of random logins between a real
   account's wrong passwords, and its sixth is still 429; a table too small for the failures
   refuses sign-ins rather than forget one;
3. the Host header: only the loopback names with the bound port and the --host names are
   answered; anything else is 421 with a JSON error, whatever its Origin says;
6. the Content-Security-Policy forbids plugins (object-src 'none').

All load goes to 127.0.0.1 and is bounded (at most 301 sockets and 3,200 sign-ins). Python
3 standard library only. KINFLOW_BIN is the binary under test (default ./kinflow). Every
server listens on 127.0.0.1 and is killed at the end, pass or fail.
Prints "ok   NAME" / "FAIL NAME: why" and ends with "N passed, N failed"."""

import http.client
import json
import re
import resource
import socket
import threading
import time

import harness as H
from harness import ENV, Server, check, fail, kf, ok, run, check_no_crashes  # noqa: F401

IDLE, SLOW = 200, 100
HEAD_TIMEOUT = 5        # the server's default
PASSWORD = "Quiet harbour lantern 7341"


def req(srv, method, path, body=None, headers=None, cookie=None, timeout=15):
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = "kf_session=" + cookie
    return H.exchange(srv, method, path, body, h, timeout=timeout)


def sign_in(srv, login, password, client=None):
    return req(srv, "POST", "/api/session", {"login": login, "password": password},
               headers={"X-Forwarded-For": client} if client else None)


def setup():
    # room for the test's own sockets
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 1024 if hard == resource.RLIM_INFINITY else min(hard, 1024)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    rc, out, err = kf("init")
    if rc:
        raise RuntimeError("init: " + err)
    for login in ("vic", "val"):
        rc, out, err = kf("user", "add", login, "--role", "viewer", "--password-stdin",
                          stdin=PASSWORD + "\n")
        if rc:
            raise RuntimeError("user add %s: %s" % (login, err))


# ---- 1. idle and slow clients --------------------------------------------------------------

def closed(s):
    """Whether the server has closed the socket (without waiting)."""
    s.setblocking(False)
    try:
        while True:
            d = s.recv(65536)
            if d == b"":
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_slow_clients():
    srv = Server("slow")
    r = sign_in(srv, "val", PASSWORD)
    m = re.match(r"kf_session=([0-9a-f]+);", r.header("Set-Cookie") or "")
    if not check("signed in before the flood", r.status == 200 and m, r):
        return
    cookie = m.group(1)

    idle, slow = [], []
    opened = time.monotonic()
    for i in range(IDLE + SLOW):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        if i < IDLE:
            idle.append(s)
        else:
            s.sendall(b"GET /api/dashboard HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Slow: " % srv.port)
            slow.append(s)
    stop = threading.Event()
    trickled = [0]

    def trickle():  # one byte per connection every half second, never the end of the head
        while not stop.wait(0.5):
            for s in slow:
                try:
                    s.send(b"a")
                    trickled[0] += 1
                except OSError:
                    pass

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        time.sleep(1.0)  # the hostile sockets are accepted and trickling
        still = sum(not closed(s) for s in idle + slow)
        started = time.monotonic()
        r = req(srv, "GET", "/api/dashboard", cookie=cookie, timeout=5)
        took = time.monotonic() - started
        check("a normal request from 127.0.0.1 is answered within 1 s with %d idle and %d "
              "slowloris sockets open from 127.0.0.1 (answered in %.3f s with %d hostile sockets open)"
              % (IDLE, SLOW, took, still), r.status == 200 and took < 1.0 and still == IDLE + SLOW,
              (r, took, still))

        # each is closed once the head deadline passes, however it trickles
        deadline = opened + HEAD_TIMEOUT + 3
        idle_closed = slow_closed = None
        while time.monotonic() < deadline:
            if idle_closed is None and all(closed(s) for s in idle):
                idle_closed = time.monotonic() - opened
            if slow_closed is None and all(closed(s) for s in slow):
                slow_closed = time.monotonic() - opened
            if idle_closed is not None and slow_closed is not None:
                break
            time.sleep(0.1)
        check("the %d idle connections are closed when no request head came within %d s "
              "(all closed %s s after opening)" % (IDLE, HEAD_TIMEOUT,
                                                   "%.1f" % idle_closed if idle_closed else "not"),
              idle_closed is not None and HEAD_TIMEOUT - 0.5 <= idle_closed <= HEAD_TIMEOUT + 2,
              idle_closed)
        check("the %d slowloris connections are closed too, though they kept trickling (all "
              "closed %s s after opening, after %d bytes trickled)"
              % (SLOW, "%.1f" % slow_closed if slow_closed else "not", trickled[0]),
              slow_closed is not None and HEAD_TIMEOUT - 0.5 <= slow_closed <= HEAD_TIMEOUT + 2,
              slow_closed)
    finally:
        stop.set()
        t.join()
        for s in idle + slow:
            s.close()
    r = req(srv, "GET", "/api/dashboard", cookie=cookie)
    check("the server answers as before once they are gone", r.status == 200, r)

    # a kept-alive connection may send its next request (within the head deadline)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
    statuses = []
    for _ in range(3):
        conn.request("GET", "/api/dashboard", headers={"Cookie": "kf_session=" + cookie})
        resp = conn.getresponse()
        resp.read()
        statuses.append(resp.status)
        time.sleep(1)
    conn.close()
    check("a kept-alive connection serves request after request", statuses == [200] * 3, statuses)
    srv.stop()


def test_request_deadline():
    srv = Server("deadline", {"KINFLOW_CONSOLE_HEAD_TIMEOUT": "2",
                              "KINFLOW_CONSOLE_REQUEST_TIMEOUT": "4"})
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    s.sendall(b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json"
              b"\r\nContent-Length: 200\r\n\r\n{" % srv.port)
    opened = time.monotonic()
    gone = None
    while time.monotonic() < opened + 8:
        try:
            s.send(b" ")
        except OSError:
            pass
        if closed(s):
            gone = time.monotonic() - opened
            break
        time.sleep(0.4)
    s.close()
    check("a body trickled past the request deadline (4 s here) is cut off (closed after %s s)"
          % ("%.1f" % gone if gone else "never"), gone is not None and 3.5 <= gone <= 6, gone)

    # a head that arrives in time, with its body, is answered as usual
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    body = json.dumps({"login": "val", "password": "wrong"}).encode()
    head = (b"POST /api/session HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json"
            b"\r\nContent-Length: %d\r\n\r\n" % (srv.port, len(body)))
    for i in range(0, len(head), 20):  # slowly, but within the deadline
        s.sendall(head[i:i + 20])
        time.sleep(0.1)
    s.sendall(body)
    reply = b""
    try:
        while b"\r\n\r\n" not in reply:
            d = s.recv(4096)
            if not d:
                break
            reply += d
    except OSError:
        pass
    s.close()
    check("a request sent in pieces within the deadlines is answered (401)",
          reply.startswith(b"HTTP/1.1 401"), reply[:80])
    srv.stop()


def test_limits_settings():
    rc, out, err = kf("serve", "--host", "bad/name")
    check("serve --host refuses what is not a host name (exit 2)", rc == 2 and "--host" in err,
          (rc, err))
    # too few connections for the 300: the per-address limit is what refuses
    srv = Server("per-address", {"KINFLOW_CONSOLE_PER_ADDRESS": "20"})
    socks = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(30)]
    time.sleep(0.5)
    kept = sum(not closed(s) for s in socks)
    check("KINFLOW_CONSOLE_PER_ADDRESS bounds one address's connections (%d of 30 kept)" % kept,
          kept == 20, kept)
    for s in socks:
        s.close()
    srv.stop()


# ---- 2. sign-in throttling that cannot be flushed ------------------------------------------

def test_throttle_flood():
    # behind a trusted proxy (127.0.0.1 here) each client counts by its X-Forwarded-For
    srv = Server("throttle", {"KINFLOW_TRUSTED_PROXY": "127.0.0.1"})
    before = [sign_in(srv, "vic", "wrong %d" % i, "10.0.0.1").status for i in range(2)]
    check("two wrong passwords for vic are 401", before == [401, 401], before)

    # the flood: twenty wrong passwords from each of five addresses, then thousands of
    # random logins from one of them, each refused at once
    started = time.monotonic()
    failures = [sign_in(srv, "rnd-%d-%d" % (a, i), "wrong", "10.9.0.%d" % a).status
                for a in range(1, 6) for i in range(20)]
    cheap = [sign_in(srv, "flood-%05d" % i, "wrong", "10.9.0.1").status for i in range(3000)]
    took = time.monotonic() - started
    check("the flood: %d wrong passwords from 5 addresses (401) and %d random logins refused at "
          "once (429) in %.1f s" % (len(failures), len(cheap), took),
          failures == [401] * 100 and cheap == [429] * 3000,
          (failures.count(401), cheap.count(429)))

    after = [sign_in(srv, "vic", "wrong %d" % i, "10.0.0.%d" % (2 + i)).status for i in range(3)]
    r = sign_in(srv, "vic", PASSWORD, "10.0.0.9")
    check("the sixth sign-in for vic after 5 wrong passwords and a flood of %d random logins is "
          "429, even with the right password and from another address (Retry-After %s s)"
          % (len(failures) + len(cheap), r.header("Retry-After")),
          after == [401] * 3 and r.status == 429 and int(r.header("Retry-After") or 0) > 800,
          (after, r))
    r = sign_in(srv, "val", PASSWORD, "10.0.0.10")
    check("another account still signs in during the flood (200)", r.status == 200, r)
    srv.stop()


def test_throttle_full():
    # a table of 16 entries: two for vic's failures, then two for each other failure
    srv = Server("throttle-full", {"KINFLOW_TRUSTED_PROXY": "127.0.0.1",
                                   "KINFLOW_CONSOLE_THROTTLE_ENTRIES": "16"})
    before = [sign_in(srv, "vic", "wrong %d" % i, "10.0.0.1").status for i in range(2)]
    others = [sign_in(srv, "rnd-%d" % i, "wrong", "10.8.0.%d" % i).status for i in range(7)]
    r = sign_in(srv, "rnd-new", "wrong", "10.8.1.1")
    check("a full table refuses a sign-in it could not count (429, Retry-After %s s) rather "
          "than forget a failure" % r.header("Retry-After"),
          before == [401] * 2 and others == [401] * 7 and r.status == 429
          and int(r.header("Retry-After") or 0) == 60, (before, others, r))
    after = [sign_in(srv, "vic", "wrong %d" % i, "10.0.0.1").status for i in range(3)]
    r = sign_in(srv, "vic", PASSWORD, "10.0.0.1")
    check("... and vic's failures are all still counted: the sixth is 429 (Retry-After %s s)"
          % r.header("Retry-After"),
          after == [401] * 3 and r.status == 429 and int(r.header("Retry-After") or 0) > 800,
          (after, r))
    srv.stop()


# ---- 3. the Host header, 6. the CSP --------------------------------------------------------

def test_host():
    srv = Server("host")
    evil = "evil.example:%d" % srv.port
    r = req(srv, "POST", "/api/session", {"login": "val", "password": PASSWORD},
            headers={"Host": evil, "Origin": "http://" + evil})
    check("sign-in with Host: evil.example and a matching Origin is 421 with a JSON error",
          r.status == 421 and "evil.example" in r.error() and r.header("Set-Cookie") is None, r)
    r = req(srv, "GET", "/api/session", headers={"Host": "evil.example"})
    check("an API read for Host: evil.example is 421", r.status == 421 and r.error(), r)
    r = req(srv, "GET", "/", headers={"Host": evil})
    check("the page for Host: evil.example is 421", r.status == 421 and r.error(), r)
    r = req(srv, "GET", "/api/session", headers={"Host": "127.0.0.1:%d" % (srv.port + 1)})
    check("a loopback name with another port is 421", r.status == 421, r)
    for h in ("127.0.0.1:%d" % srv.port, "localhost:%d" % srv.port, "LocalHost:%d" % srv.port,
              "[::1]:%d" % srv.port):
        r = req(srv, "GET", "/api/session", headers={"Host": h})
        if r.status != 401:
            fail("the loopback names with the bound port are answered", (h, r))
            break
    else:
        ok("the loopback names with the bound port are answered")
    r = req(srv, "GET", "/")
    check("the Content-Security-Policy forbids plugins (object-src 'none')",
          "object-src 'none'" in (r.header("Content-Security-Policy") or ""), r.headers)
    srv.stop()

    srv = Server("named", args=("--host", "console.example.org", "--host", "kf.example:8443"),
                 bind="127.0.0.2")
    for h, want in (("console.example.org", 401), ("console.example.org:443", 401),
                    ("kf.example:8443", 401), ("kf.example", 421), ("kf.example:9000", 421),
                    ("127.0.0.1:%d" % srv.port, 401), ("127.0.0.2:%d" % srv.port, 401),
                    ("127.0.0.3:%d" % srv.port, 421), ("evil.example", 421),
                    ("console.example.org.evil.example", 421)):
        r = req(srv, "GET", "/api/session", headers={"Host": h})
        if r.status != want:
            fail("--host names (with their port when given) and the --bind address are "
                 "answered, others 421", (h, want, r))
            break
    else:
        ok("--host names (with their port when given) and the --bind address are answered, "
           "others 421")
    srv.stop()


def main():
    setup()
    for t in (test_host, test_slow_clients, test_request_deadline, test_limits_settings,
              test_throttle_flood, test_throttle_full):
        try:
            t()
        except Exception as e:  # noqa: BLE001 - one broken group must not hide the others
            fail(t.__name__, "raised %r" % e)
    check_no_crashes()


run(main)
