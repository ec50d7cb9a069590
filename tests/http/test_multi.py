#!/usr/bin/env python3
"""tests/http/test_multi.py: several servers, one truth (issue 18, item 2). Three `kinflow serve`
processes on one database (harness.DB: a SQLite file, or a PostgreSQL URI), each on its own
loopback port, with the programme library and this suite's two programmes deployed and the
users made with the CLI.

Timers: cases opened at T0 by the CLI have one timer each, due at T1. The three servers start
at T1 (a server runs the due timers at its start) at the same moment as three `kinflow timers
run` at T1: six runners race for the same timers. Each timer ends once: one `case.transition`
(or, for a case on hold, one `timer.refused`) by the timer per case in GET /api/audit, its row
in the timers table fired or refused (read straight from the database: Python's sqlite3
read-only, or psql), the case lapsed (or still waiting), and the runners' own counts (the
CLI's reports, the servers' /metrics on their loopback listeners) add up to the timers.

Sessions: signed in on server A, the same cookie and CSRF token read and write on B and C; a
wrong CSRF token is refused there (403); signed out on C, A and B answer 401.

Contested moves: eight client threads, each signed in on its server; pairs of clients on two
different servers read the same case, then fire the same move at the same revision at once,
round after round: exactly one of each pair gets 200 (the case at the next revision), the
other 409 naming the revision it found (the API's answer to a stale revision); a 503 (the
database busy, "try again") is tried again and counted; no other status.

Afterwards `kinflow audit verify` exits 0, and the event log holds exactly the moves that
succeeded and the cases' openings (read through GET /api/audit).

Every figure it measures is printed on an "info:" line (who did the timers, moves a second,
503s tried again, requests and seconds); it stays bounded (at most 400 requests, under 60 s).
Test data: tests/http/workflows/multi_test.lua and multi_timed.lua. Python 3 standard library
(and psql on PostgreSQL); KINFLOW_BIN is the binary under test. Ends with "N passed, N
failed"."""

import json
import os
import re
import sqlite3
import subprocess
import threading
import time

import harness
from harness import (DB, ENV, TMP, Server, Who, check, check_no_crashes, exchange, init_library,
                     kf, run, session_of)

STORE = getattr(harness, "STORE", "postgresql" if "://" in DB else "sqlite")
ENV.update(KINFLOW_CONSOLE_TIMEOUT="15")
T0 = "2026-03-02T09:00:00Z"   # when the CLI opens the timed cases
T1 = "2026-03-04T09:00:00Z"   # the servers' and the runners' clock: every timer is due
TIMED, HELD = 300, 20          # timed cases: those that lapse, and those on hold (refused)
CLIENTS, ROUNDS = 8, 10       # client threads (4 contested pairs), rounds of contested moves
BUSY_RETRIES = 20             # a 503 ("the database is busy; try again") is tried again
ADMIN_PASSWORD = "multi-admin-pass-7351"
WORKER_PASSWORD = "multi-worker-pass-7351"
SERVER_ENV = {"KINFLOW_NOW": T1, "KINFLOW_CONSOLE_THREADS": "4"}
REQUESTS = [0]                # HTTP requests made by this suite (bounded: at most ~400)
REQ_LOCK = threading.Lock()


def req(server, who, method, path, body=None, csrf=True):
    h = {}
    if who:
        h["Cookie"] = "kf_session=%s" % who.token
        if csrf is True and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = who.csrf
        elif isinstance(csrf, str):
            h["X-CSRF-Token"] = csrf
    with REQ_LOCK:
        REQUESTS[0] += 1
    return exchange(server, method, path, body, h,
                    what="%s %s on %s as %s" % (method, path, server.name, who.login if who else "-"))


def sign_in(server, login, password):
    r = req(server, None, "POST", "/api/session", {"login": login, "password": password})
    if r.status != 200:
        raise RuntimeError("sign-in as %s on %s: %r" % (login, server.name, r))
    return Who(session_of(r), r.json["csrf"], login, r.json["role"])


def cli(*args, when=None, stdin=None):
    env = dict(ENV, KINFLOW_NOW=when) if when else ENV
    rc, out, err = kf(*args, stdin=stdin, env=env)
    if rc:
        raise RuntimeError("kinflow %s: exit %d: %s" % (" ".join(args), rc, err))
    return out


