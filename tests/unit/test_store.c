/* Unit tests for store.c: migrations, cases and revisions, the hash chain, timers.
 * Tampering goes through sqlite3 directly, as an attacker with the file would. */
#define _GNU_SOURCE
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "store.h"
#include "t.h"

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

int main(void) {
  t_tmp_path(path, sizeof path, "store", "db");
  kf_err err = {0};
  kf_store *st = kf_store_open(path, 0, &err);
  CHECK(st != NULL, "open: %s", err.msg);
  if (!st) T_DONE();
  CHECK(kf_store_schema_version(st) == 3, "schema migrated");
  CHECK(kf_store_open("/nonexistent/dir/x.db", 0, &err) == NULL && CONTAINS(err.msg, "/nonexistent"),
        "unopenable path named: %s", err.msg);

  /* a definition, a case, a revision conflict */
  CHECK(kf_store_begin(st, &err) == 0, "begin");
  json_t *def = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "workflow", "name",
                          "w", "title", "W", "path", "w.lua", "source", "return 1", "definition",
                          "hash", "h1", "deployed_at", "2026-01-05T09:00:00Z", "deployed_by", "t");
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
  kf_store_begin(st, &err);
  json_t *data = json_pack("{s:s}", "child", "Ava");
  CHECK(kf_store_case_update(st, 1, 1, "b", 0, 1, data, "2026-01-06T09:00:00Z", &err) == 0, "update at rev 1");
  CHECK(kf_store_case_update(st, 1, 1, "c", 0, 1, data, "2026-01-06T09:00:00Z", &err) == KF_ECONFLICT,
        "stale revision is a conflict: %s", err.msg);
  kf_store_rollback(st);
  got = kf_store_case_get(st, "1", &err);
  CHECK(got && !strcmp(json_string_value(json_object_get(got, "state")), "a"), "rollback leaves state");
  json_decref(got);
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
  kf_store_close(st);

  printf("(an attempt refused by the append-only trigger follows)\n");
  tamper("UPDATE events SET actor='mallory' WHERE seq=3");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == 0, "the append-only trigger refused the edit");
  kf_store_close(st);
  tamper("DROP TRIGGER events_no_update; UPDATE events SET actor='mallory' WHERE seq=3");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "event 3") &&
            CONTAINS(err.msg, "altered"), "edited event named: %s", err.msg);
  kf_store_close(st);
  tamper("UPDATE events SET actor='tester' WHERE seq=3; DROP TRIGGER events_no_delete;"
         "DELETE FROM events WHERE seq=4");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "event 4") &&
            CONTAINS(err.msg, "missing"), "removed event named: %s", err.msg);
  kf_store_close(st);
  tamper("DELETE FROM events WHERE seq>=4");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "removed from the end"),
        "events cut off the end are found by the recorded head: %s", err.msg);
  kf_store_close(st);
  tamper("DELETE FROM events WHERE seq>=3; DELETE FROM meta WHERE key='head'");
  st = kf_store_open(path, 0, &err);
  CHECK(kf_store_audit_verify(st, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "head is missing"),
        "a removed head is found: %s", err.msg);
  kf_store_close(st);
  t_remove_db(path);
  T_DONE();
}
