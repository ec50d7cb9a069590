/* Unit tests for consent: the store's consents, flags and withheld rows (a consent current
 * on a date, a withdrawal only once, first_seq kept), the runtime's give/withdraw/list with
 * their events and flag, may_share, exports, and the verbs (staff need the case's full
 * view; case.get carries flags and sharing; full list rows carry flagged). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "runtime.h"
#include "api.h"
#include "consent.h"
#include "sharing.h"
#include "t.h"

static char db[64], wf[64];

static const char *WORKFLOW =
    "return workflow {\n"
    "  name = 'care', roles = { 'worker' }, initial = 'open',\n"
    "  sensitive = { data = { 'safe_address' }, members = { 'address' } },\n"
    "  states = { { 'open' }, { 'shared' }, { 'done', final = true } },\n"
    "  transitions = {\n"
    "    { 'share', from = 'open', to = 'shared', by = { 'worker' },\n"
    "      when = { function(case) return case:consent('share_with_partners') ~= nil,\n"
    "               'no consent to share' end } },\n"
    "    { 'close', from = '*', to = 'done', by = { 'worker' } } },\n"
    "}\n";

static const char *s_of(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}
static long long i_of(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* The kinds of case id's events, space-separated, into buf. */
static const char *kinds(kf_engine *e, int64_t id, char *buf, size_t n) {
  kf_err err = {0};
  json_t *f = json_pack("{s:I}", "case", (json_int_t)id);
  json_t *evs = kf_store_events(kf_engine_store(e), f, &err), *ev;
  json_decref(f);
  size_t i, used = 0;
  buf[0] = 0;
  json_array_foreach(evs, i, ev) used += (size_t)snprintf(buf + used, used < n ? n - used : 0, "%s ",
                                                          s_of(ev, "kind"));
  json_decref(evs);
  return buf;
}