# ---- setup ---------------------------------------------------------------------------------

def setup():
    """The library and this suite's programmes, two users, and the timed cases at T0."""
    init_library()
    cli("deploy", "tests/http/workflows/multi_test.lua", "tests/http/workflows/multi_timed.lua")
    cli("user", "add", "ada", "--role", "admin", "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    cli("user", "add", "cat", "--role", "caseworker", "--password-stdin", stdin=WORKER_PASSWORD + "\n")
    path = os.path.join(TMP, "timed.jsonl")
    with open(path, "w") as f:
        for i in range(TIMED + HELD):
            f.write(json.dumps({"workflow": "multi_timed", "ref": "T-%03d" % i,
                                "data": {"hold": True} if i >= TIMED else {}}) + "\n")
    out = cli("case", "import", path, "--json", when=T0)
    imported = json.loads(out).get("imported")
    if imported != TIMED + HELD:
        raise RuntimeError("case import: %s" % out)


def timer_rows():
    """Every timer's row (id, case's ref, status), read straight from the database as an
    independent witness: SQLite with query_only (a read-only open of a WAL database can fail
    as "locked"), or psql on PostgreSQL."""
    q = ("SELECT t.id, c.ref, t.status FROM timers t JOIN cases c ON c.id = t.case_id"
         " ORDER BY t.id")
    if STORE == "sqlite":
        con = sqlite3.connect(DB, timeout=10)
        try:
            con.execute("PRAGMA query_only = ON")
            rows = con.execute(q).fetchall()
        finally:
            con.close()
    else:
        p = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                            "-d", DB, "-c", q], capture_output=True, text=True, timeout=30)
        if p.returncode:
            raise RuntimeError("psql: " + p.stderr)
        rows = [line.split("\t") for line in p.stdout.splitlines()]
    return [{"id": int(r[0]), "ref": r[1], "status": r[2]} for r in rows]


def audit_log(server, who):
    """The whole event log, oldest first, through GET /api/audit (1,000 a page)."""
    events, after = [], 0
    while True:
        r = req(server, who, "GET", "/api/audit?order=oldest&limit=1000&after=%d" % after)
        if r.status != 200 or not isinstance(r.json, list):
            raise RuntimeError("reading the audit log: %r" % r)
        events += r.json
        if len(r.json) < 1000:
            return events
        after = r.json[-1]["seq"]


# ---- the timers' race ----------------------------------------------------------------------

def race_timers():
    """Three servers (each runs the due timers once it listens) and three `timers run` start
    at once, all at T1; returns the servers and the runs' reports."""
    servers, reports, errors = [None] * 3, [None] * 3, []
    go = threading.Barrier(6)

    def start_server(i):
        try:
            go.wait()
            servers[i] = Server("ABC"[i], SERVER_ENV, args=("--metrics-port", "0"))
        except Exception as e:  # noqa: BLE001
            errors.append("server %s: %r" % ("ABC"[i], e))

    def run_timers(i):
        try:
            go.wait()
            reports[i] = json.loads(cli("timers", "run", "--json", when=T1))
        except Exception as e:  # noqa: BLE001
            errors.append("timers run %d: %r" % (i, e))

    threads = [threading.Thread(target=start_server, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=run_timers, args=(i,)) for i in range(3)]
    t = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print("info: three servers started and three timer runs ended in %.2f s" % (time.monotonic() - t))
    check("three servers start and three `timers run` exit 0, all at once", not errors, errors)
    if errors:
        raise RuntimeError("; ".join(errors))
    for s in servers:
        s.metrics_port = metrics_port(s)
    return servers, reports


def metrics_port(server):
    # printed with the console's line, in one flush: already in the reader's buffer
    line = server.proc.stdout.readline()
    m = re.match(r"kinflow metrics on http://127\.0\.0\.1:(\d+)/metrics$", line.strip())
    if not m:
        raise RuntimeError("no metrics listener line from %s: %r" % (server.name, line))
    return int(m.group(1))


