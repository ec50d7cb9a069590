/* reference.c: the reference workload (../shared/BENCH-REFERENCE.md) on two sides, the
 * engine through its runtime API and raw C doing the minimal writes on the minimal schema,
 * so that `make bench` and build/bench/reference time the same thing. Not engine code: it
 * reaches the engine's connection (store_int.h) only to count the WAL frames it writes. */
#define _GNU_SOURCE
#include "reference.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "store.h"
#include "store_int.h"

struct ref_side {
  int engine, n;
  kf_engine *e;                                        /* the engine's side */
  sqlite3 *db;                                         /* the raw side */
  sqlite3_stmt *begin, *commit, *insert, *load, *upd, *event; /* the raw side's */
  int64_t *ids;                                        /* case ids by index */
  int64_t frames, wal_last;                            /* WAL frames written, last WAL size */
};

/* Count the frames each commit appends, and checkpoint as SQLite's default hook does (a
 * wal hook replaces it): passive, once the WAL holds 1,000 pages. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int pages) {
  ref_side *s = ud;
  s->frames += pages >= s->wal_last ? pages - s->wal_last : pages;
  s->wal_last = pages;
  if (pages >= 1000) sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  return SQLITE_OK;
}

static void remove_db(const char *path) {
  char p[4200];
  /* the database, and the outbox's file, cursor and lock beside it */
  const char *suffix[] = {"", "-wal", "-shm", "-journal", ".outbox.jsonl", ".outbox.jsonl.cursor",
                          ".outbox.jsonl.lock"};
  for (int i = 0; i < 7; i++) {
    snprintf(p, sizeof p, "%s%s", path, suffix[i]);
    unlink(p);
  }
}

static ref_side *side_new(int engine, int n) {
  ref_side *s = calloc(1, sizeof *s);
  if (s) s->ids = calloc((size_t)n + 1, sizeof *s->ids);
  if (!s || !s->ids) {
    free(s);
    fprintf(stderr, "reference: out of memory\n");
    return NULL;
  }
  s->engine = engine;
  s->n = n;
  return s;
}

ref_side *ref_engine_new(const char *path, int n) {
  remove_db(path);
  ref_side *s = side_new(1, n);
  if (!s) return NULL;
  kf_err err = {0};
  json_t *paths = json_pack("[{s:s}]", "path", "bench/reference.lua"), *report = NULL;
  if (!(s->e = kf_engine_open(path, 0, &err)) || kf_deploy(s->e, paths, "bench", &report, &err)) {
    fprintf(stderr, "reference: %s: %s\n", path, err.msg);
    json_decref(paths);
    json_decref(report);
    ref_free(s);
    return NULL;
  }
  json_decref(paths);
  json_decref(report);
  sqlite3_wal_hook(kf_engine_store(s->e)->db, wal_hook, s);
  return s;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
    fprintf(stderr, "reference: preparing %s: %s\n", sql, sqlite3_errmsg(db));
  return st;
}

ref_side *ref_raw_new(const char *path, int n) {
  remove_db(path);
  ref_side *s = side_new(0, n);
  if (!s) return NULL;
  static const char schema[] =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      "CREATE TABLE cases (id INTEGER PRIMARY KEY, workflow TEXT NOT NULL, state TEXT NOT NULL,"
      "  data TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
      "CREATE TABLE events (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
      "  seq INTEGER NOT NULL, from_state TEXT, to_state TEXT NOT NULL, payload TEXT NOT NULL,"
      "  at INTEGER NOT NULL);"
      "CREATE INDEX events_case ON events(case_id, seq);";
  if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
      sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
      !(s->begin = prep(s->db, "BEGIN IMMEDIATE")) || !(s->commit = prep(s->db, "COMMIT")) ||
      !(s->insert = prep(s->db, "INSERT INTO cases(workflow, state, data, version, updated_at)"
                                " VALUES('reference','referral',?1,1,?2)")) ||
      !(s->load = prep(s->db, "SELECT state, data, version FROM cases WHERE id=?1")) ||
      !(s->upd = prep(s->db, "UPDATE cases SET state=?2, data=?3, version=version+1,"
                             " updated_at=?4 WHERE id=?1 AND version=?5")) ||
      !(s->event = prep(s->db, "INSERT INTO events(case_id, seq, from_state, to_state, payload,"
                               " at) VALUES(?1,?2,?3,?4,?5,?6)"))) {
    fprintf(stderr, "reference: %s: %s\n", path, s->db ? sqlite3_errmsg(s->db) : "cannot open");
    ref_free(s);
    return NULL;
  }
  sqlite3_wal_hook(s->db, wal_hook, s);
  return s;
}

