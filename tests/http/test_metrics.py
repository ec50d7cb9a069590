#!/usr/bin/env python3
"""tests/http/test_metrics.py: GET /metrics (issue 18, item 6) through the real server.

Who may read it: without a session 401, a caseworker 403, an admin 200 in Prometheus's text
format (0.0.4), which a strict parser written here reads whole: every line a comment, blank,
or `name{labels} value`; every sample's metric has a TYPE before it and its samples are
together; label values escaped as the format says; histogram buckets cumulative, ending with
+Inf equal to _count. Exact counts after known traffic: three GETs of a case grow that
route's 200 counter and its latency histogram by exactly 3 (the route's template, never the
raw path); an unknown path counts as route "other"; a move fired, refused and in conflict
each grow their outcome by 1; a failed sign-in by 1. Gauges read at scrape time: timers due
now, overdue cases, the database's bytes (its file plus its WAL, as os.stat sees them). The
loopback listener (`serve --metrics-port 0`) answers /metrics without a session, 404 for
any other path and 421 for another Host. A second server on the same database fires the due
timers at its start (its line says so before the scrape): its counts say one move fired and
one refused by a guard, and one case overdue. A SIGTERM sent while a server fires 2,000 timers
at its start ends it cleanly (status 0) once the run is done, with nothing left due.

Test data: tests/http/workflows/metrics_test.lua. Python 3 standard library only; KINFLOW_BIN
is the binary under test. Ends with "N passed, N failed"."""

import json
import math
import os
import re
import signal
import socket
import threading

from harness import (DB, ENV, Server, Who, check, check_no_crashes, exchange, kf, run,
                     session_of)

ENV.update(KINFLOW_CONSOLE_TIMEOUT="10")
T0 = "2026-01-01T00:00:00Z"  # when the CLI opens the cases whose timers fall due
T1 = "2026-01-04T00:00:00Z"  # the servers' clock: every timer of T0's cases is due
PASSWORD = "metrics-admin-pass-0193"
WORKER_PASSWORD = "metrics-worker-pass-0193"
PROGRAMME = "metrics_test"

# ---- a strict reader of the text format (0.0.4) --------------------------------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r"[-+]?(?:[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf|NaN)"
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def parse_labels(text, where):
    """'a="x",b="y\\"z"' -> {a: 'x', b: 'y"z'}; raises on anything the format does not allow."""
    labels, i = {}, 0
    while i < len(text):
        m = re.compile(LABEL + '="').match(text, i)
        if not m:
            raise ValueError("%s: bad label at %r" % (where, text[i:]))
        name = text[i:m.end() - 2]
        i, value = m.end(), []
        while True:
            if i >= len(text):
                raise ValueError("%s: unterminated label value" % where)
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    raise ValueError("%s: bad escape \\%s" % (where, nxt))
                value.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError("%s: raw line feed in a label value" % where)
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise ValueError("%s: label %s twice" % (where, name))
        labels[name] = "".join(value)
        if i < len(text):
            if text[i] != ",":
                raise ValueError("%s: expected ',' at %r" % (where, text[i:]))
            i += 1
    return labels


def family_of(name, types):
    """The metric family a sample name belongs to (a histogram's _bucket, _sum, _count)."""
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return None