static void store_rows(kf_store *st, int64_t cid, int64_t member) {
  kf_err err = {0};
  int64_t a = 0, b = 0, old = 0;
  json_t *k = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s}", "case", (json_int_t)cid, "member",
                        (json_int_t)member, "purpose", "share_with_school", "from", "2026-01-01",
                        "until", "2026-03-31", "recorded_by", "t", "recorded_at", "2026-01-01T09:00:00Z");
  CHECK(kf_store_consent_add(st, k, &a, &err) == 0 && a > 0, "store: a consent is recorded: %s", err.msg);
  json_object_del(k, "until");
  json_object_set_new(k, "from", json_string("2026-06-01"));
  CHECK(kf_store_consent_add(st, k, &b, &err) == 0 && b > a, "store: a second one, open-ended");
  json_object_set_new(k, "purpose", json_string("plan_with_family"));
  json_object_set_new(k, "from", json_string("2025-01-01"));
  CHECK(kf_store_consent_add(st, k, &old, &err) == 0, "store: another purpose");
  json_decref(k);

  json_t *row = kf_store_consent_get(st, a, &err);
  CHECK(row && !strcmp(s_of(row, "name"), "Robin Testwood") && !strcmp(s_of(row, "role"), "parent") &&
            !strcmp(s_of(row, "from"), "2026-01-01") && !strcmp(s_of(row, "until"), "2026-03-31") &&
            json_is_null(json_object_get(row, "withdrawn_at")) && i_of(row, "case") == cid,
        "store: get names the member and their role, withdrawn_at null");
  json_decref(row);
  row = kf_store_consent_get(st, 9999, &err);
  CHECK(!row && err.code == KF_ENOTFOUND, "store: no consent 9999: %s", err.msg);

  struct { const char *date; int64_t want; } on[] = {
      {"2025-12-31", 0}, {"2026-01-01", a}, {"2026-03-31", a}, {"2026-04-01", 0}, {"2026-06-01", b}, {"2030-01-01", b}};
  for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
    kf_err e2 = {0};
    row = kf_store_consent_current(st, cid, "share_with_school", on[i].date, &e2);
    CHECK(on[i].want ? row && i_of(row, "id") == on[i].want : !row && e2.code == KF_ENOTFOUND,
          "store: current on %s: want %lld, got %lld (%s)", on[i].date, (long long)on[i].want,
          row ? i_of(row, "id") : 0, e2.msg);
    json_decref(row);
  }
  row = kf_store_consent_current(st, cid, "share_with_school", NULL, &err);
  CHECK(row && i_of(row, "id") == b, "store: without a date, the newest consent for the purpose");
  json_decref(row);

  CHECK(kf_store_consent_withdraw(st, b, "2026-07-01T10:00:00Z", "sam", "moved away", 1, &err) == 0,
        "store: a withdrawal: %s", err.msg);
  CHECK(kf_store_consent_withdraw(st, b, "2026-07-02T10:00:00Z", "sam", "again", 0, &err) == KF_ECONFLICT,
        "store: withdrawn twice is a conflict: %s", err.msg);
  CHECK(kf_store_consent_withdraw(st, 9999, "2026-07-02T10:00:00Z", "sam", NULL, 0, &err) == KF_ENOTFOUND,
        "store: withdrawing no consent: %s", err.msg);
  row = kf_store_consent_get(st, b, &err);
  CHECK(row && !strcmp(s_of(row, "withdrawn_at"), "2026-07-01T10:00:00Z") &&
            !strcmp(s_of(row, "withdrawn_reason"), "moved away") && json_is_true(json_object_get(row, "on_behalf")),
        "store: the first withdrawal stands");
  json_decref(row);
  row = kf_store_consent_current(st, cid, "share_with_school", "2026-08-01", &err);
  CHECK(!row, "store: a withdrawn consent is not current");
  json_t *all = kf_store_consents(st, cid, &err);
  CHECK(json_array_size(all) == 3 && i_of(json_array_get(all, 0), "id") == a, "store: list, oldest first");
  json_decref(all);

  int64_t f1 = 0, f2 = 0;
  CHECK(kf_store_flag_add(st, cid, "consent_withdrawn", "first", "2026-07-01T10:00:00Z", &f1, &err) == 0 &&
            kf_store_flag_add(st, cid, "note", "second", "2026-07-01T11:00:00Z", &f2, &err) == 0,
        "store: two flags");
  CHECK(kf_store_flag_clear(st, cid, f1, "2026-07-02T09:00:00Z", "sam", &err) == 0, "store: clear one");
  CHECK(kf_store_flag_clear(st, cid, f1, "2026-07-02T09:00:00Z", "sam", &err) == KF_ENOTFOUND,
        "store: a cleared flag is not open: %s", err.msg);
  CHECK(kf_store_flag_clear(st, cid + 1, f2, "2026-07-02T09:00:00Z", "sam", &err) == KF_ENOTFOUND,
        "store: a flag of another case is not cleared: %s", err.msg);
  json_t *open = kf_store_flags_open(st, cid, &err);
  CHECK(json_array_size(open) == 1 && i_of(json_array_get(open, 0), "id") == f2, "store: one flag still open");
  json_decref(open);
  /* the flags the test raised here are cleared: the runtime's checks below count their own */
  kf_store_flag_clear(st, cid, f2, "2026-07-02T09:00:00Z", "sam", &err);

  CHECK(kf_store_withheld_add(st, cid, "school", "share_with_school", 5, "no consent", "2026-07-01T10:00:00Z", &err) == 0 &&
            kf_store_withheld_add(st, cid, "school", "share_with_school", 9, "withdrawn", "2026-07-03T10:00:00Z", &err) == 0,
        "store: withheld twice: %s", err.msg);
  json_t *w = kf_store_withheld(st, cid, "school", &err), *r = json_array_get(w, 0);
  CHECK(json_array_size(w) == 1 && i_of(r, "events") == 2 && i_of(r, "first_seq") == 5 &&
            i_of(r, "last_seq") == 9 && !strcmp(s_of(r, "reason"), "withdrawn") &&
            !strcmp(s_of(r, "updated_at"), "2026-07-03T10:00:00Z"),
        "store: one row a case and destination: events 2, first_seq kept, the last reason");
  json_decref(w);
  w = kf_store_withheld(st, 0, "nowhere", &err);
  CHECK(w && json_array_size(w) == 0, "store: another destination has none");
  json_decref(w);
}

