/* reference.c: the reference workload (../shared/BENCH-REFERENCE.md) on two sides, the
 * engine through its runtime API and raw C doing the minimal writes on the minimal schema
 * (SQLite, or PostgreSQL through libpq), so that `make bench` and build/bench/reference
 * time the same thing. Not engine code: it reaches the engine's connection (store_int.h)
 * only to count the WAL frames it writes, and reads a PostgreSQL database on a connection
 * of its own only to check the result. */
#define _GNU_SOURCE
#include "reference.h"

#include <libpq-fe.h>
#include <sodium.h>
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
  char *path;                                          /* the file or URI */
  kf_engine *e;                                        /* the engine's side */
  PGconn *pg;                                          /* the raw side on PostgreSQL */
  sqlite3 *db;                                         /* the raw side on SQLite */
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

int ref_is_pg(const char *path) {
  return !strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11);
}

static ref_side *side_new(int engine, int n, const char *path) {
  ref_side *s = calloc(1, sizeof *s);
  if (s) s->ids = calloc((size_t)n + 1, sizeof *s->ids);
  if (s) s->path = strdup(path);
  if (!s || !s->ids || !s->path) {
    if (s) free(s->ids);
    free(s);
    fprintf(stderr, "reference: out of memory\n");
    return NULL;
  }
  s->engine = engine;
  s->n = n;
  return s;
}

static ref_side *engine_side(const char *path, int n, int fresh) {
  if (fresh && !ref_is_pg(path)) remove_db(path);
  ref_side *s = side_new(1, n, path);
  if (!s) return NULL;
  kf_err err = {0};
  json_t *paths = json_pack("[{s:s}]", "path", "bench/reference.lua"), *report = NULL;
  if (!(s->e = kf_engine_open(path, 0, &err)) ||
      (fresh && kf_deploy(s->e, paths, "bench", &report, &err))) {
    fprintf(stderr, "reference: %s: %s\n", path, err.msg);
    json_decref(paths);
    json_decref(report);
    ref_free(s);
    return NULL;
  }
  json_decref(paths);
  json_decref(report);
  if (kf_engine_store(s->e)->db) sqlite3_wal_hook(kf_engine_store(s->e)->db, wal_hook, s);
  return s;
}

ref_side *ref_engine_new(const char *path, int n) { return engine_side(path, n, 1); }
ref_side *ref_engine_join(const char *path, int n) { return engine_side(path, n, 0); }

static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
    fprintf(stderr, "reference: preparing %s: %s\n", sql, sqlite3_errmsg(db));
  return st;
}

static ref_side *raw_pg_side(const char *path, int n, int fresh);

static ref_side *raw_side(const char *path, int n, int fresh) {
  if (ref_is_pg(path)) return raw_pg_side(path, n, fresh);
  if (fresh) remove_db(path);
  ref_side *s = side_new(0, n, path);
  if (!s) return NULL;
  static const char schema[] =
      "CREATE TABLE cases (id INTEGER PRIMARY KEY, workflow TEXT NOT NULL, state TEXT NOT NULL,"
      "  data TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
      "CREATE TABLE events (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
      "  seq INTEGER NOT NULL, from_state TEXT, to_state TEXT NOT NULL, payload TEXT NOT NULL,"
      "  at INTEGER NOT NULL);"
      "CREATE INDEX events_case ON events(case_id, seq);";
  if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
      sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                   NULL) != SQLITE_OK ||
      (fresh && sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK) ||
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
  sqlite3_busy_timeout(s->db, 10000);
  sqlite3_wal_hook(s->db, wal_hook, s);
  return s;
}

ref_side *ref_raw_new(const char *path, int n) { return raw_side(path, n, 1); }
ref_side *ref_raw_join(const char *path, int n) { return raw_side(path, n, 0); }

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

/* ---- the raw side on PostgreSQL: raw libpq, prepared statements, the minimal schema of
 * BENCH-REFERENCE.md in PostgreSQL's types, and each event's hash chained to the one before:
 * the log's last event read once a row lock is held (chain_lock's one row, locked, never
 * updated), so that several writers on one database still build one chain. Two statements:
 * READ COMMITTED gives the second a snapshot taken after the lock was granted; a join of
 * the lock's row with the last event in one statement would read the event from before a
 * concurrent writer's commit. ---- */

