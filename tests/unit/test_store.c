/* Unit tests for store.c: migrations, cases and revisions, the hash chain, timers, the
 * statement cache (bounded, nothing left open at close), case ids that are not ids,
 * times that come from the engine's clock, and who is responsible for a case: teams,
 * allocation, grants and the filters built on them. Tampering goes through sqlite3 directly, as an
 * attacker with the file would. */
#define _GNU_SOURCE
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"
#include "t.h"
#include "t_events.h"

static char path[64];

static void tamper(const char *sql) {
  sqlite3 *db;
  sqlite3_open(path, &db);
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) printf("tamper failed: %s\n", msg);
  sqlite3_free(msg);
  sqlite3_close(db);
}

static int append(kf_store *st, int64_t case_id, const char *kind) {
  kf_err err = {0};
  json_t *ev = json_pack("{s:I,s:s,s:s,s:s,s:{s:s}}", "case", (json_int_t)case_id, "kind", kind,
                         "actor", "tester", "at", "2026-01-05T09:00:00Z", "data", "k", "v");
  int rc = kf_store_event_append(st, ev, &err);
  json_decref(ev);
  return rc;
}

/* ---- the statement cache ---- */

static const char *STATES[] = {"a", "b"};

/* Does case c pass filter f? Worked out here, beside the store's SQL. */
static int matches(json_t *c, json_t *f) {
  const char *w = json_string_value(json_object_get(f, "workflow"));
  const char *sname = json_string_value(json_object_get(f, "state"));
  json_t *od = json_object_get(f, "overdue"), *open = json_object_get(f, "open");
  const char *q = json_string_value(json_object_get(f, "q"));
  int overdue = json_is_string(json_object_get(c, "overdue_since"));
  int final = json_is_true(json_object_get(c, "final"));
  if (w && strcmp(w, json_string_value(json_object_get(c, "workflow")))) return 0;
  if (sname && strcmp(sname, json_string_value(json_object_get(c, "state")))) return 0;
  if (od && json_is_true(od) != overdue) return 0;
  if (open && json_is_true(open) == final) return 0;
  if (q) {
    const char *ref = json_string_value(json_object_get(c, "ref"));
    char *data = json_dumps(json_object_get(c, "data"), JSON_COMPACT);
    int hit = (ref && strstr(ref, q)) || (data && strstr(data, q));
    free(data);
    if (!hit) return 0;
  }
  return 1;
}

/* Every filter of workflow x state x overdue x open x q: 2*3*3*3*2 = 108 of them, 48
 * statements for lists and 48 for counts: more SQL than the cache's 64 slots. */
static int run_filters(kf_store *st, json_t *all, const char *round) {
  static const char *workflows[] = {NULL, "w"}, *states[] = {NULL, "a", "b"}, *qs[] = {NULL, "Ava"};
  int n = 0, bad = 0;
  for (int w = 0; w < 2; w++)
    for (int sidx = 0; sidx < 3; sidx++)
      for (int od = 0; od < 3; od++)
        for (int op = 0; op < 3; op++)
          for (int q = 0; q < 2; q++) {
            json_t *f = json_object();
            if (workflows[w]) json_object_set_new(f, "workflow", json_string(workflows[w]));
            if (states[sidx]) json_object_set_new(f, "state", json_string(states[sidx]));
            if (od) json_object_set_new(f, "overdue", json_boolean(od == 1));
            if (op) json_object_set_new(f, "open", json_boolean(op == 1));
            if (qs[q]) json_object_set_new(f, "q", json_string(qs[q]));
            size_t want = 0, i;
            json_t *c;
            json_array_foreach(all, i, c) want += matches(c, f);
            kf_err err = {0};
            json_t *list = kf_store_case_list(st, f, &err);
            int64_t count = kf_store_case_count(st, f, 0, &err);
            if (!list || json_array_size(list) != want || count != (int64_t)want) {
              char *ft = json_dumps(f, JSON_COMPACT);
              printf("  %s: filter %s: listed %zu, counted %lld, expected %zu (%s)\n", round, ft,
                     json_array_size(list), (long long)count, want, err.msg);
              free(ft);
              bad++;
            }
            json_decref(list);
            json_decref(f);
            n++;
          }
  CHECK(n == 108 && bad == 0, "%s: %d filters, %d answered wrongly", round, n, bad);
  return bad;
}

/* While kf_store_state_entries steps through the log, its callback reads the store with
 * every filter: the running statement must survive the evictions that causes. */
struct walk {
  kf_store *st;
  json_t *all;
  int rows, bad;
};

static int walk_row(json_t *row, void *ud) {
  struct walk *w = ud;
  w->rows++;
  if (!json_is_string(json_object_get(row, "state"))) w->bad++;
  if (w->rows == 1 || w->rows == 3) w->bad += run_filters(w->st, w->all, "inside a walk");
  return 0;
}

static void statement_cache(void) {
  char p2[64];
  t_tmp_path(p2, sizeof p2, "store-cache", "db");
  kf_err err = {0};
  kf_store *st = kf_store_open(p2, 0, &err);
  CHECK(st != NULL, "open: %s", err.msg);
  if (!st) return;
  kf_store_begin(st, &err);
  json_t *def = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "workflow", "name",
                          "w", "title", "W", "path", "w.lua", "source", "return 1", "definition",
                          "hash", "h", "deployed_at", "2026-01-05T09:00:00Z", "deployed_by", "t");
  CHECK(kf_store_def_put(st, def, &err) == 0, "def put: %s", err.msg);
  json_t *def2 = json_deep_copy(def);
  json_object_set_new(def2, "name", json_string("v"));
  CHECK(kf_store_def_put(st, def2, &err) == 0, "def put: %s", err.msg);
  /* twelve cases over two workflows, two states, open and closed, overdue or not, some
   * with the text "Ava" in their data */
  for (int i = 0; i < 12; i++) {
    json_t *d = i % 4 == 3 ? def2 : def;
    char ref[16];
    snprintf(ref, sizeof ref, "C-%d", i);
    json_t *c = json_pack("{s:O,s:O,s:s,s:b,s:{s:s},s:s}", "workflow_id", json_object_get(d, "id"),
                          "workflow", json_object_get(d, "name"), "state", STATES[i % 2], "final",
                          i % 3 == 0, "data", "child", i % 5 ? "Bo" : "Ava", "ref", ref);
    CHECK(kf_store_case_insert(st, c, "2026-01-05T09:00:00Z", &err) == 0, "insert: %s", err.msg);
    int64_t id = json_integer_value(json_object_get(c, "id"));
    if (i % 4 < 2)
      CHECK(kf_store_case_set_overdue(st, id, "2026-01-10T09:00:00Z", "2026-01-10T09:00:00Z",
                                      &err) == 0, "overdue: %s", err.msg);
    json_t *ev = json_pack("{s:I,s:s,s:s,s:s,s:s}", "case", (json_int_t)id, "kind",
                           "case.opened", "actor", "t", "at", "2026-01-05T09:00:00Z", "to",
                           STATES[i % 2]);
    CHECK(kf_store_event_append(st, ev, &err) == 0, "event: %s", err.msg);
    json_decref(ev);
    json_decref(c);
  }
  CHECK(kf_store_commit(st, &err) == 0, "commit: %s", err.msg);
  json_decref(def);
  json_decref(def2);

  json_t *none = json_object();
  json_t *all = kf_store_case_list(st, none, &err);
  CHECK(json_array_size(all) == 12, "twelve cases");
  run_filters(st, all, "first round");
  run_filters(st, all, "second round (evicted statements prepared again)");
  struct walk w = {st, all, 0, 0};
  CHECK(kf_store_state_entries(st, none, walk_row, &w, &err) == 0 && w.rows == 12 &&
            w.bad == 0, "a walk of the log survives the cache's evictions: %d rows, %d bad (%s)",
        w.rows, w.bad, err.msg);
  json_decref(all);
  json_decref(none);
  CHECK(kf_store_close(st) == 0, "the store closes cleanly: sqlite3_close gave SQLITE_OK");
  t_remove_db(p2);
}

