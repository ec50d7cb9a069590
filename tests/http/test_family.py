#!/usr/bin/env python3
"""tests/http/test_family.py: families take part (issue 14), through the real server, as a
worker, a parent and the other parent of a safe-place case would use it.

A worker invites a parent (a one-time password, changed at the first sign-in); the parent's
family account sees its own family page and nothing else (other cases, its own case through
the staff routes, users, the audit log, the dashboard: each 403, one message); it writes in
the communication book and signs the plan as itself (the history names its login); it never
sees staff-only notes; a staff account cannot fire the parent's move; a move that needs a
shared decision is refused naming it, then made once the decision is recorded; consent given
for sharing lets the case's events out through the outbox, and the parent's withdrawal stops
the next one (flagged for the worker, recorded under "sharing", the flag cleared). The other
parent of a safe-place case never receives the first parent's safe address.

Test data: tests/http/workflows/family_test.lua and the shipped safe_place programme.
Python 3 standard library only; KINFLOW_BIN is the binary under test. The harness starts
the server on 127.0.0.1 and kills it at the end, pass or fail. Ends with "N passed, N failed"."""

import json
import os

from harness import (ENV, ROOT, TMP, Server, Who, check, check_no_crashes, exchange,
                     init_library, run, session_of)
from harness import kf as harness_kf

OUTBOX = os.path.join(TMP, "outbox.jsonl")
NOW = "2026-05-01T09:00:00Z"
ENV.update(KINFLOW_CONSOLE_TIMEOUT="5", KINFLOW_OUTBOX=OUTBOX, KINFLOW_NOW=NOW)

FAMILY_ONLY = "a family account can use only its own family page"
SAFE_ADDRESS = "17 Quandong Secret Lane"   # the first parent's private address (safe place)
SAFE_PHONE = "0491 570 313"
STAFF_NOTE = "Staff only: the grandmother's court date is 12 May"
BOOK_NOTE = "Ava had a good week at school and loved the library visit."

MAIN = None
PASSWORDS = {}
USERS = [("casey", "caseworker", ["north"]), ("sid", "supervisor", ["north"]),
         ("ada", "admin", []), ("val", "viewer", [])]
U = {}


def kf(*args, stdin=None):
    return harness_kf(*args, stdin=stdin)


def req(method, path, body=None, who=None):
    h = {}
    if who:
        h["Cookie"] = "kf_session=" + who.token
        if method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = who.csrf
    what = "%s %s as %s" % (method, path, who.login if who else "nobody")
    return exchange(MAIN, method, path, body, h, timeout=30, what=what)


def sign_in(login, password):
    r = exchange(MAIN, "POST", "/api/session", {"login": login, "password": password}, timeout=30)
    token = session_of(r)
    if r.status != 200 or not token:
        raise RuntimeError("sign-in as %s: %r" % (login, r))
    return Who(token, r.json["csrf"], login, r.json["role"]), r


def must(r, what):
    if r.status != 200:
        raise RuntimeError("%s: %r" % (what, r))
    return r.json


def member_id(case, name):
    for m in case.get("members", []):
        if m.get("name") == name:
            return m["id"]
    raise RuntimeError("no member %s on case %s" % (name, case.get("id")))


def outbox_lines():
    # the server delivers on a thread of its own, soon after each commit: a flush (another
    # process, under the same lock) makes sure every committed event was decided first
    kf("outbox", "flush")
    try:
        with open(OUTBOX) as f:
            return [json.loads(l) for l in f if l.strip()]
    except OSError:
        return []