static const char PG_SCHEMA[] =
    "CREATE TABLE cases (id BIGSERIAL PRIMARY KEY, workflow TEXT NOT NULL, state TEXT NOT NULL,"
    "  data TEXT NOT NULL, version BIGINT NOT NULL, updated_at BIGINT NOT NULL);"
    "CREATE TABLE events (id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  seq BIGINT NOT NULL, from_state TEXT, to_state TEXT NOT NULL, payload TEXT NOT NULL,"
    "  at BIGINT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX events_case ON events(case_id, seq);"
    "CREATE TABLE chain_lock (id INT PRIMARY KEY);"
    "INSERT INTO chain_lock VALUES (1);";

/* name, SQL: prepared once a connection */
static const char *const PG_STMTS[][2] = {
    {"r_ins", "INSERT INTO cases(workflow, state, data, version, updated_at)"
              " VALUES('reference', 'referral', $1, 1, $2) RETURNING id"},
    {"r_load", "SELECT state, data, version FROM cases WHERE id = $1"},
    {"r_upd", "UPDATE cases SET state = $2, data = $3, version = version + 1, updated_at = $4"
              " WHERE id = $1 AND version = $5"},
    {"r_lock", "SELECT 1 FROM chain_lock WHERE id = 1 FOR UPDATE"},
    {"r_head", "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1"},
    {"r_event", "INSERT INTO events(id, case_id, seq, from_state, to_state, payload, at,"
                " prev_hash, hash) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)"},
};

static int pg_fail(ref_side *s, const char *what, PGresult *res) {
  fprintf(stderr, "reference: raw %s: %s", what, res ? PQresultErrorMessage(res) : PQerrorMessage(s->pg));
  if (res) PQclear(res);
  PQclear(PQexec(s->pg, "ROLLBACK"));
  return -1;
}

/* Runs a prepared statement; its result (the caller clears it), or NULL after pg_fail. */
static PGresult *pg_run(ref_side *s, const char *name, int n, const char *const *v, int want) {
  PGresult *res = PQexecPrepared(s->pg, name, n, v, NULL, NULL, 0);
  if (PQresultStatus(res) != (ExecStatusType)want) {
    pg_fail(s, name, res);
    return NULL;
  }
  return res;
}

static int pg_cmd(ref_side *s, const char *sql) {
  PGresult *res = PQexec(s->pg, sql);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) return pg_fail(s, sql, res);
  PQclear(res);
  return 0;
}

/* The event's link: hex SHA-256 of the previous hash and the row's fields, a line each. */
static void chain_hash(const char *prev, const char *id, const char *case_id, const char *seq,
                       const char *from, const char *to, const char *payload, const char *at,
                       char out[65]) {
  crypto_hash_sha256_state h;
  crypto_hash_sha256_init(&h);
  const char *part[] = {prev, id, case_id, seq, from ? from : "", to, payload, at};
  for (size_t i = 0; i < sizeof part / sizeof *part; i++) {
    if (i) crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
    crypto_hash_sha256_update(&h, (const unsigned char *)part[i], strlen(part[i]));
  }
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&h, d);
  sodium_bin2hex(out, 65, d, sizeof d);
}

/* The event row, chained: the lock taken and the last event read, then the row. */
static int pg_event(ref_side *s, const char *case_id, const char *seq, const char *from,
                    const char *to, const char *payload, const char *at) {
  PGresult *res = pg_run(s, "r_lock", 0, NULL, PGRES_TUPLES_OK);
  if (!res) return -1;
  if (PQntuples(res) != 1) return pg_fail(s, "the lock's row is missing", res);
  PQclear(res);
  if (!(res = pg_run(s, "r_head", 0, NULL, PGRES_TUPLES_OK))) return -1;
  char id[24], prev[65], hash[65];
  int first = PQntuples(res) == 0; /* the first event follows 64 zeros */
  snprintf(id, sizeof id, "%lld", first ? 1LL : atoll(PQgetvalue(res, 0, 0)) + 1);
  snprintf(prev, sizeof prev, "%s", first ? "" : PQgetvalue(res, 0, 1));
  if (first) memset(prev, '0', 64), prev[64] = 0;
  PQclear(res);
  chain_hash(prev, id, case_id, seq, from, to, payload, at, hash);
  const char *ev[] = {id, case_id, seq, from, to, payload, at, prev, hash};
  if (!(res = pg_run(s, "r_event", 9, ev, PGRES_COMMAND_OK))) return -1;
  PQclear(res);
  return 0;
}