/* ---- teams, allocation, grants, and the filters on them ---- */

/* The ids of a list's cases, as "1 2 3", and whether the count of the same filter agrees. */
static const char *ids_of(kf_store *st, json_t *f, char *buf, size_t n) {
  kf_err err = {0};
  json_t *list = kf_store_case_list(st, f, &err);
  int64_t count = kf_store_case_count(st, f, 0, &err);
  buf[0] = 0;
  if (!list) {
    snprintf(buf, n, "error: %.200s", err.msg);
    return buf;
  }
  size_t i, used = 0;
  json_t *c;
  json_array_foreach(list, i, c)
    used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? " " : "",
                             (long long)json_integer_value(json_object_get(c, "id")));
  if (count != (int64_t)json_array_size(list))
    snprintf(buf + used, n - used, " (but count says %lld)", (long long)count);
  json_decref(list);
  json_decref(f);
  return buf;
}

static json_t *user_new(const char *login) {
  return json_pack("{s:s,s:s,s:s,s:s}", "login", login, "role", "caseworker", "password_hash",
                   "x", "created_at", "2026-01-05T09:00:00Z");
}

static const char *names_of(json_t *a, char *buf, size_t n) {
  char *s = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
  snprintf(buf, n, "%s", s ? s : "null");
  free(s);
  return buf;
}