def timer_moves(server):
    """{outcome: count} of the timed programme's moves this server tried (its /metrics, on its
    loopback listener)."""
    class Loopback:
        port = server.metrics_port
        name = server.name + "'s metrics"
    with REQ_LOCK:
        REQUESTS[0] += 1
    r = exchange(Loopback, "GET", "/metrics")
    got = {"fired": 0, "refused": 0, "conflict": 0, "error": 0}
    for line in r.raw.splitlines():
        m = re.fullmatch(r'kinflow_transitions_total\{(.*)\} ([0-9.e+]+)', line)
        if m and 'programme="multi_timed"' in m.group(1):
            o = re.search(r'outcome="([a-z]+)"', m.group(1))
            if o:
                got[o.group(1)] = got.get(o.group(1), 0) + int(float(m.group(2)))
    return got


def wait_timers_done(servers):
    """Until no timer is pending (the CLI's runs are over; a server may still be in its
    start's run): the timers' rows and each server's counts, once two readings agree."""
    deadline, last = time.monotonic() + 15, None
    while True:
        rows = timer_rows()
        counts = [timer_moves(s) for s in servers]
        settled = all(t["status"] != "pending" for t in rows) and counts == last
        if settled or time.monotonic() > deadline:
            return rows, counts
        last = counts
        time.sleep(0.3)


def check_timers(servers, reports, auditor):
    rows, counts = wait_timers_done(servers)
    by_ref = {}
    for t in rows:
        by_ref.setdefault(t["ref"], []).append(t)
    want = {"T-%03d" % i: ("refused" if i >= TIMED else "fired") for i in range(TIMED + HELD)}
    check("every timed case has one timer, %d in all" % (TIMED + HELD),
          len(rows) == TIMED + HELD and set(by_ref) == set(want)
          and all(len(v) == 1 for v in by_ref.values()), len(rows))
    got = {t["ref"]: t["status"] for t in rows}
    check("each timer's row: fired (or refused, for a case on hold), none pending",
          got == want, sorted(set(got.items()) - set(want.items()))[:10])

    cases = json.loads(cli("case", "list", "--workflow", "multi_timed", "--limit", "1000", "--json"))
    ids = {c["id"]: c["ref"] for c in cases}
    states = {c["ref"]: c["state"] for c in cases}
    want_state = {ref: ("lapsed" if st == "fired" else "waiting") for ref, st in want.items()}
    check("each timed case is where its one timer left it: lapsed, or waiting on hold",
          states == want_state, sorted(set(states.items()) - set(want_state.items()))[:10])

    per_case = {}
    for e in audit_log(servers[1], auditor):
        if e.get("case") in ids and e.get("actor") == "timer":
            per_case.setdefault(ids[e["case"]], []).append(
                (e["kind"], e.get("name"), e.get("to")) if e["kind"] == "case.transition"
                else (e["kind"], e.get("name")))
    want_ev = {ref: [("case.transition", "lapse", "lapsed")] if st == "fired"
               else [("timer.refused", "lapse")] for ref, st in want.items()}
    bad = {ref: per_case.get(ref) for ref in want_ev if per_case.get(ref) != want_ev[ref]}
    check("each timer's move is in the log once: one transition, or one refusal on hold",
          not bad, list(bad.items())[:8])

    # the runners' own counts: each timer was done by exactly one of the six
    done = [[t for t in (r or {}).get("timers", []) if t.get("result") in ("fired", "refused")]
            for r in reports]
    cli_fired = sum(1 for d in done for t in d if t["result"] == "fired")
    cli_refused = sum(1 for d in done for t in d if t["result"] == "refused")
    srv_fired = sum(c["fired"] for c in counts)
    srv_refused = sum(c["refused"] for c in counts)
    print("info: timers done per runner: timers run %s (and found done already: %s), servers %s"
          % ([len(d) for d in done],
             [sum(1 for t in (r or {}).get("timers", []) if t.get("result") == "already done")
              for r in reports], [c["fired"] + c["refused"] for c in counts]))
    claimed = [t["timer"] for d in done for t in d]
    check("no timer done twice by the three `timers run`", len(claimed) == len(set(claimed)),
          len(claimed) - len(set(claimed)))
    check("the six runners' counts add up: %d fired, %d refused, no conflict, no error" % (TIMED, HELD),
          (cli_fired + srv_fired, cli_refused + srv_refused) == (TIMED, HELD)
          and all(c["conflict"] == 0 and c["error"] == 0 for c in counts),
          ([len(d) for d in done], cli_fired, cli_refused, counts))


