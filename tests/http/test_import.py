#!/usr/bin/env python3
"""tests/http/test_import.py: bulk import through the console's API (POST /api/cases/import,
the verb case.import) on the real server: 1,000 cases as JSON lines in two batches, each
opened as POST /api/cases opens it (its state, its case.opened event by the importer, not
allocated); a JSON array in batches of 100 whose bad case rolls back its own batch only and
is named by its line (422 with imported and batches); a line that is not JSON (nothing
written); an unknown programme and a taken ref, each at its line; who may: a viewer 403, a
caseworker 403 for a programme they hold no role in (nothing written) and 200 in their own;
the caps (batch 0 400, more than 10,000 cases 413, an empty body 400); and the audit chain
holding after it all. Every response is checked against openapi.json.

Python 3 standard library only (harness.py). Ends with "N passed, N failed"."""

import json
import os

import harness as H
from harness import check, kf

PW = "Copper-harbour-2026"

INTAKE = """
return workflow {
  name = "intake", title = "Intake", roles = { "caseworker" }, initial = "referred",
  states = { { "referred", title = "Referred", review = "14d" }, { "closed", title = "Closed", final = true } },
  transitions = { { "close", from = "referred", to = "closed", by = { "caseworker" } } },
}
"""
OTHER = """
return workflow {
  name = "other", title = "Other", roles = { "caseworker" }, initial = "new",
  states = { { "new", title = "New" }, { "done", title = "Done", final = true } },
  transitions = { { "finish", from = "new", to = "done", by = { "caseworker" } } },
}
"""


def sign_in(server, login):
    r = H.exchange(server, "POST", "/api/session", {"login": login, "password": PW},
                   headers={"Origin": "http://127.0.0.1:%d" % server.port})
    tok = H.session_of(r)
    return H.Who(tok, (r.json or {}).get("csrf"), login, (r.json or {}).get("role")) if tok else None


def post_import(server, who, raw, query=""):
    headers = {"Origin": "http://127.0.0.1:%d" % server.port, "Cookie": "kf_session=" + who.token,
               "X-CSRF-Token": who.csrf}
    return H.exchange(server, "POST", "/api/cases/import" + query, raw=raw.encode(),
                      headers=headers, what="POST /api/cases/import%s as %s" % (query, who.login))


def get(server, who, path):
    headers = {"Origin": "http://127.0.0.1:%d" % server.port, "Cookie": "kf_session=" + who.token}
    return H.exchange(server, "GET", path, headers=headers, what="GET %s as %s" % (path, who.login))


def total(server, who, workflow):
    r = get(server, who, "/api/cases?workflow=%s&limit=1" % workflow)
    return r.json.get("total") if r.status == 200 else None


def lines(cases):
    return "\n".join(json.dumps(c) for c in cases) + "\n"


def must(*args, stdin=None):
    rc, out, err = kf(*args, stdin=stdin)
    if rc:
        raise RuntimeError("%s: %s" % (" ".join(args), err))
    return out