def setup():
    init_library(kf)
    rc, out, err = kf("deploy", "tests/http/workflows/family_test.lua")
    if rc:
        raise RuntimeError("deploy family_test: " + err)
    rc, out, err = kf("team", "add", "north")
    if rc:
        raise RuntimeError("team add: " + err)
    for login, role, teams in USERS:
        PASSWORDS[login] = "pw-%s-signs-in-0123" % "".join(chr(ord(ch) + 1) for ch in login)
        args = ["user", "add", login, "--role", role, "--password-stdin"]
        for t in teams:
            args += ["--team", t]
        rc, out, err = kf(*args, stdin=PASSWORDS[login] + "\n")
        if rc:
            raise RuntimeError("user add %s: %s" % (login, err))


def open_case(ref, workflow, people, who):
    c = must(req("POST", "/api/cases", {"workflow": workflow, "ref": ref}, who=who), "open " + ref)
    for role, name, data in people:
        must(req("POST", "/api/cases/%d/members" % c["id"], {"role": role, "name": name, "data": data},
                 who=who), "add %s to %s" % (name, ref))
    return must(req("GET", "/api/cases/%d" % c["id"], who=who), "read " + ref)


def invite(case, member, who, login=None):
    body = {"member": member}
    if login:
        body["login"] = login
    return req("POST", "/api/cases/%d/invitations" % case, body, who=who)


def first_sign_in(inv, new_password):
    """The family member signs in with the one-time password and chooses their own."""
    fam, r = sign_in(inv["login"], inv["password"])
    check("a new family account must change its one-time password first",
          r.json.get("must_change") is True and r.json.get("role") == "family", r)
    r = req("GET", "/api/family", who=fam)
    check("before changing it, its family page answers 403", r.status == 403, r)
    r = req("POST", "/api/session/password", {"old": inv["password"], "password": new_password}, who=fam)
    check("a family account changes its own password (200)", r.status == 200, r)
    PASSWORDS[inv["login"]] = new_password
    return fam