static ref_side *raw_pg_side(const char *path, int n, int fresh) {
  ref_side *s = side_new(0, n, path);
  if (!s) return NULL;
  if (sodium_init() < 0) {
    fprintf(stderr, "reference: libsodium does not start\n");
    ref_free(s);
    return NULL;
  }
  s->pg = PQconnectdb(path);
  if (PQstatus(s->pg) != CONNECTION_OK) {
    fprintf(stderr, "reference: %s: %s", path, PQerrorMessage(s->pg));
    ref_free(s);
    return NULL;
  }
  PQclear(PQexec(s->pg, "SET client_min_messages = warning"));
  if (fresh && pg_cmd(s, PG_SCHEMA)) {
    ref_free(s);
    return NULL;
  }
  for (size_t i = 0; i < sizeof PG_STMTS / sizeof *PG_STMTS; i++) {
    PGresult *res = PQprepare(s->pg, PG_STMTS[i][0], PG_STMTS[i][1], 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
      fprintf(stderr, "reference: preparing %s: %s", PG_STMTS[i][1], PQresultErrorMessage(res));
      PQclear(res);
      ref_free(s);
      return NULL;
    }
    PQclear(res);
  }
  return s;
}

static int pg_create(ref_side *s, int i) {
  char data[200], now[24];
  case_data(data, sizeof data, i);
  snprintf(now, sizeof now, "%lld", (long long)time(NULL));
  if (pg_cmd(s, "BEGIN")) return -1;
  const char *v[] = {data, now};
  PGresult *res = pg_run(s, "r_ins", 2, v, PGRES_TUPLES_OK);
  if (!res) return -1;
  char id[24];
  snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  s->ids[i] = atoll(id);
  if (pg_event(s, id, "1", NULL, "referral", "{\"event\":\"open\"}", now)) return -1;
  return pg_cmd(s, "COMMIT");
}

/* As raw_move: load, guard on the JSON text, the update (one row or a conflict), the event
 * chained, commit. */
static int pg_move(ref_side *s, int i, int r) {
  char id[24], now[24];
  snprintf(id, sizeof id, "%lld", (long long)s->ids[i]);
  snprintf(now, sizeof now, "%lld", (long long)time(NULL));
  if (pg_cmd(s, "BEGIN")) return -1;
  const char *v[] = {id};
  PGresult *res = pg_run(s, "r_load", 1, v, PGRES_TUPLES_OK);
  if (!res) return -1;
  if (PQntuples(res) != 1) return pg_fail(s, "load: no such case", res);
  char state[32], data[256], version[24], next[24];
  snprintf(state, sizeof state, "%s", PQgetvalue(res, 0, 0));
  snprintf(data, sizeof data, "%s", PQgetvalue(res, 0, 1));
  snprintf(version, sizeof version, "%s", PQgetvalue(res, 0, 2));
  PQclear(res);
  if (strcmp(state, STATES[r - 1]) || !strstr(data, "\"consent\":true")) return pg_fail(s, "guard", NULL);
  char *stage = strstr(data, "\"stage\":");
  if (!stage) return pg_fail(s, "data", NULL);
  stage[8] = (char)('0' + r);
  const char *u[] = {id, STATES[r], data, now, version};
  if (!(res = pg_run(s, "r_upd", 5, u, PGRES_COMMAND_OK))) return -1;
  int changed = atoi(PQcmdTuples(res));
  PQclear(res);
  if (changed != 1) return pg_fail(s, "update: a conflict (the revision moved)", NULL);
  char payload[160];
  snprintf(payload, sizeof payload, "{\"event\":\"advance\",\"from\":\"%s\",\"to\":\"%s\","
           "\"by\":\"w%d\",\"guard\":\"consent\"}", STATES[r - 1], STATES[r], i % 50);
  snprintf(next, sizeof next, "%lld", atoll(version) + 1);
  if (pg_event(s, id, next, STATES[r - 1], STATES[r], payload, now)) return -1;
  return pg_cmd(s, "COMMIT");
}

