/* Unit tests for the runtime's verbs of responsibility: teams (their names, one of each),
 * allocating a case (the worker's team by default, each refusal changing nothing, each
 * allocation an event) and access to one case for a time (break the glass). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "runtime.h"
#include "t.h"

static const char *WORKFLOW =
    "return workflow {\n"
    "  name = 'care', roles = { 'worker' }, initial = 'open',\n"
    "  states = { { 'open' }, { 'done', final = true } },\n"
    "  transitions = { { 'close', from = 'open', to = 'done', by = { 'worker' } } },\n"
    "}\n";

static const char *T0 = "2026-01-05T09:00:00Z";

static const char *s_of(json_t *o, const char *k) {
  const char *v = json_string_value(json_object_get(o, k));
  return v ? v : "(null)";
}

/* The newest event of kind on case id (NULL when none), and how many events there are. */
static json_t *last_event(kf_engine *e, int64_t id, const char *kind, size_t *all) {
  kf_err err = {0};
  json_t *f = json_object();
  json_t *every = kf_store_events(kf_engine_store(e), f, &err);
  json_decref(f);
  if (all) *all = json_array_size(every);
  json_t *found = NULL;
  size_t i;
  json_t *ev;
  json_array_foreach(every, i, ev) {
    if (!strcmp(s_of(ev, "kind"), kind) &&
        (!id || json_integer_value(json_object_get(ev, "case")) == id))
      found = ev;
  }
  json_incref(found);
  json_decref(every);
  return found;
}

static size_t event_count(kf_engine *e) {
  size_t n = 0;
  json_decref(last_event(e, 0, "none", &n));
  return n;
}

static void add_user(kf_engine *e, const char *login) {
  kf_err err = {0};
  json_t *u = json_pack("{s:s,s:s,s:s,s:s}", "login", login, "role", "caseworker",
                        "password_hash", "x", "created_at", T0);
  CHECK(kf_store_user_add(kf_engine_store(e), u, &err) == 0, "user %s: %s", login, err.msg);
  json_decref(u);
}

static void set_teams(kf_engine *e, const char *login, json_t *teams) {
  kf_err err = {0};
  CHECK(kf_store_user_set_teams(kf_engine_store(e), login, teams, &err) == 0, "%s's teams: %s",
        login, err.msg);
  json_decref(teams);
}

/* A refused allocation: exactly code and msg, and nothing written. */
static void refused(kf_engine *e, const char *id, const char *to, const char *team,
                    const char *reason, int code, const char *msg) {
  kf_err err = {0};
  size_t before = event_count(e);
  json_t *c0 = kf_case_get(e, id, &err);
  json_t *r = kf_case_allocate(e, id, to, team, reason, "sam", &err);
  json_t *c1 = kf_case_get(e, id, &err);
  CHECK(r == NULL && err.code == code && !strcmp(err.msg, msg),
        "allocate %s to %s (team %s, reason %s): want %d '%s', got %d '%s'", id,
        to ? to : "nobody", team ? team : "-", reason ? reason : "none", code, msg, err.code,
        err.msg);
  CHECK(event_count(e) == before, "a refused allocation records no event");
  CHECK(!c0 || json_equal(c0, c1), "a refused allocation leaves case %s as it was", id);
  json_decref(r);
  json_decref(c0);
  json_decref(c1);
}

