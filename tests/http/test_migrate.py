#!/usr/bin/env python3
"""tests/http/test_migrate.py: programme versions through the console's API on the real
server: a programme's versions with their open cases; the dry run's report (writes nothing:
the audit head is unchanged); a run that answers 202 at once and whose progress GET
/api/migrations/ID reports until it is done, with its moved and left cases; a move only
the new version has then fires; the undo puts back what nothing happened to and lists the
case that moved on; run and undo in the audit by the admin; a caseworker refused (403) on
every route; each error by its one status (unknown programme 404, unknown version 422, a
plan file's error at its line 422, a run already going 409, undo twice 409). Every response
is checked against openapi.json.

Python 3 standard library only (harness.py). Ends with "N passed, N failed"."""

import os
import threading
import time

import harness as H
from harness import check, kf

PW = "Lantern-quarry-2026"
N_PLAIN = 600  # cases enough for a run to take a while, so that its progress shows

V1 = """
return workflow {
  name = "pathway", title = "Pathway", roles = { "caseworker", "supervisor" }, initial = "intake",
  states = {
    { "intake", title = "Intake" },
    { "trust", title = "Building trust", review = "28d" },
    { "legacy", title = "Legacy stage" },
    { "done", title = "Done", final = true, outcome = "done" },
  },
  transitions = {
    { "start", from = "intake", to = "trust", by = { "caseworker" } },
    { "park", from = "intake", to = "legacy", by = { "caseworker" } },
    { "finish", from = { "trust", "legacy" }, to = "done", by = { "supervisor" } },
  },
}
"""
V2 = """
return workflow {
  name = "pathway", title = "Pathway", roles = { "caseworker", "supervisor" }, initial = "intake",
  forms = { form { name = "safety_check", title = "Safety check",
                   fields = { { "checked_on", type = "date", required = true } } } },
  states = {
    { "intake", title = "Intake" },
    { "building_trust", title = "Building trust", review = "7d" },
    { "done", title = "Done", final = true, outcome = "done" },
  },
  transitions = {
    { "start", from = "intake", to = "building_trust", by = { "caseworker" } },
    { "finish", from = "building_trust", to = "done", by = { "supervisor" }, requires = { "safety_check" } },
    { "step_back", from = "building_trust", to = "intake", by = { "caseworker" } },
  },
}
"""
PLAN = """return migration {
  workflow = "pathway",
  to = 2,
  states = { trust = "building_trust" },
  data = function(data)
    data.programme_year = 2
    return data
  end,
}
"""
BAD_PLAN = """return migration {
  workflow = "pathway",
  to = 2,
  states = { trust = "nowhere" },
}
"""


def sign_in(server, login, password=PW):
    r = H.exchange(server, "POST", "/api/session", {"login": login, "password": password},
                   headers={"Origin": "http://127.0.0.1:%d" % server.port})
    tok = H.session_of(r)
    return H.Who(tok, (r.json or {}).get("csrf"), login, (r.json or {}).get("role")) if tok else None


def req(server, method, path, body=None, who=None):
    headers = {"Origin": "http://127.0.0.1:%d" % server.port}
    if who:
        headers["Cookie"] = "kf_session=" + who.token
        if method != "GET":
            headers["X-CSRF-Token"] = who.csrf
    return H.exchange(server, method, path, body, headers=headers,
                      what="%s %s as %s" % (method, path, who.login if who else "nobody"))


def must(*args, stdin=None):
    rc, out, err = kf(*args, stdin=stdin)
    if rc:
        raise RuntimeError("%s: %s" % (" ".join(args), err))
    return out