def parse(text):
    """{(name, frozenset(labels)): value} and {family: type}; raises ValueError on any line
    the format does not allow, a sample of a family without a TYPE, a family split in two,
    or a histogram whose buckets are not cumulative and end at +Inf = _count."""
    if not text.endswith("\n"):
        raise ValueError("the exposition does not end with a line feed")
    samples, types, helps, done, current = {}, {}, set(), set(), None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % n
        if line == "":
            continue
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
            if not m:
                if re.match(r"# (HELP|TYPE) ", line):
                    raise ValueError("%s: malformed %r" % (where, line))
                continue  # a plain comment
            kind, name, rest = m.groups()
            if kind == "TYPE":
                if rest not in TYPES:
                    raise ValueError("%s: unknown type %r" % (where, rest))
                if name in types:
                    raise ValueError("%s: a second TYPE for %s" % (where, name))
                if name in done or (current and current != name and name in types):
                    raise ValueError("%s: TYPE after %s's samples" % (where, name))
                types[name] = rest
            else:
                if name in helps:
                    raise ValueError("%s: a second HELP for %s" % (where, name))
                helps.add(name)
            continue
        m = re.fullmatch(r"(%s)(?:\{(.*)\})? (%s)(?: -?[0-9]+)?" % (NAME, VALUE), line)
        if not m:
            raise ValueError("%s: not a sample: %r" % (where, line))
        name, labels, value = m.group(1), parse_labels(m.group(2) or "", where), m.group(3)
        fam = family_of(name, types)
        if not fam:
            raise ValueError("%s: %s has no TYPE before it" % (where, name))
        if fam != current:
            if fam in done:
                raise ValueError("%s: %s's samples are not together" % (where, fam))
            if current:
                done.add(current)
            current = fam
        key = (name, frozenset(labels.items()))
        if key in samples:
            raise ValueError("%s: a second sample %s%s" % (where, name, labels))
        samples[key] = float(value.replace("Inf", "inf"))
    for fam, kind in types.items():
        if kind != "histogram":
            continue
        series = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                d = dict(labels)
                le = d.pop("le", None)
                if le is None:
                    raise ValueError("%s: a bucket without le" % fam)
                series.setdefault(frozenset(d.items()), []).append((float(le.replace("Inf", "inf")), v))
        for rest, buckets in series.items():
            buckets.sort()
            counts = [v for _, v in buckets]
            if counts != sorted(counts):
                raise ValueError("%s%s: buckets not cumulative: %s" % (fam, dict(rest), buckets))
            if not math.isinf(buckets[-1][0]):
                raise ValueError("%s%s: no +Inf bucket" % (fam, dict(rest)))
            count = samples.get((fam + "_count", rest))
            if count is None or (fam + "_sum", rest) not in samples:
                raise ValueError("%s%s: no _count or _sum" % (fam, dict(rest)))
            if count != buckets[-1][1]:
                raise ValueError("%s%s: +Inf %s but _count %s" % (fam, dict(rest), buckets[-1][1], count))
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


# ---- the server ----------------------------------------------------------------------------

def sign_in(server, login, password):
    r = exchange(server, "POST", "/api/session", {"login": login, "password": password}, timeout=30)
    token = session_of(r)
    if r.status != 200 or not token:
        raise RuntimeError("sign-in as %s: %r" % (login, r))
    return Who(token, r.json["csrf"], login, r.json["role"])


def req(server, who, method, path, body=None):
    h = {"Cookie": "kf_session=" + who.token} if who else {}
    if who and method not in ("GET", "HEAD"):
        h["X-CSRF-Token"] = who.csrf
    return exchange(server, method, path, body, h, timeout=30, what="%s %s" % (method, path))


def scrape(server, who):
    r = req(server, who, "GET", "/metrics")
    if r.status != 200:
        raise RuntimeError("scrape: %r" % r)
    return parse(r.raw)[0]