static void teams(kf_engine *e) {
  kf_err err = {0};
  CHECK(kf_team_add(e, "north", "sam", &err) == 0, "team north: %s", err.msg);
  CHECK(kf_team_add(e, "south-2_b", "sam", &err) == 0, "team south-2_b: %s", err.msg);
  json_t *ev = last_event(e, 0, "team.added", NULL);
  CHECK(ev && !strcmp(s_of(ev, "actor"), "sam") && !strcmp(s_of(ev, "name"), "south-2_b") &&
            !strcmp(s_of(json_object_get(ev, "data"), "team"), "south-2_b"),
        "team.added names the team and who added it");
  json_decref(ev);
  size_t n = event_count(e);
  err = (kf_err){0};
  CHECK(kf_team_add(e, "north", "sam", &err) == KF_ECONFLICT &&
            !strcmp(err.msg, "a team 'north' already exists"), "a team twice: %s", err.msg);
  static const char *bad[] = {"", "North", "a b", "né", "x/y",
                              "a2345678901234567890123456789012345678901234567890123456789012345"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err = (kf_err){0};
    CHECK(kf_team_add(e, bad[i], "sam", &err) == KF_EINVAL &&
              CONTAINS(err.msg, "use 1 to 64 lower-case letters, digits, _ or -"),
          "team name '%s' refused: %s", bad[i], err.msg);
  }
  err = (kf_err){0};
  CHECK(kf_team_add(e, NULL, "sam", &err) == KF_EINVAL, "no team name: refused");
  CHECK(kf_team_add(e, "a234567890123456789012345678901234567890123456789012345678901234", "sam",
                    &err) == 0, "a name of 64 characters: %s", err.msg);
  CHECK(event_count(e) == n + 1, "refused teams record nothing");
  json_t *list = kf_store_team_list(kf_engine_store(e), &err);
  CHECK(json_array_size(list) == 3, "three teams");
  json_decref(list);
}