def open_cases(server, who, n):
    """n plain cases through POST /api/cases, on two connections at once."""
    errors = []

    def work(k):
        for _ in range(k):
            r = req(server, "POST", "/api/cases", {"workflow": "pathway"}, who)
            if r.status != 200:
                errors.append(repr(r))
    threads = [threading.Thread(target=work, args=(n // 2,)), threading.Thread(target=work, args=(n - n // 2,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("opening cases: %s" % errors[0])


def main():
    must("init")
    for name, text in (("v1.lua", V1), ("v2.lua", V2), ("plan.lua", PLAN)):
        with open(os.path.join(H.TMP, name), "w") as f:
            f.write(text)
    must("deploy", os.path.join(H.TMP, "v1.lua"))
    for n in range(1, 5):
        must("case", "new", "pathway", "--data", '{"n": %d}' % n)
    must("case", "fire", "2", "start", "--as", "caseworker")
    must("case", "fire", "3", "park", "--as", "caseworker")
    must("case", "fire", "4", "start", "--as", "caseworker")
    for login, role in (("ada", "admin"), ("cas", "caseworker"), ("sue", "supervisor")):
        must("user", "add", login, "--role", role, "--password-stdin", stdin=PW + "\n")
    s = H.Server("migrate")
    ada, cas, sue = sign_in(s, "ada"), sign_in(s, "cas"), sign_in(s, "sue")
    open_cases(s, ada, N_PLAIN)
    v2 = os.path.join(H.TMP, "pathway.lua")
    with open(v2, "w") as f:
        f.write(V2)
    must("deploy", v2)
    total = 4 + N_PLAIN

    # who may: only admins, on every route
    routes = [("GET", "/api/workflows/pathway/versions", None),
              ("POST", "/api/workflows/pathway/migration-checks", {"to": 2}),
              ("GET", "/api/migrations", None),
              ("POST", "/api/migrations", {"workflow": "pathway", "to": 2}),
              ("GET", "/api/migrations/1", None),
              ("POST", "/api/migrations/1/undo", {})]
    for who in (cas, sue):
        bad = [r for r in (req(s, m, p, b, who) for m, p, b in routes) if r.status != 403]
        check("a %s is refused every route of programme versions (403)" % who.role, not bad, bad)
    r = req(s, "GET", "/api/session", None, cas)
    check("a caseworker's session says it may not handle versions",
          r.status == 200 and r.json["can"]["versions"] is False, r)
    r = req(s, "GET", "/api/session", None, ada)
    check("an admin's session says it may", r.status == 200 and r.json["can"]["versions"] is True, r)

    # the versions
    r = req(s, "GET", "/api/workflows/pathway/versions", None, ada)
    vs = r.json if r.status == 200 else []
    check("versions: both, oldest first, with their open cases and the latest marked",
          [(v["version"], v["open_cases"], v["latest"]) for v in vs] == [(1, total, False), (2, 0, True)], r)
    check("versions: each with its definition (for its diagram)",
          [sorted(st["name"] for st in v["definition"]["states"]) for v in vs] ==
          [["done", "intake", "legacy", "trust"], ["building_trust", "done", "intake"]], r)
    r = req(s, "GET", "/api/workflows/nope/versions", None, ada)
    check("versions of an unknown programme: 404", r.status == 404 and
          r.error() == "no workflow 'nope' is deployed", r)

    # the dry run writes nothing
    before = req(s, "GET", "/api/audit/verify", None, ada).json
    r = req(s, "POST", "/api/workflows/pathway/migration-checks", {"to": 2, "plan": PLAN}, ada)
    rep = r.json if r.status == 200 else {}
    check("check: totals by outcome", r.status == 200 and
          {k: rep["totals"][k] for k in ("cases", "move", "cannot")} ==
          {"cases": total, "move": total - 1, "cannot": 1}, r)
    by_case = {c["case"]: c for c in rep.get("cases", [])}
    c2 = by_case.get(2, {})
    check("check: case 2 would move from trust to building_trust",
          (c2.get("from_version"), c2.get("from"), c2.get("to"), c2.get("outcome")) ==
          (1, "trust", "building_trust", "move"), c2)
    check("check: case 2's review timer moves, and finish becomes blocked",
          [t["change"] for t in c2.get("changes", {}).get("timers", []) if t["timer"] == "review"] == ["moved"]
          and [m["change"] for m in c2.get("changes", {}).get("moves", []) if m["move"] == "finish"] == ["blocked"], c2)
    c3 = by_case.get(3, {})
    check("check: case 3 cannot move, and why",
          c3.get("outcome") == "cannot" and [x["text"] for x in c3.get("reasons", [])] ==
          ["state 'legacy' has no counterpart in pathway v2 (map it in a plan: states = { legacy = \"...\" })"], c3)
    after = req(s, "GET", "/api/audit/verify", None, ada).json
    check("check writes nothing: the audit head and length are unchanged", before == after, (before, after))

    # errors, each by its one status
    r = req(s, "POST", "/api/workflows/nope/migration-checks", {"to": 2}, ada)
    check("check of an unknown programme: 404", r.status == 404 and
          r.error() == "no workflow 'nope' is deployed", r)
    r = req(s, "POST", "/api/workflows/pathway/migration-checks", {"to": 9}, ada)
    check("check to an unknown version: 422, naming the versions", r.status == 422 and
          r.error() == "workflow 'pathway' has no version 9 (versions: 1, 2)", r)
    r = req(s, "POST", "/api/workflows/pathway/migration-checks", {"to": 2, "plan": BAD_PLAN}, ada)
    check("check with a plan file's error: 422, at its line", r.status == 422 and
          r.error() == "plan.lua:4: states: trust = 'nowhere': pathway v2 has no state 'nowhere'", r)
    r = req(s, "POST", "/api/workflows/pathway/migration-checks", {"to": "two"}, ada)
    check("check with a 'to' that is no number: 400", r.status == 400 and
          r.error() == "'to' must be the version to move to, a whole number (e.g. \"to\": 2)", r)
    r = req(s, "POST", "/api/migrations", {"workflow": "nope", "to": 2}, ada)
    check("run of an unknown programme: 404", r.status == 404, r)
    r = req(s, "POST", "/api/migrations", {"workflow": "pathway", "to": 9}, ada)
    check("run to an unknown version: 422", r.status == 422 and
          r.error() == "workflow 'pathway' has no version 9 (versions: 1, 2)", r)
    r = req(s, "POST", "/api/migrations", {"workflow": "pathway", "to": 2, "plan": BAD_PLAN}, ada)
    check("run with a plan file's error: 422, at its line, and no migration recorded",
          r.status == 422 and r.error().startswith("plan.lua:4: ")
          and req(s, "GET", "/api/migrations", None, ada).json == [], r)
    r = req(s, "GET", "/api/migrations/7", None, ada)
    check("an unknown migration: 404", r.status == 404 and
          r.error() == "no migration 7 (see GET /api/migrations)", r)
    r = req(s, "POST", "/api/migrations/7/undo", {}, ada)
    check("undo of an unknown migration: 404", r.status == 404, r)

    # the run: 202 at once, then its progress until done
    r = req(s, "POST", "/api/migrations", {"workflow": "pathway", "to": 2, "plan": PLAN}, ada)
    mid = (r.json or {}).get("id")
    check("run: 202 with the migration's id, by the admin", r.status == 202 and mid == 1 and
          r.json["by"] == "ada" and r.json["workflow"] == "pathway" and r.json["to_version"] == 2, r)
    r2 = req(s, "POST", "/api/migrations", {"workflow": "pathway", "to": 2}, ada)
    check("a second run of the same programme while one runs: 409", r2.status == 409 and
          r2.error().startswith("a migration of pathway is running already"), r2)
    seen, last = [], None
    t0 = time.time()
    while time.time() - t0 < 60:
        last = req(s, "GET", "/api/migrations/%s" % mid, None, ada)
        if last.status != 200:
            break
        seen.append((last.json["state"], last.json["progress"]["done"], last.json["progress"]["total"]))
        if last.json["state"] != "running":
            break
        time.sleep(0.02)
    check("run: progress seen while it runs (done of total, below the total)",
          any(st == "running" and tot == total and 0 <= d < tot for st, d, tot in seen), seen[:5])
    check("run: done counts up, never past the total",
          all(a[1] <= b[1] for a, b in zip(seen, seen[1:])) and all(d <= tot for _, d, tot in seen), seen)
    j = last.json if last is not None and last.status == 200 else {}
    check("run: done, all dealt with", j.get("state") == "done" and j.get("progress") ==
          {"done": total, "total": total} and j.get("counts", {}).get("moved") == total - 1, last)
    check("run: the moved and left lists", len(j.get("moved", [])) == total - 1 and
          [(c["case"], c["from"]) for c in j.get("left", [])] == [(3, "legacy")], j.get("left"))
    r = req(s, "GET", "/api/migrations", None, ada)
    check("the list of migrations has it, done, with its counts", r.status == 200 and
          [(m["id"], m["state"], m["counts"]["moved"]) for m in r.json] == [(1, "done", total - 1)], r)
    r = req(s, "GET", "/api/workflows/pathway/versions", None, ada)
    check("versions after the run: v1 keeps the case left", r.status == 200 and
          [(v["version"], v["open_cases"]) for v in r.json] == [(1, 1), (2, total - 1)], r)

    # a move only version 2 has fires, on case 2
    r = req(s, "POST", "/api/cases/2/transitions/step_back", {"as": "caseworker"}, ada)
    check("a move only v2 has fires after the run", r.status == 200, r)
    r = req(s, "GET", "/api/cases/5", None, ada)
    check("a moved case is on v2 with its data transformed", r.status == 200 and
          (r.json["version"], r.json["state"], r.json["data"].get("programme_year")) == (2, "intake", 2), r)

    # the undo
    r = req(s, "POST", "/api/migrations/1/undo", {}, ada)
    u = r.json if r.status == 200 else {}
    check("undo: every case put back but case 2, which moved on and is listed",
          r.status == 200 and len(u.get("undone", [])) == total - 2 and
          [c["case"] for c in u.get("left", [])] == [2], r)
    r = req(s, "GET", "/api/cases/4", None, ada)
    check("undo: case 4 is back on v1 at trust", r.status == 200 and
          (r.json["version"], r.json["state"]) == (1, "trust"), r)
    r = req(s, "POST", "/api/migrations/1/undo", {}, ada)
    check("undo twice: 409", r.status == 409 and r.error() == "migration 1 was undone already", r)
    r = req(s, "GET", "/api/migrations/1", None, ada)
    check("the migration reads undone", r.status == 200 and r.json["state"] == "undone", r)

    # every step in the audit, by the admin
    kinds = []
    for kind in ("migration.started", "migration.finished", "migration.undone"):
        r = req(s, "GET", "/api/audit?kind=" + kind, None, ada)
        kinds += [(e["kind"], e["actor"]) for e in (r.json if r.status == 200 else [])]
    check("the audit has migration.started, finished and undone, each by ada",
          kinds == [("migration.started", "ada"), ("migration.finished", "ada"), ("migration.undone", "ada")],
          kinds)
    r = req(s, "GET", "/api/audit/verify", None, ada)
    check("the audit chain verifies after run and undo", r.status == 200, r)
    H.check_no_crashes()


if __name__ == "__main__":
    H.run(main)
