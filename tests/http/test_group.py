#!/usr/bin/env python3
"""tests/http/test_group.py: the console's writes go through one writer, in groups (issue 17,
item 3), through the real server.

32 clients firing at once on cases of their own: every request 200, exactly one event each,
the audit chain intact. Two clients firing on the same case at the same revision: one wins,
the other is told 409. In a batch sent at once, a refused move (a guard) and an unknown case
each get their own status and text while the others of the batch succeed. kill -9 while 16
clients write: every write answered 200 before the kill is in the database afterwards (read
back with the kinflow binary), and the chain verifies. A clean stop (SIGTERM) while clients
write: every 200 is in the database, and the server exits 0.

Test data: tests/http/workflows/group_test.lua. Python 3 standard library only; KINFLOW_BIN
is the binary under test. The harness starts the server on 127.0.0.1 and kills it at the end,
pass or fail. Ends with "N passed, N failed"."""

import json
import signal
import threading
import time

from harness import (ENV, Server, Who, check, check_no_crashes, exchange, kf, run,
                     session_of)

ENV.update(KINFLOW_CONSOLE_TIMEOUT="10")
PASSWORD = "group-commit-admin-0123"
CLIENTS = 32
ON_HOLD = "the case is on hold"


def sign_in(server):
    r = exchange(server, "POST", "/api/session", {"login": "ada", "password": PASSWORD}, timeout=30)
    token = session_of(r)
    if r.status != 200 or not token:
        raise RuntimeError("sign-in: %r" % r)
    return Who(token, r.json["csrf"], "ada", r.json["role"])


def req(server, who, method, path, body=None):
    h = {"Cookie": "kf_session=" + who.token}
    if method not in ("GET", "HEAD"):
        h["X-CSRF-Token"] = who.csrf
    return exchange(server, method, path, body, h, timeout=30,
                    what="%s %s" % (method, path))


def fire(server, who, case, body=None):
    return req(server, who, "POST", "/api/cases/%s/transitions/step" % case,
               dict({"as": "worker"}, **(body or {})))


def new_case(data=None):
    args = ["case", "new", "group_test", "--json"]
    if data is not None:
        args += ["--data", json.dumps(data)]
    rc, out, err = kf(*args)
    if rc:
        raise RuntimeError("case new: " + err)
    return json.loads(out)["id"]


def case_of(case_id):
    """The case as the kinflow binary reads it from the file."""
    rc, out, err = kf("case", "show", str(case_id), "--json")
    if rc:
        raise RuntimeError("case show %s: %s" % (case_id, err))
    return json.loads(out)


def transitions_of(case_id):
    rc, out, err = kf("case", "history", str(case_id), "--json")
    if rc:
        raise RuntimeError("case history %s: %s" % (case_id, err))
    return [e for e in json.loads(out) if e.get("kind") == "case.transition"]


def audit_ok():
    rc, out, err = kf("audit", "verify")
    return rc == 0, out + err