static void allocation(kf_engine *e) {
  kf_err err = {0};
  add_user(e, "alice");
  add_user(e, "bob");
  add_user(e, "carol");
  set_teams(e, "alice", json_pack("[s,s]", "south-2_b", "north"));
  set_teams(e, "bob", json_pack("[s]", "south-2_b"));

  json_t *c = kf_case_allocate(e, "1", "alice", NULL, "new referral", "sam", &err);
  CHECK(c && !strcmp(s_of(c, "allocated_to"), "alice") && !strcmp(s_of(c, "team"), "north"),
        "case 1 to alice: her first team, north: %s %s (%s)", s_of(c, "allocated_to"),
        s_of(c, "team"), err.msg);
  CHECK(c && json_integer_value(json_object_get(c, "revision")) == 3,
        "an allocation is a change of the case (revision 3 after opening's 2)");
  json_decref(c);
  json_t *ev = last_event(e, 1, "case.allocated", NULL);
  json_t *d = json_object_get(ev, "data");
  CHECK(ev && !strcmp(s_of(ev, "actor"), "sam") && !strcmp(s_of(ev, "reason"), "new referral") &&
            json_is_null(json_object_get(d, "from")) && !strcmp(s_of(d, "to"), "alice") &&
            !strcmp(s_of(d, "team"), "north") && json_is_null(json_object_get(d, "from_team")) &&
            json_is_null(json_object_get(ev, "from")) && json_is_null(json_object_get(ev, "to")),
        "case.allocated: by sam, why, from nobody to alice of north (in data, not as states)");
  json_decref(ev);

  refused(e, "1", "alice", NULL, "again", KF_EINVAL,
          "case 1 is already allocated to alice (team north)");
  refused(e, "1", "alice", "north", "again", KF_EINVAL,
          "case 1 is already allocated to alice (team north)");
  refused(e, "1", "bob", "north", "covering", KF_EINVAL,
          "case 1: 'bob' is not a member of team 'north'");
  refused(e, "1", "bob", "nowhere", "covering", KF_ENOTFOUND,
          "no team 'nowhere' (see `kinflow team list`)");
  refused(e, "1", "zoe", NULL, "covering", KF_ENOTFOUND, "no user 'zoe'");
  refused(e, "1", "bob", NULL, "", KF_EINVAL, "case 1: say why it is allocated (a reason is required)");
  refused(e, "1", "bob", NULL, NULL, KF_EINVAL, "case 1: say why it is allocated (a reason is required)");
  refused(e, "1", NULL, "north", "tidy", KF_EINVAL,
          "case 1: a team needs a worker: allocate it to someone in team 'north'");
  refused(e, "99", "bob", NULL, "covering", KF_ENOTFOUND, "no case '99' (give a case number or its ref)");
  refused(e, "2", NULL, NULL, "tidy", KF_EINVAL, "case 2 is not allocated to anyone");

  /* the same worker in another of her teams */
  c = kf_case_allocate(e, "1", "alice", "south-2_b", "moved to the south team", "sam", &err);
  CHECK(c && !strcmp(s_of(c, "team"), "south-2_b"), "alice keeps case 1 in south-2_b: %s",
        err.msg);
  json_decref(c);
  ev = last_event(e, 1, "case.allocated", NULL);
  d = json_object_get(ev, "data");
  CHECK(!strcmp(s_of(d, "from"), "alice") && !strcmp(s_of(d, "to"), "alice") &&
            !strcmp(s_of(d, "from_team"), "north") && !strcmp(s_of(d, "team"), "south-2_b"),
        "the event says from north to south-2_b");
  json_decref(ev);
  /* to a worker without a team, then to nobody */
  c = kf_case_allocate(e, "1", "carol", NULL, "specialist", "sam", &err);
  CHECK(c && !strcmp(s_of(c, "allocated_to"), "carol") && json_is_null(json_object_get(c, "team")),
        "carol has no team: the case has none: %s", err.msg);
  json_decref(c);
  c = kf_case_allocate(e, "1", NULL, NULL, "carol left", "sam", &err);
  CHECK(c && json_is_null(json_object_get(c, "allocated_to")) && json_is_null(json_object_get(c, "team")),
        "unallocated: %s", err.msg);
  json_decref(c);
  ev = last_event(e, 1, "case.allocated", NULL);
  d = json_object_get(ev, "data");
  CHECK(!strcmp(s_of(d, "from"), "carol") && json_is_null(json_object_get(d, "to")) &&
            json_is_null(json_object_get(d, "team")) && json_is_null(json_object_get(d, "from_team")),
        "the event says from carol to nobody");
  json_decref(ev);
  /* by ref, and the store's filters see it */
  c = kf_case_allocate(e, "REF-2", "bob", NULL, "duty", "sam", &err);
  CHECK(c && !strcmp(s_of(c, "team"), "south-2_b"), "case REF-2 to bob: %s", err.msg);
  json_decref(c);
  json_t *f = json_pack("{s:s}", "allocated_to", "bob");
  json_t *mine = kf_store_case_list(kf_engine_store(e), f, &err);
  CHECK(json_array_size(mine) == 1 && json_integer_value(json_object_get(json_array_get(mine, 0), "id")) == 2,
        "bob's cases: 2");
  json_decref(mine);
  json_decref(f);
}