def loopback(port, path, host=None, method="GET"):
    """One request to the metrics listener over a plain socket (it is not the API: the
    contract check does not record it): (status, content type, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    try:
        s.sendall(("%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (method, path, host or "127.0.0.1:%d" % port)).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    ctype = next((l.split(":", 1)[1].strip() for l in lines[1:] if l.lower().startswith("content-type:")), "")
    if any(l.lower() == "transfer-encoding: chunked" for l in lines[1:]):
        raise RuntimeError("a chunked answer from the metrics listener")
    return status, ctype, body.decode("utf-8")


def metrics_port(server):
    # printed with the console's line, in one flush: already in the reader's buffer
    line = server.proc.stdout.readline()
    m = re.match(r"kinflow metrics on http://127\.0\.0\.1:(\d+)/metrics$", line.strip())
    if not m:
        raise RuntimeError("no metrics listener line: %r" % line)
    return int(m.group(1))


def cli_at(when, *args):
    rc, out, err = kf(*args, env=dict(ENV, KINFLOW_NOW=when))
    if rc:
        raise RuntimeError("%s: %s" % (" ".join(args), err))
    return out


def setup():
    for args in (("init",), ("deploy", "tests/http/workflows/metrics_test.lua")):
        rc, out, err = kf(*args)
        if rc:
            raise RuntimeError("%s: %s" % (args[0], err))
    for login, role, pw in (("ada", "admin", PASSWORD), ("cat", "caseworker", WORKER_PASSWORD)):
        rc, out, err = kf("user", "add", login, "--role", role, "--password-stdin", stdin=pw + "\n")
        if rc:
            raise RuntimeError("user add: " + err)


def timed_cases():
    """Cases opened at T0 by the CLI, so that the servers (at T1) find their timers due: one
    waiting (its review and its lapse), one watched (its review), one guarded and on hold (its
    expiry, which the guard refuses): four timers."""
    new = lambda data=None: json.loads(cli_at(T0, "case", "new", PROGRAMME, "--json",
                                              *(["--data", json.dumps(data)] if data else [])))["id"]
    waiting, watched, guarded = new(), new(), new({"hold": True})
    cli_at(T0, "case", "fire", str(watched), "to_watch", "--as", "worker")
    cli_at(T0, "case", "fire", str(guarded), "to_guarded", "--as", "worker")
    return waiting, watched, guarded


def who_may(server, admin, worker):
    r = req(server, None, "GET", "/metrics")
    check("GET /metrics without a session: 401", r.status == 401, r)
    r = req(server, worker, "GET", "/metrics")
    check("GET /metrics as a caseworker: 403", r.status == 403 and "metrics" in r.error(), r)
    r = req(server, admin, "GET", "/metrics")
    check("GET /metrics as an admin: 200, text/plain version 0.0.4",
          r.status == 200 and r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8", r)
    try:
        samples, types = parse(r.raw)
        ok_ = True
    except ValueError as e:
        ok_, samples, types = False, {}, {}
        check("the exposition parses strictly", False, e)
    if ok_:
        check("the exposition parses strictly (%d samples, %d families)" % (len(samples), len(types)), True)
    want = {"kinflow_http_requests_total": "counter", "kinflow_http_request_duration_seconds": "histogram",
            "kinflow_transitions_total": "counter", "kinflow_timers_due": "gauge",
            "kinflow_timers_overdue": "gauge", "kinflow_signin_failures_total": "counter",
            "kinflow_database_bytes": "gauge", "kinflow_writer_batch_size": "histogram",
            "kinflow_writer_commits_total": "counter", "kinflow_build_info": "gauge",
            "kinflow_db_pool_connections": "gauge", "kinflow_db_pool_max": "gauge",
            "process_resident_memory_bytes": "gauge", "process_start_time_seconds": "gauge"}
    wrong = {k: types.get(k) for k, t in want.items() if types.get(k) != t}
    check("every documented metric is there with its type", not wrong, wrong)
    check("kinflow_build_info has a version and the value 1",
          any(n == "kinflow_build_info" and dict(l).get("version") and v == 1 for (n, l), v in samples.items()),
          r.raw[-600:])
    check("process_resident_memory_bytes is above a megabyte",
          value(samples, "process_resident_memory_bytes") > 1 << 20)


def requests_counted(server, admin, case_id):
    before = scrape(server, admin)
    for _ in range(3):
        r = req(server, admin, "GET", "/api/cases/%d" % case_id)
        if r.status != 200:
            raise RuntimeError("GET case: %r" % r)
    after = scrape(server, admin)
    route = "/api/cases/{id}"
    grew = value(after, "kinflow_http_requests_total", route=route, method="GET", status="200") - \
        value(before, "kinflow_http_requests_total", route=route, method="GET", status="200")
    check("3 GETs of a case: its route's 200 counter grew by exactly 3", grew == 3, grew)
    grew = value(after, "kinflow_http_request_duration_seconds_count", route=route, method="GET") - \
        value(before, "kinflow_http_request_duration_seconds_count", route=route, method="GET")
    check("3 GETs of a case: its route's latency histogram grew by exactly 3", grew == 3, grew)
    grew = value(after, "kinflow_http_requests_total", route="/metrics", method="GET", status="200") - \
        value(before, "kinflow_http_requests_total", route="/metrics", method="GET", status="200")
    check("a scrape counts itself under route /metrics", grew == 1, grew)
    r = req(server, admin, "GET", "/api/cases/987654")
    r2 = req(server, admin, "GET", "/no/such/page-%d" % case_id)
    after2 = scrape(server, admin)
    grew = value(after2, "kinflow_http_requests_total", route=route, method="GET", status="404") - \
        value(after, "kinflow_http_requests_total", route=route, method="GET", status="404")
    check("a GET of no such case counts under the route's template with 404",
          r.status == 404 and grew == 1, (r, grew))
    grew = value(after2, "kinflow_http_requests_total", route="other", method="GET", status="404") - \
        value(after, "kinflow_http_requests_total", route="other", method="GET", status="404")
    check("an unknown path counts as route \"other\"", r2.status == 404 and grew == 1, (r2, grew))
    routes = {dict(l).get("route") for (n, l), _ in after2.items() if n == "kinflow_http_requests_total"}
    raw = [x for x in routes if re.search(r"/\d+|987654|page-", x or "")]
    check("no route label is a raw path", not raw, raw)


def moves_counted(server, admin):
    r = req(server, admin, "POST", "/api/cases", {"workflow": PROGRAMME})
    if r.status != 200:
        raise RuntimeError("open: %r" % r)
    case, rev = r.json["id"], r.json["revision"]
    before = scrape(server, admin)
    fired = req(server, admin, "POST", "/api/cases/%d/transitions/step" % case, {"as": "worker"})
    stale = req(server, admin, "POST", "/api/cases/%d/transitions/step" % case,
                {"as": "worker", "revision": rev})
    req(server, admin, "PATCH", "/api/cases/%d" % case, {"data": {"hold": True}})
    refused = req(server, admin, "POST", "/api/cases/%d/transitions/step" % case, {"as": "worker"})
    unknown = req(server, admin, "POST", "/api/cases/%d/transitions/no_such_move" % case, {"as": "worker"})
    after = scrape(server, admin)
    grew = {o: value(after, "kinflow_transitions_total", programme=PROGRAMME, outcome=o) -
            value(before, "kinflow_transitions_total", programme=PROGRAMME, outcome=o)
            for o in ("fired", "refused", "conflict", "error")}
    check("a move fired: fired grew by 1", fired.status == 200 and grew["fired"] == 1, (fired, grew))
    check("a move refused by its guard: refused grew by 1",
          refused.status == 409 and refused.json.get("refusals") and grew["refused"] == 1, (refused, grew))
    check("a move at a stale revision: conflict grew by 1",
          stale.status == 409 and grew["conflict"] == 1, (stale, grew))
    check("a move the programme does not have is not counted as a move",
          unknown.status != 200 and grew["error"] == 0, (unknown, grew))
    commits = value(after, "kinflow_writer_commits_total") - value(before, "kinflow_writer_commits_total")
    groups = value(after, "kinflow_writer_batch_size_count")
    check("the writer's commits grew with the writes, and no more than its groups",
          commits >= 3 and value(after, "kinflow_writer_commits_total") <= groups, (commits, groups))


def signin_counted(server, admin):
    before = value(scrape(server, admin), "kinflow_signin_failures_total")
    r = exchange(server, "POST", "/api/session", {"login": "ada", "password": "not the password"})
    after = value(scrape(server, admin), "kinflow_signin_failures_total")
    check("a failed sign-in: kinflow_signin_failures_total grew by 1",
          r.status == 401 and after - before == 1, (r, before, after))


def gauges(server, admin, mport):
    s = scrape(server, admin)
    check("kinflow_timers_due: the 4 timers of T0's cases are due at T1",
          value(s, "kinflow_timers_due") == 4, value(s, "kinflow_timers_due"))
    check("kinflow_timers_overdue: no case is overdue before the timers run",
          value(s, "kinflow_timers_overdue") == 0, value(s, "kinflow_timers_overdue"))
    # the loopback scrape writes nothing (no session is touched): the files hold still
    status, _, body = loopback(mport, "/metrics")
    samples = parse(body)[0] if status == 200 else {}
    if "://" in DB:  # PostgreSQL: the database's own size, as the server measures it
        got = value(samples, "kinflow_database_bytes", backend="postgresql")
        check("kinflow_database_bytes is PostgreSQL's size of the database", got > 1e6, got)
        check("kinflow_db_server_connections counts this server's connections at least",
              value(samples, "kinflow_db_server_connections") >= 1,
              value(samples, "kinflow_db_server_connections"))
    else:
        size = sum(os.stat(p).st_size for p in (DB, DB + "-wal") if os.path.exists(p))
        got = value(samples, "kinflow_database_bytes", backend="sqlite")
        check("kinflow_database_bytes is the database file plus its WAL", got == size, (got, size))
    # the pool: the workers' connections, each opened by the first request its thread served
    s = scrape(server, admin)
    pool = {st: value(s, "kinflow_db_pool_connections", state=st) for st in ("open", "busy", "idle")}
    check("kinflow_db_pool_connections: some open, none busy between requests, the rest idle",
          pool["open"] >= 1 and pool["busy"] == 0 and pool["idle"] == pool["open"], pool)
    check("kinflow_db_pool_max is the console's worker threads (8 by default)",
          value(s, "kinflow_db_pool_max") == 8, value(s, "kinflow_db_pool_max"))


def listener(mport):
    status, ctype, body = loopback(mport, "/metrics")
    try:
        samples, _ = parse(body)
        good = status == 200
    except ValueError as e:
        samples, good = {}, False
        body = "%s: %s" % (e, body[:300])
    check("the loopback listener answers /metrics without a session, text/plain 0.0.4",
          good and ctype.startswith("text/plain; version=0.0.4") and
          any(n == "kinflow_build_info" for n, _ in samples), (status, ctype, body[:300]))
    for path in ("/", "/api/session", "/metrics/x", "/index.html"):
        status, _, body = loopback(mport, path)
        check("the loopback listener refuses %s: 404" % path, status == 404, (status, body[:200]))
    status, _, _ = loopback(mport, "/metrics", method="POST")
    check("the loopback listener refuses POST /metrics: 404", status == 404, status)
    status, _, body = loopback(mport, "/metrics", host="rebound.example:%d" % mport)
    check("the loopback listener refuses another Host: 421", status == 421, (status, body[:200]))


def timers_counted(admin_login):
    """A second server on the database at T1 fires T0's timers at its start."""
    server = Server("second", {"KINFLOW_NOW": T1}, args=("--metrics-port", "0"))
    mport = metrics_port(server)
    # the run at its start ends after the address lines: its own line says when
    said = next_line(server)
    check("the second server says its timers at start ran: 4 due timers fired",
          said == "kinflow console: 4 due timers fired", said)
    status, _, body = loopback(mport, "/metrics")
    s = parse(body)[0] if status == 200 else {}
    got = {o: value(s, "kinflow_transitions_total", programme=PROGRAMME, outcome=o)
           for o in ("fired", "refused", "conflict", "error")}
    check("the server's timers at its start: one move fired, one refused, nothing else",
          got == {"fired": 1, "refused": 1, "conflict": 0, "error": 0}, got)
    check("after the timers ran: one case overdue, no timer due",
          value(s, "kinflow_timers_overdue") == 1 and value(s, "kinflow_timers_due") == 0,
          (value(s, "kinflow_timers_overdue"), value(s, "kinflow_timers_due")))
    rc, _ = server.stop()
    check("the second server stops cleanly", rc == 0, rc)