static void responsibility(void) {
  char p3[64], got[256];
  t_tmp_path(p3, sizeof p3, "store-access", "db");
  kf_err err = {0};
  kf_store *st = kf_store_open(p3, 0, &err);
  CHECK(st != NULL, "open: %s", err.msg);
  if (!st) return;
  const char *T0 = "2026-01-05T09:00:00Z";
  kf_store_begin(st, &err);
  json_t *w = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "workflow", "name",
                        "w", "title", "W", "path", "w.lua", "source", "return 1", "definition",
                        "hash", "h", "deployed_at", T0, "deployed_by", "t");
  json_t *v = json_deep_copy(w);
  json_object_set_new(v, "name", json_string("v"));
  kf_store_def_put(st, w, &err);
  kf_store_def_put(st, v, &err);
  static const char *logins[] = {"alice", "bob", "carol", "dave"};
  for (int i = 0; i < 4; i++) {
    json_t *u = user_new(logins[i]);
    CHECK(kf_store_user_add(st, u, &err) == 0, "user %s: %s", logins[i], err.msg);
    json_decref(u);
  }
  CHECK(kf_store_team_add(st, "south", T0, &err) == 0, "team south: %s", err.msg);
  CHECK(kf_store_team_add(st, "north", T0, &err) == 0, "team north: %s", err.msg);
  err = (kf_err){0};
  CHECK(kf_store_team_add(st, "north", T0, &err) == KF_ECONFLICT &&
            !strcmp(err.msg, "a team 'north' already exists"), "a team twice: %s", err.msg);
  /* cases 1..6: w or v; 1 alice/north, 2 bob/south, 4 carol without a team; 3, 5, 6 nobody */
  for (int i = 1; i <= 6; i++) {
    char ref[16];
    snprintf(ref, sizeof ref, "C-%d", i);
    json_t *d = i <= 2 ? w : v;
    json_t *c = json_pack("{s:O,s:O,s:s,s:b,s:{s:s},s:s}", "workflow_id", json_object_get(d, "id"),
                          "workflow", json_object_get(d, "name"), "state", "a", "final", 0,
                          "data", "note", i == 4 ? "mentions Smithfield" : "", "ref", ref);
    CHECK(kf_store_case_insert(st, c, T0, &err) == 0, "case %d: %s", i, err.msg);
    json_decref(c);
  }
  CHECK(kf_store_case_allocate(st, 1, "alice", "north", T0, &err) == 0, "allocate 1: %s", err.msg);
  CHECK(kf_store_case_allocate(st, 2, "bob", "south", T0, &err) == 0, "allocate 2: %s", err.msg);
  CHECK(kf_store_case_allocate(st, 4, "carol", NULL, T0, &err) == 0, "allocate 4: %s", err.msg);
  CHECK(kf_store_case_allocate(st, 99, "carol", NULL, T0, &err) == KF_ENOTFOUND &&
            CONTAINS(err.msg, "99"), "no case 99 to allocate: %s", err.msg);
  CHECK(kf_store_case_allocate(st, 3, NULL, "north", T0, &err) == KF_EINVAL,
        "a team without a worker is refused");
  json_t *dob = json_pack("{s:s}", "dob", "2019-03-02");
  CHECK(kf_store_member_add(st, 1, "child", "Ava Smith", dob, T0, &err) == 0, "member: %s", err.msg);
  json_decref(dob);
  dob = json_pack("{s:s}", "dob", "2020-01-01");
  CHECK(kf_store_member_add(st, 3, "child", "Noah Jones", dob, T0, &err) == 0, "member: %s", err.msg);
  json_decref(dob);
  /* one member by number, only on its own case; an entry keeps the role it was given in */
  json_t *one = kf_store_member_get(st, 1, 1, &err), *none = kf_store_member_get(st, 3, 1, &err);
  CHECK(json_array_size(one) == 1 &&
            !strcmp(json_string_value(json_object_get(json_array_get(one, 0), "name")), "Ava Smith") &&
            json_is_null(json_object_get(json_array_get(one, 0), "ended_at")),
        "member_get: the member, not ended");
  CHECK(none && json_array_size(none) == 0, "member_get: another case's member is not this case's");
  json_decref(one);
  json_decref(none);
  json_t *entry = json_pack("{s:i,s:s,s:{s:b},s:b,s:s,s:s}", "case", 1, "form", "endorsement", "data",
                            "acco_endorsed", 1, "valid", 1, "actor", "t", "role", "acco_worker");
  CHECK(kf_store_entry_add(st, entry, T0, NULL, &err) == 0, "entry: %s", err.msg);
  json_object_del(entry, "role");
  CHECK(kf_store_entry_add(st, entry, T0, NULL, &err) == 0, "entry without a role: %s", err.msg);
  json_decref(entry);
  json_t *es = kf_store_entries(st, 1, "endorsement", 1, &err);
  CHECK(json_array_size(es) == 2 &&
            !strcmp(json_string_value(json_object_get(json_array_get(es, 0), "role")), "acco_worker") &&
            json_is_null(json_object_get(json_array_get(es, 1), "role")),
        "entries carry their role (null when none)");
  json_decref(es);
  int64_t g5 = 0, g6 = 0, g3 = 0;
  CHECK(kf_store_grant_add(st, 5, "alice", "covering a colleague", "2026-01-05T10:00:00Z",
                           "2026-01-05T14:00:00Z", &g5, &err) == 0 && g5 > 0, "grant: %s", err.msg);
  CHECK(kf_store_grant_add(st, 6, "alice", "long ago", "2026-01-01T10:00:00Z",
                           "2026-01-01T14:00:00Z", &g6, &err) == 0 && g6 > g5, "grant: %s", err.msg);
  CHECK(kf_store_grant_add(st, 3, "dave", "duty desk", "2026-01-05T11:00:00Z",
                           "2026-01-05T15:00:00Z", &g3, &err) == 0, "grant: %s", err.msg);
  CHECK(kf_store_commit(st, &err) == 0, "commit: %s", err.msg);
  json_decref(w);
  json_decref(v);

  /* a user's teams: replaced whole, all or nothing */
  json_t *teams = json_pack("[s,s,s]", "south", "north", "south");
  CHECK(kf_store_user_set_teams(st, "bob", teams, &err) == 0, "bob's teams: %s", err.msg);
  json_decref(teams);
  json_t *u = kf_store_user_get(st, "bob", &err);
  CHECK(!strcmp(names_of(json_object_get(u, "teams"), got, sizeof got), "[\"north\",\"south\"]"),
        "bob's teams by name, each once: %s", got);
  json_decref(u);
  teams = json_pack("[s,s]", "north", "east");
  err = (kf_err){0};
  CHECK(kf_store_user_set_teams(st, "bob", teams, &err) == KF_ENOTFOUND &&
            CONTAINS(err.msg, "no team 'east'"), "an unknown team is named: %s", err.msg);
  json_decref(teams);
  u = kf_store_user_get(st, "bob", &err);
  CHECK(!strcmp(names_of(json_object_get(u, "teams"), got, sizeof got), "[\"north\",\"south\"]"),
        "a refused change leaves bob's teams: %s", got);
  json_decref(u);
  teams = json_pack("[s]", "north");
  err = (kf_err){0};
  CHECK(kf_store_user_set_teams(st, "zoe", teams, &err) == KF_ENOTFOUND &&
            !strcmp(err.msg, "no user 'zoe'"), "an unknown user: %s", err.msg);
  CHECK(kf_store_user_set_teams(st, "alice", teams, &err) == 0, "alice's teams: %s", err.msg);
  json_decref(teams);
  teams = json_pack("[i]", 1);
  CHECK(kf_store_user_set_teams(st, "alice", teams, &err) == KF_EINVAL, "teams are names");
  json_decref(teams);
  u = kf_store_user_get(st, "carol", &err);
  CHECK(!strcmp(names_of(json_object_get(u, "teams"), got, sizeof got), "[]"),
        "carol has no team: %s", got);
  json_decref(u);
  json_t *users = kf_store_user_list(st, &err);
  CHECK(json_array_size(users) == 4 &&
            !strcmp(names_of(json_object_get(json_array_get(users, 1), "teams"), got, sizeof got),
                    "[\"north\",\"south\"]"), "user list rows carry teams: %s", got);
  json_decref(users);
  json_t *tl = kf_store_team_list(st, &err);
  CHECK(!strcmp(names_of(tl, got, sizeof got),
                "[{\"name\":\"north\",\"created_at\":\"2026-01-05T09:00:00Z\",\"members\":[\"alice\",\"bob\"]},"
                "{\"name\":\"south\",\"created_at\":\"2026-01-05T09:00:00Z\",\"members\":[\"bob\"]}]"),
        "teams by name with their members: %s", got);
  json_decref(tl);

  /* case rows carry allocated_to and team */
  json_t *c = kf_store_case_get(st, "1", &err);
  CHECK(c && !strcmp(json_string_value(json_object_get(c, "allocated_to")), "alice") &&
            !strcmp(json_string_value(json_object_get(c, "team")), "north") &&
            json_integer_value(json_object_get(c, "revision")) == 2,
        "case 1: alice, north, revision 2 after its allocation");
  json_decref(c);
  c = kf_store_case_get(st, "3", &err);
  CHECK(c && json_is_null(json_object_get(c, "allocated_to")) &&
            json_is_null(json_object_get(c, "team")), "case 3: unallocated, both null");
  json_decref(c);

  /* filters */
  const char *NOW = "2026-01-05T12:00:00Z";
  CHECK(!strcmp(ids_of(st, json_pack("{s:s}", "allocated_to", "alice"), got, sizeof got), "1"),
        "allocated_to alice: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:s}", "team", "south"), got, sizeof got), "2"),
        "team south: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:b}", "unallocated", 1), got, sizeof got), "3 5 6"),
        "unallocated: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:b,s:s}", "unallocated", 1, "workflow", "v"), got,
                       sizeof got), "3 5 6"), "unallocated in v: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:b,s:s}", "unallocated", 0, "team", "north"), got,
                       sizeof got), "1"), "unallocated false filters nothing: %s", got);
  /* visible_to, branch by branch */
  CHECK(!strcmp(ids_of(st, json_pack("{s:{s:s,s:[],s:[],s:s}}", "visible_to", "login", "alice",
                                     "teams", "workflows", "now", NOW), got, sizeof got), "1 5"),
        "alice without teams or programmes: allocated 1, granted 5, not 6 (expired): %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:{s:s,s:[s],s:[],s:s}}", "visible_to", "login", "carol",
                                     "teams", "south", "workflows", "now", NOW), got, sizeof got),
                "2 4"), "carol in south: 2 by team, 4 allocated: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:{s:s,s:[],s:[s],s:s}}", "visible_to", "login", "zoe",
                                     "teams", "workflows", "v", "now", NOW), got, sizeof got),
                "3 4 5 6"), "a role in v only: the cases of v: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:{s:s,s:s}}", "visible_to", "login", "zoe", "now", NOW),
                       got, sizeof got), "1 2 3 4 5 6"), "workflows absent: every case: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:{s:s,s:[],s:[],s:s}}", "visible_to", "login", "alice",
                                     "teams", "workflows", "now", "2026-01-05T14:00:00Z"), got,
                       sizeof got), "1"), "alice's grant on 5 ends at 14:00: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:{s:s,s:[],s:[],s:s},s:s}", "visible_to", "login", "alice",
                                     "teams", "workflows", "now", NOW, "team", "north"), got,
                       sizeof got), "1"), "visible_to with another filter: %s", got);
  json_t *bad = json_pack("{s:{s:s}}", "visible_to", "login", "alice");
  err = (kf_err){0};
  CHECK(kf_store_case_list(st, bad, &err) == NULL && err.code == KF_EINVAL &&
            CONTAINS(err.msg, "now"), "visible_to without now is refused: %s", err.msg);
  json_decref(bad);
  /* q: members' names (any case), a date of birth (exactly), within scope */
  CHECK(!strcmp(ids_of(st, json_pack("{s:s}", "q", "smith"), got, sizeof got), "1 4"),
        "q smith: Ava Smith of 1, and 4's data: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:s}", "q", "NOAH"), got, sizeof got), "3"),
        "q NOAH: Noah Jones of 3: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:s}", "q", "2019-03-02"), got, sizeof got), "1"),
        "q a date of birth: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:s}", "q", "2019-03"), got, sizeof got), ""),
        "q part of a date of birth: nothing: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:s,s:{s:s,s:[],s:[s],s:s}}", "q", "Noah", "visible_to",
                                     "login", "carol", "teams", "workflows", "v", "now", NOW),
                       got, sizeof got), ""),
        "q Noah for carol, who sees case 3 only as one of v's: nothing: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:s,s:{s:s,s:[],s:[s],s:s}}", "q", "Noah", "visible_to",
                                     "login", "dave", "teams", "workflows", "v", "now", NOW),
                       got, sizeof got), "3"),
        "q Noah for dave, whose grant on 3 puts it in scope: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:s,s:{s:s,s:s}}", "q", "C-3", "visible_to", "login",
                                     "carol", "now", NOW), got, sizeof got), "3"),
        "q by ref finds a case outside scope: %s", got);
  CHECK(!strcmp(ids_of(st, json_pack("{s:s,s:{s:s,s:[s],s:s}}", "q", "smith", "visible_to",
                                     "login", "zoe", "teams", "north", "now", NOW), got,
                       sizeof got), "1"),
        "q smith for zoe of north: 1 (her team's), not 4 (data of a case outside): %s", got);

  /* grants */
  json_t *f = json_pack("{s:s}", "login", "alice");
  json_t *gl = kf_store_grants(st, f, &err);
  json_decref(f);
  CHECK(json_array_size(gl) == 2 &&
            json_integer_value(json_object_get(json_array_get(gl, 0), "grant")) == g5 &&
            !strcmp(json_string_value(json_object_get(json_array_get(gl, 0), "workflow")), "v") &&
            !strcmp(json_string_value(json_object_get(json_array_get(gl, 0), "reason")),
                    "covering a colleague"), "alice's grants, newest first");
  json_decref(gl);
  f = json_pack("{s:s}", "active_at", NOW);
  gl = kf_store_grants(st, f, &err);
  json_decref(f);
  CHECK(json_array_size(gl) == 2 && json_integer_value(json_object_get(json_array_get(gl, 0), "grant")) == g3,
        "active grants: dave's on 3 and alice's on 5");
  json_decref(gl);
  f = json_pack("{s:i}", "case", 6);
  gl = kf_store_grants(st, f, &err);
  json_decref(f);
  CHECK(json_array_size(gl) == 1 && json_integer_value(json_object_get(json_array_get(gl, 0), "grant")) == g6,
        "grants on case 6");
  json_decref(gl);
  kf_store_begin(st, &err);
  CHECK(kf_store_case_allocate(st, 5, "alice", "north", "2026-01-06T09:00:00Z", &err) == 0, "allocate 5");
  kf_store_commit(st, &err);
  f = json_pack("{s:[s]}", "teams", "north");
  gl = kf_store_grants(st, f, &err);
  json_decref(f);
  CHECK(json_array_size(gl) == 1 && !strcmp(json_string_value(json_object_get(json_array_get(gl, 0), "team")), "north"),
        "grants on north's cases: the one on 5");
  json_decref(gl);
  f = json_pack("{s:s}", "since", "2026-01-05T00:00:00Z");
  gl = kf_store_grants(st, f, &err);
  json_decref(f);
  CHECK(json_array_size(gl) == 2, "grants since the 5th: two");
  json_decref(gl);
  CHECK(kf_store_close(st) == 0, "the store closes cleanly");
  t_remove_db(p3);
}