static int64_t pg_scalar(PGconn *c, const char *sql) {
  PGresult *res = PQexec(c, sql);
  int64_t v = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 ? atoll(PQgetvalue(res, 0, 0)) : -1;
  PQclear(res);
  return v;
}

/* The raw side's chain recomputed from the first event: 0, or -1 with why. */
static int pg_chain_check(PGconn *c, char *why, size_t len) {
  PGresult *res = PQexec(c, "SELECT id, case_id, seq, from_state, to_state, payload, at, prev_hash,"
                            " hash FROM events ORDER BY id");
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    snprintf(why, len, "reading the events: %s", PQresultErrorMessage(res));
    PQclear(res);
    return -1;
  }
  char prev[65], hash[65];
  memset(prev, '0', 64);
  prev[64] = 0;
  for (int k = 0; k < PQntuples(res); k++) {
    const char *f[9];
    for (int j = 0; j < 9; j++) f[j] = PQgetisnull(res, k, j) ? NULL : PQgetvalue(res, k, j);
    chain_hash(prev, f[0], f[1], f[2], f[3], f[4], f[5], f[6], hash);
    if (atoll(f[0]) != k + 1 || strcmp(f[7], prev) || strcmp(f[8], hash)) {
      snprintf(why, len, "the raw chain breaks at event %s", f[0]);
      PQclear(res);
      return -1;
    }
    memcpy(prev, hash, sizeof prev);
  }
  PQclear(res);
  return 0;
}

/* After the rounds, on PostgreSQL: the counts on a connection of this check's own. */
static int pg_check(ref_side *s, char *why, size_t len) {
  PGconn *c = PQconnectdb(s->path);
  if (PQstatus(c) != CONNECTION_OK) {
    snprintf(why, len, "checking: %s", PQerrorMessage(c));
    PQfinish(c);
    return -1;
  }
  const char *done = s->engine
      ? "SELECT count(*) FROM cases WHERE workflow='reference' AND state='restored' AND final=1"
        " AND CAST(data AS json)->>'stage' = '4'"
      : "SELECT count(*) FROM cases WHERE state='restored' AND CAST(data AS json)->>'stage' = '4'";
  const char *events = s->engine
      ? "SELECT count(*) FROM events WHERE kind IN ('case.opened','case.transition')"
      : "SELECT count(*) FROM events";
  int64_t restored = pg_scalar(c, done), nevents = pg_scalar(c, events);
  int bad = 0;
  if (restored != s->n)
    bad = 1, snprintf(why, len, "%lld of %d cases restored with stage 4", (long long)restored, s->n);
  else if (nevents != 5LL * s->n)
    bad = 1, snprintf(why, len, "%lld events, not %lld", (long long)nevents, 5LL * s->n);
  else if (!s->engine && pg_chain_check(c, why, len))
    bad = 1;
  PQfinish(c);
  return bad ? -1 : 0;
}

int ref_create(ref_side *s, int from, int to) {
  for (int i = from; i < to; i++)
    if (s->engine ? engine_create(s, i) : s->pg ? pg_create(s, i) : raw_create(s, i)) return -1;
  return 0;
}

int ref_round_part(ref_side *s, int r, int from, int to) {
  for (int i = from; i < to; i++)
    if (s->engine ? engine_move(s, i, r) : s->pg ? pg_move(s, i, r) : raw_move(s, i, r)) return -1;
  return 0;
}

int ref_round(ref_side *s, int r) { return ref_round_part(s, r, 0, s->n); }

int64_t ref_id(ref_side *s, int i) { return i >= 0 && i < s->n ? s->ids[i] : 0; }

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
  if (ref_is_pg(s->path)) {
    if (pg_check(s, why, len)) return -1;
    if (!s->engine) {
      snprintf(why, len, "OK");
      return 0;
    }
    kf_err err = {0};
    json_t *summary = NULL;
    if (kf_store_audit_verify(kf_engine_store(s->e), &summary, &err)) {
      snprintf(why, len, "%s", err.msg);
      return -1;
    }
    json_decref(summary);
    snprintf(why, len, "OK");
    return 0;
  }
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
  if (s->pg) PQfinish(s->pg);
  free(s->ids);
  free(s->path);
  free(s);
}