static void glass(kf_engine *e) {
  kf_err err = {0};
  json_t *g = kf_case_access_grant(e, "2", "alice", "covering the duty desk", 4 * 3600, &err);
  CHECK(g && json_integer_value(json_object_get(g, "case")) == 2 &&
            !strcmp(s_of(g, "login"), "alice") && !strcmp(s_of(g, "reason"), "covering the duty desk") &&
            !strcmp(s_of(g, "granted_at"), "2026-01-05T09:00:00Z") &&
            !strcmp(s_of(g, "expires_at"), "2026-01-05T13:00:00Z") &&
            json_integer_value(json_object_get(g, "grant")) > 0,
        "alice may open case 2 until 13:00: %s", err.msg);
  json_t *ev = last_event(e, 2, "case.access_granted", NULL);
  CHECK(ev && !strcmp(s_of(ev, "actor"), "alice") && !strcmp(s_of(ev, "reason"), "covering the duty desk") &&
            json_equal(json_object_get(json_object_get(ev, "data"), "grant"), json_object_get(g, "grant")) &&
            !strcmp(s_of(json_object_get(ev, "data"), "expires_at"), "2026-01-05T13:00:00Z"),
        "case.access_granted: alice, why, which grant, until when");
  json_decref(ev);
  json_decref(g);
  /* what the store's visible_to makes of it, before and after it expires */
  json_t *f = json_pack("{s:{s:s,s:[],s:[],s:s}}", "visible_to", "login", "alice", "teams",
                        "workflows", "now", "2026-01-05T12:59:59Z");
  json_t *seen = kf_store_case_list(kf_engine_store(e), f, &err);
  CHECK(json_array_size(seen) == 1, "alice sees case 2 at 12:59:59");
  json_decref(seen);
  json_object_set_new(json_object_get(f, "visible_to"), "now", json_string("2026-01-05T13:00:00Z"));
  seen = kf_store_case_list(kf_engine_store(e), f, &err);
  CHECK(json_array_size(seen) == 0, "and not at 13:00");
  json_decref(seen);
  json_decref(f);

  size_t before = event_count(e);
  struct {
    const char *id, *login, *reason;
    int64_t seconds;
    int code;
    const char *msg;
  } bad[] = {
      {"2", "alice", "", 3600, KF_EINVAL, "case 2: say why you need access to it (a reason is required)"},
      {"2", "alice", NULL, 3600, KF_EINVAL, "case 2: say why you need access to it (a reason is required)"},
      {"2", NULL, "why", 3600, KF_EINVAL, "case 2: whose access? (no login given)"},
      {"2", "alice", "why", 0, KF_EINVAL, "access to a case lasts from a second to 12 hours, not 0 seconds"},
      {"2", "alice", "why", 12 * 3600 + 1, KF_EINVAL, "access to a case lasts from a second to 12 hours, not 43201 seconds"},
      {"2", "zoe", "why", 3600, KF_ENOTFOUND, "no user 'zoe'"},
      {"99", "alice", "why", 3600, KF_ENOTFOUND, "no case '99' (give a case number or its ref)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err = (kf_err){0};
    g = kf_case_access_grant(e, bad[i].id, bad[i].login, bad[i].reason, bad[i].seconds, &err);
    CHECK(!g && err.code == bad[i].code && !strcmp(err.msg, bad[i].msg),
          "grant refused: want %d '%s', got %d '%s'", bad[i].code, bad[i].msg, err.code, err.msg);
    json_decref(g);
  }
  CHECK(event_count(e) == before, "refused grants record nothing");
  g = kf_case_access_grant(e, "1", "bob", "night cover", 12 * 3600, &err);
  CHECK(g && !strcmp(s_of(g, "expires_at"), "2026-01-05T21:00:00Z"), "12 hours at most: %s", err.msg);
  json_decref(g);
  f = json_pack("{s:s}", "active_at", "2026-01-05T10:00:00Z");
  json_t *list = kf_store_grants(kf_engine_store(e), f, &err);
  CHECK(json_array_size(list) == 2 && !strcmp(s_of(json_array_get(list, 0), "login"), "bob"),
        "two grants in force at 10:00, bob's the newest");
  json_decref(list);
  json_decref(f);
}

int main(void) {
  char db[64], wf[64];
  kf_clock_set(1767603600); /* 2026-01-05T09:00:00Z */
  kf_err err = {0};
  kf_engine *e = t_engine_deployed("access-rt", WORKFLOW, db, wf, sizeof db, &err);
  if (!e) T_DONE();
  json_t *c = kf_case_open(e, "care", NULL, NULL, "t", &err);
  CHECK(c && json_is_null(json_object_get(c, "allocated_to")) && json_is_null(json_object_get(c, "team")),
        "a new case: nobody's, no team (%s)", err.msg);
  json_decref(c);
  c = kf_case_open(e, "care", NULL, "REF-2", "t", &err);
  json_decref(c);

  teams(e);
  allocation(e);
  glass(e);

  t_engine_finish(e, db, wf);
  kf_clock_clear();
  T_DONE();
}