# ---- sessions shared -----------------------------------------------------------------------

def sessions(servers):
    a, b, c = servers
    ada = sign_in(a, "ada", ADMIN_PASSWORD)
    for s in (b, c):
        r = req(s, ada, "GET", "/api/session")
        check("signed in on A, the cookie reads on %s (GET /api/session)" % s.name,
              r.status == 200 and (r.json or {}).get("login") == "ada"
              and r.json.get("csrf") == ada.csrf, r)
    for s in (b, c):
        r = req(s, ada, "POST", "/api/teams", {"name": "multi_%s" % s.name.lower()})
        check("signed in on A, the cookie and CSRF token write on %s (POST /api/teams): 200" % s.name,
              r.status == 200, r)
    r = req(b, ada, "POST", "/api/teams", {"name": "multi_x"}, csrf="0" * 64)
    check("on B, a wrong CSRF token for A's session is refused: 403", r.status == 403, r)
    r = req(a, ada, "GET", "/api/teams")
    check("A sees the teams made on B and C",
          r.status == 200 and {"multi_b", "multi_c"} <= {t.get("name") for t in r.json or []}, r)
    r = req(c, ada, "DELETE", "/api/session")
    check("signing out on C: 200", r.status == 200, r)
    for s in (a, b, c):
        r = req(s, ada, "GET", "/api/session")
        check("signed out on C, the session is gone on %s: 401" % s.name, r.status == 401, r)
    r = req(a, ada, "POST", "/api/teams", {"name": "multi_late"})
    check("signed out on C, a POST on A: 401", r.status == 401, r)


# ---- contested moves -----------------------------------------------------------------------

def contested(servers):
    """CLIENTS threads in pairs; pair p fires at case p; rounds in lock step."""
    pairs = CLIENTS // 2
    opener = sign_in(servers[0], "cat", WORKER_PASSWORD)
    cases = []
    for p in range(pairs):
        r = req(servers[p % 3], opener, "POST", "/api/cases", {"workflow": "multi_test", "ref": "M-%d" % p})
        if r.status != 200:
            raise RuntimeError("opening a contested case: %r" % r)
        cases.append(r.json["id"])
    start_rev = {}
    for p, cid in enumerate(cases):
        r = req(servers[(p + 1) % 3], opener, "GET", "/api/cases/%d" % cid)
        start_rev[cid] = r.json["revision"]
    clients = [sign_in(servers[i % 3], "cat", WORKER_PASSWORD) for i in range(CLIENTS)]
    results = []   # (round, pair, client, server, read_rev, read_state, status, body, retries)
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS)
    errors = []

    def client(i):
        server, who, p = servers[i % 3], clients[i], i // 2
        cid = cases[p]
        try:
            for rnd in range(ROUNDS):
                r = req(server, who, "GET", "/api/cases/%d" % cid)
                if r.status != 200:
                    raise RuntimeError("reading the case: %r" % r)
                rev, state = r.json.get("revision"), r.json.get("state")
                move = "go_right" if state == "left" else "go_left"
                barrier.wait(timeout=30)
                retries = 0
                while True:
                    f = req(server, who, "POST", "/api/cases/%d/transitions/%s" % (cid, move),
                            {"as": "caseworker", "revision": rev})
                    if f.status != 503 or retries >= BUSY_RETRIES:
                        break
                    retries += 1
                    time.sleep(0.05)
                with lock:
                    results.append((rnd, p, i, server.name, rev, state, f, retries))
                barrier.wait(timeout=30)
        except Exception as e:  # noqa: BLE001
            errors.append("client %d: %r" % (i, e))
            barrier.abort()

    t = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    took = time.monotonic() - t
    check("the %d clients ran %d rounds without an error" % (CLIENTS, ROUNDS), not errors, errors)
    fires = len(results)
    retried = sum(x[7] for x in results)
    print("info: %d contested moves in %.2f s (%.0f/s), %d answers 503 tried again"
          % (fires, took, fires / took if took else 0, retried))

    statuses = sorted({x[6].status for x in results})
    check("every contested move is answered 200 or 409, nothing else (no 500, no 503 left)",
          set(statuses) <= {200, 409}, [x[6] for x in results if x[6].status not in (200, 409)][:4])
    bad_pairs, bad_read, bad_win, bad_lose = [], [], [], []
    for rnd in range(ROUNDS):
        for p in range(pairs):
            two = [x for x in results if x[0] == rnd and x[1] == p]
            if sorted(x[6].status for x in two) != [200, 409]:
                bad_pairs.append((rnd, p, [(x[3], x[6].status) for x in two]))
                continue
            want_rev = start_rev[cases[p]] + rnd
            if any(x[4] != want_rev for x in two) or two[0][5] != two[1][5]:
                bad_read.append((rnd, p, [(x[3], x[4], x[5]) for x in two], want_rev))
            win = [x for x in two if x[6].status == 200][0]
            lose = [x for x in two if x[6].status == 409][0]
            if (win[6].json or {}).get("revision") != want_rev + 1:
                bad_win.append((rnd, p, win[6]))
            if "at revision %d, not %d" % (want_rev + 1, want_rev) not in lose[6].error():
                bad_lose.append((rnd, p, lose[6]))
    check("each contested pair: exactly one 200 and one 409, every round (%d pairs)" % (ROUNDS * pairs),
          not bad_pairs, bad_pairs[:6])
    check("both clients of a pair read the same revision and state, one up each round, on any server",
          not bad_read, bad_read[:6])
    check("the winner's answer is the case at the next revision", not bad_win, bad_win[:4])
    check("the loser's 409 names the revision it found and the one it gave", not bad_lose, bad_lose[:4])
    won_by = {}
    for x in results:
        if x[6].status == 200:
            won_by[x[3]] = won_by.get(x[3], 0) + 1
    print("info: moves won per server: %s" % dict(sorted(won_by.items())))
    for p, cid in enumerate(cases):
        r = req(servers[(p + 2) % 3], opener, "GET", "/api/cases/%d" % cid)
        check("case M-%d: %d rounds raised its revision by %d, and its state is where they left it"
              % (p, ROUNDS, ROUNDS),
              r.status == 200 and r.json.get("revision") == start_rev[cid] + ROUNDS
              and r.json.get("state") == ("left" if ROUNDS % 2 == 0 else "right"), r)
    return cases, sum(1 for x in results if x[6].status == 200)