/* ---- practice's records: members who leave, links, settings, lists sorted by a data key ---- */

/* The ids of a sorted list, as "3 1 2". */
static void sorted_ids(kf_store *st, const char *sort, char *out, size_t n) {
  kf_err err = {0};
  json_t *f = json_pack("{s:s}", "sort", sort);
  json_t *rows = kf_store_case_list(st, f, &err);
  json_decref(f);
  out[0] = 0;
  size_t i, used = 0;
  json_t *r;
  json_array_foreach(rows, i, r)
    used += (size_t)snprintf(out + used, n - used, "%s%lld", i ? " " : "",
                             (long long)json_integer_value(json_object_get(r, "id")));
  json_decref(rows);
}

static void records(void) {
  char rpath[64];
  t_tmp_path(rpath, sizeof rpath, "store-records", "db");
  kf_err err = {0};
  kf_store *st = kf_store_open(rpath, 0, &err);
  CHECK(st != NULL, "open: %s", err.msg);
  if (!st) return;
  const char *at = "2026-01-05T09:00:00Z";
  kf_store_begin(st, &err);
  json_t *def = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "workflow", "name",
                          "w", "title", "W", "path", "w.lua", "source", "return 1", "definition",
                          "hash", "h1", "deployed_at", at, "deployed_by", "t");
  kf_store_def_put(st, def, &err);
  /* priorities: 2, "10" (text written as a number), none, 1, "b" (text), 2.5 */
  const char *data[] = {"{\"p\": 2}", "{\"p\": \"10\"}", "{}", "{\"p\": 1}", "{\"p\": \"b\"}",
                        "{\"p\": 2.5}"};
  for (size_t i = 0; i < 6; i++) {
    json_t *c = json_pack("{s:O,s:s,s:s,s:b,s:o}", "workflow_id", json_object_get(def, "id"),
                          "workflow", "w", "state", "a", "final", 0, "data",
                          json_loads(data[i], 0, NULL));
    CHECK(kf_store_case_insert(st, c, at, &err) == 0, "insert: %s", err.msg);
    json_decref(c);
  }
  json_decref(def);
  CHECK(kf_store_member_add(st, 1, "parent", "Ann", NULL, at, &err) == 0, "member: %s", err.msg);
  CHECK(kf_store_member_add(st, 1, "carer", "Bo", NULL, at, &err) == 0, "member: %s", err.msg);
  CHECK(kf_store_member_end(st, 1, 1, "2026-01-05", "moved", &err) == 0, "member ended: %s", err.msg);
  CHECK(kf_store_member_end(st, 1, 1, "2026-01-05", "again", &err) == KF_ECONFLICT,
        "a member ends once: %s", err.msg);
  CHECK(kf_store_member_end(st, 2, 2, "2026-01-05", "x", &err) == KF_ECONFLICT,
        "a member of another case is not ended: %s", err.msg);
  CHECK(kf_store_member_end(st, 1, 2, NULL, "x", &err) == KF_EINVAL, "a date is needed");
  CHECK(kf_store_link_add(st, 1, 2, "sibling", at, "t", &err) == 0, "link: %s", err.msg);
  CHECK(kf_store_link_add(st, 1, 2, "sibling", at, "t", &err) == KF_ECONFLICT &&
            CONTAINS(err.msg, "already linked"), "the same link twice: %s", err.msg);
  CHECK(kf_store_link_add(st, 3, 1, "continues", at, "t", &err) == 0, "link: %s", err.msg);
  CHECK(kf_store_setting_put(st, "age", "25", at, "t", &err) == 0, "setting: %s", err.msg);
  CHECK(kf_store_setting_put(st, "age", "23", at, "u", &err) == 0, "setting replaced: %s", err.msg);
  kf_store_commit(st, &err);

  json_t *m = kf_store_members(st, 1, NULL, &err);
  CHECK(json_array_size(m) == 2 &&
            !strcmp(json_string_value(json_object_get(json_array_get(m, 0), "ended_reason")), "moved") &&
            json_is_null(json_object_get(json_array_get(m, 1), "ended_at")),
        "members list those who left, with the day and reason, and those on the case");
  json_decref(m);
  char *login = kf_store_family_login(st, 1, &err);
  CHECK(!login && err.code == KF_ENOTFOUND, "no family account for the member");
  json_t *l = kf_store_links(st, 1, &err);
  char *text = json_dumps(l, JSON_COMPACT);
  CHECK(json_array_size(l) == 2 && CONTAINS(text, "\"case\":2") && CONTAINS(text, "\"direction\":\"to\"") &&
            CONTAINS(text, "\"case\":3") && CONTAINS(text, "\"direction\":\"from\""),
        "links both ways: %s", text);
  free(text);
  json_decref(l);
  json_t *one = kf_store_setting_get(st, "age", &err);
  CHECK(one && !strcmp(json_string_value(json_object_get(one, "value")), "23") &&
            !strcmp(json_string_value(json_object_get(one, "set_by")), "u"), "the newest value");
  json_decref(one);
  CHECK(kf_store_setting_get(st, "none", &err) == NULL && err.code == KF_ENOTFOUND, "an unset setting");
  json_t *all = kf_store_settings(st, &err);
  CHECK(json_array_size(all) == 1, "one setting listed");
  json_decref(all);

  char ids[64];
  sorted_ids(st, "p", ids, sizeof ids);
  CHECK(!strcmp(ids, "4 1 6 2 5 3"), "numbers by value, text after, missing last: %s", ids);
  sorted_ids(st, "-p", ids, sizeof ids);
  CHECK(!strcmp(ids, "5 2 6 1 4 3"), "descending, missing still last: %s", ids);
  sorted_ids(st, "nothing", ids, sizeof ids);
  CHECK(!strcmp(ids, "1 2 3 4 5 6"), "a key no case has: by id: %s", ids);
  json_t *f = json_pack("{s:s}", "sort", "p'); DROP TABLE cases; --");
  CHECK(kf_store_case_list(st, f, &err) == NULL && err.code == KF_EINVAL && CONTAINS(err.msg, "data key"),
        "a sort key is a data key: %s", err.msg);
  json_decref(f);
  f = json_pack("{s:s,s:b}", "sort", "p", "open", 1);
  CHECK(kf_store_case_count(st, f, 0, &err) == 6, "a count ignores the order");
  json_decref(f);
  CHECK(kf_store_close(st) == 0, "closed cleanly");
  t_remove_db(rpath);
}