def main():
    global MAIN
    setup()
    MAIN = Server("main")
    for login in PASSWORDS.copy():
        U[login], _ = sign_in(login, PASSWORDS[login])
    casey, sid, ada, val = U["casey"], U["sid"], U["ada"], U["val"]

    # ---- two family cases of casey's, and a safe-place case with two parents ----------
    fa = open_case("FT-1", "family_test", [("parent", "Robin Testwood", {"dob": "1991-02-03"}),
                                          ("carer", "Kit Carerson", {}),
                                          ("child", "Ava Testwood", {"dob": "2018-06-01"})], casey)
    fb = open_case("FT-2", "family_test", [("parent", "Lee Otherfam", {})], casey)
    robin_m, kit_m, ava_m = (member_id(fa, n) for n in ("Robin Testwood", "Kit Carerson", "Ava Testwood"))
    lee_m = member_id(fb, "Lee Otherfam")

    # ---- the staff invitation flow ----------------------------------------------------
    r = invite(fa["id"], robin_m, val)
    check("a viewer may not invite a family member (403)", r.status == 403, r)
    r = invite(fa["id"], ava_m, casey)
    check("inviting a member who holds no family role (a child here) is refused (400), naming the roles",
          r.status == 400 and "parent" in r.error() and "carer" in r.error(), r)
    r = invite(fa["id"], robin_m, casey)
    check("the worker invites the parent: a login and a one-time password (200)",
          r.status == 200 and r.json.get("login") and r.json.get("password"), r)
    robin_inv = r.json or {}
    r = req("GET", "/api/cases/%d/history" % fa["id"], who=casey)
    added = [e for e in (r.json or []) if e.get("kind") == "user.added"]
    check("the invitation is the event user.added naming the login, the member and role family",
          len(added) == 1 and (added[0].get("data") or {}).get("login") == robin_inv.get("login")
          and (added[0].get("data") or {}).get("role") == "family"
          and (added[0].get("data") or {}).get("member") == robin_m, added)
    check("the one-time password is in no event", robin_inv.get("password", "?") not in r.raw, r.raw[:300])
    r = invite(fa["id"], robin_m, casey, login="robin.two")
    check("a member who has a family account already is not invited twice (400, naming it)",
          r.status == 400 and robin_inv.get("login", "?") in r.error(), r)
    r = invite(fb["id"], lee_m, casey)
    lee_inv = must(r, "invite Lee")

    robin = first_sign_in(robin_inv, "Robin's own words for signing in 42")
    r = req("GET", "/api/session", who=robin)
    fam = (r.json or {}).get("family") or {}
    check("a family account's session: role family, bound to its case and member",
          r.status == 200 and r.json.get("role") == "family" and fam.get("case") == fa["id"]
          and fam.get("member") == robin_m and fam.get("role") == "parent"
          and fam.get("name") == "Robin Testwood", r)

    # ---- the family page, and nothing else --------------------------------------------
    r = req("GET", "/api/family", who=robin)
    page = r.json or {}
    check("the parent's family page (200): their name, their case, its stage, and the worker",
          r.status == 200 and page.get("you", {}).get("name") == "Robin Testwood"
          and page.get("case", {}).get("id") == fa["id"] and page.get("case", {}).get("stage") == "planning"
          and page.get("case", {}).get("stage_title") == "Making the plan together"
          and page.get("worker") == "casey", r)
    nxt = {m.get("name"): m for m in page.get("next", [])}
    check("what comes next: signing the plan is the parent's and can be done now",
          nxt.get("sign_plan", {}).get("yours") is True and nxt.get("sign_plan", {}).get("available") is True, page.get("next"))
    check("the forms the parent may fill: the communication book, not the worker's notes",
          [f.get("name") for f in page.get("forms", [])] == ["communication_book"], page.get("forms"))
    check("the next review is among the dates", any("review" in d.get("what", "").lower()
                                                     for d in page.get("dates", [])), page.get("dates"))
    for method, path, body in (("GET", "/api/cases/%d" % fb["id"], None),
                               ("GET", "/api/cases/%d" % fa["id"], None),
                               ("GET", "/api/cases", None),
                               ("GET", "/api/cases/%d/history" % fa["id"], None),
                               ("GET", "/api/cases/%d/consents" % fa["id"], None),
                               ("POST", "/api/cases/%d/forms/communication_book" % fa["id"], {"data": {"note": "x"}}),
                               ("POST", "/api/cases/%d/transitions/sign_plan" % fa["id"], {"as": "parent"}),
                               ("GET", "/api/users", None),
                               ("GET", "/api/audit", None),
                               ("GET", "/api/dashboard", None),
                               ("GET", "/api/workflows", None),
                               ("GET", "/api/forms/communication_book", None),
                               ("GET", "/api/teams", None)):
        r = req(method, path, body, who=robin)
        check("a family account: %s %s answers 403 (%s)" % (method, path, FAMILY_ONLY),
              r.status == 403 and r.error() == FAMILY_ONLY, r)
    r = req("GET", "/api/family", who=casey)
    check("a caseworker has no family page (403)",
          r.status == 403 and r.error() == "a caseworker may not see a family page", r)

    # ---- the communication book, as the parent -----------------------------------------
    r = req("POST", "/api/family/forms/communication_book", {"data": {"note": BOOK_NOTE}}, who=robin)
    check("the parent writes in the communication book (200)", r.status == 200 and r.json.get("form") == "communication_book", r)
    r = req("POST", "/api/family/forms/worker_notes", {"data": {"note": "mine"}}, who=robin)
    check("the parent may not fill the worker's notes (403)", r.status == 403, r)
    must(req("POST", "/api/cases/%d/forms/worker_notes" % fa["id"], {"data": {"note": STAFF_NOTE}}, who=casey),
         "the worker's note")
    must(req("POST", "/api/cases/%d/forms/plan_goals" % fa["id"],
             {"data": {"goal": "Ava home on weekends", "meeting_on": "2026-05-20", "agreed_with": kit_m}},
             who=casey), "the plan's goals")
    r = req("GET", "/api/cases/%d/history" % fa["id"], who=casey)
    book = [e for e in (r.json or []) if e.get("kind") == "form.submitted" and e.get("name") == "communication_book"]
    check("the history names the parent's own login for the book entry",
          len(book) == 1 and book[0].get("actor") == robin.login, book)
    r = req("GET", "/api/family", who=robin)
    page = r.json or {}
    shared = {s.get("form"): s for s in page.get("shared", [])}
    check("the family page shares the book and the plan's goals", set(shared) == {"communication_book", "plan_goals"}, list(shared))
    check("the staff-only note is not on the family page", STAFF_NOTE not in r.raw, r.raw[:400])
    check("what the parent has said includes the book entry",
          any(BOOK_NOTE in s.get("text", "") for s in page.get("said", [])), page.get("said"))
    goals = [x for e in shared.get("plan_goals", {}).get("entries", []) for x in e.get("fields", [])
             if x.get("name") == "agreed_with"]
    check("a member field reads as the member's name on the family page",
          [x.get("value") for x in goals] == ["Kit Carerson"], goals)
    check("the family meeting's date is among the dates",
          any(d.get("date", "").startswith("2026-05-20") for d in page.get("dates", [])), page.get("dates"))

    # ---- the parent's own move ---------------------------------------------------------
    r = req("POST", "/api/cases/%d/transitions/sign_plan" % fb["id"], {"as": "parent"}, who=ada)
    check("an admin may not sign a parent's plan for them (403, naming the move)",
          r.status == 403 and "'parent' is a family member's role" in r.error() and "sign_plan" in r.error(), r)
    r = req("POST", "/api/family/transitions/sign_plan", {"reason": "We agree with the goals"}, who=robin)
    check("the parent signs the plan (200): the case is in Stage 2", r.status == 200 and r.json.get("stage") == "working", r)
    r = req("GET", "/api/cases/%d/history" % fa["id"], who=casey)
    signed = [e for e in (r.json or []) if e.get("kind") == "case.transition" and e.get("name") == "sign_plan"]
    check("the history names the parent's login and role for the signing",
          len(signed) == 1 and signed[0].get("actor") == robin.login and signed[0].get("role") == "parent", signed)
    page = req("GET", "/api/family", who=robin).json or {}
    acts = [x for x in page.get("said", []) if x.get("kind") == "act"]
    check("what the parent has said includes the signing, as their own act, with their words",
          len(acts) == 1 and acts[0].get("title") == "Sign the plan"
          and acts[0].get("text") == "We agree with the goals", acts)
    r = req("POST", "/api/family/transitions/prepare_finish", {}, who=robin)
    check("the parent may not make the worker's move (403)", r.status == 403, r)

    # ---- a move that needs a shared decision -------------------------------------------
    r = req("POST", "/api/cases/%d/transitions/prepare_finish" % fa["id"], {"as": "caseworker"}, who=casey)
    codes = [x.get("code") for x in (r.json or {}).get("refusals", [])]
    check("moving to Stage 3 without a shared decision is refused (409, decision_missing, naming it)",
          r.status == 409 and "decision_missing" in codes and "prepare_finish" in r.error(), r)
    r = req("POST", "/api/cases/%d/decisions" % fa["id"], {
        "for": "prepare_finish", "decided": "The plan's goals are met: get ready to finish", "family_agreed": True,
        "participants": [{"member": robin_m, "view": "Ready, and a bit nervous"},
                         {"member": kit_m, "view": "Agree"}, {"login": "casey", "view": "Agree"}]}, who=casey)
    dec = r.json or {}
    check("the worker records the shared decision (200): who took part, their views, the family agreed",
          r.status == 200 and dec.get("for") == "prepare_finish" and dec.get("family_agreed") is True
          and [p.get("name") for p in dec.get("participants", [])] == ["Robin Testwood", "Kit Carerson", "casey"], r)
    r = req("GET", "/api/cases/%d/decisions" % fa["id"], who=casey)
    check("the case's decisions list it", r.status == 200 and [d.get("id") for d in r.json] == [dec.get("id")], r)
    r = req("POST", "/api/cases/%d/transitions/prepare_finish" % fa["id"], {"as": "caseworker"}, who=casey)
    check("with the decision recorded the move is made (200)", r.status == 200 and r.json.get("state") == "preparing", r)
    r = req("GET", "/api/cases/%d/history" % fa["id"], who=casey)
    moved = [e for e in (r.json or []) if e.get("kind") == "case.transition" and e.get("name") == "prepare_finish"]
    check("the move's event names the decision", len(moved) == 1 and (moved[0].get("data") or {}).get("decision") == dec.get("id"), moved)
    r = req("GET", "/api/family", who=robin)
    check("the family page shows the decision the parent took part in, with their view",
          any(d.get("id") == dec.get("id") and any(p.get("view") == "Ready, and a bit nervous" for p in d.get("participants", []))
              for d in (r.json or {}).get("decisions", [])), r)

    # ---- consent, the outbox, and withdrawal -------------------------------------------
    r = req("POST", "/api/cases/%d/consents" % fa["id"], {"member": robin_m, "purpose": "share_with_partners",
                                                         "from": "2026-04-01"}, who=casey)
    consent = r.json or {}
    check("the worker records the parent's consent to share (200, current)",
          r.status == 200 and consent.get("member") == robin_m and consent.get("current") is True
          and consent.get("until") is None, r)
    must(req("POST", "/api/cases/%d/consents" % fb["id"], {"member": lee_m, "purpose": "share_with_partners"}, who=casey),
         "Lee's consent")
    r = req("POST", "/api/cases/%d/consents" % fa["id"], {"member": robin_m, "purpose": "Share With Partners"}, who=casey)
    check("a purpose that is not an identifier is refused (400)", r.status == 400, r)
    must(req("POST", "/api/cases/%d/forms/worker_notes" % fa["id"], {"data": {"note": "shared note"}}, who=casey), "note")
    before = [e for e in outbox_lines() if e.get("case") == fa["id"]]
    check("under the consent, the case's events go out through the outbox",
          any(e.get("kind") == "form.submitted" for e in before), len(before))
    r = req("GET", "/api/family", who=robin)
    mine = [k for k in (r.json or {}).get("consents", []) if k.get("id") == consent.get("id")]
    check("the family page lists the parent's consent, in force", len(mine) == 1 and mine[0].get("current") is True, r)
    r = req("GET", "/api/cases/%d/consents" % fb["id"], who=casey)
    lee_consent = (r.json or [{}])[0]
    r = req("POST", "/api/family/consents/%d/withdrawal" % lee_consent.get("id", 0), {}, who=robin)
    check("a parent may not withdraw another family's consent (400: no such consent on their case)",
          r.status == 400 and "no consent %d" % lee_consent.get("id", 0) in r.error(), r)
    r = req("POST", "/api/cases/%d/consents/%d/withdrawal" % (fa["id"], consent.get("id", 0)), {}, who=casey)
    check("staff withdrawing on someone's behalf must give a reason (400)", r.status == 400, r)
    r = req("POST", "/api/family/consents/%d/withdrawal" % consent.get("id", 0),
            {"reason": "I want to talk to my worker first"}, who=robin)
    check("the parent withdraws their consent (200, withdrawn by them, not on their behalf)",
          r.status == 200 and r.json.get("current") is False and r.json.get("withdrawn_by") == robin.login
          and r.json.get("on_behalf") is False, r)
    r = req("GET", "/api/cases/%d" % fa["id"], who=casey)
    flags = (r.json or {}).get("flags", [])
    check("the case is flagged for its worker: consent withdrawn, naming the parent",
          len(flags) == 1 and flags[0].get("kind") == "consent_withdrawn" and "Robin Testwood" in flags[0].get("text", ""), flags)
    r = req("POST", "/api/cases/%d/forms/worker_notes" % fa["id"], {"data": {"note": "after the withdrawal"}}, who=casey)
    after = must(r, "the note after the withdrawal")
    must(req("POST", "/api/cases/%d/forms/worker_notes" % fb["id"], {"data": {"note": "other family"}}, who=casey),
         "a note on the other case")
    lines = outbox_lines()
    check("the outbox has gone past the withdrawal (the other family's consented event is there)",
          any(e.get("case") == fb["id"] and e.get("kind") == "form.submitted" for e in lines), len(lines))
    check("the case's next event is not in the outbox",
          not any(e.get("case") == fa["id"] and (e.get("data") or {}).get("note") == "after the withdrawal" for e in lines)
          and not any(e.get("case") == fa["id"] and e.get("seq", 0) > max([x.get("seq", 0) for x in before] or [0])
                      and e.get("kind") == "form.submitted" for e in lines), after)
    r = req("GET", "/api/cases/%d" % fa["id"], who=casey)
    sharing = (r.json or {}).get("sharing", [])
    check("the worker sees what was withheld: the outbox, for share_with_partners, and why",
          any(w.get("destination") == "outbox" and w.get("purpose") == "share_with_partners" and w.get("events", 0) >= 1
              and w.get("reason") for w in sharing), sharing)
    r = req("POST", "/api/cases/%d/flags/%d/clear" % (fa["id"], flags[0]["id"] if flags else 0), None, who=casey)
    check("the worker clears the flag (200): no open flag is left", r.status == 200 and r.json == [], r)
    r = req("GET", "/api/cases/%d" % fa["id"], who=casey)
    check("no open flag is left", (r.json or {}).get("flags") == [], r)
    r = req("POST", "/api/family/consents", {"member": kit_m, "purpose": "share_with_school"}, who=robin)
    check("a parent may not give consent for the carer (403)", r.status == 403, r)
    r = req("POST", "/api/family/consents", {"purpose": "share_with_school", "until": "2026-12-31"}, who=robin)
    check("a parent gives their own consent (200, theirs)", r.status == 200 and r.json.get("member") == robin_m
          and r.json.get("until") == "2026-12-31" and r.json.get("on_behalf") is False, r)

    # ---- the other parent of a safe-place case -----------------------------------------
    sp = open_case("SP-F", "safe_place", [("parent", "Mara Safeharbour", {"address": SAFE_ADDRESS, "phone": SAFE_PHONE}),
                                         ("parent", "Drew Farside", {}),
                                         ("child", "Tilly Safeharbour", {"dob": "2019-08-09"})], casey)
    drew_inv = must(invite(sp["id"], member_id(sp, "Drew Farside"), casey), "invite Drew")
    drew = first_sign_in(drew_inv, "Drew picks a long password 77")
    r = req("GET", "/api/family", who=drew)
    check("the other parent's family page (200)", r.status == 200 and r.json.get("you", {}).get("name") == "Drew Farside", r)
    check("the other parent never receives the first parent's safe address or phone",
          SAFE_ADDRESS not in r.raw and SAFE_PHONE not in r.raw, r.raw[:300])
    for path in ("/api/cases/%d" % sp["id"], "/api/cases/%d/history" % sp["id"]):
        r = req("GET", path, who=drew)
        check("the other parent: GET %s answers 403" % path, r.status == 403 and SAFE_ADDRESS not in r.raw, r)
    lee = first_sign_in(lee_inv, "Lee's very own passphrase 9")
    r = req("GET", "/api/family", who=lee)
    check("another family's account sees only its own case",
          r.status == 200 and r.json.get("case", {}).get("id") == fb["id"] and BOOK_NOTE not in r.raw, r)

    r = req("DELETE", "/api/session", who=robin)
    check("a family account signs out (200)", r.status == 200, r)
    check_no_crashes()


if __name__ == "__main__":
    run(main)