# ---- afterwards ----------------------------------------------------------------------------

def afterwards(servers, auditor, cases, wins):
    rc, out, err = kf("audit", "verify", "--json")
    check("kinflow audit verify exits 0 after the three servers and three runners", rc == 0, (rc, out, err))
    verified = (json.loads(out) if rc == 0 else {}).get("events")
    events = audit_log(servers[2], auditor)
    check("audit verify counts every event in the log (%s)" % verified, verified == len(events),
          (verified, len(events)))
    moves = [e for e in events if e.get("case") in cases and e["kind"] == "case.transition"]
    check("the log holds exactly the contested moves that succeeded (%d)" % wins, len(moves) == wins,
          (len(moves), wins))
    rest = sorted(e["kind"] for e in events if e.get("case") in cases and e["kind"] != "case.transition")
    check("and on the contested cases nothing else but their openings (opened, allocated to the opener)",
          rest == sorted(["case.opened", "case.allocated"] * len(cases)), rest)


def main():
    t0 = time.monotonic()
    print("info: store %s" % STORE)
    setup()
    servers, reports = race_timers()
    auditor = sign_in(servers[1], "ada", ADMIN_PASSWORD)
    check_timers(servers, reports, auditor)
    sessions(servers)
    cases, wins = contested(servers)
    afterwards(servers, auditor, cases, wins)
    for s in servers:
        rc, _ = s.stop()
        check("server %s stops cleanly" % s.name, rc == 0, (rc, s.stderr()[-500:]))
    check_no_crashes()
    took = time.monotonic() - t0
    print("info: %d HTTP requests, %.1f s in all" % (REQUESTS[0], took))
    check("bounded: at most 400 requests (%d) and under 60 s (%.1f s)" % (REQUESTS[0], took),
          REQUESTS[0] <= 400 and took < 60, (REQUESTS[0], took))


if __name__ == "__main__":
    run(main)