/* ---- the log's head, recorded in the row of the case a transaction changed ---- */

static int64_t scalar_of(const char *sql) {
  sqlite3 *db;
  sqlite3_stmt *s = NULL;
  int64_t v = -1;
  sqlite3_open(path, &db);
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

/* The last column of sql's first row as text (in out, n bytes; "" when none): a query
 * plan's detail, or the one column asked for. */
static const char *text_of(const char *sql, char *out, size_t n) {
  sqlite3 *db;
  sqlite3_stmt *s = NULL;
  out[0] = 0;
  sqlite3_open(path, &db);
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    int last = sqlite3_column_count(s) - 1;
    if (sqlite3_column_text(s, last)) snprintf(out, n, "%s", (const char *)sqlite3_column_text(s, last));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

/* Workflow w's definition row, as kf_store_def_put takes it. */
static json_t *workflow_w(void) {
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "workflow", "name", "w",
                   "title", "W", "path", "w.lua", "source", "return 1", "definition", "hash", "h1",
                   "deployed_at", "2026-01-05T09:00:00Z", "deployed_by", "t");
}

/* A new database (path, named after name) with workflow w's definition put in a transaction
 * left open; *def: its row. */
static kf_store *store_with_w(const char *name, json_t **def, kf_err *err) {
  t_tmp_path(path, sizeof path, name, "db");
  kf_store *st = kf_store_open(path, 0, err);
  *def = workflow_w();
  kf_store_begin(st, err);
  kf_store_def_put(st, *def, err);
  return st;
}

/* The cases table as schema 14 had it: ref UNIQUE (every case in the constraint's index). */
#define CASES_AT_14                                                                             \
  "PRAGMA foreign_keys=OFF; BEGIN;"                                                             \
  "CREATE TABLE c14(id INTEGER PRIMARY KEY, ref TEXT UNIQUE,"                                    \
  "  workflow_id INTEGER NOT NULL REFERENCES definitions(id), workflow TEXT NOT NULL,"          \
  "  state TEXT NOT NULL, final INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '{}',"   \
  "  revision INTEGER NOT NULL DEFAULT 1, overdue_since TEXT, created_at TEXT NOT NULL,"        \
  "  updated_at TEXT NOT NULL, entered_at TEXT NOT NULL, allocated_to TEXT, team TEXT,"         \
  "  last_seq INTEGER);"                                                                        \
  "INSERT INTO c14 SELECT * FROM cases; DROP TABLE cases; ALTER TABLE c14 RENAME TO cases;"     \
  "CREATE INDEX cases_by_workflow ON cases(workflow, id);"                                      \
  "CREATE INDEX cases_overdue ON cases(id) WHERE overdue_since IS NOT NULL;"                    \
  "CREATE INDEX cases_by_allocated ON cases(allocated_to) WHERE allocated_to IS NOT NULL;"      \
  "CREATE INDEX cases_by_team ON cases(team) WHERE team IS NOT NULL;"                           \
  "CREATE INDEX cases_open ON cases(id) WHERE final = 0; COMMIT; PRAGMA user_version=14;"

#define CASE_ROWS "SELECT group_concat(id || ':' || ifnull(ref, '-') || ':' || data || ':' || revision, ' ') FROM cases"
#define CASE_INDEXES                                                                            \
  "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE tbl_name = 'cases'" \
  " AND type = 'index' ORDER BY name)"

/* Schema 15: a database at 14 upgrades (its cases table made again, with its rows, the rows
 * that name them and its indexes); a ref stays unique, a case without one is in no index of
 * refs, foreign keys hold again after; a reference already broken refuses the upgrade,
 * naming the row, and leaves the file at 14. */
static void refs_upgrade(void) {
  kf_err err = {0};
  json_t *def;
  kf_store *st = store_with_w("refs", &def, &err);
  for (int i = 0; i < 3; i++) {
    json_t *c = json_pack("{s:O,s:s,s:s,s:b,s:{s:i}}", "workflow_id", json_object_get(def, "id"),
                          "workflow", "w", "state", "a", "final", 0, "data", "n", i);
    if (i == 1) json_object_set_new(c, "ref", json_string("R-1"));
    kf_store_case_insert(st, c, "2026-01-05T09:00:00Z", &err);
    json_decref(c);
    append(st, i + 1, "case.opened");
  }
  kf_store_member_add(st, 2, "parent", "Ana", NULL, "2026-01-05T09:00:00Z", &err);
  CHECK(kf_store_commit(st, &err) == 0, "three cases, one with a ref: %s", err.msg);
  kf_store_close(st);
  char before[512], after[512], idx[512];
  text_of(CASE_ROWS, before, sizeof before);
  tamper(CASES_AT_14);
  CHECK(scalar_of("PRAGMA user_version") == 14 &&
            scalar_of("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_autoindex_cases_1'") == 1,
        "the database is as schema 14 left it (the ref column's own index)");
  st = kf_store_open(path, 0, &err);
  CHECK(st && kf_store_schema_version(st) == 15, "schema 14 upgrades to 15: %s", st ? "" : err.msg);
  if (!st) return;
  CHECK(!strcmp(text_of(CASE_ROWS, after, sizeof after), before), "every case as it was: %s | %s",
        before, after);
  CHECK(!strcmp(text_of(CASE_INDEXES, idx, sizeof idx), "cases_by_allocated cases_by_ref "
                "cases_by_team cases_by_workflow cases_open cases_overdue"),
        "the table's indexes, a unique one of refs given in place of the column's: %s", idx);
  CHECK(scalar_of("SELECT count(*) FROM pragma_index_info('cases_by_ref')") == 1 &&
            scalar_of("SELECT \"unique\" FROM pragma_index_list('cases') WHERE name = 'cases_by_ref'") == 1 &&
            scalar_of("SELECT partial FROM pragma_index_list('cases') WHERE name = 'cases_by_ref'") == 1,
        "cases_by_ref: unique, partial, of the ref");
  CHECK(CONTAINS(text_of("EXPLAIN QUERY PLAN SELECT id FROM cases WHERE ref = 'R-1'", idx, sizeof idx)
                 , "cases_by_ref"), "a lookup by ref reads the index: %s", idx);
  kf_store_begin(st, &err);
  json_t *dup = json_pack("{s:O,s:s,s:s,s:b,s:{},s:s}", "workflow_id", json_object_get(def, "id"),
                          "workflow", "w", "state", "a", "final", 0, "data", "ref", "R-1");
  CHECK(kf_store_case_insert(st, dup, "2026-01-06T09:00:00Z", &err) == KF_EINVAL &&
            CONTAINS(err.msg, "a case with ref 'R-1' already exists"),
        "a ref given twice is refused: %s", err.msg);
  json_object_del(dup, "ref");
  int ok = kf_store_case_insert(st, dup, "2026-01-06T09:00:00Z", &err) == 0;
  ok = ok && kf_store_case_insert(st, dup, "2026-01-06T09:00:00Z", &err) == 0;
  CHECK(ok, "cases without a ref, one after another: %s", err.msg);
  json_decref(dup);
  err = (kf_err){0};
  CHECK(kf_store_member_add(st, 99, "parent", "Bo", NULL, "2026-01-06T09:00:00Z", &err) != 0,
        "foreign keys are on again: a member of no case is refused (%s)", err.msg);
  kf_store_rollback(st);
  CHECK(kf_store_audit_verify(st, NULL, &err) == 0, "the chain holds after the upgrade: %s", err.msg);
  kf_store_close(st);

  /* a member naming a case that is not there (made with foreign keys off) */
  tamper(CASES_AT_14);
  tamper("PRAGMA foreign_keys=OFF; INSERT INTO members(case_id, role, name, added_at)"
         " VALUES (42, 'parent', 'Cy', '2026-01-05')");
  st = kf_store_open(path, 0, &err);
  CHECK(!st && CONTAINS(err.msg, "upgrading it to schema 15 would leave row") &&
            CONTAINS(err.msg, "of table members naming a missing row of cases; nothing was changed"),
        "a broken reference refuses the upgrade, naming it: %s", err.msg);
  CHECK(scalar_of("PRAGMA user_version") == 14 &&
            scalar_of("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_autoindex_cases_1'") == 1 &&
            !strcmp(text_of(CASE_ROWS, after, sizeof after), text_of(CASE_ROWS, idx, sizeof idx)),
        "... and the file is left at schema 14");
  if (st) kf_store_close(st);
  json_decref(def);
  t_remove_db(path);
}

static void case_heads(void) {
  kf_err err = {0};
  json_t *def;
  kf_store *st = store_with_w("heads", &def, &err);
  for (int i = 0; i < 2; i++) {
    json_t *c = json_pack("{s:O,s:s,s:s,s:b,s:{}}", "workflow_id", json_object_get(def, "id"),
                          "workflow", "w", "state", "a", "final", 0, "data");
    kf_store_case_insert(st, c, "2026-01-05T09:00:00Z", &err);
    json_decref(c);
  }
  append(st, 1, "case.opened");
  append(st, 2, "case.opened");
  CHECK(kf_store_commit(st, &err) == 0, "two cases opened: %s", err.msg);
  json_decref(def);
  CHECK(scalar_of("SELECT CAST(value AS INTEGER) FROM meta WHERE key='head'") == 2,
        "a transaction that changed no case row records its head in meta");
  /* a move: the case's event, then its row, which records the head; meta is left alone */
  json_t *data = json_object();
  kf_store_begin(st, &err);
  CHECK(append(st, 1, "case.transition") == 0 &&
            kf_store_case_update(st, 1, 1, "b", 0, 1, data, "2026-01-06T09:00:00Z", &err) == 0 &&
            kf_store_commit(st, &err) == 0, "a move: %s", err.msg);
  CHECK(scalar_of("SELECT last_seq FROM cases WHERE id=1") == 3 &&
            scalar_of("SELECT CAST(value AS INTEGER) FROM meta WHERE key='head'") == 2,
        "the move's event is recorded as the head in its case's row, not in meta");
  CHECK(kf_store_audit_verify(st, NULL, &err) == 0, "the chain holds with the head in a case row: %s",
        err.msg);
  /* an event rolled back to its savepoint is no head anywhere */
  kf_store_begin(st, &err);
  append(st, 2, "note");
  kf_store_savepoint(st, 0, &err);
  append(st, 1, "case.transition");
  kf_store_savepoint(st, 2, &err);
  CHECK(kf_store_commit(st, &err) == 0, "commit after a savepoint rolled back: %s", err.msg);
  CHECK(kf_store_audit_verify(st, NULL, &err) == 0 &&
            scalar_of("SELECT CAST(value AS INTEGER) FROM meta WHERE key='head'") == 4,
        "the head is the event that stayed (4): %s", err.msg);
  /* the case's next move, so that its row holds the newest head again */
  kf_store_begin(st, &err);
  append(st, 1, "case.transition");
  kf_store_case_update(st, 1, 2, "a", 0, 1, data, "2026-01-07T09:00:00Z", &err);
  kf_store_commit(st, &err);
  json_decref(data);
  CHECK(kf_store_close(st) == 0, "closed cleanly");
  tamper("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq=5");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "removed from the end"),
        "the last event cut off is found by its case's row: %s", err.msg);
  CHECK(kf_store_close(st) == 0, "closed cleanly");
  tamper("UPDATE cases SET last_seq=2 WHERE id=1");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "case 1 records event 2"),
        "a case row naming another case's event is found: %s", err.msg);
  CHECK(kf_store_close(st) == 0, "closed cleanly");
  t_remove_db(path);
}

