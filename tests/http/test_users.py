#!/usr/bin/env python3
"""tests/http/test_users.py: accounts managed through the console's API on the real server:
an admin changes a person's role and programme roles, disables an account (its sessions end
at once, it cannot sign in) and enables it again, resets a password (the person's sessions
end; at the next sign-in only changing the password is open until they do), and people
change their own password (the current one required, the new one checked).

Python 3 standard library only (harness.py). Prints "ok NAME" / "FAIL NAME: why" and ends
with "N passed, N failed"."""

import harness as H
from harness import check, kf

STRONG = {"ada": "Kestrel-harbour-91", "cas": "Wombat-lantern-47"}


def sign_in(server, login, password):
    r = H.exchange(server, "POST", "/api/session", {"login": login, "password": password},
                   headers={"Origin": "http://127.0.0.1:%d" % server.port})
    tok = H.session_of(r)
    who = H.Who(tok, (r.json or {}).get("csrf"), login, (r.json or {}).get("role")) if tok else None
    return r, who


def req(server, method, path, body=None, who=None):
    headers = {"Origin": "http://127.0.0.1:%d" % server.port}
    if who:
        headers["Cookie"] = "kf_session=" + who.token
        if method != "GET":
            headers["X-CSRF-Token"] = who.csrf
    return H.exchange(server, method, path, body, headers=headers,
                      what="%s %s as %s" % (method, path, who.login if who else "nobody"))


def main():
    H.init_library()
    for login, role in (("ada", "admin"), ("cas", "caseworker")):
        rc, _, err = kf("user", "add", login, "--role", role, "--password-stdin", stdin=STRONG[login] + "\n")
        if rc:
            raise RuntimeError("user add %s: %s" % (login, err))
    s = H.Server("users", {"KINFLOW_CONSOLE_TIMEOUT": "3"})
    _, ada = sign_in(s, "ada", STRONG["ada"])
    _, cas = sign_in(s, "cas", STRONG["cas"])

    # role and programme roles
    r = req(s, "PATCH", "/api/users/cas", {"role": "supervisor", "roles": ["coparenthood:family_link"]}, ada)
    check("an admin changes a role and programme roles (200)", r.status == 200
          and r.json.get("role") == "supervisor" and r.json.get("roles") == ["coparenthood:family_link"], r)
    check("the answer carries no password hash", "password_hash" not in (r.json or {}), r)
    r = req(s, "PATCH", "/api/users/cas", {"role": "wizard"}, ada)
    check("an unknown role is refused (400)", r.status == 400 and "wizard" in r.error(), r)
    r = req(s, "PATCH", "/api/users/cas", {}, ada)
    check("a change that changes nothing is refused (400)", r.status == 400 and "say what changes" in r.error(), r)
    r = req(s, "PATCH", "/api/users/nobody", {"disabled": True}, ada)
    check("an unknown user is 404", r.status == 404, r)
    r = req(s, "PATCH", "/api/users/ada", {"disabled": True}, ada)
    check("an admin cannot disable their own account (400)", r.status == 400 and "your own account" in r.error(), r)
    r = req(s, "PATCH", "/api/users/ada", {"role": "viewer"}, cas)
    check("only admins change accounts (403 for a supervisor)", r.status == 403, r)

    # disable: sessions end at once, signing in refused; enable again
    r = req(s, "PATCH", "/api/users/cas", {"disabled": True}, ada)
    check("an admin disables an account (200)", r.status == 200 and r.json.get("disabled") == 1, r)
    r = req(s, "GET", "/api/dashboard", None, cas)
    check("a disabled account's session ends at once (401)", r.status == 401, r)
    r, _ = sign_in(s, "cas", STRONG["cas"])
    check("a disabled account cannot sign in (401)", r.status == 401, r)
    r = req(s, "PATCH", "/api/users/cas", {"disabled": False, "role": "caseworker", "roles": []}, ada)
    check("an admin enables it again (200)", r.status == 200 and r.json.get("disabled") == 0, r)
    r, cas = sign_in(s, "cas", STRONG["cas"])
    check("then it signs in (200)", r.status == 200 and cas is not None, r)

    # reset: sessions end; only changing the password is open until it is changed
    r = req(s, "POST", "/api/users/cas/password", {"password": "aaaaaaaaaa"}, ada)
    check("a weak password is refused at a reset too (400)", r.status == 400, r)
    r = req(s, "POST", "/api/users/cas/password", {"password": "Given-by-admin-2026"}, ada)
    check("an admin resets a password (200, must change)", r.status == 200 and r.json.get("must_change") == 1, r)
    r = req(s, "GET", "/api/dashboard", None, cas)
    check("the person's sessions end at a reset (401)", r.status == 401, r)
    r, cas = sign_in(s, "cas", "Given-by-admin-2026")
    check("signing in with the given password says it must be changed",
          r.status == 200 and (r.json or {}).get("must_change") is True, r)
    r = req(s, "GET", "/api/cases", None, cas)
    check("until then other routes answer 403 saying so", r.status == 403 and "change it first" in r.error(), r)
    r = req(s, "GET", "/api/session", None, cas)
    check("the session itself still answers (must_change true)",
          r.status == 200 and (r.json or {}).get("must_change") is True, r)
    r = req(s, "POST", "/api/session/password", {"old": "wrong one entirely", "password": "Mine-alone-2026!"}, cas)
    check("changing needs the current password (401)", r.status == 401, r)
    r = req(s, "POST", "/api/session/password", {"old": "Given-by-admin-2026", "password": "Given-by-admin-2026"}, cas)
    check("the new password must differ (400)", r.status == 400 and "differ" in r.error(), r)
    r = req(s, "POST", "/api/session/password", {"old": "Given-by-admin-2026", "password": "Mine-alone-2026!"}, cas)
    check("the person chooses their own (200)", r.status == 200 and r.json.get("must_change") == 0, r)
    r = req(s, "GET", "/api/cases", None, cas)
    check("then everything opens again (200)", r.status == 200, r)
    r, _ = sign_in(s, "cas", "Mine-alone-2026!")
    check("and the new password signs in", r.status == 200 and not (r.json or {}).get("must_change"), r)

    # every change is on the record, without any password
    rc, out, _ = kf("audit", "verify")
    check("the audit chain holds", rc == 0, out)
    r = req(s, "GET", "/api/audit?limit=1000", None, ada)
    kinds = [e.get("kind") for e in (r.json or [])]
    check("each change is an event (user.updated, user.password_reset, user.password_changed)",
          kinds.count("user.updated") >= 3 and "user.password_reset" in kinds and "user.password_changed" in kinds, kinds)
    check("no password appears in the audit list",
          all(p not in r.raw for p in ("Given-by-admin-2026", "Mine-alone-2026!")), r)
    H.check_no_crashes()


H.run(main)