def next_line(server, seconds=60):
    """The server's next line of stdout, stripped; None if none came within seconds."""
    box = []
    reader = threading.Thread(target=lambda: box.append(server.proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    return box[0].strip() if box else None


def stop_during_timers():
    """SIGTERM sent the moment a server has said its address, while it fires the 2,000 timers
    of 1,000 cases at its start: the run ends, then the server stops with status 0 (before,
    the writer thread took the signal unblocked and the process died of it, status -15)."""
    path = os.path.join(os.path.dirname(DB) if "://" not in DB else "/tmp",
                        "metrics-import-%d.jsonl" % os.getpid())
    with open(path, "w") as f:
        f.write("".join(json.dumps({"workflow": PROGRAMME}) + "\n" for _ in range(1000)))
    try:
        cli_at(T0, "case", "import", path)
    finally:
        os.remove(path)
    server = Server("third", {"KINFLOW_NOW": T1})
    rc, out = server.stop(signal.SIGTERM, wait=120)
    check("SIGTERM while the server fires its due timers at start: it stops with status 0",
          rc == 0, (rc, server.stderr()[-500:]))
    check("... after its run fired all 2000, and says it stops",
          out.split("\n")[:2] == ["kinflow console: 2000 due timers fired",
                                   "kinflow console: stopping (SIGTERM)"], out[-500:])
    left = json.loads(cli_at(T1, "timers", "run", "--json"))
    check("... and no timer is left due for the next runner", left.get("timers") == [], left)


def main():
    setup()
    server = Server("main", {"KINFLOW_NOW": T1}, args=("--metrics-port", "0"))
    mport = metrics_port(server)
    timed_cases()  # while the server runs: its next timer run is 30 s away
    admin = sign_in(server, "ada", PASSWORD)
    worker = sign_in(server, "cat", WORKER_PASSWORD)
    gauges(server, admin, mport)
    who_may(server, admin, worker)
    requests_counted(server, admin, 1)
    moves_counted(server, admin)
    signin_counted(server, admin)
    listener(mport)
    rc, _ = server.stop()
    check("the server stops cleanly", rc == 0, rc)
    timers_counted("ada")
    stop_during_timers()
    check_no_crashes()


if __name__ == "__main__":
    run(main)