/* ---- the chain's canonical text: written directly, exactly as Jansson writes it ---- */

/* The hash as the chain was first defined: Jansson's compact, ASCII-only dump of the fields. */
static int jansson_hash(const char *prev, int64_t seq, int64_t case_id, const char *const t[9],
                        char out[65]) {
  json_t *f = json_pack("[I,o,s?,s?,s?,s?,s?,s?,s?,s?,s?]", (json_int_t)seq,
                        case_id ? json_integer(case_id) : json_null(), t[0], t[1], t[2], t[3],
                        t[4], t[5], t[6], t[7], t[8]);
  char *canon = f ? json_dumps(f, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
  json_decref(f);
  if (!canon) return -1;
  crypto_hash_sha256_state h;
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_init(&h);
  crypto_hash_sha256_update(&h, (const unsigned char *)prev, strlen(prev));
  crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
  crypto_hash_sha256_update(&h, (const unsigned char *)canon, strlen(canon));
  crypto_hash_sha256_final(&h, d);
  sodium_bin2hex(out, 65, d, sizeof d);
  free(canon);
  return 0;
}

static void canonical_text(void) {
  static const char *const samples[] = {
      "", "plain", "quote \" and backslash \\", "tab\tnew\nline\rcr\bbs\fff", "\x01\x1f\x7f",
      "slash / stays", "caf\xc3\xa9", "\xe2\x82\xac euro", "\xf0\x9f\x98\x80 emoji",
      "{\"data\":{\"child\":\"Ava\",\"n\":[1,2.5,null]}}", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf",
      /* not UTF-8: both refuse */
      "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80"};
  int same = 0, refused_both = 0, total = 0;
  char a[65], b[65];
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
    const char *t[9] = {"2026-01-05T09:00:00Z", samples[i], NULL, "case.note", samples[i], NULL,
                        "a", samples[i], samples[i]};
    int ra = store_event_hash("0", 7, i % 2 ? 3 : 0, t, a), rb = jansson_hash("0", 7, i % 2 ? 3 : 0, t, b);
    total++;
    if (ra == 0 && rb == 0 && !strcmp(a, b)) same++;
    else if (ra != 0 && rb != 0) refused_both++;
    else printf("canonical text differs for sample %zu\n", i);
  }
  /* random texts */
  uint32_t x = 12345;
  for (int round = 0; round < 2000; round++) {
    char text[40];
    int n = (int)(x % 39);
    for (int j = 0; j < n; j++) {
      x = x * 1103515245u + 12345u;
      unsigned r = (x >> 16) & 0xff;
      /* even rounds: printable and control characters; odd rounds: high bytes too */
      text[j] = (char)(r < 8 ? 1 + r : r < 160 || round % 2 == 0 ? 0x20 + r % 95 : r);
    }
    text[n] = 0;
    x = x * 1103515245u + 12345u;
    const char *t[9] = {"2026-01-05T09:00:00Z", text, text, "k", NULL, NULL, NULL, NULL, "{}"};
    int ra = store_event_hash("ab", round, round, t, a), rb = jansson_hash("ab", round, round, t, b);
    total++;
    if (ra == 0 && rb == 0 && !strcmp(a, b)) same++;
    else if (ra != 0 && rb != 0) refused_both++;
    else printf("canonical text differs for random text %d\n", round);
  }
  CHECK(same + refused_both == total && same > 1000 && refused_both > 10,
        "the chain's text is Jansson's, byte for byte (%d same, %d refused by both, of %d)", same,
        refused_both, total);
}

/* A random JSON value for json_text: nested objects and arrays, texts (UTF-8 or not, with
 * escapes and NUL), integers (extremes too), reals, true, false, null. */