static void case_data(char *out, size_t len, int i) {
  snprintf(out, len, "{\"family\":\"F%d\",\"children\":2,\"consent\":true,\"worker\":\"w%d\","
           "\"stage\":0,\"notes\":\"ref\"}", i, i % 50);
}

static int step(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int raw_fail(ref_side *s, const char *what) {
  fprintf(stderr, "reference: raw %s: %s\n", what, sqlite3_errmsg(s->db));
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

static int raw_create(ref_side *s, int i) {
  char data[200];
  case_data(data, sizeof data, i);
  int64_t now = (int64_t)time(NULL);
  sqlite3_stmt *insert = s->insert;
  if (step(s->begin)) return raw_fail(s, "begin");
  sqlite3_bind_text(insert, 1, data, -1, SQLITE_STATIC);
  sqlite3_bind_int64(insert, 2, now);
  if (step(insert)) return raw_fail(s, "insert");
  s->ids[i] = sqlite3_last_insert_rowid(s->db);
  sqlite3_bind_int64(s->event, 1, s->ids[i]);
  sqlite3_bind_int64(s->event, 2, 1);
  sqlite3_bind_null(s->event, 3);
  sqlite3_bind_text(s->event, 4, "referral", -1, SQLITE_STATIC);
  sqlite3_bind_text(s->event, 5, "{\"event\":\"open\"}", -1, SQLITE_STATIC);
  sqlite3_bind_int64(s->event, 6, now);
  if (step(s->event) || step(s->commit)) return raw_fail(s, "opening event");
  return 0;
}

static const char *const STATES[] = {"referral", "stage1", "stage2", "stage3", "restored"};

/* Move case i from round r-1's state to round r's: load, guard on the JSON text, the data
 * with its new stage, the update (one row or a conflict), the event, commit. */
static int raw_move(ref_side *s, int i, int r) {
  int64_t now = (int64_t)time(NULL);
  if (step(s->begin)) return raw_fail(s, "begin");
  sqlite3_bind_int64(s->load, 1, s->ids[i]);
  if (sqlite3_step(s->load) != SQLITE_ROW) {
    sqlite3_reset(s->load);
    return raw_fail(s, "load");
  }
  char state[32], data[256];
  snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(s->load, 0));
  snprintf(data, sizeof data, "%s", (const char *)sqlite3_column_text(s->load, 1));
  int64_t version = sqlite3_column_int64(s->load, 2);
  sqlite3_reset(s->load);
  if (strcmp(state, STATES[r - 1]) || !strstr(data, "\"consent\":true")) return raw_fail(s, "guard");
  char *stage = strstr(data, "\"stage\":");
  if (!stage) return raw_fail(s, "data");
  stage[8] = (char)('0' + r);
  sqlite3_bind_int64(s->upd, 1, s->ids[i]);
  sqlite3_bind_text(s->upd, 2, STATES[r], -1, SQLITE_STATIC);
  sqlite3_bind_text(s->upd, 3, data, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s->upd, 4, now);
  sqlite3_bind_int64(s->upd, 5, version);
  if (step(s->upd) || sqlite3_changes(s->db) != 1) return raw_fail(s, "update");
  char payload[160];
  snprintf(payload, sizeof payload, "{\"event\":\"advance\",\"from\":\"%s\",\"to\":\"%s\","
           "\"by\":\"w%d\",\"guard\":\"consent\"}", STATES[r - 1], STATES[r], i % 50);
  sqlite3_bind_int64(s->event, 1, s->ids[i]);
  sqlite3_bind_int64(s->event, 2, version + 1);
  sqlite3_bind_text(s->event, 3, STATES[r - 1], -1, SQLITE_STATIC);
  sqlite3_bind_text(s->event, 4, STATES[r], -1, SQLITE_STATIC);
  sqlite3_bind_text(s->event, 5, payload, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s->event, 6, now);
  if (step(s->event) || step(s->commit)) return raw_fail(s, "event");
  return 0;
}

static int engine_create(ref_side *s, int i) {
  char text[200];
  case_data(text, sizeof text, i);
  kf_err err = {0};
  json_t *data = json_loads(text, 0, NULL);
  json_t *c = kf_case_open(s->e, "reference", data, NULL, "bench", &err);
  json_decref(data);
  if (!c) {
    fprintf(stderr, "reference: kf_case_open: %s\n", err.msg);
    return -1;
  }
  s->ids[i] = json_integer_value(json_object_get(c, "id"));
  json_decref(c);
  return 0;
}

static int engine_move(ref_side *s, int i, int r) {
  char id[24], name[16];
  snprintf(id, sizeof id, "%lld", (long long)s->ids[i]);
  snprintf(name, sizeof name, "advance_%d", r);
  kf_err err = {0};
  json_t *c = kf_case_fire(s->e, id, name, "worker", "bench", NULL, 0, &err);
  if (!c) {
    fprintf(stderr, "reference: case %s %s: %s\n", id, name, err.msg);
    return -1;
  }
  json_decref(c);
  return 0;
}

int ref_create(ref_side *s, int from, int to) {
  for (int i = from; i < to; i++)
    if (s->engine ? engine_create(s, i) : raw_create(s, i)) return -1;
  return 0;
}

int ref_round(ref_side *s, int r) {
  for (int i = 0; i < s->n; i++)
    if (s->engine ? engine_move(s, i, r) : raw_move(s, i, r)) return -1;
  return 0;
}

int64_t ref_frames(ref_side *s) { return s->frames; }

static int64_t scalar(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

int ref_check(ref_side *s, char *why, size_t len) {
  sqlite3 *db = s->engine ? kf_engine_store(s->e)->db : s->db;
  const char *done = s->engine
      ? "SELECT count(*) FROM cases WHERE workflow='reference' AND state='restored' AND final=1"
        " AND json_extract(data,'$.stage')=4"
      : "SELECT count(*) FROM cases WHERE state='restored' AND json_extract(data,'$.stage')=4";
  const char *events = s->engine
      ? "SELECT count(*) FROM events WHERE kind IN ('case.opened','case.transition')"
      : "SELECT count(*) FROM events";
  int64_t restored = scalar(db, done), nevents = scalar(db, events);
  if (restored != s->n) {
    snprintf(why, len, "%lld of %d cases restored with stage 4", (long long)restored, s->n);
    return -1;
  }
  if (nevents != 5LL * s->n) {
    snprintf(why, len, "%lld events, not %lld", (long long)nevents, 5LL * s->n);
    return -1;
  }
  if (s->engine) {
    kf_err err = {0};
    json_t *summary = NULL;
    if (kf_store_audit_verify(kf_engine_store(s->e), &summary, &err)) {
      snprintf(why, len, "%s", err.msg);
      return -1;
    }
    json_decref(summary);
  }
  snprintf(why, len, "OK");
  return 0;
}

void ref_free(ref_side *s) {
  if (!s) return;
  if (s->e) kf_engine_close(s->e);
  sqlite3_stmt *all[] = {s->begin, s->commit, s->insert, s->load, s->upd, s->event};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) sqlite3_finalize(all[i]);
  if (s->db) sqlite3_close_v2(s->db);
  free(s->ids);
  free(s);
}
