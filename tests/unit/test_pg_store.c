/* test_pg_store.c: the PostgreSQL store on a real database (KINFLOW_TEST_PG_URL, an empty
 * database of its own; tests/run.sh's PostgreSQL pass gives one): the SQL translation on
 * statements SQLite takes as written (a parameter only tested IS NULL, LIMIT -1, CROSS JOIN
 * ... ON, json_each compared with numbers), writers taking turns on two connections with
 * one chain, events append-only, a timer claimed by one connection passed over by the
 * other, a delivery lease, a connection the server dropped made again, a refused scratch
 * database, and errors as one line. */
#define _GNU_SOURCE
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"
#include "t.h"
#include "t_events.h"

static const char *URL;

static json_t *def_row(const char *name) {
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "workflow", "name", name,
                   "title", name, "path", "t.lua", "source", "return {}", "definition",
                   "hash", "h", "deployed_at", "2026-01-01T00:00:00Z", "deployed_by", "t");
}

static int64_t open_case(kf_store *st, int64_t wf, const char *ref, kf_err *err) {
  json_t *c = json_pack("{s:s,s:I,s:s,s:s,s:b,s:{s:s}}", "ref", ref, "workflow_id",
                        (json_int_t)wf, "workflow", "w", "state", "start", "final", 0, "data",
                        "area", "west");
  int rc = kf_store_case_insert(st, c, "2026-01-01T00:00:00Z", err);
  int64_t id = rc ? 0 : json_integer_value(json_object_get(c, "id"));
  json_decref(c);
  return id;
}

static int append(kf_store *st, int64_t case_id, const char *kind, kf_err *err) {
  json_t *ev = json_pack("{s:I,s:s,s:s,s:s,s:{}}", "case", (json_int_t)case_id, "at",
                         "2026-01-01T00:00:00Z", "actor", "t", "kind", kind, "data");
  int rc = kf_store_event_append(st, ev, err);
  json_decref(ev);
  return rc;
}

/* Two writers on two connections, each appending events in transactions of its own. */
struct writer {
  int64_t case_id;
  int n, failed;
  char why[512];
};

static void *write_events(void *arg) {
  struct writer *w = arg;
  kf_err err = {0};
  kf_store *st = kf_store_open(URL, 0, &err);
  if (!st) {
    w->failed = 1;
    snprintf(w->why, sizeof w->why, "%s", err.msg);
    return NULL;
  }
  for (int i = 0; i < w->n && !w->failed; i++) {
    if (kf_store_begin(st, &err) || append(st, w->case_id, "t.written", &err) ||
        kf_store_commit(st, &err)) {
      w->failed = 1;
      snprintf(w->why, sizeof w->why, "%s", err.msg);
      kf_store_rollback(st);
    }
  }
  kf_store_close(st);
  return NULL;
}