static uint32_t rnd_x = 777;
static uint32_t rnd(void) {
  rnd_x = rnd_x * 1103515245u + 12345u;
  return rnd_x >> 8;
}
static void rnd_text(char *text, size_t *n, int utf8_only) {
  static const char *const bits[] = {"a", "Zz", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f",
                                     "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " ", "0",
                                     "\xff", "\xc0\xaf", "\xed\xa0\x80", "\x80"};
  size_t len = 0, parts = rnd() % 6;
  for (size_t i = 0; i < parts; i++) {
    const char *b = bits[rnd() % (utf8_only ? 15 : 19)];
    memcpy(text + len, b, strlen(b));
    len += strlen(b);
  }
  if (!utf8_only && rnd() % 9 == 0) text[len++] = 0; /* an embedded NUL */
  text[len] = 0;
  *n = len;
}
static json_t *rnd_json(int depth, int utf8_only) {
  char text[64];
  size_t n;
  switch (depth > 3 ? 2 + rnd() % 6 : rnd() % 8) {
  case 0: {
    json_t *o = json_object(); /* at the top, now and then more members than fit on the
                                * writer's stack (16) */
    for (unsigned i = 0, k = depth == 0 && rnd() % 5 == 0 ? 17 + rnd() % 20 : rnd() % 6; i < k; i++) {
      rnd_text(text, &n, 1);
      json_object_set_new(o, text, rnd_json(depth + 1, utf8_only));
    }
    return o;
  }
  case 1: {
    json_t *a = json_array();
    for (unsigned i = 0, k = rnd() % 5; i < k; i++) json_array_append_new(a, rnd_json(depth + 1, utf8_only));
    return a;
  }
  case 2: rnd_text(text, &n, utf8_only); return json_stringn_nocheck(text, n);
  case 3: {
    static const json_int_t edge[] = {0, -1, 1, 9, 10, -10, INT64_MAX, INT64_MIN, 1234567890123};
    return json_integer(rnd() % 2 ? edge[rnd() % 9] : (json_int_t)rnd() - 8000000);
  }
  case 4: return json_real((double)(int32_t)rnd() / 1000.0);
  case 5: return json_true();
  case 6: return json_false();
  default: return json_null();
  }
}

/* store_json_dumps writes what json_dumps writes, byte for byte, or refuses what it refuses. */
static void json_text(void) {
  static const size_t flags[] = {JSON_COMPACT, JSON_COMPACT | JSON_SORT_KEYS,
                                 JSON_COMPACT | JSON_ENCODE_ANY,
                                 JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY, JSON_INDENT(2)};
  int same = 0, refused = 0, total = 0;
  for (int round = 0; round < 3000; round++) {
    json_t *v = rnd_json(0, round % 3 != 0);
    for (size_t f = 0; f < sizeof flags / sizeof *flags; f++) {
      char *a = store_json_dumps(v, flags[f]), *b = json_dumps(v, flags[f]);
      total++;
      if (a && b && !strcmp(a, b)) same++;
      else if (!a && !b) refused++;
      else printf("differs (flags %zx): %s | %s\n", flags[f], a ? a : "(null)", b ? b : "(null)");
      free(a);
      free(b);
    }
    json_decref(v);
  }
  CHECK(same + refused == total && same > 6000 && refused > 500,
        "JSON written directly is Jansson's, byte for byte (%d same, %d refused by both, of %d)",
        same, refused, total);
}


/* Two connections appending in turns, and a transaction rolled back: each first event of a
 * transaction follows the log's true end (a connection keeps the end it committed only
 * while nobody else has written), so the chain holds. */
static void two_writers(void) {
  char p[512];
  t_tmp_path(p, sizeof p, "writers", "db");
  kf_err err = {0};
  kf_store *a = kf_store_open(p, 0, &err), *b = kf_store_open(p, 0, &err);
  CHECK(a && b, "two connections: %s", err.msg);
  if (!a || !b) return;
  const char *turns = "aabababbbaab";
  json_t *ev = json_pack("{s:s,s:s,s:s}", "kind", "test.turn", "actor", "tester", "at",
                         "2026-01-05T09:00:00Z");
  int ok = 1;
  for (const char *t = turns; *t; t++) {
    kf_store *st = *t == 'a' ? a : b;
    if (kf_store_begin(st, &err) || kf_store_event_append(st, ev, &err) ||
        kf_store_commit(st, &err))
      ok = 0;
    if (t - turns == 5) { /* one rolled back after appending two */
      if (kf_store_begin(st, &err) || kf_store_event_append(st, ev, &err) ||
          kf_store_event_append(st, ev, &err))
        ok = 0;
      kf_store_rollback(st);
    }
  }
  json_decref(ev);
  CHECK(ok, "every turn appended: %s", err.msg);
  json_t *sum = NULL;
  CHECK(kf_store_audit_verify(a, &sum, &err) == 0, "the chain holds across two writers: %s", err.msg);
  CHECK(json_integer_value(json_object_get(sum, "events")) == (json_int_t)strlen(turns),
        "one event a turn, none of the rolled back ones");
  json_decref(sum);
  kf_store_close(a);
  kf_store_close(b);
  t_remove_db(p);
}

/* A case's events through its index (events_by_case), on a store of their own (the log's
 * numbers below are counted on). */
static void events_of_a_case(void) {
  char p[256];
  kf_err err = {0};
  t_tmp_path(p, sizeof p, "store-events", "db");
  kf_store *st = kf_store_open(p, 0, &err);
  CHECK(st != NULL, "open: %s", err.msg);
  if (!st) return;
  CHECK(kf_store_begin(st, &err) == 0, "begin");
  json_t *def = workflow_w();
  CHECK(kf_store_def_put(st, def, &err) == 0, "def put: %s", err.msg);
  for (int i = 0; i < 2; i++) {
    json_t *c = json_pack("{s:O,s:s,s:s,s:b,s:{}}", "workflow_id", json_object_get(def, "id"),
                          "workflow", "w", "state", "a", "final", 0, "data");
    CHECK(kf_store_case_insert(st, c, "2026-01-05T09:00:00Z", &err) == 0, "case: %s", err.msg);
    json_decref(c);
  }
  json_decref(def);
  CHECK(kf_store_commit(st, &err) == 0, "commit: %s", err.msg);
  t_events_by_case(st, 1, 2);
  kf_store_close(st);
  t_remove_db(p);
}

