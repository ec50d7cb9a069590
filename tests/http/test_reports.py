#!/usr/bin/env python3
"""tests/http/test_reports.py: the console's reports (time in stage, outcomes per programme)
against the real server: the same figures as `kinflow report ... --json`, for every role that
may read (aggregates: no one's details), by programme, and nothing personal in them.

Python 3 standard library only (harness.py). Ends with "N passed, N failed"."""

import json

import harness as H
from harness import check, kf

PW = "Lantern-quarry-2026"


def sign_in(server, login):
    r = H.exchange(server, "POST", "/api/session", {"login": login, "password": PW},
                   headers={"Origin": "http://127.0.0.1:%d" % server.port})
    return H.session_of(r)


def get(server, token, path):
    return H.exchange(server, "GET", path, headers={"Cookie": "kf_session=" + token},
                      what="GET " + path)


def main():
    H.init_library()
    env = dict(H.ENV, KINFLOW_NOW="2026-02-01T09:00:00Z")
    for ref in ("R-1", "R-2"):
        rc, _, err = kf("case", "new", "coparenthood", "--ref", ref, "--data",
                        '{"referred_on": "2026-01-05"}', env=env)
        if rc:
            raise RuntimeError("case new: " + err)
    rc, _, err = kf("case", "fire", "R-2", "close", "--as", "supervisor", "--reason", "moved away",
                    env=dict(env, KINFLOW_NOW="2026-02-11T09:00:00Z"))
    if rc:
        raise RuntimeError("close: " + err)
    for login, role in (("val", "viewer"), ("ana", "analyst"), ("cas", "caseworker")):
        rc, _, err = kf("user", "add", login, "--role", role, "--password-stdin", stdin=PW + "\n")
        if rc:
            raise RuntimeError("user add: " + err)
    later = dict(H.ENV, KINFLOW_NOW="2026-02-12T09:00:00Z")  # one clock for the server and the CLI
    s = H.Server("reports", {"KINFLOW_NOW": later["KINFLOW_NOW"]})
    _, out, _ = kf("report", "stages", "--json", env=later)
    cli_stages = json.loads(out)
    _, out, _ = kf("report", "outcomes", "--json", env=later)
    cli_outcomes = json.loads(out)
    for login in ("val", "ana", "cas"):
        tok = sign_in(s, login)
        r = get(s, tok, "/api/reports/stages")
        check("%s reads time in stage: the figures of kinflow report stages" % login,
              r.status == 200 and r.json == cli_stages, r)
        r = get(s, tok, "/api/reports/outcomes")
        check("%s reads outcomes: the figures of kinflow report outcomes" % login,
              r.status == 200 and r.json == cli_outcomes, r)
    tok = sign_in(s, "ana")
    r = get(s, tok, "/api/reports/stages?workflow=coparenthood")
    rows = r.json or []
    check("stages by programme: one programme's states, in order, with the cases now",
          r.status == 200 and rows and {x["workflow"] for x in rows} == {"coparenthood"}
          and sum(x["cases_now"] for x in rows) == 2, r)
    closed = [x for x in (get(s, tok, "/api/reports/outcomes").json or [])
              if x.get("workflow") == "coparenthood" and x.get("outcome") == "closed"]
    check("an outcome counts the closed case with its days (10 days from opening)",
          len(closed) == 1 and closed[0]["cases"] == 1 and closed[0]["median_days"] == 10.0, closed)
    r = get(s, tok, "/api/reports/stages?workflow=nope")
    check("an unknown programme is 404", r.status == 404, r)
    check("reports carry no case reference or person", "R-1" not in r.raw and "R-2" not in
          get(s, tok, "/api/reports/stages").raw, r)
    H.check_no_crashes()


H.run(main)