int main(void) {
  URL = getenv("KINFLOW_TEST_PG_URL");
  if (!URL || !*URL) {
    printf("FAIL KINFLOW_TEST_PG_URL is not set: this test runs in the PostgreSQL pass "
           "(STORE=postgresql tests/run.sh)\n0 passed, 1 failed\n");
    return 1;
  }
  kf_err err = {0};
  kf_store *st = kf_store_open(URL, 0, &err);
  CHECK(st != NULL, "open %s: %s", URL, err.msg);
  if (!st) {
    printf("%d passed, %d failed\n", t_pass, t_fail);
    return 1;
  }
  CHECK(store_is_pg(st) && kf_store_schema_version(st) == 15, "PostgreSQL, schema 15");
  CHECK(!strstr(kf_store_path(st), ":secret@"), "the path shown has no password");

  /* a definition, two cases, through the store's own SQL */
  CHECK(kf_store_begin(st, &err) == 0, "begin: %s", err.msg);
  json_t *def = def_row("w");
  CHECK(kf_store_def_put(st, def, &err) == 0, "definition: %s", err.msg);
  int64_t wf = json_integer_value(json_object_get(def, "id"));
  json_decref(def);
  int64_t c1 = open_case(st, wf, "R-1", &err), c2 = open_case(st, wf, "R-2", &err);
  CHECK(c1 == 1 && c2 == 2, "ids given as SQLite gives them: %lld %lld (%s)", (long long)c1,
        (long long)c2, err.msg);
  CHECK(append(st, c1, "case.opened", &err) == 0, "event: %s", err.msg);
  CHECK(kf_store_commit(st, &err) == 0, "commit: %s", err.msg);

  /* a duplicate ref: a one-line refusal, and the transaction can go on being rolled back */
  CHECK(kf_store_begin(st, &err) == 0, "begin");
  CHECK(open_case(st, wf, "R-1", &err) == 0 && CONTAINS(err.msg, "a case with ref 'R-1' already exists"),
        "a duplicate ref is named: %s", err.msg);
  kf_store_rollback(st);

  /* statements SQLite takes as written: lists with no limit, a state filter (the other
   * parameters only tested IS NULL), members of a page of cases (json_each with numbers) */
  json_t *f = json_pack("{s:s}", "state", "start");
  json_t *list = kf_store_case_list(st, f, &err);
  CHECK(list && json_array_size(list) == 2, "case list by state, no limit: %s",
        list ? "" : err.msg);
  json_decref(list);
  json_decref(f);
  json_t *ef = json_pack("{s:I}", "case", (json_int_t)c1);
  json_t *events = kf_store_events(st, ef, &err);
  CHECK(events && json_array_size(events) == 1, "events of a case: %s", events ? "" : err.msg);
  json_decref(events);
  json_decref(ef);

  /* a sort by a data key orders as SQLite does: numbers (and text written as one) by value,
   * then text, then cases without the key; descending, text first */
  {
    const char *vals[] = {"\"b\"", "10", "\"9\"", "2.5", "\"apple\"", "true", "null", "\"-3\""};
    int64_t ids[8];
    CHECK(kf_store_begin(st, &err) == 0, "begin");
    for (int i = 0; i < 8; i++) {
      char data[64], ref[16];
      snprintf(data, sizeof data, "{\"k\": %s}", vals[i]);
      snprintf(ref, sizeof ref, "S-%d", i);
      json_t *c = json_pack("{s:s,s:I,s:s,s:s,s:b,s:o}", "ref", ref, "workflow_id", (json_int_t)wf,
                            "workflow", "sorted", "state", "start", "final", 0, "data",
                            json_loads(data, 0, NULL));
      ids[i] = kf_store_case_insert(st, c, "2026-01-01T00:00:00Z", &err) ? 0
                   : json_integer_value(json_object_get(c, "id"));
      json_decref(c);
    }
    CHECK(kf_store_commit(st, &err) == 0, "commit: %s", err.msg);
    const char *want[2] = {"7 5 3 2 1 4 0 6", "0 4 1 2 3 5 7 6"};
    for (int d = 0; d < 2; d++) {
      json_t *sf = json_pack("{s:s,s:s}", "workflow", "sorted", "sort", d ? "-k" : "k");
      json_t *got = kf_store_case_list(st, sf, &err);
      char order[64] = "";
      size_t i;
      json_t *c;
      json_array_foreach(got, i, c) {
        int64_t id = json_integer_value(json_object_get(c, "id"));
        for (int k = 0; k < 8; k++)
          if (ids[k] == id) snprintf(order + strlen(order), sizeof order - strlen(order), "%s%d", i ? " " : "", k);
      }
      CHECK(!strcmp(order, want[d]), "sort by a data key%s: %s (want %s)", d ? ", descending" : "",
            order, want[d]);
      json_decref(got);
      json_decref(sf);
    }
  }

  /* events are append-only in the database */
  int rc = st->be->exec(st, "UPDATE events SET reason = 'x'");
  CHECK(rc != DB_OK && CONTAINS(st->be->errmsg(st), "append-only"), "UPDATE of events refused: %s",
        st->be->errmsg(st));
  rc = st->be->exec(st, "DELETE FROM events");
  CHECK(rc != DB_OK && CONTAINS(st->be->errmsg(st), "append-only"), "DELETE of events refused");

  /* writers on two connections take turns: one chain, every event once, verify holds */
  struct writer w[2] = {{.case_id = c1, .n = 40}, {.case_id = c2, .n = 40}};
  pthread_t th[2];
  for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, write_events, &w[i]);
  for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
  CHECK(!w[0].failed && !w[1].failed, "two writers: %s %s", w[0].why, w[1].why);
  json_t *summary = NULL;
  CHECK(kf_store_audit_verify(st, &summary, &err) == 0, "audit verify after two writers: %s", err.msg);
  CHECK(json_integer_value(json_object_get(summary, "events")) == 81, "81 events in one chain");
  json_decref(summary);

  /* a timer claimed by one connection's transaction is passed over by another's */
  kf_store *other = kf_store_open(URL, 0, &err);
  CHECK(other != NULL, "a second connection: %s", err.msg);
  int64_t timer = 0;
  CHECK(kf_store_begin(st, &err) == 0 &&
        kf_store_timer_add(st, c1, "remind", "after", "start", "2026-01-02T00:00:00Z", &err) == 0 &&
        kf_store_commit(st, &err) == 0, "a timer: %s", err.msg);
  json_t *timers = kf_store_timers(st, c1, &err);
  timer = json_integer_value(json_object_get(json_array_get(timers, 0), "id"));
  json_decref(timers);
  if (other) {
    CHECK(kf_store_begin(st, &err) == 0, "begin");
    json_t *t1 = kf_store_timer_claim(st, timer, &err);
    CHECK(t1 != NULL, "the first runner claims the timer: %s", err.msg);
    json_decref(t1);
    kf_err e2 = {0};
    CHECK(kf_store_begin_read(other, &e2) == 0, "the other begins");
    json_t *t2 = kf_store_timer_claim(other, timer, &e2);
    CHECK(!t2 && e2.code == KF_ENOTFOUND, "the other runner passes over it (SKIP LOCKED): %s", e2.msg);
    json_decref(t2);
    kf_store_rollback(other);
    kf_store_rollback(st);
  }

  /* a delivery lease: one holder at a time */
  int64_t cur = -1;
  CHECK(kf_store_delivery_claim(st, "d", "a", 100, 130, &cur, &err) == 1 && cur == 0, "a takes d");
  CHECK(other && kf_store_delivery_claim(other, "d", "b", 110, 140, &cur, &err) == 0, "b waits");
  CHECK(kf_store_delivery_advance(st, "d", "a", 7, "2026-01-01T00:00:00Z", &err) == 0, "a advances");
  CHECK(other && kf_store_delivery_claim(other, "d", "b", 131, 160, &cur, &err) == 1 && cur == 7,
        "b takes over an expired lease from the cursor");
  kf_store_close(other);

  /* the server drops the connection (a restart, a failover): the call under way says
   * "try again", and the next one works on a connection made again */
  json_t *before = kf_store_case_get(st, "1", &err);
  CHECK(before != NULL, "a read before: %s", err.msg);
  json_decref(before);
  other = kf_store_open(URL, 0, &err);
  if (other) {
    CHECK(other->be->exec(other, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
                                 " datname = current_database() AND pid <> pg_backend_pid()") == DB_OK,
          "the other connections ended: %s", other->be->errmsg(other));
    kf_store_close(other);
  }
  kf_err lost = {0};
  json_t *during = kf_store_case_get(st, "1", &lost);
  CHECK(!during && lost.code == KF_EBUSY, "the read under way: busy, try again (%d: %s)",
        lost.code, lost.msg);
  json_decref(during);
  json_t *after = kf_store_case_get(st, "1", &err);
  CHECK(after && !strcmp(json_string_value(json_object_get(after, "ref")), "R-1"),
        "the next read works on the new connection: %s", after ? "" : err.msg);
  json_decref(after);

  /* a case's events through its index, as the whole log filtered */
  t_events_by_case(st, c1, c2);

  /* a database with tables is no scratch database */
  CHECK(kf_store_scratch(URL, &err) == KF_EREFUSED && CONTAINS(err.msg, "holds tables"),
        "scratch refuses a database with records: %s", err.msg);

  /* an unreachable server: one line naming it, without the password */
  kf_store *none = kf_store_open("postgresql://kinflow:secret@127.0.0.1:1/nowhere", 0, &err);
  CHECK(!none && CONTAINS(err.msg, "cannot be reached") && !strstr(err.msg, "secret") &&
            !strchr(err.msg, '\n'),
        "an unreachable database, one line: %s", err.msg);
  kf_store_close(none);

  kf_store_close(st);
  printf("%d passed, %d failed\n", t_pass, t_fail);
  return t_fail ? 1 : 0;
}