def main():
    must("init")
    for name, text in (("intake.lua", INTAKE), ("other.lua", OTHER)):
        path = os.path.join(H.TMP, name)
        with open(path, "w") as f:
            f.write(text)
        must("deploy", path)
    for login, role, roles in (("ada", "admin", None), ("cas", "caseworker", "intake:caseworker"),
                               ("vic", "viewer", None)):
        args = ["user", "add", login, "--role", role, "--password-stdin"]
        if roles:
            args += ["--roles", roles]
        must(*args, stdin=PW + "\n")
    s = H.Server("import")
    ada, cas, vic = sign_in(s, "ada"), sign_in(s, "cas"), sign_in(s, "vic")

    # 1,000 cases as JSON lines: two batches of 500
    body = lines({"workflow": "intake", "data": {"family": "F%d" % i, "children": i % 4},
                  "ref": "IMP-%d" % i} for i in range(1, 1001))
    r = post_import(s, ada, body)
    check("1,000 cases as JSON lines: 200 {imported: 1000, batches: 2}",
          r.status == 200 and r.json == {"imported": 1000, "batches": 2}, r)
    check("the programme holds the 1,000", total(s, ada, "intake") == 1000)
    r = get(s, ada, "/api/cases/IMP-777")
    c = r.json if r.status == 200 else {}
    check("an imported case: its state, data and ref, revision 2, not allocated",
          c.get("state") == "referred" and c.get("data") == {"family": "F777", "children": 1} and
          c.get("ref") == "IMP-777" and c.get("revision") == 2 and c.get("allocated_to") is None, r)
    check("an imported case: its review timer",
          [t.get("name") for t in c.get("timers", [])] == ["review"], r)
    r = get(s, ada, "/api/cases/IMP-777/history")
    ev = r.json if r.status == 200 else []
    check("an imported case: its case.opened event, by the importer, with its ref",
          len(ev) == 1 and ev[0].get("kind") == "case.opened" and ev[0].get("actor") == "ada" and
          (ev[0].get("data") or {}).get("ref") == "IMP-777", r)

    # a JSON array in batches of 100: case 180 is bad; its batch (101-200) goes, 1-100 stay
    cases = [{"workflow": "other", "data": {"n": i}} for i in range(1, 251)]
    cases[179]["data"] = "not an object"
    r = post_import(s, ada, json.dumps(cases), "?batch=100")
    check("a bad case in an array: 422 naming its position and why, what was kept",
          r.status == 422 and r.json.get("line") == 180 and r.json.get("imported") == 100 and
          r.json.get("batches") == 1 and "'data' must be a JSON object" in r.json.get("reason", "") and
          r.error().startswith("line 180: "), r)
    check("its batch rolled back, the one before kept: 100 cases", total(s, ada, "other") == 100)

    # a line that is not JSON: nothing written
    body = lines([{"workflow": "other"}, {"workflow": "other"}])
    r = post_import(s, ada, body + "{not json\n" + lines([{"workflow": "other"}]))
    check("a line that is not JSON: 422 naming line 3",
          r.status == 422 and r.error().startswith("line 3: ") and "line" not in r.json, r)
    check("nothing written for it", total(s, ada, "other") == 100)

    # an unknown programme, a taken ref, a key a case does not have: each at its line
    r = post_import(s, ada, lines([{"workflow": "other"}, {"workflow": "nope"}]))
    check("an unknown programme: 422 at line 2",
          r.status == 422 and r.json.get("line") == 2 and
          "no workflow 'nope' is deployed" in r.json.get("reason", ""), r)
    r = post_import(s, ada, "\n" + lines([{"workflow": "intake", "ref": "IMP-5"}]))
    check("a taken ref: 422 at line 2 (blank lines count)",
          r.status == 422 and r.json.get("line") == 2 and "IMP-5" in r.json.get("reason", ""), r)
    r = post_import(s, ada, lines([{"workflow": "other", "owner": "x"}]))
    check("an unknown key: 422 at line 1",
          r.status == 422 and r.json.get("line") == 1 and "unknown key 'owner'" in r.json.get("reason", ""), r)
    check("none of those wrote a case", total(s, ada, "other") == 100 and total(s, ada, "intake") == 1000)

    # who may
    r = post_import(s, vic, lines([{"workflow": "intake"}]))
    check("a viewer may not import: 403", r.status == 403 and "may not import cases" in r.error(), r)
    r = post_import(s, cas, lines([{"workflow": "intake"}, {"workflow": "other"}]))
    check("a caseworker without a role in a programme named: 403 naming it and its line",
          r.status == 403 and "programme 'other'" in r.error() and "line 2" in r.error(), r)
    check("nothing written for it", total(s, ada, "intake") == 1000 and total(s, ada, "other") == 100)
    r = post_import(s, cas, lines([{"workflow": "intake", "data": {"family": "own"}}]))
    check("a caseworker imports into their own programme: 200",
          r.status == 200 and r.json == {"imported": 1, "batches": 1}, r)

    # the caps
    r = post_import(s, ada, lines([{"workflow": "other"}]), "?batch=0")
    check("batch 0: 400", r.status == 400 and "batch" in r.error(), r)
    r = post_import(s, ada, "  \n")
    check("an empty body: 400", r.status == 400, r)
    r = post_import(s, ada, '{"workflow":"other"}\n' * 10001)
    check("more than 10,000 cases: 413", r.status == 413 and "10000" in r.error(), r)
    check("nothing written for those", total(s, ada, "other") == 100)

    r = get(s, ada, "/api/audit/verify")
    check("the audit chain holds after the imports", r.status == 200 and r.json.get("events", 0) >= 1101, r)
    rc, out, err = kf("audit", "verify")
    check("kinflow audit verify holds too", rc == 0, (rc, out, err))
    s.stop()
    H.check_no_crashes()


if __name__ == "__main__":
    H.run(main)
