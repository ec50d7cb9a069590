#!/usr/bin/env python3
"""tests/http/test_records.py: practice's records through the console's API on the real
server: a controlled data key refused by PATCH, naming it; a member leaving a case (the reason
required, their family account disabled, the case page's members marked); links between cases
both ways, and a linked case the reader may not open shown by its number only; the agency's
settings read by everyone who may read and set by admins only; case lists sorted by a data
key; outcomes by who ended the work. Every response is checked against openapi.json.

Python 3 standard library only (harness.py). Ends with "N passed, N failed"."""

import os

import harness as H
from harness import check, kf

PW = "Lantern-quarry-2026"

FUND = """
return workflow {
  name = "fund", title = "Flexible funding", roles = { "worker", "supervisor" }, initial = "open",
  controlled = { "funding_allocation" },
  sensitive = { data = { "income" } },
  settings = { young_parent_age = { default = 25, label = "Upper age for a young parent (agency setting)" } },
  states = { { "open" }, { "withdrawn", final = true, ended_by = "family" },
             { "done", final = true, ended_by = "goals_met" } },
  transitions = {
    { "withdraw", from = "open", to = "withdrawn", by = { "worker" } },
    { "finish", from = "open", to = "done", by = { "worker" } },
  },
}
"""
OTHER = """
return workflow {
  name = "other", title = "Other programme", roles = { "worker" }, initial = "open",
  states = { { "open" }, { "closed", final = true } },
  transitions = { { "close", from = "open", to = "closed", by = { "worker" } } },
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


def main():
    must("init")
    for name, text in (("fund.lua", FUND), ("other.lua", OTHER)):
        with open(os.path.join(H.TMP, name), "w") as f:
            f.write(text)
    must("deploy", os.path.join(H.TMP, "fund.lua"), os.path.join(H.TMP, "other.lua"))
    must("case", "new", "fund", "--data", '{"priority": 2}')           # 1
    must("case", "new", "fund", "--data", '{"priority": 1}')           # 2
    must("case", "new", "other", "--ref", "OT-1")                      # 3
    must("case", "new", "fund")                                        # 4
    must("case", "member", "add", "1", "--role", "parent", "--name", "Ann Smith")
    must("case", "member", "add", "1", "--role", "carer", "--name", "Bo Carer")
    must("user", "add", "ann", "--family", "1", "--member", "1", "--password-stdin", stdin=PW + "\n")
    for login, role in (("ada", "admin"), ("sue", "supervisor"), ("vic", "viewer")):
        must("user", "add", login, "--role", role, "--password-stdin", stdin=PW + "\n")
    must("user", "add", "cas", "--role", "caseworker", "--password-stdin", stdin=PW + "\n")
    for case in ("1", "2", "4"):  # cas's caseload
        must("case", "allocate", case, "--to", "cas", "--reason", "their caseload")
    s = H.Server("records")
    ada, sue, vic = sign_in(s, "ada"), sign_in(s, "sue"), sign_in(s, "vic")
    r = req(s, "PATCH", "/api/users/cas", {"roles": ["fund:worker"]}, ada)
    if r.status != 200:
        raise RuntimeError("cas's roles: %s" % r.raw)
    cas = sign_in(s, "cas")
    check("a family account signs in before its member leaves", sign_in(s, "ann") is not None)

    # controlled data keys
    r = req(s, "PATCH", "/api/cases/1", {"data": {"funding_allocation": 100000}}, ada)
    check("PATCH refuses a controlled key, naming it (400)", r.status == 400 and r.error() ==
          "case 1: 'funding_allocation' is the programme's to set (its forms and actions), not by hand", r)
    r = req(s, "POST", "/api/cases", {"workflow": "fund", "data": {"funding_allocation": 5}}, ada)
    check("opening a case with a controlled key is refused (400)", r.status == 400 and
          "'funding_allocation' is the programme's to set" in r.error(), r)

    # a member leaves
    r = req(s, "POST", "/api/cases/1/members/1/end", {"reason": "moved interstate"}, vic)
    check("a viewer may not end a member (403)", r.status == 403, r)
    r = req(s, "POST", "/api/cases/1/members/1/end", {}, ada)
    check("a reason is required (400)", r.status == 400 and "'reason' is missing" in r.error(), r)
    r = req(s, "POST", "/api/cases/1/members/1/end", {"reason": "   "}, ada)
    check("a blank reason is no reason (400), said without the command line's flag",
          r.status == 400 and r.error() ==
          "case 1: say why member 1 leaves the case (a reason is required)", r)
    r = req(s, "POST", "/api/cases/1/members/9/end", {"reason": "x"}, ada)
    check("a member not on the case (400)", r.status == 400 and r.error() ==
          "case 1: member 9 is not on the case", r)
    r = req(s, "POST", "/api/cases/1/members/x/end", {"reason": "x"}, ada)
    check("a member is a number (400)", r.status == 400, r)
    r = req(s, "POST", "/api/cases/1/members/1/end", {"reason": "moved interstate"}, cas)
    ann = [m for m in (r.json or []) if isinstance(m, dict) and m.get("id") == 1]
    check("a worker ends a member: the list keeps them, with the day and the reason",
          r.status == 200 and len(r.json) == 2 and ann and ann[0].get("ended_reason") == "moved interstate"
          and ann[0].get("ended_at"), r)
    r = req(s, "POST", "/api/cases/1/members/1/end", {"reason": "again"}, cas)
    check("a member who left cannot leave again (400)", r.status == 400 and "already" in r.error(), r)
    check("the member's family account no longer signs in", sign_in(s, "ann") is None)
    r = req(s, "GET", "/api/cases/1", None, cas)
    check("the case page's members mark who left", r.status == 200 and
          [m.get("ended_at") is not None for m in r.json.get("members", [])] == [True, False], r)
    r = req(s, "GET", "/api/cases?workflow=fund", None, cas)
    row = [c for c in (r.json or {}).get("cases", []) if c["id"] == 1]
    check("a list's people are those on the case now", row and row[0]["people"] ==
          [{"role": "carer", "name": "Bo Carer"}], r)

    # links
    r = req(s, "POST", "/api/cases/1/links", {"other": 2, "as": "sibling", "reason": "brothers"}, cas)
    check("a worker links two cases of their programme", r.status == 200 and
          [(l["case"], l["as"], l["direction"]) for l in r.json] == [(2, "sibling", "to")], r)
    r = req(s, "GET", "/api/cases/2/links", None, cas)
    check("the link shows on the other case, from it", r.status == 200 and
          [(l["case"], l["direction"]) for l in r.json] == [(1, "from")], r)
    r = req(s, "POST", "/api/cases/1/links", {"other": 2, "as": "sibling"}, cas)
    check("the same link again is refused (400)", r.status == 400 and
          r.error() == "case 1 is already linked to case 2 as sibling", r)
    r = req(s, "POST", "/api/cases/1/links", {"other": 2, "as": "cousin"}, cas)
    check("an unknown kind of link (400)", r.status == 400 and "sibling or continues" in r.error(), r)
    r = req(s, "POST", "/api/cases/1/links", {"as": "sibling"}, cas)
    check("the other case is required (400)", r.status == 400, r)
    r = req(s, "POST", "/api/cases/4/links", {"other": "OT-1", "as": "continues"}, cas)
    check("a worker cannot link to a case of a programme they hold no role in (403)", r.status == 403, r)
    r = req(s, "POST", "/api/cases/4/links", {"other": "OT-1", "as": "continues",
                                              "reason": "the child entered care"}, ada)
    check("an admin links a case that continues another", r.status == 200 and
          r.json[0]["ref"] == "OT-1", r)
    r = req(s, "GET", "/api/cases/4", None, cas)
    links = (r.json or {}).get("links", [])
    check("a linked case the reader may not open shows by its number only",
          r.status == 200 and links == [{"link": 2, "case": 3, "as": "continues", "direction": "to",
                                         "summary": True}], r)
    r = req(s, "GET", "/api/cases/4", None, vic)
    links = (r.json or {}).get("links")
    check("a viewer reads a case as a summary (no links)", r.status == 200 and links is None, r)
    r = req(s, "GET", "/api/cases/4", None, ada)
    links = (r.json or {}).get("links", [])
    check("case.get carries the links in full for who may open both", links and
          links[0].get("ref") == "OT-1" and links[0].get("linked_by") == "ada", r)

    # settings
    r = req(s, "GET", "/api/settings", None, vic)
    check("anyone who reads sees the settings with their label and default", r.status == 200 and
          r.json == [{"name": "young_parent_age", "label": "Upper age for a young parent (agency setting)",
                      "default": 25, "value": None, "set_at": None, "set_by": None,
                      "programmes": ["fund"]}], r)
    r = req(s, "PUT", "/api/settings/young_parent_age", {"value": 23}, sue)
    check("only admins set them (403 for a supervisor)", r.status == 403, r)
    r = req(s, "PUT", "/api/settings/young_parent_age", {"value": "old"}, ada)
    check("a numeric setting takes a number (400)", r.status == 400 and r.error() ==
          "setting young_parent_age: 'old' is not a number (its default is 25)", r)
    r = req(s, "PUT", "/api/settings/nope", {"value": 1}, ada)
    check("an undeclared setting is 404", r.status == 404, r)
    r = req(s, "PUT", "/api/settings/young_parent_age", {"value": 23}, ada)
    check("an admin sets one", r.status == 200 and r.json.get("value") == 23 and r.json.get("set_by") == "ada", r)

    # sorting and outcomes
    r = req(s, "GET", "/api/cases?workflow=fund&sort=priority", None, cas)
    check("a list sorted by a data key, missing last", r.status == 200 and
          [c["id"] for c in r.json["cases"]] == [2, 1, 4], r)
    r = req(s, "GET", "/api/cases?workflow=fund&sort=-priority", None, cas)
    check("-KEY sorts descending", r.status == 200 and [c["id"] for c in r.json["cases"]] == [1, 2, 4], r)
    r = req(s, "GET", "/api/cases?sort=-income", None, ada)
    check("no list in the order of a private value (403)", r.status == 403 and r.error() ==
          "case.list: cannot sort by 'income': programme 'fund' keeps it private", r)
    r = req(s, "GET", "/api/cases?sort=a.b", None, cas)
    check("a sort key is a data key (400)", r.status == 400, r)
    must("case", "fire", "1", "withdraw", "--as", "worker")
    must("case", "fire", "2", "finish", "--as", "worker")
    r = req(s, "GET", "/api/reports/outcomes?workflow=fund&by=ended_by", None, vic)
    check("outcomes by who ended the work", r.status == 200 and
          [(x["ended_by"], x["cases"]) for x in r.json] == [("family", 1), ("goals_met", 1)], r)
    r = req(s, "GET", "/api/reports/outcomes?by=team", None, vic)
    check("by is outcome or ended_by (400)", r.status == 400, r)
    H.check_no_crashes()


H.run(main)