int main(void) {
  setenv("KINFLOW_OUTBOX", "off", 1); /* may_share is asked directly here */
  kf_err err = {0};
  kf_clock_set(1767603600); /* 2026-01-05T09:00:00Z */
  kf_engine *e = t_engine_deployed("consent", WORKFLOW, db, wf, sizeof db, &err);
  if (!e) T_DONE();
  json_t *data = json_pack("{s:s}", "safe_address", "1 Hidden Road");
  json_t *c = kf_case_open(e, "care", data, NULL, "t", &err);
  json_t *c2 = kf_case_open(e, "care", NULL, NULL, "t", &err);
  json_decref(data);
  data = json_pack("{s:s}", "address", "2 Secret Street");
  json_decref(kf_case_member_add(e, "1", "parent", "Robin Testwood", data, "t", &err));
  json_decref(data);
  json_decref(kf_case_member_add(e, "2", "carer", "Sam Other", NULL, "t", &err));
  CHECK(c && c2, "two cases open: %s", err.msg);
  json_decref(c);
  json_decref(c2);
  store_rows(kf_engine_store(e), 1, 1);

  /* runtime: refusals, each naming what */
  static const struct { const char *purpose, *from, *until; int64_t member; const char *why; } BAD[] = {
      {"share_with_partners", NULL, NULL, 2, "member 2 is not on case 1 (see `kinflow case members 1`)"},
      {"Share!", NULL, NULL, 1, "purpose 'Share!' is not an identifier"},
      {"share_with_partners", "2026-02-30", NULL, 1, "from '2026-02-30' is not a date (YYYY-MM-DD)"},
      {"share_with_partners", NULL, "soon", 1, "until 'soon' is not a date (YYYY-MM-DD)"},
      {"share_with_partners", "2026-02-01", "2026-01-31", 1, "until 2026-01-31 is before from 2026-02-01"},
  };
  for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
    json_t *k = kf_consent_give(e, "1", BAD[i].member, BAD[i].purpose, BAD[i].from, BAD[i].until, "t", &err);
    CHECK(!k && err.code == KF_EINVAL && CONTAINS(err.msg, BAD[i].why), "refused: want \"%s\", got \"%s\"",
          BAD[i].why, err.msg);
    json_decref(k);
  }
  char buf[1024];
  CHECK(!strstr(kinds(e, 1, buf, sizeof buf), "consent.given"), "a refusal records nothing");

  json_t *k = kf_consent_give(e, "1", 1, "share_with_partners", NULL, "2027-01-05", "alice", &err);
  CHECK(k && !strcmp(s_of(k, "from"), "2026-01-05") && json_is_true(json_object_get(k, "current")) &&
            json_is_false(json_object_get(k, "on_behalf")) && !strcmp(s_of(k, "recorded_by"), "alice") &&
            !strcmp(s_of(k, "name"), "Robin Testwood"),
        "give: from today, current, recorded by alice: %s", err.msg);
  int64_t kid = k ? i_of(k, "id") : 0;
  json_decref(k);

  /* decide: yes for case 1 now, no for case 2 (saying why, recording nothing), yes for no
   * case; withhold records what decide refused */
  char why[300], oops[300];
  kf_store *st = kf_engine_store(e);
  CHECK(kf_sharing_decide(st, 1, "share_with_partners", "hub", why, sizeof why) == 1, "decide: under consent");
  CHECK(kf_sharing_decide(st, 0, "share_with_partners", "hub", why, sizeof why) == 1, "decide: no case");
  CHECK(kf_sharing_decide(st, 2, "share_with_partners", "hub", why, sizeof why) == 0 &&
            !strcmp(why, "no consent to share_with_partners has been recorded"),
        "decide: withheld, saying why: %s", why);
  json_t *held = kf_case_sharing(e, "2", &err);
  CHECK(held && json_array_size(held) == 0, "decide records nothing: %zu rows", json_array_size(held));
  json_decref(held);
  CHECK(kf_sharing_withhold(st, 2, "hub", "share_with_partners", 42, why, oops, sizeof oops) == 0,
        "withhold: %s", oops);
  held = kf_case_sharing(e, "2", &err);
  json_t *h0 = json_array_get(held, 0);
  CHECK(json_array_size(held) == 1 && !strcmp(s_of(h0, "destination"), "hub") &&
            i_of(h0, "last_seq") == 42 && !strcmp(s_of(h0, "reason"), why),
        "withhold records the event and why: %s", h0 ? s_of(h0, "reason") : "(none)");
  json_decref(held);
  CHECK(kf_sharing_decide(st, 1, "Bad Purpose", "hub", why, sizeof why) == -1, "decide: a bad purpose is an error");

  /* the guard asks case:consent */
  json_t *fired = kf_case_fire(e, "1", "share", "worker", "t", NULL, 0, &err);
  CHECK(fired != NULL, "a guard on case:consent lets a case under consent move: %s", err.msg);
  json_decref(fired);

  /* withdrawal: on behalf needs a reason; then events, a flag, the guard blocks */
  k = kf_consent_withdraw(e, "1", kid, NULL, "sam", 1, &err);
  CHECK(!k && err.code == KF_EINVAL && CONTAINS(err.msg, "on the member's behalf needs a reason"),
        "on behalf without a reason: %s", err.msg);
  k = kf_consent_withdraw(e, "2", kid, "x", "sam", 1, &err);
  CHECK(!k && err.code == KF_EINVAL && CONTAINS(err.msg, "case 2 has no consent"), "another case's consent: %s", err.msg);
  kf_clock_set(1767603600 + 86400 * 116); /* 2026-05-01 */
  k = kf_consent_withdraw(e, "1", kid, "changed her mind", "sam", 1, &err);
  CHECK(k && json_is_true(json_object_get(k, "on_behalf")) && json_is_false(json_object_get(k, "current")) &&
            !strcmp(s_of(k, "withdrawn_by"), "sam"),
        "withdrawn on her behalf: %s", err.msg);
  json_decref(k);
  k = kf_consent_withdraw(e, "1", kid, "again", "sam", 1, &err);
  CHECK(!k && CONTAINS(err.msg, "was already withdrawn on 2026-05-01"), "twice: %s", err.msg);
  CHECK(strstr(kinds(e, 1, buf, sizeof buf), "consent.withdrawn case.flagged"),
        "events consent.withdrawn then case.flagged: %s", buf);
  json_t *flags = kf_case_flags(e, "1", &err);
  CHECK(json_array_size(flags) == 1 &&
            !strcmp(s_of(json_array_get(flags, 0), "text"),
                    "Robin Testwood withdrew consent to share_with_partners on 2026-05-01 (recorded on "
                    "their behalf by sam): changed her mind"),
        "the flag says who, what, when, why: %s", s_of(json_array_get(flags, 0), "text"));
  int64_t fid = i_of(json_array_get(flags, 0), "id");
  json_decref(flags);
  CHECK(kf_sharing_decide(st, 1, "share_with_partners", "hub", why, sizeof why) == 0 &&
            !strcmp(why, "no current consent to share_with_partners (withdrawn 2026-05-01)") &&
            kf_sharing_withhold(st, 1, "hub", "share_with_partners", 44, why, oops, sizeof oops) == 0,
        "decide after withdrawal: %s", why);

  /* exports */
  json_t *x = kf_case_export(e, "1", "share_with_partners", "partner_agency", "sam", &err);
  CHECK(!x && err.code == KF_EREFUSED &&
            !strcmp(err.msg, "case 1: not exported to partner_agency: no current consent to "
                             "share_with_partners (withdrawn 2026-05-01)"),
        "export refused without consent: %s", err.msg);
  json_t *sharing = kf_case_sharing(e, "1", &err), *row;
  size_t i;
  int saw_export = 0, saw_hub = 0;
  json_array_foreach(sharing, i, row) {
    saw_export |= !strcmp(s_of(row, "destination"), "partner_agency") && i_of(row, "events") == 1;
    saw_hub |= !strcmp(s_of(row, "destination"), "hub") && i_of(row, "events") == 1 && i_of(row, "last_seq") == 44;
  }
  CHECK(saw_export && saw_hub, "sharing lists the refused export and the hub's withheld event");
  json_decref(sharing);
  k = kf_consent_give(e, "1", 1, "share_with_partners", NULL, NULL, "sam", &err);
  json_decref(k);
  x = kf_case_export(e, "1", "share_with_partners", NULL, "sam", &err);
  json_t *xm = json_array_get(json_object_get(x, "members"), 0);
  CHECK(x && !strcmp(s_of(json_object_get(json_object_get(x, "case"), "data"), "safe_address"), "(private)") &&
            !strcmp(s_of(json_object_get(xm, "data"), "address"), "(private)") &&
            !strcmp(s_of(x, "destination"), "export") && json_array_size(json_object_get(x, "events")) > 3,
        "export under consent: sensitive values as (private): %s", err.msg);
  char *dump = x ? json_dumps(x, JSON_COMPACT) : NULL;
  CHECK(dump && !strstr(dump, "Hidden Road") && !strstr(dump, "Secret Street"), "no private value anywhere in it");
  free(dump);
  json_decref(x);
  CHECK(strstr(kinds(e, 1, buf, sizeof buf), "case.exported"), "a done export is an event");

  /* verbs */
  kf_session *s = kf_session_open(db, &err);
  CHECK(s != NULL, "session: %s", err.msg);
  int status = 0;
  json_t *r = t_call(s, "user.add", json_pack("{s:s,s:s,s:s,s:[s]}", "login", "cora", "role", "caseworker",
                                              "password", "kitten-lantern-43", "roles", "worker"), &status, &err);
  json_decref(r);
  r = t_call(s, "case.get", json_pack("{s:i}", "id", 1), &status, &err);
  CHECK(r && json_array_size(json_object_get(r, "flags")) == 1 &&
            json_array_size(json_object_get(r, "sharing")) == 3,
        "case.get carries flags and sharing: %s", err.msg);
  json_decref(r);
  r = t_call(s, "case.get", json_pack("{s:s}", "id", "1"), &status, &err);
  CHECK(r && json_array_size(json_object_get(r, "flags")) == 1,
        "case.get named by text (as a ref is) carries its flags too: %d %s", status, err.msg);
  json_decref(r);
  r = t_call(s, "case.list", json_object(), &status, &err);
  CHECK(r && i_of(json_array_get(json_object_get(r, "cases"), 0), "flagged") == 1 &&
            i_of(json_array_get(json_object_get(r, "cases"), 1), "flagged") == 0,
        "case.list full rows carry flagged");
  json_decref(r);
  r = t_call(s, "consent.give", json_pack("{s:i,s:i,s:s,s:s}", "id", 2, "member", 2, "purpose",
                                          "share_with_partners", "user", "cora"), &status, &err);
  CHECK(!r && status == 403, "a worker without the case's full view may not record consent: %d %s", status, err.msg);
  r = t_call(s, "consent.give", json_pack("{s:i,s:i,s:s}", "id", 2, "member", 2, "purpose", "share_with_partners"),
             &status, &err);
  CHECK(r && status == 200 && i_of(r, "member") == 2, "consent.give: %d %s", status, err.msg);
  int64_t k2 = r ? i_of(r, "id") : 0;
  json_decref(r);
  r = t_call(s, "consent.withdraw", json_pack("{s:i,s:I}", "id", 2, "consent", (json_int_t)k2), &status, &err);
  CHECK(!r && status == 400 && CONTAINS(err.msg, "needs a reason"), "staff withdrawal needs a reason: %s", err.msg);
  r = t_call(s, "consent.withdraw", json_pack("{s:i,s:I,s:s}", "id", 2, "consent", (json_int_t)k2, "reason",
                                              "asked by phone"), &status, &err);
  CHECK(r && json_is_true(json_object_get(r, "on_behalf")), "consent.withdraw by staff is on behalf: %s", err.msg);
  json_decref(r);
  r = t_call(s, "consent.list", json_pack("{s:i}", "id", 2), &status, &err);
  CHECK(r && json_array_size(r) == 1 && json_object_get(json_array_get(r, 0), "withdrawn_reason"),
        "consent.list: %s", err.msg);
  json_decref(r);
  r = t_call(s, "case.flag_clear", json_pack("{s:i,s:I}", "id", 1, "flag", (json_int_t)fid), &status, &err);
  CHECK(r && json_array_size(r) == 0, "case.flag_clear: none left open: %s", err.msg);
  json_decref(r);
  r = t_call(s, "case.flag_clear", json_pack("{s:i,s:I}", "id", 1, "flag", (json_int_t)fid), &status, &err);
  CHECK(!r && status == 404, "clearing it again: 404 %s", err.msg);
  r = t_call(s, "case.export", json_pack("{s:i,s:s}", "id", 2, "purpose", "share_with_partners"), &status, &err);
  CHECK(!r && status == 409 && CONTAINS(err.msg, "withdrawn 2026-05-01"), "case.export refused: 409 %s", err.msg);
  r = t_call(s, "sharing.withheld", json_pack("{s:s}", "user", "cora"), &status, &err);
  CHECK(!r && status == 403, "only an admin sees what was withheld from every case: %s", err.msg);
  r = t_call(s, "sharing.withheld", json_pack("{s:s}", "destination", "hub"), &status, &err);
  CHECK(r && json_array_size(r) == 2, "sharing.withheld for the owner, by destination");
  json_decref(r);
  kf_session_close(s);

  /* Why not, from the newest consent when none is current (today is 2026-05-01); a
   * current one found behind a newer one that has not started. */
  json_decref(kf_consent_give(e, "2", 2, "research", "2025-01-01", "2025-12-31", "t", &err));
  CHECK(kf_sharing_decide(st, 2, "research", "hub", why, sizeof why) == 0 &&
            !strcmp(why, "no current consent to research (it ended 2025-12-31)"),
        "decide: an ended consent: %s", why);
  json_decref(kf_consent_give(e, "2", 2, "research", "2026-09-01", NULL, "t", &err));
  CHECK(kf_sharing_decide(st, 2, "research", "hub", why, sizeof why) == 0 &&
            !strcmp(why, "no current consent to research (it starts 2026-09-01)"),
        "decide: the newest consent has not started: %s", why);
  json_decref(kf_consent_give(e, "2", 2, "training", "2026-01-01", NULL, "t", &err));
  json_decref(kf_consent_give(e, "2", 2, "training", "2026-09-01", NULL, "t", &err));
  CHECK(kf_sharing_decide(st, 2, "training", "hub", why, sizeof why) == 1,
        "decide: a current consent behind a newer one not yet started: %s", why);

  kf_clock_clear();
  t_engine_finish(e, db, wf);
  T_DONE();
}