def at_once(jobs):
    """Runs every job (a function of no arguments) on its own thread, started together; their
    results in order."""
    results = [None] * len(jobs)
    gate = threading.Barrier(len(jobs))

    def one(i):
        gate.wait()
        try:
            results[i] = jobs[i]()
        except Exception as e:  # noqa: BLE001
            results[i] = e
    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def setup():
    rc, out, err = kf("init")
    if rc:
        raise RuntimeError("init: " + err)
    rc, out, err = kf("deploy", "tests/http/workflows/group_test.lua")
    if rc:
        raise RuntimeError("deploy: " + err)
    rc, out, err = kf("user", "add", "ada", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    if rc:
        raise RuntimeError("user add: " + err)


def own_cases(server, who):
    cases = [new_case() for _ in range(CLIENTS)]
    rounds = 3
    res = at_once([lambda c=c: [fire(server, who, c) for _ in range(rounds)] for c in cases])
    statuses = [r.status for rs in res if isinstance(rs, list) for r in rs]
    check("32 clients firing at once on cases of their own: every request 200 (%d)" % len(statuses),
          len(statuses) == CLIENTS * rounds and set(statuses) == {200},
          [r for rs in res for r in (rs if isinstance(rs, list) else [rs])
           if not hasattr(r, "status") or r.status != 200][:3])
    steps = [[r.json["data"]["steps"] for r in rs] for rs in res if isinstance(rs, list)]
    check("each answer is its own case after its own fire (steps 1, 2, 3 on every case)",
          steps == [[1, 2, 3]] * CLIENTS, steps[:4])
    counts = [len(transitions_of(c)) for c in cases]
    check("exactly one event a request on each case (%d each)" % rounds, counts == [rounds] * CLIENTS,
          counts)
    good, out = audit_ok()
    check("`kinflow audit verify` holds after the concurrent fires", good, out)


def contested(server, who):
    pairs = 8
    cases = [new_case() for _ in range(pairs)]
    revs = [req(server, who, "GET", "/api/cases/%d" % c).json["revision"] for c in cases]
    jobs = []
    for c, rev in zip(cases, revs):
        jobs += [lambda c=c, rev=rev: fire(server, who, c, {"revision": rev})] * 2
    res = at_once(jobs)
    won = [sorted(r.status for r in res[2 * i:2 * i + 2]) for i in range(pairs)]
    check("two clients, same case, same revision: exactly one wins, the other gets 409 (%d pairs)"
          % pairs, won == [[200, 409]] * pairs, won)
    counts = [len(transitions_of(c)) for c in cases]
    check("each contested case moved once", counts == [1] * pairs, counts)


def mixed_batch(server, who):
    good_cases = [new_case() for _ in range(CLIENTS - 2)]
    held = new_case({"hold": True})
    jobs = [lambda c=c: fire(server, who, c) for c in good_cases]
    jobs.append(lambda: fire(server, who, held))
    jobs.append(lambda: fire(server, who, 999999))
    res = at_once(jobs)
    goods = [r.status for r in res[:-2]]
    check("in a batch sent at once, every good request succeeds (%d x 200)" % len(goods),
          goods == [200] * len(goods), goods)
    r = res[-2]
    check("the refused move in the same batch gets its own 409 and the guard's reason",
          r.status == 409 and ON_HOLD in r.error(), r)
    check("the refused move's answer lists its refusal as data",
          any(ON_HOLD in (f.get("text") or "") for f in (r.json or {}).get("refusals", [])), r)
    r = res[-1]
    check("the unknown case in the same batch gets its own 404, naming the case",
          r.status == 404 and "999999" in r.error(), r)
    check("the refused case did not move", transitions_of(held) == [], transitions_of(held))


def writers_until(server, who, cases, stop):
    """Clients firing on their own cases until stop is set; the steps each saw answered 200."""
    acked = {c: 0 for c in cases}

    def client(c):
        while not stop.is_set():
            try:
                r = fire(server, who, c)
            except Exception:  # noqa: BLE001  (the server is gone)
                return
            if r.status == 200:
                acked[c] = max(acked[c], r.json["data"]["steps"])
    threads = [threading.Thread(target=client, args=(c,)) for c in cases]
    for t in threads:
        t.start()
    return acked, threads


def crash():
    server = Server("crash")
    who = sign_in(server)
    cases = [new_case() for _ in range(16)]
    stop = threading.Event()
    acked, threads = writers_until(server, who, cases, stop)
    time.sleep(2.0)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    total = sum(acked.values())
    stored = {c: (case_of(c)["data"].get("steps") or 0) for c in cases}
    lost = {c: (acked[c], stored[c]) for c in cases if stored[c] < acked[c]}
    check("kill -9 while 16 clients write: every write answered 200 before it is in the file "
          "(%d answered)" % total, total > 0 and not lost, lost or "no write was answered")
    good, out = audit_ok()
    check("after kill -9 the audit chain verifies", good, out)


def clean_stop():
    server = Server("stop")
    who = sign_in(server)
    cases = [new_case() for _ in range(16)]
    stop = threading.Event()
    acked, threads = writers_until(server, who, cases, stop)
    time.sleep(1.0)
    rc, out = server.stop(signal.SIGTERM)
    stop.set()
    for t in threads:
        t.join()
    check("SIGTERM while clients write: the server stops with status 0", rc == 0, (rc, out))
    stored = {c: (case_of(c)["data"].get("steps") or 0) for c in cases}
    lost = {c: (acked[c], stored[c]) for c in cases if stored[c] < acked[c]}
    check("after a clean stop every write answered 200 is in the file (%d answered)"
          % sum(acked.values()), sum(acked.values()) > 0 and not lost, lost)


def main():
    setup()
    server = Server("main")
    who = sign_in(server)
    own_cases(server, who)
    contested(server, who)
    mixed_batch(server, who)
    rc, _ = server.stop()
    check("the server stops cleanly after the concurrent suites", rc == 0, rc)
    crash()
    clean_stop()
    good, out = audit_ok()
    check("the audit chain verifies at the end", good, out)
    check_no_crashes()


if __name__ == "__main__":
    run(main)