int main(void) {
  t_tmp_path(path, sizeof path, "store", "db");
  kf_err err = {0};
  kf_store *st = kf_store_open(path, 0, &err);
  CHECK(st != NULL, "open: %s", err.msg);
  if (!st) T_DONE();
  CHECK(kf_store_schema_version(st) == 15, "schema migrated");
  events_of_a_case();
  CHECK(kf_store_open("/nonexistent/dir/x.db", 0, &err) == NULL && CONTAINS(err.msg, "/nonexistent"),
        "unopenable path named: %s", err.msg);

  /* a definition, a case, a revision conflict */
  CHECK(kf_store_begin(st, &err) == 0, "begin");
  json_t *def = workflow_w();
  CHECK(kf_store_def_put(st, def, &err) == 0, "def put: %s", err.msg);
  CHECK(json_integer_value(json_object_get(def, "version")) == 1, "first version is 1");
  CHECK(kf_store_def_put(st, def, &err) == 0 && json_integer_value(json_object_get(def, "version")) == 2,
        "second version is 2");
  json_t *c = json_pack("{s:O,s:s,s:s,s:b,s:{s:s},s:s}", "workflow_id", json_object_get(def, "id"),
                        "workflow", "w", "state", "a", "final", 0, "data", "child", "Ava", "ref", "R-1");
  CHECK(kf_store_case_insert(st, c, "2026-01-05T09:00:00Z", &err) == 0, "case insert: %s", err.msg);
  CHECK(kf_store_case_insert(st, c, "2026-01-05T09:00:00Z", &err) == KF_EINVAL &&
            CONTAINS(err.msg, "R-1"), "duplicate ref refused: %s", err.msg);
  CHECK(append(st, 1, "case.opened") == 0, "event 1");
  CHECK(kf_store_commit(st, &err) == 0, "commit");
  json_decref(def);
  json_decref(c);
  json_t *got = kf_store_case_get(st, "R-1", &err);
  CHECK(got && !strcmp(json_string_value(json_object_get(got, "state")), "a"), "get by ref");
  json_decref(got);
  CHECK(kf_store_case_get(st, "99", &err) == NULL && err.code == KF_ENOTFOUND &&
            CONTAINS(err.msg, "99"), "unknown case: %s", err.msg);

  /* ids that are not ids: refused or not found, never a crash nor another case */
  err = (kf_err){0};
  CHECK(kf_store_case_get(st, NULL, &err) == NULL && err.code == KF_EINVAL &&
            CONTAINS(err.msg, "give a case number or its ref"), "a NULL id is refused: %s", err.msg);
  err = (kf_err){0};
  CHECK(kf_store_case_get(st, "", &err) == NULL && err.code == KF_EINVAL &&
            CONTAINS(err.msg, "empty"), "an empty id is refused: %s", err.msg);
  CHECK(kf_store_case_get(st, NULL, NULL) == NULL, "a NULL id without an error record");
  static const char *garbage[] = {"1x", "-1", "+1", " 1", "1 ", "0x1", "1e0",
                                  "99999999999999999999999", "\xff\xfe"};
  for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
    err = (kf_err){0};
    CHECK(kf_store_case_get(st, garbage[i], &err) == NULL && err.code == KF_ENOTFOUND &&
              CONTAINS(err.msg, garbage[i]), "id '%s' is no case: %s", garbage[i], err.msg);
  }
  got = kf_store_case_get(st, "R-1", NULL);
  CHECK(got != NULL, "found without an error record");
  json_decref(got);
  kf_store_begin(st, &err);
  json_t *data = json_pack("{s:s}", "child", "Ava");
  CHECK(kf_store_case_update(st, 1, 1, "b", 0, 1, data, "2026-01-06T09:00:00Z", &err) == 0, "update at rev 1");
  CHECK(kf_store_case_update(st, 1, 1, "c", 0, 1, data, "2026-01-06T09:00:00Z", &err) == KF_ECONFLICT,
        "stale revision is a conflict: %s", err.msg);
  kf_store_rollback(st);
  got = kf_store_case_get(st, "1", &err);
  CHECK(got && !strcmp(json_string_value(json_object_get(got, "state")), "a"), "rollback leaves state");
  json_decref(got);

  /* every time the store writes is the caller's, from the engine's clock: never SQLite's */
  int64_t t2031;
  kf_parse_time("2031-01-01T00:00:00Z", &t2031);
  kf_clock_set(t2031);
  char now[21];
  kf_iso(kf_now(), now);
  kf_store_begin(st, &err);
  CHECK(kf_store_case_set_overdue(st, 1, "2030-12-01T00:00:00Z", now, &err) == 0, "overdue: %s",
        err.msg);
  kf_store_commit(st, &err);
  got = kf_store_case_get(st, "1", &err);
  CHECK(got && !strcmp(json_string_value(json_object_get(got, "updated_at")), "2031-01-01T00:00:00Z") &&
            !strcmp(json_string_value(json_object_get(got, "overdue_since")), "2030-12-01T00:00:00Z"),
        "marked overdue with the clock at 2031-01-01: updated_at %s",
        json_string_value(json_object_get(got, "updated_at")));
  int64_t rev = json_integer_value(json_object_get(got, "revision"));
  json_decref(got);
  kf_clock_set(t2031 + 86400);
  kf_iso(kf_now(), now);
  kf_store_begin(st, &err);
  CHECK(kf_store_case_set_overdue(st, 1, NULL, now, &err) == 0, "no longer overdue: %s", err.msg);
  CHECK(kf_store_case_update(st, 1, rev + 1, "a", 0, 0, data, now, &err) == 0, "update: %s", err.msg);
  kf_store_commit(st, &err);
  got = kf_store_case_get(st, "1", &err);
  CHECK(got && !strcmp(json_string_value(json_object_get(got, "updated_at")), "2031-01-02T00:00:00Z") &&
            json_is_null(json_object_get(got, "overdue_since")),
        "updated with the clock at 2031-01-02: updated_at %s",
        json_string_value(json_object_get(got, "updated_at")));
  json_decref(got);
  CHECK(kf_store_case_set_overdue(st, 1, NULL, NULL, &err) == KF_EINVAL, "no time, no update");
  CHECK(kf_store_case_set_overdue(st, 99, NULL, now, &err) == KF_ENOTFOUND && CONTAINS(err.msg, "99"),
        "no case to mark overdue: %s", err.msg);
  CHECK(kf_store_def_deactivate(st, 99, &err) == KF_ENOTFOUND && CONTAINS(err.msg, "99"),
        "no definition to roll back: %s", err.msg);
  kf_clock_clear();
  json_decref(data);

  /* timers: due, finish once, cancel by state */
  kf_store_begin(st, &err);
  kf_store_timer_add(st, 1, "lapse", "after", "a", "2026-02-01T00:00:00Z", &err);
  kf_store_timer_add(st, 1, "review", "review", "a", "2026-03-01T00:00:00Z", &err);
  kf_store_commit(st, &err);
  json_t *due = kf_store_timers_due(st, "2026-02-15T00:00:00Z", 10, &err);
  CHECK(json_array_size(due) == 1, "one timer due");
  json_decref(due);
  kf_store_begin(st, &err);
  CHECK(kf_store_timer_finish(st, 1, "fired", "2026-02-15T00:00:00Z", &err) == 0, "finish");
  CHECK(kf_store_timer_finish(st, 1, "fired", "2026-02-15T00:00:00Z", &err) == KF_ECONFLICT,
        "a timer finishes once");
  CHECK(kf_store_timers_cancel(st, 1, "a", NULL, "2026-02-15T00:00:00Z", 0, &err) == 0, "cancel");
  kf_store_commit(st, &err);
  due = kf_store_timers_due(st, "2027-01-01T00:00:00Z", 10, &err);
  CHECK(json_array_size(due) == 0, "cancelled timers are not due");
  json_decref(due);

  /* the hash chain */
  kf_store_begin(st, &err);
  for (int i = 0; i < 5; i++) append(st, 1, "note");
  kf_store_commit(st, &err);
  json_t *sum = NULL;
  CHECK(kf_store_audit_verify(st, &sum, &err) == 0, "chain intact: %s", err.msg);
  CHECK(json_integer_value(json_object_get(sum, "events")) == 6, "6 events");
  json_decref(sum);
  CHECK(append(st, 1, "x") != 0, "no event outside a transaction");
  CHECK(kf_store_close(st) == 0, "closed cleanly");

  printf("(an attempt refused by the append-only trigger follows)\n");
  tamper("UPDATE events SET actor='mallory' WHERE seq=3");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == 0, "the append-only trigger refused the edit");
  CHECK(kf_store_close(st) == 0, "closed cleanly");
  tamper("DROP TRIGGER events_no_update; UPDATE events SET actor='mallory' WHERE seq=3");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "event 3") &&
            CONTAINS(err.msg, "altered"), "edited event named: %s", err.msg);
  CHECK(kf_store_close(st) == 0, "closed cleanly");
  tamper("UPDATE events SET actor='tester' WHERE seq=3; DROP TRIGGER events_no_delete;"
         "DELETE FROM events WHERE seq=4");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "event 4") &&
            CONTAINS(err.msg, "missing"), "removed event named: %s", err.msg);
  CHECK(kf_store_close(st) == 0, "closed cleanly");
  tamper("DELETE FROM events WHERE seq>=4");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "removed from the end"),
        "events cut off the end are found by the recorded head: %s", err.msg);
  CHECK(kf_store_close(st) == 0, "closed cleanly");
  tamper("DELETE FROM events WHERE seq>=3; DELETE FROM meta WHERE key='head'");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "head is missing"),
        "a removed head is found: %s", err.msg);
  CHECK(kf_store_close(st) == 0, "closed cleanly");
  t_remove_db(path);

  statement_cache();
  case_heads();
  refs_upgrade();
  canonical_text();
  json_text();
  responsibility();
  records();
  two_writers();
  T_DONE();
}
