/* bench.c: `make bench`: the engine's speed as ratios against baselines run in the same
 * process, on the same machine, in the same run: raw SQLite doing the same row writes with
 * prepared statements, and a bare libmicrohttpd server (bare_server.c) answering the same
 * bytes. Not engine code: it includes sqlite3.h for the baselines and to fill large
 * databases fast, and it never changes what the engine does.
 * BENCH_QUICK=1: under a minute. BENCH_ONLY=reference,engine,full,group,open,outbox,scale,api picks
 * phases (for profiling). BENCH_DIR: where the databases go (a real disk, not tmpfs). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "reference.h"
#include "runtime.h"

static int quick;
static char dir[512], kinflow_bin[4096], bare_bin[4096], ref_bin[4096], wrk_bin[64] = "wrk";
static json_t *J;                 /* flat figures for bench/last.json */
static char table[128][200];       /* the table, one line a figure */
static int nrows;
static const char *only;          /* BENCH_ONLY */
static double t_start;

/* ---- small helpers ---- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* This thread's system (kernel) CPU seconds so far. */
static double sys_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "bench: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static int phase(const char *name) {
  if (!only || !*only) return 1;
  const char *p = strstr(only, name);
  size_t n = strlen(name);
  return p && (p == only || p[-1] == ',') && (p[n] == 0 || p[n] == ',');
}

static void put(const char *key, double v) {
  json_object_set_new(J, key, isfinite(v) ? json_real(round(v * 1000) / 1000) : json_null());
}

static void put_s(const char *key, const char *v) { json_object_set_new(J, key, json_string(v)); }

static double get(const char *key) { return json_number_value(json_object_get(J, key)); }

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "[%5.1fs] ", now_s() - t_start);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void line(const char *fmt, ...) {
  if (nrows >= (int)(sizeof table / sizeof table[0])) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(table[nrows++], sizeof table[0], fmt, ap);
  va_end(ap);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Percentile p (0..100) of n values (sorts them). */
static double pct(double *v, int n, double p) {
  if (n <= 0) return NAN;
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  int i = (int)ceil(p / 100.0 * n) - 1;
  return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static double median(double *v, int n) { return pct(v, n, 50); }

static void iso(time_t t, char out[24]) {
  struct tm tm;
  strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

static double loadavg(void) {
  double l = NAN;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f) {
    if (fscanf(f, "%lf", &l) != 1) l = NAN;
    fclose(f);
  }
  return l;
}

static void rm_db(const char *path) {
  char p[600];
  const char *suffix[] = {"", "-wal", "-shm", ".outbox.jsonl", ".outbox.jsonl.cursor",
                          ".outbox.jsonl.lock"};
  for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
    snprintf(p, sizeof p, "%s%s", path, suffix[i]);
    unlink(p);
  }
}

static void db_path(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s.db", dir, name); }

/* ---- engine setup ---- */

static const char *CASE_DATA = "{\"child\":\"Ava Example\",\"referred_on\":\"2026-01-02\","
                               "\"district\":\"North\",\"language\":\"English\"}";

static kf_engine *engine(const char *path, int create) {
  kf_err err = {0};
  kf_engine *e = kf_engine_open(path, create ? 0 : KF_STORE_NOCREATE, &err);
  if (!e) die("opening %s: %s", path, err.msg);
  return e;
}

static void deploy(kf_engine *e, const char *file) {
  kf_err err = {0};
  json_t *paths = json_pack("[{s:s}]", "path", file), *report = NULL;
  if (kf_deploy(e, paths, "bench", &report, &err)) {
    char *r = report ? json_dumps(report, JSON_COMPACT) : NULL;
    die("deploying %s: %s %s", file, err.msg, r ? r : "");
  }
  json_decref(paths);
  json_decref(report);
}

/* A fresh database with the engine's schema and the bench programme deployed. */
static void fresh_db(const char *path) {
  rm_db(path);
  kf_engine *e = engine(path, 1);
  deploy(e, "bench/bench.lua");
  kf_engine_close(e);
}

/* ---- the raw-SQLite baseline: the same row writes, prepared statements ---- */

typedef struct raw {
  sqlite3 *db;
  sqlite3_stmt *begin, *commit, *upd, *cancel, *timer, *event, *meta, *ins_case;
  int64_t seq, wf_id;
  int64_t *rev, *steps; /* per case, by id */
  int ncases;
} raw;

static const char HASH[] = "5f0c9a3e7d1b2c4a6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d";

static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
    die("preparing %s: %s", sql, sqlite3_errmsg(db));
  return s;
}

static void xexec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) die("%s: %s", sql, msg);
}

static int64_t scalar(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = prep(db, sql);
  int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  return v;
}

/* Open as the store does (WAL, NORMAL, foreign keys, defensive) and prepare. */
static sqlite3 *raw_conn(const char *path) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    die("opening %s", path);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  xexec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  return db;
}

static void raw_open(raw *r, const char *path) {
  memset(r, 0, sizeof *r);
  r->db = raw_conn(path);
  r->begin = prep(r->db, "BEGIN IMMEDIATE");
  r->commit = prep(r->db, "COMMIT");
  r->upd = prep(r->db, "UPDATE cases SET state=?3, final=0, data=?4, revision=revision+1,"
                       " updated_at=?5, entered_at=?5, overdue_since=NULL"
                       " WHERE id=?1 AND revision=?2");
  r->cancel = prep(r->db, "UPDATE timers SET status='cancelled', done_at=?2"
                          " WHERE case_id=?1 AND status='pending' AND state=?3");
  r->timer = prep(r->db, "INSERT INTO timers(case_id,name,kind,state,due_at)"
                         " VALUES(?1,'review','review','active',?2)");
  r->event = prep(r->db, "INSERT INTO events(seq,case_id,at,actor,role,kind,name,from_state,"
                         "to_state,reason,data,prev_hash,hash) VALUES(?1,?2,?3,'bench',?4,?5,?6,"
                         "?7,'active',NULL,?8,?9,?9)");
  r->meta = prep(r->db, "INSERT OR REPLACE INTO meta(key,value) VALUES('head',?1)");
  r->ins_case = prep(r->db, "INSERT INTO cases(ref,workflow_id,workflow,state,final,data,"
                            "created_at,updated_at,entered_at) VALUES(NULL,?1,'bench','active',0,"
                            "?2,?3,?3,?3)");
  r->seq = scalar(r->db, "SELECT coalesce(max(seq),0) FROM events");
  r->wf_id = scalar(r->db, "SELECT max(id) FROM definitions WHERE kind='workflow' AND name='bench'");
}

static void raw_load_cases(raw *r) {
  r->ncases = (int)scalar(r->db, "SELECT coalesce(max(id),0) FROM cases");
  r->rev = calloc((size_t)r->ncases + 1, sizeof *r->rev);
  r->steps = calloc((size_t)r->ncases + 1, sizeof *r->steps);
  sqlite3_stmt *s = prep(r->db, "SELECT id, revision, coalesce(json_extract(data,'$.steps'),0)"
                                " FROM cases");
  while (sqlite3_step(s) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(s, 0);
    r->rev[id] = sqlite3_column_int64(s, 1);
    r->steps[id] = sqlite3_column_int64(s, 2);
  }
  sqlite3_finalize(s);
}

static void raw_close(raw *r) {
  sqlite3_stmt **all[] = {&r->begin, &r->commit, &r->upd, &r->cancel, &r->timer, &r->event,
                          &r->meta, &r->ins_case};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) sqlite3_finalize(*all[i]);
  sqlite3_close(r->db);
  free(r->rev);
  free(r->steps);
}

static int step_reset(sqlite3_stmt *s) {
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static void bind_t(sqlite3_stmt *s, int i, const char *v) { sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT); }

/* The event row and the log's head, as the engine writes them (the hash precomputed). */
static int raw_event(raw *r, int64_t case_id, const char *at, const char *role, const char *kind,
                     const char *name, const char *from, const char *data) {
  int64_t seq = ++r->seq;
  sqlite3_bind_int64(r->event, 1, seq);
  sqlite3_bind_int64(r->event, 2, case_id);
  bind_t(r->event, 3, at);
  if (role) bind_t(r->event, 4, role);
  else sqlite3_bind_null(r->event, 4);
  bind_t(r->event, 5, kind);
  if (name) bind_t(r->event, 6, name);
  else sqlite3_bind_null(r->event, 6);
  if (from) bind_t(r->event, 7, from);
  else sqlite3_bind_null(r->event, 7);
  bind_t(r->event, 8, data);
  sqlite3_bind_text(r->event, 9, HASH, 64, SQLITE_STATIC);
  char head[96];
  snprintf(head, sizeof head, "%lld:%s", (long long)seq, HASH);
  bind_t(r->meta, 1, head);
  return step_reset(r->event) || step_reset(r->meta);
}

/* One `step`: update the case, cancel and reschedule the review timer, append the event and
 * the head; one transaction. */
__attribute__((noinline)) static int raw_step(raw *r, int64_t id, int tx) {
  char now[24], due[24], data[256], evdata[300];
  time_t t = time(NULL);
  iso(t, now);
  iso(t + 28 * 86400, due);
  snprintf(data, sizeof data,
           "{\"child\":\"Ava Example\",\"referred_on\":\"2026-01-02\",\"district\":\"North\","
           "\"language\":\"English\",\"steps\":%lld}", (long long)++r->steps[id]);
  snprintf(evdata, sizeof evdata, "{\"data\":%s}", data);
  if (tx && step_reset(r->begin)) return -1;
  sqlite3_bind_int64(r->upd, 1, id);
  sqlite3_bind_int64(r->upd, 2, r->rev[id]);
  bind_t(r->upd, 3, "active");
  bind_t(r->upd, 4, data);
  bind_t(r->upd, 5, now);
  int rc = step_reset(r->upd) || sqlite3_changes(r->db) != 1;
  sqlite3_bind_int64(r->cancel, 1, id);
  bind_t(r->cancel, 2, now);
  bind_t(r->cancel, 3, "active");
  rc = rc || step_reset(r->cancel);
  sqlite3_bind_int64(r->timer, 1, id);
  bind_t(r->timer, 2, due);
  rc = rc || step_reset(r->timer);
  rc = rc || raw_event(r, id, now, "worker", "case.transition", "step", "active", evdata);
  if (tx) rc = rc || step_reset(r->commit);
  if (rc) {
    sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  r->rev[id]++;
  return 0;
}

/* Open one case as rows: the case, its case.opened event and head, its review timer. */
static int raw_open_case(raw *r, int tx) {
  char now[24], due[24], evdata[300];
  time_t t = time(NULL);
  iso(t, now);
  iso(t + 28 * 86400, due);
  snprintf(evdata, sizeof evdata, "{\"data\":%s,\"version\":1,\"workflow\":\"bench\"}", CASE_DATA);
  if (tx && step_reset(r->begin)) return -1;
  sqlite3_bind_int64(r->ins_case, 1, r->wf_id);
  bind_t(r->ins_case, 2, CASE_DATA);
  bind_t(r->ins_case, 3, now);
  int rc = step_reset(r->ins_case);
  int64_t id = sqlite3_last_insert_rowid(r->db);
  rc = rc || raw_event(r, id, now, NULL, "case.opened", NULL, NULL, evdata);
  sqlite3_bind_int64(r->timer, 1, id);
  bind_t(r->timer, 2, due);
  rc = rc || step_reset(r->timer);
  if (tx) rc = rc || step_reset(r->commit);
  if (rc) sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
  return rc ? -1 : 0;
}

/* ---- the engine's side ---- */

static int64_t engine_open_case(kf_engine *e) {
  kf_err err = {0};
  json_t *data = json_loads(CASE_DATA, 0, NULL);
  json_t *c = kf_case_open(e, "bench", data, NULL, "bench", &err);
  json_decref(data);
  if (!c) die("kf_case_open: %s", err.msg);
  int64_t id = json_integer_value(json_object_get(c, "id"));
  json_decref(c);
  return id;
}

static long fire_failures;

static void engine_step(kf_engine *e, int64_t id) {
  char idtext[24];
  kf_err err = {0};
  snprintf(idtext, sizeof idtext, "%lld", (long long)id);
  json_t *c = kf_case_fire(e, idtext, "step", "worker", "bench", NULL, 0, &err);
  if (!c && fire_failures++ < 3) fprintf(stderr, "bench: fire: %s\n", err.msg);
  json_decref(c);
}

/* ---- phase: case creation and import ---- */

static int ncases_e, ncases_r; /* cases in the engine's and the raw database */
static char db_e[600], db_r[600];

static void phase_open(void) {
  say("case creation: engine kf_case_open vs raw inserts, one transaction each");
  db_path(db_e, sizeof db_e, "engine");
  db_path(db_r, sizeof db_r, "raw");
  fresh_db(db_e);
  fresh_db(db_r);
  kf_engine *e = engine(db_e, 0);
  raw r;
  raw_open(&r, db_r);
  int rounds = quick ? 2 : 3;
  double slot = quick ? 0.5 : 2.0, re[8], rr[8], cpu_e = 0, cpu_r = 0;
  long ne_all = 0, nr_all = 0;
  for (int k = 0; k < rounds; k++) {
    double t0 = now_s(), c0 = cpu_s();
    long n = 0;
    while (now_s() - t0 < slot) engine_open_case(e), n++;
    re[k] = n / (now_s() - t0);
    cpu_e += cpu_s() - c0;
    ne_all += n;
    t0 = now_s(), c0 = cpu_s();
    long m = 0;
    while (now_s() - t0 < slot) {
      if (raw_open_case(&r, 1)) die("raw open: %s", sqlite3_errmsg(r.db));
      m++;
    }
    rr[k] = m / (now_s() - t0);
    cpu_r += cpu_s() - c0;
    nr_all += m;
  }
  ncases_e = (int)ne_all;
  ncases_r = (int)nr_all;
  double me = median(re, rounds), mr = median(rr, rounds);
  put("case_open_per_s", me);
  put("case_open_raw_per_s", mr);
  put("case_open_vs_raw_ratio", me / mr);
  put("case_open_cpu_us", cpu_e / ne_all * 1e6);
  put("case_open_raw_cpu_us", cpu_r / nr_all * 1e6);
  line("%-44s %12.0f %12.0f raw %8.2f", "case creation/s (kf_case_open, 1 tx each)", me, mr, me / mr);
  raw_close(&r);

  /* Bulk import: the engine's batch verb (kf_case_open_batch, what `kinflow case import`
   * runs: batches of 500 cases, a transaction each) beside raw rows in batches of 500. */
  char db_i[600], db_b[600];
  db_path(db_i, sizeof db_i, "import");
  db_path(db_b, sizeof db_b, "import_engine");
  fresh_db(db_i);
  fresh_db(db_b);
  raw_open(&r, db_i);
  int n = quick ? 5000 : 100000;
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    if (i % 500 == 0) xexec(r.db, "BEGIN IMMEDIATE");
    if (raw_open_case(&r, 0)) die("raw import: %s", sqlite3_errmsg(r.db));
    if (i % 500 == 499 || i == n - 1) xexec(r.db, "COMMIT");
  }
  double batch = n / (now_s() - t0);
  raw_close(&r);
  rm_db(db_i);
  put("import_raw_batch_per_s", batch);
  kf_engine *eb = engine(db_b, 0);
  json_t *data = json_loads(CASE_DATA, 0, NULL);
  t0 = now_s();
  for (int i = 0; i < n; i += 500) {
    json_t *cases = json_array();
    for (int j = i; j < i + 500 && j < n; j++)
      json_array_append_new(cases, json_pack("{s:s,s:O}", "workflow", "bench", "data", data));
    kf_err err = {0};
    size_t failed = 0;
    if (kf_case_open_batch(eb, cases, "bench", &failed, &err)) die("import batch: %s", err.msg);
    json_decref(cases);
  }
  double imported = n / (now_s() - t0);
  json_decref(data);
  kf_engine_close(eb);
  rm_db(db_b);
  put("import_engine_batch_per_s", imported);
  put("import_vs_raw_ratio", imported / batch);

  int runs = quick ? 5 : 20;
  char cmd[6000];
  snprintf(cmd, sizeof cmd, "KINFLOW_DB='%s' KINFLOW_OUTBOX=off '%s' case new bench --data '%s' "
           ">/dev/null 2>&1", db_e, kinflow_bin, CASE_DATA);
  t0 = now_s();
  int ok = 0;
  for (int i = 0; i < runs; i++) ok += system(cmd) == 0;
  double cli = ok / (now_s() - t0);
  ncases_e += ok;
  put("import_cli_per_s", cli);
  line("%-44s %12.0f %12.0f raw %8.2f %s", "bulk import/s (batches of 500, a tx each)", imported,
       batch, imported / batch, imported / batch >= 0.60 ? ">= 0.60 holds" : ">= 0.60 MISSED");
  line("%-44s %12.1f", "import via `kinflow case new` per case, /s", cli);
  kf_engine_close(e);
}

/* ---- phase: transitions, engine vs raw ---- */

/* Alternate rounds of engine and raw steps; medians of the rounds. */
static void transitions(int full, const char *label, const char *key) {
  kf_engine *e = engine(db_e, 0);
  kf_err err = {0};
  raw r;
  raw_open(&r, db_r);
  raw_load_cases(&r);
  if (full) {
    if (kf_store_set_durability(kf_engine_store(e), 1, &err)) die("durability: %s", err.msg);
    xexec(r.db, "PRAGMA synchronous=FULL");
  }
  int ncase = ncases_e < r.ncases ? ncases_e : r.ncases;
  if (ncase > 1000) ncase = 1000;
  int rounds = full ? (quick ? 3 : 9) : (quick ? 5 : 15);
  double slot = full ? (quick ? 0.4 : 1.5) : (quick ? 0.3 : 1.0);
  /* for profiling: BENCH_SIDE=engine|raw runs one side only, BENCH_SLOT seconds a round */
  const char *side_only = getenv("BENCH_SIDE");
  if (getenv("BENCH_SLOT")) slot = atof(getenv("BENCH_SLOT"));
  double re[16], rr[16], cpu_e = 0, cpu_r = 0, sys_e = 0, sys_r = 0;
  long ne = 0, nr = 0;
  int64_t next_e = 0, next_r = 0;
  for (int k = 0; k < rounds; k++) {
    for (int side = 0; side < 2; side++) {
      int is_engine = (side == 0) == (k % 2 == 0); /* alternate who goes first */
      if (side_only && strcmp(side_only, is_engine ? "engine" : "raw")) {
        (is_engine ? re : rr)[k] = NAN;
        if (is_engine) ne = 1;
        else nr = 1;
        continue;
      }
      double t0 = now_s(), c0 = cpu_s(), s0 = sys_s();
      long n = 0;
      while (now_s() - t0 < slot) {
        if (is_engine) engine_step(e, 1 + next_e++ % ncase);
        else if (raw_step(&r, 1 + next_r++ % ncase, 1)) die("raw step: %s", sqlite3_errmsg(r.db));
        n++;
      }
      double rate = n / (now_s() - t0), cpu = cpu_s() - c0, sys = sys_s() - s0;
      if (is_engine) re[k] = rate, cpu_e += cpu, sys_e += sys, ne += n;
      else rr[k] = rate, cpu_r += cpu, sys_r += sys, nr += n;
    }
  }
  /* the ratio: the median of each round's pair, which sat under the same machine load */
  double pair[16];
  for (int k = 0; k < rounds; k++) pair[k] = re[k] / rr[k];
  double ratio = median(pair, rounds);
  double me = median(re, rounds), mr = median(rr, rounds);
  double cpu_ratio = (cpu_r / nr) / (cpu_e / ne);
  char k1[96];
  snprintf(k1, sizeof k1, "%s_engine_tps", key);
  put(k1, me);
  snprintf(k1, sizeof k1, "%s_raw_tps", key);
  put(k1, mr);
  snprintf(k1, sizeof k1, "%s_engine_cpu_us", key);
  put(k1, cpu_e / ne * 1e6);
  snprintf(k1, sizeof k1, "%s_raw_cpu_us", key);
  put(k1, cpu_r / nr * 1e6);
  snprintf(k1, sizeof k1, "%s_engine_sys_us", key);
  put(k1, sys_e / ne * 1e6);
  snprintf(k1, sizeof k1, "%s_raw_sys_us", key);
  put(k1, sys_r / nr * 1e6);
  snprintf(k1, sizeof k1, "%s_engine_vs_raw_ratio", key);
  put(k1, ratio);
  snprintf(k1, sizeof k1, "%s_engine_vs_raw_cpu_ratio", key);
  put(k1, cpu_ratio);
  if (!full) put("engine_vs_raw_ratio", ratio);
  line("%-44s %12.0f %12.0f raw %8.2f %s", label, me, mr, ratio,
       full ? "" : ratio >= 0.85 ? ">= 0.85 holds" : ">= 0.85 MISSED");
  line("%-44s %12.1f %12.1f raw %8.2f", "  CPU us per transition (raw/engine: ratio)",
       cpu_e / ne * 1e6, cpu_r / nr * 1e6, cpu_ratio);
  line("%-44s %12.1f %12.1f raw", "    of which in the kernel", sys_e / ne * 1e6, sys_r / nr * 1e6);
  say("%s: engine %.0f/s, raw %.0f/s (%d rounds, %d cases)", label, me, mr, rounds, ncase);
  raw_close(&r);
  kf_engine_close(e);
}

/* ---- phase: group commit ---- */

typedef struct gc_req {
  char id[24];
  int done, ok;
  pthread_cond_t cv;
  struct gc_req *next;
} gc_req;

static struct {
  pthread_mutex_t mu;
  pthread_cond_t work;
  gc_req *head, *tail;
  int stop, ready;
  double deadline;
  long batches, requests, failed;
  double *lat[64];
  int nlat[64];
  double writer_cpu, writer_wall;
} gc = {.mu = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER};

/* The console's writer, as plugins/console/writer.c runs it: a session of its own at
 * synchronous=FULL, everything queued taken at once (up to 64) and run as one group through
 * the group API (kf_session_call_group: case.fire a call, a savepoint each, one commit),
 * each client woken with its own answer only after that commit. */
static void *gc_writer(void *arg) {
  (void)arg;
  enum { BATCH = 64 };
  kf_err err = {0};
  kf_session *s = kf_session_open(db_e, &err);
  if (!s || kf_session_durable(s, 1, &err)) die("the writer's session: %s", err.msg);
  kf_call calls[BATCH];
  gc_req *batch[BATCH];
  pthread_mutex_lock(&gc.mu);
  gc.ready = 1;
  pthread_cond_broadcast(&gc.work);
  for (;;) {
    while (!gc.head && !gc.stop) pthread_cond_wait(&gc.work, &gc.mu);
    if (!gc.head && gc.stop) break;
    size_t n = 0;
    while (gc.head && n < BATCH) {
      batch[n++] = gc.head;
      gc.head = gc.head->next;
    }
    if (!gc.head) gc.tail = NULL;
    pthread_mutex_unlock(&gc.mu);
    for (size_t i = 0; i < n; i++) {
      memset(&calls[i], 0, sizeof calls[i]);
      calls[i].verb = "case.fire";
      calls[i].args = json_pack("{s:s,s:s,s:s,s:s}", "id", batch[i]->id, "transition", "step",
                                "as", "worker", "actor", "bench");
    }
    double c0 = cpu_s(), t0 = now_s();
    int rc = kf_session_call_group(s, calls, n);
    gc.writer_cpu += cpu_s() - c0;
    gc.writer_wall += now_s() - t0;
    if (rc) fprintf(stderr, "bench: group commit: %s\n", calls[0].error);
    pthread_mutex_lock(&gc.mu);
    gc.batches++;
    for (size_t i = 0; i < n; i++) {
      gc_req *q = batch[i];
      q->ok = calls[i].result != NULL;
      if (!q->ok && gc.failed < 3) fprintf(stderr, "bench: group commit: %d %s\n", calls[i].status, calls[i].error);
      gc.requests++;
      if (!q->ok) gc.failed++;
      json_decref(calls[i].result);
      json_decref(calls[i].detail);
      json_decref((json_t *)calls[i].args);
      q->done = 1;
      pthread_cond_signal(&q->cv);
    }
  }
  pthread_mutex_unlock(&gc.mu);
  kf_session_close(s);
  return NULL;
}

static void *gc_client(void *arg) {
  int k = (int)(intptr_t)arg;
  gc_req q;
  memset(&q, 0, sizeof q);
  pthread_cond_init(&q.cv, NULL);
  snprintf(q.id, sizeof q.id, "%d", k + 1); /* a case of its own */
  int cap = 200000;
  gc.lat[k] = malloc(sizeof(double) * (size_t)cap);
  while (now_s() < gc.deadline && gc.nlat[k] < cap) {
    double t0 = now_s();
    pthread_mutex_lock(&gc.mu);
    q.done = 0;
    q.next = NULL;
    if (gc.tail) gc.tail->next = &q;
    else gc.head = &q;
    gc.tail = &q;
    pthread_cond_signal(&gc.work);
    while (!q.done) pthread_cond_wait(&q.cv, &gc.mu);
    pthread_mutex_unlock(&gc.mu);
    gc.lat[k][gc.nlat[k]++] = (now_s() - t0) * 1000;
  }
  pthread_cond_destroy(&q.cv);
  return NULL;
}

/* What one fsync costs on this disk now: 4 KiB written and fdatasync'd, n times; ms p50. */
static double fsync_ms(int n) {
  char path[600], page[4096];
  snprintf(path, sizeof path, "%s/fsync.probe", dir);
  memset(page, 'k', sizeof page);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return NAN;
  double v[64];
  if (n > 64) n = 64;
  for (int i = 0; i < n; i++) {
    double t0 = now_s();
    if (pwrite(fd, page, sizeof page, (off_t)(i % 8) * 4096) != (ssize_t)sizeof page ||
        fdatasync(fd)) {
      n = i;
      break;
    }
    v[i] = (now_s() - t0) * 1000;
  }
  close(fd);
  unlink(path);
  return median(v, n);
}

static void phase_group(void) {
  enum { CLIENTS = 32 };
  say("group commit: %d clients, one writer batching through kf_session_call_group, synchronous=FULL",
      CLIENTS);
  if (ncases_e < CLIENTS) die("group commit needs %d cases", CLIENTS);
  double secs = quick ? 2.0 : 10.0;
  pthread_t w, c[CLIENTS];
  pthread_create(&w, NULL, gc_writer, NULL);
  pthread_mutex_lock(&gc.mu);
  while (!gc.ready) pthread_cond_wait(&gc.work, &gc.mu);
  pthread_mutex_unlock(&gc.mu);
  double t0 = now_s();
  gc.deadline = t0 + secs;
  for (intptr_t i = 0; i < CLIENTS; i++) pthread_create(&c[i], NULL, gc_client, (void *)i);
  for (int i = 0; i < CLIENTS; i++) pthread_join(c[i], NULL);
  double elapsed = now_s() - t0;
  pthread_mutex_lock(&gc.mu);
  gc.stop = 1;
  pthread_cond_signal(&gc.work);
  pthread_mutex_unlock(&gc.mu);
  pthread_join(w, NULL);
  long total = 0;
  for (int i = 0; i < CLIENTS; i++) total += gc.nlat[i];
  double *all = malloc(sizeof(double) * (size_t)(total ? total : 1));
  long m = 0;
  for (int i = 0; i < CLIENTS; i++) {
    memcpy(all + m, gc.lat[i], sizeof(double) * (size_t)gc.nlat[i]);
    m += gc.nlat[i];
    free(gc.lat[i]);
  }
  double tps = (total - gc.failed) / elapsed, single = get("full_engine_tps");
  double normal = get("normal_engine_tps");
  double p50 = pct(all, (int)m, 50), p99 = pct(all, (int)m, 99);
  free(all);
  put("group_commit_tps", tps);
  put("group_commit_clients", CLIENTS);
  put("group_commit_batch_avg", gc.batches ? (double)gc.requests / gc.batches : 0);
  put("group_commit_ack_p50_ms", p50);
  put("group_commit_ack_p99_ms", p99);
  put("group_commit_failed", (double)gc.failed);
  put("group_commit_vs_full_ratio", tps / single);
  put("group_commit_vs_normal_ratio", tps / normal);
  put("group_commit_writer_cpu_us_per_request", gc.requests ? gc.writer_cpu / gc.requests * 1e6 : 0);
  double fs = fsync_ms(30);
  put("fsync_p50_ms", fs);
  put("group_commit_writer_busy", gc.writer_wall / elapsed);
  line("%-44s %12.0f %12.0f FULL   %5.2f %s", "group commit FULL, 32 clients, transitions/s", tps,
       single, tps / single, tps / single >= 3 ? ">= 3 holds" : ">= 3 MISSED");
  line("%-44s %12.0f %12.0f NORMAL %5.2f %s", "  the same against single-commit NORMAL", tps,
       normal, tps / normal, tps / normal >= 0.80 ? ">= 0.80 holds" : ">= 0.80 MISSED");
  line("%-44s %12.1f   ack p50 %.1f ms, p99 %.1f ms", "  requests per commit (avg)",
       gc.batches ? (double)gc.requests / gc.batches : 0, p50, p99);
  line("%-44s %12.1f   (writer busy %.0f%% of the time)", "  writer CPU us per request",
       gc.requests ? gc.writer_cpu / gc.requests * 1e6 : 0, 100 * gc.writer_wall / elapsed);
  line("%-44s %12.2f   (the ratio's ceiling is about (fsync + CPU) / CPU)",
       "  one 4 KiB write + fdatasync here, ms p50", fs);
  say("group commit: %.0f/s, %.1f a batch, %ld failed", tps,
      gc.batches ? (double)gc.requests / gc.batches : 0, gc.failed);
}

/* ---- phase: the reference workload (../shared/BENCH-REFERENCE.md), engine vs raw ---- */

/* The engine (bench/reference.lua through kf_case_open and kf_case_fire) beside raw C doing
 * the minimal writes on the minimal schema, in this process: creation in four slices and
 * the four rounds of moves, each slice and round alternating who goes first. Then
 * build/bench/reference as a whole process, for its peak RSS. */
/* The two sides of the reference workload in this process on databases pe (the engine)
 * and pr (raw), files or postgresql:// URIs: creation in four slices and the four rounds of
 * moves, each slice and round alternating who goes first; then both checked. */
typedef struct ref_run {
  double create_t[2], move_t[2], move_cpu[2], frames[2];
  char why[2][300];
  int bad;
} ref_run;

static void ref_alternate(const char *pe, const char *pr, int n, ref_run *o) {
  memset(o, 0, sizeof *o);
  ref_side *side[2] = {ref_engine_new(pe, n), ref_raw_new(pr, n)};
  if (!side[0] || !side[1]) die("reference: cannot set up the databases %s and %s", pe, pr);
  for (int q = 0; q < 4; q++)
    for (int k = 0; k < 2; k++) {
      int who = (k + q) % 2;
      double t0 = now_s();
      if (ref_create(side[who], q * n / 4, (q + 1) * n / 4)) die("reference: creating cases");
      o->create_t[who] += now_s() - t0;
    }
  int64_t f0[2] = {ref_frames(side[0]), ref_frames(side[1])};
  for (int r = 1; r <= 4; r++)
    for (int k = 0; k < 2; k++) {
      int who = (k + r) % 2;
      double t0 = now_s(), c0 = cpu_s();
      if (ref_round(side[who], r)) die("reference: round %d", r);
      o->move_t[who] += now_s() - t0;
      o->move_cpu[who] += cpu_s() - c0;
    }
  for (int i = 0; i < 2; i++) {
    o->frames[i] = (double)(ref_frames(side[i]) - f0[i]) / (4.0 * n);
    o->bad |= ref_check(side[i], o->why[i], sizeof o->why[i]) != 0;
    ref_free(side[i]);
  }
}

static void phase_reference(void) {
  int n = quick ? 2000 : 10000;
  char pe[600], pr[600];
  db_path(pe, sizeof pe, "reference");
  db_path(pr, sizeof pr, "reference_raw");
  ref_run run;
  ref_alternate(pe, pr, n, &run);
  double *create_t = run.create_t, *move_t = run.move_t, *move_cpu = run.move_cpu;
  double *frames = run.frames;
  char (*why)[300] = run.why;
  int bad = run.bad;
  rm_db(pe);
  rm_db(pr);
  /* the whole process, for its memory */
  char cmd[5000], out[600] = "";
  snprintf(cmd, sizeof cmd, "'%s' --n %d --db '%s/reference_process.db' 2>&1", ref_bin, n, dir);
  FILE *f = popen(cmd, "r");
  while (f && fgets(out, sizeof out, f) && strncmp(out, "RESULT", 6)) {}
  if (f) pclose(f);
  const char *rss = strstr(out, "peak_rss_mb="), *proc = strstr(out, "trans_per_s=");
  char pp[600];
  snprintf(pp, sizeof pp, "%s/reference_process.db", dir);
  rm_db(pp);
  double e_ps = 4.0 * n / move_t[0], r_ps = 4.0 * n / move_t[1];
  double e_cpu = move_cpu[0] * 1e6 / (4.0 * n), r_cpu = move_cpu[1] * 1e6 / (4.0 * n);
  put("reference_n", n);
  put("reference_engine_per_s", e_ps);
  put("reference_raw_per_s", r_ps);
  put("reference_ratio", e_ps / r_ps);
  put("reference_engine_cpu_us", e_cpu);
  put("reference_raw_cpu_us", r_cpu);
  put("reference_cpu_ratio", e_cpu / r_cpu);
  put("reference_frames_per_transition", frames[0]);
  put("reference_raw_frames_per_transition", frames[1]);
  put("reference_engine_creates_per_s", n / create_t[0]);
  put("reference_raw_creates_per_s", n / create_t[1]);
  put("reference_create_ratio", create_t[1] / create_t[0]);
  if (rss) put("reference_rss_mb", atof(rss + 12));
  if (proc) put("reference_process_per_s", atof(proc + 12));
  put_s("reference_check", bad ? (why[0][0] && strcmp(why[0], "OK") ? why[0] : why[1]) : "OK");
  line("%-44s %12.0f %12.0f raw %8.2f %s", "reference: transitions/s (BENCH-REFERENCE)", e_ps, r_ps,
       e_ps / r_ps, e_ps / r_ps >= 0.60 ? ">= 0.60 holds" : ">= 0.60 MISSED");
  line("%-44s %12.1f %12.1f raw %8.2f %s", "  CPU us per transition (engine/raw)", e_cpu, r_cpu,
       e_cpu / r_cpu, e_cpu / r_cpu <= 2.5 ? "<= 2.5 holds" : "<= 2.5 MISSED");
  line("%-44s %12.2f %12.2f raw %8s %s", "  WAL frames per transition", frames[0], frames[1], "",
       frames[0] <= 5.0 ? "<= 5 holds" : "<= 5 MISSED");
  line("%-44s %12.0f %12.0f raw %8.2f %s", "  case creation/s", n / create_t[0], n / create_t[1],
       create_t[1] / create_t[0], create_t[1] / create_t[0] >= 0.60 ? ">= 0.60 holds" : ">= 0.60 MISSED");
  if (rss)
    line("%-44s %12.1f %12s %8s %s", "  peak RSS MB (build/bench/reference)", atof(rss + 12), "", "",
         atof(rss + 12) < 16 ? "< 16 holds" : "< 16 MISSED");
  line("%-44s %12s", "  check (cases restored, 5N events, chain)", bad ? "FAILED" : "OK");
  say("reference: engine %.0f/s, raw %.0f/s, %d cases%s", e_ps, r_ps, n, bad ? ", check FAILED" : "");
}

/* ---- phase: the outbox plugin (delivery after each commit) ---- */

static void phase_outbox(void) {
  say("transitions with the outbox plugin delivering (its default when loaded)");
  unsetenv("KINFLOW_OUTBOX");
  kf_engine *e = engine(db_e, 0);
  int ncase = ncases_e < 1000 ? ncases_e : 1000;
  /* The first delivery sends the whole backlog of the phases before, on the plugin's
   * thread: closing the engine waits for it, so that it is neither timed nor running
   * beside the timed moves. */
  engine_step(e, 1);
  kf_engine_close(e);
  e = engine(db_e, 0);
  double slot = quick ? 0.5 : 3.0, t0 = now_s();
  long n = 1;
  while (now_s() - t0 < slot) engine_step(e, 1 + n++ % ncase);
  double tps = n / (now_s() - t0);
  kf_engine_close(e);
  setenv("KINFLOW_OUTBOX", "off", 1);
  put("outbox_engine_tps", tps);
  double plain = get("normal_engine_tps");
  if (plain > 0) {
    put("outbox_vs_engine_ratio", tps / plain);
    line("%-44s %12.0f %12.0f eng %8.2f", "transitions/s, outbox plugin delivering", tps, plain,
         tps / plain);
  } else {
    line("%-44s %12.0f", "transitions/s, outbox plugin delivering", tps);
  }
}

/* ---- phase: scale ---- */

static const char *STATES[] = {"referral", "building_trust", "capability", "restoration",
                               "restored", "closed"};
/* case i's state: 30% referral, 30% stage 1, 20% stage 2, 10% stage 3, 5% restored, 5% closed */
static int state_of(long i) {
  int k = (int)(i % 20);
  return k < 6 ? 0 : k < 12 ? 1 : k < 16 ? 2 : k < 18 ? 3 : k < 19 ? 4 : 5;
}

static long synth; /* synthetic co-parenthood cases so far */
static int64_t cop_wf;

/* Add cases (as rows, in the engine's schema) until there are `to` synthetic ones: each
 * with a child member, its events (opened, member added, one per move), its pending timer
 * (lapse in referral, review in the stages), 2% of stage-1 cases overdue. The events carry
 * hash-sized text, not a valid chain: `audit verify` would refuse this database. */
static void scale_grow(const char *path, long to) {
  static const char *path_names[] = {"match", "strengthen", "prepare_restoration", "restore"};
  sqlite3 *db = raw_conn(path);
  xexec(db, "PRAGMA synchronous=OFF");
  sqlite3_stmt *ins = prep(db, "INSERT INTO cases(ref,workflow_id,workflow,state,final,data,"
                               "overdue_since,created_at,updated_at,entered_at,revision)"
                               " VALUES(?1,?2,'coparenthood',?3,?4,?5,?6,?7,?8,?8,?9)");
  sqlite3_stmt *mem = prep(db, "INSERT INTO members(case_id,role,name,data,added_at)"
                               " VALUES(?1,'child',?2,?3,?4)");
  sqlite3_stmt *ev = prep(db, "INSERT INTO events(seq,case_id,at,actor,role,kind,name,from_state,"
                              "to_state,reason,data,prev_hash,hash) VALUES(?1,?2,?3,'robin',?4,?5,"
                              "?6,?7,?8,NULL,?9,?10,?11)");
  sqlite3_stmt *tim = prep(db, "INSERT INTO timers(case_id,name,kind,state,due_at)"
                               " VALUES(?1,?2,?3,?4,?5)");
  int64_t seq = scalar(db, "SELECT coalesce(max(seq),0) FROM events");
  char prev[65], hash[65];
  snprintf(prev, sizeof prev, "%064d", 0);
  xexec(db, "BEGIN");
  for (long i = synth + 1; i <= to; i++) {
    int st = state_of(i);
    char ref[32], data[300], created[24], updated[24], due[24], name[48], mdata[64];
    /* opened in the last 60 days, moved since; timers fall due in the future, so that
     * `kinflow serve` has none to run while it is measured */
    time_t now = time(NULL), c0 = now - 60 * 86400 + (time_t)(i % 2592000);
    iso(c0, created);
    iso(c0 + 3600 * (st == 0 ? 0 : 24 + st * 24), updated);
    snprintf(ref, sizeof ref, "CP-%07ld", i);
    snprintf(name, sizeof name, "Child %ld", i);
    snprintf(data, sizeof data,
             "{\"referred_on\":\"%.10s\",\"district\":\"%s\",\"language\":\"English\","
             "\"referral_source\":\"community services\",\"siblings\":%ld}",
             created, (const char *[]){"North", "South", "East", "West", "Central"}[i % 5], i % 4);
    int overdue = st == 1 && i % 50 == 1;
    sqlite3_bind_text(ins, 1, ref, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 2, cop_wf);
    bind_t(ins, 3, STATES[st]);
    sqlite3_bind_int(ins, 4, st >= 4);
    bind_t(ins, 5, data);
    if (overdue) bind_t(ins, 6, updated);
    else sqlite3_bind_null(ins, 6);
    bind_t(ins, 7, created);
    bind_t(ins, 8, updated);
    int moves = st == 5 ? 1 : st;
    sqlite3_bind_int64(ins, 9, 2 + moves);
    if (step_reset(ins)) die("scale insert: %s", sqlite3_errmsg(db));
    int64_t id = sqlite3_last_insert_rowid(db);
    snprintf(mdata, sizeof mdata, "{\"dob\":\"20%02ld-0%ld-1%ld\"}", 10 + i % 12, 1 + i % 9, i % 10);
    sqlite3_bind_int64(mem, 1, id);
    bind_t(mem, 2, name);
    bind_t(mem, 3, mdata);
    bind_t(mem, 4, created);
    if (step_reset(mem)) die("scale member: %s", sqlite3_errmsg(db));
    /* events: opened, member added, then the moves */
    int nev = 2 + moves;
    for (int k = 0; k < nev; k++) {
      char evdata[400];
      const char *kind, *evname = NULL, *from = NULL, *to_state = NULL, *role = NULL;
      if (k == 0) {
        kind = "case.opened", to_state = "referral";
        snprintf(evdata, sizeof evdata, "{\"data\":%s,\"ref\":\"%s\",\"version\":1,"
                 "\"workflow\":\"coparenthood\"}", data, ref);
      } else if (k == 1) {
        kind = "member.added", evname = name, role = "child";
        snprintf(evdata, sizeof evdata, "{\"data\":%s,\"name\":\"%s\",\"role\":\"child\"}", mdata,
                 name);
      } else {
        kind = "case.transition";
        if (st == 5) evname = "close", from = "referral", to_state = "closed", role = "supervisor";
        else evname = path_names[k - 2], from = STATES[k - 2], to_state = STATES[k - 1],
             role = "caseworker";
        snprintf(evdata, sizeof evdata, "%s", to_state && !strcmp(to_state, "restored")
                 ? "{\"outcome\":\"restored\"}" : "{}");
      }
      seq++;
      snprintf(hash, sizeof hash, "%016llx%016llx%016llx%016llx",
               (unsigned long long)seq * 0x9E3779B97F4A7C15ull, (unsigned long long)i,
               (unsigned long long)seq ^ 0xC2B2AE3D27D4EB4Full, (unsigned long long)k);
      sqlite3_bind_int64(ev, 1, seq);
      sqlite3_bind_int64(ev, 2, id);
      bind_t(ev, 3, k < 2 ? created : updated);
      if (role) bind_t(ev, 4, role);
      else sqlite3_bind_null(ev, 4);
      bind_t(ev, 5, kind);
      if (evname) bind_t(ev, 6, evname);
      else sqlite3_bind_null(ev, 6);
      if (from) bind_t(ev, 7, from);
      else sqlite3_bind_null(ev, 7);
      if (to_state) bind_t(ev, 8, to_state);
      else sqlite3_bind_null(ev, 8);
      bind_t(ev, 9, evdata);
      bind_t(ev, 10, prev);
      bind_t(ev, 11, hash);
      if (step_reset(ev)) die("scale event: %s", sqlite3_errmsg(db));
      memcpy(prev, hash, sizeof prev);
    }
    if (st <= 3) {
      iso(now + 86400 * (1 + i % 28), due);
      sqlite3_bind_int64(tim, 1, id);
      bind_t(tim, 2, st == 0 ? "lapse" : "review");
      bind_t(tim, 3, st == 0 ? "after" : "review");
      bind_t(tim, 4, STATES[st]);
      bind_t(tim, 5, due);
      if (step_reset(tim)) die("scale timer: %s", sqlite3_errmsg(db));
    }
    if (i % 50000 == 0) xexec(db, "COMMIT; BEGIN");
  }
  xexec(db, "COMMIT");
  synth = to;
  sqlite3_stmt *all[] = {ins, mem, ev, tim};
  for (size_t i = 0; i < 4; i++) sqlite3_finalize(all[i]);
  xexec(db, "PRAGMA wal_checkpoint(TRUNCATE); ANALYZE");
  sqlite3_close(db);
}

/* Latency of one API verb through kf_session_call: p50 and p99 in ms. */
static void verb_latency(kf_session *s, const char *verb, json_t *args, int reps, double budget,
                         double *p50, double *p99) {
  double v[256];
  int n = 0, status = 0;
  kf_err err = {0};
  json_decref(kf_session_call(s, verb, args, &status, &err)); /* warm */
  double t_end = now_s() + budget;
  while (n < reps && n < 256 && (n < 3 || now_s() < t_end)) {
    double t0 = now_s();
    json_t *r = kf_session_call(s, verb, args, &status, &err);
    v[n++] = (now_s() - t0) * 1000;
    if (!r) die("%s: %s", verb, err.msg);
    json_decref(r);
  }
  *p50 = pct(v, n, 50);
  *p99 = pct(v, n, 99);
}

static double store_latency(kf_store *st, json_t *f, int count, int reps) {
  double v[64];
  kf_err err = {0};
  int n = 0;
  for (; n < reps && n < 64; n++) {
    double t0 = now_s();
    if (count) {
      if (kf_store_case_count(st, f, 10001, &err) < 0) die("count: %s", err.msg);
    } else {
      json_t *a = kf_store_case_list(st, f, &err);
      if (!a) die("list: %s", err.msg);
      json_decref(a);
    }
    v[n] = (now_s() - t0) * 1000;
  }
  return median(v, n);
}

static void scale_measure(const char *path, const char *label) {
  kf_err err = {0};
  kf_session *s = kf_session_open(path, &err);
  if (!s) die("session: %s", err.msg);
  int reps = quick ? 25 : 60;
  double budget = quick ? 0.5 : 3.0;
  long n = synth;
  struct {
    const char *name, *verb;
    json_t *args;
  } ops[] = {
      {"get", "case.get", json_pack("{s:I}", "id", (json_int_t)(n / 2 + 1))},
      {"list", "case.list", json_pack("{s:i}", "limit", 50)},
      {"list_state", "case.list", json_pack("{s:s,s:s,s:i}", "workflow", "coparenthood", "state",
                                            "restoration", "limit", 50)},
      {"list_overdue", "case.list", json_pack("{s:b,s:i}", "overdue", 1, "limit", 50)},
      {"list_offset_5000", "case.list", json_pack("{s:i,s:i}", "limit", 50, "offset", 5000)},
      {"search_ref", "case.list", json_pack("{s:s,s:i}", "q", "CP-0000777", "limit", 50)},
      {"moves", "case.moves", json_pack("{s:I,s:s}", "id", (json_int_t)(n / 20 * 20 + 1 - 20),
                                         "as", "caseworker")},
  };
  char key[96];
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    double p50, p99;
    verb_latency(s, ops[i].verb, ops[i].args, reps, budget, &p50, &p99);
    snprintf(key, sizeof key, "scale_%s_%s_p50_ms", label, ops[i].name);
    put(key, p50);
    snprintf(key, sizeof key, "scale_%s_%s_p99_ms", label, ops[i].name);
    put(key, p99);
    line("  %-42s %12.3f %12.3f", ops[i].name, p50, p99);
    json_decref(ops[i].args);
  }
  kf_session_close(s);
  /* the list verb's two halves, for the diagnosis */
  kf_store *st = kf_store_open(path, KF_STORE_NOCREATE, &err);
  if (!st) die("store: %s", err.msg);
  json_t *f = json_pack("{s:i}", "limit", 50);
  double page = store_latency(st, f, 0, quick ? 10 : 20);
  json_t *f2 = json_object();
  double count = store_latency(st, f2, 1, quick ? 5 : 10);
  json_decref(f);
  json_decref(f2);
  kf_store_close(st);
  snprintf(key, sizeof key, "scale_%s_page_only_ms", label);
  put(key, page);
  snprintf(key, sizeof key, "scale_%s_count_only_ms", label);
  put(key, count);
  line("  %-42s %12.3f", "  of which: page of 50 (store)", page);
  line("  %-42s %12.3f", "  of which: count(*) for the total (store)", count);
  sqlite3 *db = raw_conn(path);
  xexec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
  double bytes = (double)scalar(db, "PRAGMA page_count") * scalar(db, "PRAGMA page_size");
  long ncase = (long)scalar(db, "SELECT count(*) FROM cases");
  sqlite3_close(db);
  snprintf(key, sizeof key, "scale_%s_bytes_per_case", label);
  put(key, bytes / ncase);
  snprintf(key, sizeof key, "scale_%s_db_mb", label);
  put(key, bytes / 1048576);
  line("  %-42s %12.0f   (%.1f MB, %ld cases)", "database bytes per case", bytes / ncase,
       bytes / 1048576, ncase);
}

/* ---- phase: the API under wrk ---- */

typedef struct proc {
  pid_t pid;
  int out;
  int port;
} proc;

/* Servers still running when the bench stops early (die) are stopped at exit. */
static pid_t children[8];

static void stop_children(void) {
  for (size_t i = 0; i < sizeof children / sizeof *children; i++)
    if (children[i] > 0) {
      kill(children[i], SIGTERM);
      waitpid(children[i], NULL, 0);
      children[i] = 0;
    }
}

static void remember(pid_t pid, int add) {
  for (size_t i = 0; i < sizeof children / sizeof *children; i++)
    if (add ? children[i] == 0 : children[i] == pid) {
      children[i] = add ? pid : 0;
      return;
    }
}

/* Start argv with extra environment, wait for its "http://ADDR:PORT/" line. */
static int spawn(proc *p, char *const argv[], const char *db) {
  int fd[2];
  if (pipe(fd)) return -1;
  p->pid = fork();
  if (p->pid < 0) return -1;
  if (p->pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    close(fd[1]);
    setenv("KINFLOW_DB", db, 1);
    setenv("KINFLOW_OUTBOX", "off", 1);
    execv(argv[0], argv);
    _exit(127);
  }
  close(fd[1]);
  remember(p->pid, 1);
  p->out = fd[0];
  char buf[1024];
  size_t n = 0;
  double t_end = now_s() + 15;
  while (now_s() < t_end && n < sizeof buf - 1) {
    struct pollfd pf = {.fd = p->out, .events = POLLIN};
    if (poll(&pf, 1, 200) <= 0) continue;
    ssize_t k = read(p->out, buf + n, sizeof buf - 1 - n);
    if (k <= 0) break;
    n += (size_t)k;
    buf[n] = 0;
    char *h = strstr(buf, "http://");
    if (h && strchr(h, '\n')) {
      char *colon = strrchr(h, ':');
      p->port = atoi(colon + 1);
      return p->port > 0 ? 0 : -1;
    }
  }
  return -1;
}

static void stop(proc *p) {
  if (p->pid <= 0) return;
  kill(p->pid, SIGTERM);
  int st;
  waitpid(p->pid, &st, 0);
  remember(p->pid, 0);
  close(p->out);
  p->pid = 0;
}

/* VmHWM or VmRSS of a process, MB. */
static double proc_mb(pid_t pid, const char *field) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  double kb = NAN;
  size_t n = strlen(field);
  while (f && fgets(buf, sizeof buf, f))
    if (!strncmp(buf, field, n) && buf[n] == ':') kb = atof(buf + n + 1);
  if (f) fclose(f);
  return kb / 1024;
}

/* One HTTP/1.1 request on a fresh connection; the body is returned (malloc'd). */
static char *http(int port, const char *method, const char *path, const char *headers,
                  const char *body, int *status, char *cookie, size_t cookie_len) {
  char cmd[4096];
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s/http.headers", dir);
  snprintf(cmd, sizeof cmd, "curl -s -o - -D '%s' -X %s %s %s%s%s 'http://127.0.0.1:%d%s'", tmp,
           method, headers ? headers : "", body ? "--data-binary '" : "", body ? body : "",
           body ? "'" : "", port, path);
  FILE *f = popen(cmd, "r");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *out = malloc(cap);
  size_t k;
  while ((k = fread(out + n, 1, cap - n - 1, f)) > 0) {
    n += k;
    if (n + 1 >= cap) out = realloc(out, cap *= 2);
  }
  out[n] = 0;
  pclose(f);
  FILE *h = fopen(tmp, "r");
  char line_[2048];
  *status = 0;
  while (h && fgets(line_, sizeof line_, h)) {
    if (!strncmp(line_, "HTTP/", 5)) *status = atoi(strchr(line_, ' ') + 1);
    if (cookie && !strncasecmp(line_, "Set-Cookie:", 11)) {
      char *v = line_ + 11;
      while (*v == ' ') v++;
      v[strcspn(v, ";\r\n")] = 0;
      size_t m = strlen(v) < cookie_len ? strlen(v) : cookie_len - 1;
      memcpy(cookie, v, m);
      cookie[m] = 0;
    }
  }
  if (h) fclose(h);
  return out;
}

typedef struct wrk_result {
  double rps, p50, p99;
  long non2xx, requests, errors;
} wrk_result;

static double wrk_ms(const char *s) {
  double v = atof(s);
  const char *u = s + strspn(s, "0123456789.");
  if (!strncmp(u, "us", 2)) return v / 1000;
  if (!strncmp(u, "ms", 2)) return v;
  if (!strncmp(u, "s", 1)) return v * 1000;
  if (!strncmp(u, "m", 1)) return v * 60000;
  return v;
}

static wrk_result run_wrk_c(int port, const char *script, const char *path, double secs,
                            int conns) {
  wrk_result r = {NAN, NAN, NAN, 0, 0, 0};
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "%s -t2 -c%d -d%.0fs --latency -s '%s' 'http://127.0.0.1:%d%s' 2>&1",
           wrk_bin, conns, secs, script, port, path);
  FILE *f = popen(cmd, "r");
  char buf[512];
  while (f && fgets(buf, sizeof buf, f)) {
    char *p = buf + strspn(buf, " \t");
    if (!strncmp(p, "50%", 3)) r.p50 = wrk_ms(p + 3 + strspn(p + 3, " \t"));
    else if (!strncmp(p, "99%", 3)) r.p99 = wrk_ms(p + 3 + strspn(p + 3, " \t"));
    else if (!strncmp(p, "Requests/sec:", 13)) r.rps = atof(p + 13);
    else if (!strncmp(p, "Non-2xx or 3xx responses:", 25)) r.non2xx = atol(p + 25);
    else if (strstr(p, "requests in")) r.requests = atol(p);
    else if (!strncmp(p, "Socket errors:", 14)) {
      long a = 0, b = 0, c = 0, d = 0;
      sscanf(p, "Socket errors: connect %ld, read %ld, write %ld, timeout %ld", &a, &b, &c, &d);
      r.errors = a + b + c + d;
    }
  }
  if (f) pclose(f);
  usleep(500 * 1000); /* let the server finish and close the run's connections (32 per address) */
  return r;
}

static wrk_result run_wrk(int port, const char *script, const char *path, double secs) {
  return run_wrk_c(port, script, path, secs, 32);
}

static void write_script(const char *path, const char *cookie, const char *csrf, const char *kind,
                         long first, long count) {
  FILE *f = fopen(path, "w");
  if (!f) die("writing %s", path);
  fprintf(f, "local n, first, count = 0, %ld, %ld\n", first, count);
  fprintf(f, "local h = { [\"Cookie\"] = \"%s\", [\"Content-Type\"] = \"application/json\","
             " [\"X-CSRF-Token\"] = \"%s\" }\n", cookie, csrf);
  fprintf(f, "request = function()\n  n = n + 1\n  local id = first + (n * 7919) %% count\n");
  if (!strcmp(kind, "get")) fprintf(f, "  return wrk.format(\"GET\", \"/api/cases/\" .. id, h)\n");
  else if (!strcmp(kind, "list"))
    fprintf(f, "  return wrk.format(\"GET\", \"/api/cases?limit=50\", h)\n");
  else fprintf(f, "  return wrk.format(\"POST\", \"/api/cases/\" .. id .. \"/transitions/step\","
                  " h, '{\"as\":\"worker\"}')\n");
  fprintf(f, "end\n");
  fclose(f);
}

static int have_wrk(void) {
  return system("command -v wrk >/dev/null 2>&1") == 0;
}

static char db_s[600];
static long bench_first, bench_count; /* bench-programme cases in the scale database */

/* reps runs of each server, alternating who goes first; the medians of each figure, and
 * the median of the paired req/s ratios (each pair ran under the same machine load). */
static double wrk_pairs2(int port_k, const char *script_k, int port_b, const char *script_b,
                         double secs, int reps, wrk_result *k, wrk_result *b) {
  double kr[8], kp50[8], kp99[8], br[8], bp50[8], bp99[8], ratio[8];
  long kerr = 0, berr = 0, kserr = 0, bserr = 0;
  if (reps > 8) reps = 8;
  for (int i = 0; i < reps; i++) {
    wrk_result x, y;
    if (i % 2 == 0) x = run_wrk(port_k, script_k, "/", secs), y = run_wrk(port_b, script_b, "/", secs);
    else y = run_wrk(port_b, script_b, "/", secs), x = run_wrk(port_k, script_k, "/", secs);
    kr[i] = x.rps, kp50[i] = x.p50, kp99[i] = x.p99, kerr += x.non2xx, kserr += x.errors;
    br[i] = y.rps, bp50[i] = y.p50, bp99[i] = y.p99, berr += y.non2xx, bserr += y.errors;
    ratio[i] = x.rps / y.rps;
  }
  *k = (wrk_result){median(kr, reps), median(kp50, reps), median(kp99, reps), kerr, 0, kserr};
  *b = (wrk_result){median(br, reps), median(bp50, reps), median(bp99, reps), berr, 0, bserr};
  return median(ratio, reps);
}

static double wrk_pairs(int port_k, int port_b, const char *script, double secs, int reps,
                        wrk_result *k, wrk_result *b) {
  return wrk_pairs2(port_k, script, port_b, script, secs, reps, k, b);
}

static void api_row(const char *what, const char *key, wrk_result k, wrk_result b, double ratio) {
  char name[96];
  snprintf(name, sizeof name, "api_%s_rps", key);
  put(name, k.rps);
  snprintf(name, sizeof name, "api_%s_bare_rps", key);
  put(name, b.rps);
  snprintf(name, sizeof name, "api_%s_p50_ms", key);
  put(name, k.p50);
  snprintf(name, sizeof name, "api_%s_p99_ms", key);
  put(name, k.p99);
  snprintf(name, sizeof name, "api_%s_bare_p50_ms", key);
  put(name, b.p50);
  snprintf(name, sizeof name, "api_%s_bare_p99_ms", key);
  put(name, b.p99);
  snprintf(name, sizeof name, "api_%s_vs_bare_ratio", key);
  put(name, ratio);
  snprintf(name, sizeof name, "api_%s_non2xx", key);
  put(name, (double)k.non2xx);
  snprintf(name, sizeof name, "api_%s_socket_errors", key);
  put(name, (double)k.errors);
  line("%-44s %12.0f %12.0f bare %7.2f %s", what, k.rps, b.rps, ratio,
       !strcmp(key, "get") ? (ratio >= 0.6 ? ">= 0.60 holds" : ">= 0.60 MISSED") : "");
  line("%-44s %5.2f/%-6.2f %5.2f/%-6.2f", "  p50/p99 ms (32 connections)", k.p50, k.p99, b.p50,
       b.p99);
  if (k.non2xx || b.non2xx)
    line("%-44s %12ld %12ld", "  non-2xx answers", k.non2xx, b.non2xx);
  if (k.errors || b.errors)
    line("%-44s %12ld %12ld", "  socket errors (connect, read, timeout)", k.errors, b.errors);
}

static void phase_api(const char *label) {
  if (!have_wrk()) {
    say("wrk is missing (scripts/install-deps.sh wrk): the API figures are left out");
    line("%-44s", "API: wrk is missing, not measured");
    return;
  }
  say("API: kinflow serve vs bare libmicrohttpd under wrk (-c32 -t2) on %s cases", label);
  kf_err err = {0};
  /* cases of the bench programme to fire through the API */
  if (!bench_count) {
    kf_engine *e = engine(db_s, 0);
    deploy(e, "bench/bench.lua");
    bench_count = quick ? 300 : 1000;
    bench_first = engine_open_case(e);
    for (long i = 1; i < bench_count; i++) engine_open_case(e);
    kf_engine_close(e);
    kf_session *s = kf_session_open(db_s, &err);
    int status;
    json_t *u = kf_session_call(s, "user.add", json_pack("{s:s,s:s,s:s,s:s}", "login", "bench",
                                "role", "admin", "password", "timing-runs-passphrase 1", "actor",
                                "bench"), &status, &err);
    if (!u) die("user.add: %s", err.msg);
    json_decref(u);
    kf_session_close(s);
  }
  proc serve = {0}, bare = {0};
  char *sargv[] = {kinflow_bin, "serve", "--port", "0", NULL};
  char *bargv[] = {bare_bin, db_s, NULL};
  if (spawn(&serve, sargv, db_s)) die("kinflow serve did not start");
  if (spawn(&bare, bargv, db_s)) die("bare_server did not start");
  int status = 0;
  char cookie[512] = "", csrf[128] = "";
  char *body = http(serve.port, "POST", "/api/session", "-H 'Content-Type: application/json'",
                    "{\"login\":\"bench\",\"password\":\"timing-runs-passphrase 1\"}", &status, cookie,
                    sizeof cookie);
  json_t *login = body ? json_loads(body, 0, NULL) : NULL;
  if (status != 200 || !login) die("login: %d %s", status, body ? body : "");
  snprintf(csrf, sizeof csrf, "%s", json_string_value(json_object_get(login, "csrf")));
  json_decref(login);
  free(body);
  /* the same bytes? */
  char hdr[700], path[64];
  snprintf(hdr, sizeof hdr, "-H 'Cookie: %s'", cookie);
  snprintf(path, sizeof path, "/api/cases/%ld", synth / 2 + 1);
  int s1, s2;
  char *a = http(serve.port, "GET", path, hdr, NULL, &s1, NULL, 0);
  char *b = http(bare.port, "GET", path, hdr, NULL, &s2, NULL, 0);
  int same = a && b && s1 == 200 && s2 == 200 && !strcmp(a, b);
  put("api_get_same_bytes", same);
  put("api_get_body_bytes", a ? (double)strlen(a) : 0);
  if (!same) say("GET %s: kinflow %d (%zu bytes), bare %d (%zu bytes): not the same bytes", path,
                 s1, a ? strlen(a) : 0, s2, b ? strlen(b) : 0);
  free(a);
  free(b);
  a = http(serve.port, "GET", "/api/cases?limit=50", hdr, NULL, &s1, NULL, 0);
  b = http(bare.port, "GET", "/api/cases?limit=50", hdr, NULL, &s2, NULL, 0);
  int same_list = a && b && s1 == 200 && s2 == 200 && !strcmp(a, b);
  put("api_list_same_bytes", same_list);
  put("api_list_body_bytes", a ? (double)strlen(a) : 0);
  if (!same_list)
    say("GET /api/cases?limit=50: kinflow %d (%zu bytes), bare %d (%zu bytes): not the same bytes",
        s1, a ? strlen(a) : 0, s2, b ? strlen(b) : 0);
  line("%-44s %12s %12s", "API answers: same bytes as bare (GET, list)", same ? "yes" : "NO",
       same_list ? "yes" : "NO");
  free(a);
  free(b);

  char sg[600], sl[600], sf[600];
  snprintf(sg, sizeof sg, "%s/get.lua", dir);
  snprintf(sl, sizeof sl, "%s/list.lua", dir);
  snprintf(sf, sizeof sf, "%s/fire.lua", dir);
  write_script(sg, cookie, csrf, "get", 1, synth);
  write_script(sl, cookie, csrf, "list", 1, synth);
  write_script(sf, cookie, csrf, "fire", bench_first, bench_count);
  double secs = quick ? 2 : 5;
  int reps = quick ? 2 : 3;
  run_wrk(serve.port, sg, "/", 1); /* warm both */
  run_wrk(bare.port, sg, "/", 1);
  wrk_result gk, gb, lk, lb, fk, fb;
  double gr = wrk_pairs(serve.port, bare.port, sg, secs, reps, &gk, &gb);
  double lr = wrk_pairs(serve.port, bare.port, sl, secs, quick ? 1 : reps, &lk, &lb);
  double fr = wrk_pairs(serve.port, bare.port, sf, secs, quick ? 1 : reps, &fk, &fb);
  /* below saturation: 8 connections */
  wrk_result g8k = run_wrk_c(serve.port, sg, "/", secs, 8), g8b = run_wrk_c(bare.port, sg, "/", secs, 8);
  double hwm = proc_mb(serve.pid, "VmHWM"), rss = proc_mb(serve.pid, "VmRSS");
  char title[96];
  snprintf(title, sizeof title, "API GET /api/cases/ID req/s (%s)", label);
  api_row(title, "get", gk, gb, gr);
  snprintf(title, sizeof title, "API list page of 50 req/s (%s)", label);
  api_row(title, "list", lk, lb, lr);
  snprintf(title, sizeof title, "API fire a transition req/s (%s)", label);
  api_row(title, "fire", fk, fb, fr);
  put("api_get_vs_bare_ratio", gr);
  put("api_p99_ms", gk.p99);
  line("%-44s %12.2f %12.2f bare      %s", "API GET p99 ms, 32 connections", gk.p99, gb.p99,
       gk.p99 < 5 ? "< 5 ms holds" : "< 5 ms MISSED");
  put("api_get_c8_rps", g8k.rps);
  put("api_get_c8_p50_ms", g8k.p50);
  put("api_get_c8_p99_ms", g8k.p99);
  put("api_get_c8_bare_rps", g8b.rps);
  put("api_get_c8_bare_p99_ms", g8b.p99);
  line("%-44s %12.2f %12.2f bare      (%.0f vs %.0f req/s)", "API GET p99 ms, 8 connections",
       g8k.p99, g8b.p99, g8k.rps, g8b.rps);
  put("serve_peak_rss_mb", hwm);
  put("serve_rss_mb", rss);
  line("%-44s %12.1f   now %.1f MB (one sign-in: argon2id)", "kinflow serve peak RSS MB", hwm, rss);
  say("API: GET %.0f vs %.0f bare, list %.0f vs %.0f, fire %.0f vs %.0f", gk.rps, gb.rps, lk.rps,
      lb.rps, fk.rps, fb.rps);
  stop(&serve);
  stop(&bare);
}

/* Peak memory of `kinflow serve` at 1M cases: a session made through the engine (no
 * sign-in, whose argon2id takes 64 MiB for a moment), GET, list and fire under wrk; then
 * one real sign-in. */
static void phase_rss(void) {
  if (!have_wrk() || !bench_count) return;
  say("kinflow serve memory at %ld cases", synth);
  kf_err err = {0};
  int status;
  kf_session *s = kf_session_open(db_s, &err);
  json_t *sess = kf_session_call(s, "session.create", json_pack("{s:s}", "login", "bench"),
                                 &status, &err);
  if (!sess) die("session.create: %s", err.msg);
  char cookie[512], csrf[128];
  snprintf(cookie, sizeof cookie, "kf_session=%s", json_string_value(json_object_get(sess, "token")));
  snprintf(csrf, sizeof csrf, "%s", json_string_value(json_object_get(sess, "csrf")));
  json_decref(sess);
  kf_session_close(s);
  proc serve = {0};
  char *sargv[] = {kinflow_bin, "serve", "--port", "0", NULL};
  if (spawn(&serve, sargv, db_s)) die("kinflow serve did not start");
  char sg[600], sl[600], sf[600];
  snprintf(sg, sizeof sg, "%s/get1m.lua", dir);
  snprintf(sl, sizeof sl, "%s/list1m.lua", dir);
  snprintf(sf, sizeof sf, "%s/fire1m.lua", dir);
  write_script(sg, cookie, csrf, "get", 1, synth);
  write_script(sl, cookie, csrf, "list", 1, synth);
  write_script(sf, cookie, csrf, "fire", bench_first, bench_count);
  double rss0 = proc_mb(serve.pid, "VmRSS");
  /* the list last: at 1M its requests outlive wrk's timeout and keep connections busy */
  wrk_result g = run_wrk(serve.port, sg, "/", 5), f = run_wrk(serve.port, sf, "/", 5),
             l = run_wrk(serve.port, sl, "/", 5);
  double hwm = proc_mb(serve.pid, "VmHWM"), rss = proc_mb(serve.pid, "VmRSS");
  char hdr[64];
  snprintf(hdr, sizeof hdr, "-H 'Content-Type: application/json'");
  status = 0;
  for (int i = 0; i < 10 && status != 200; i++) { /* once the list requests have drained */
    sleep(1);
    free(http(serve.port, "POST", "/api/session", hdr,
              "{\"login\":\"bench\",\"password\":\"timing-runs-passphrase 1\"}", &status, NULL, 0));
  }
  double hwm_login = status == 200 ? proc_mb(serve.pid, "VmHWM") : NAN;
  stop(&serve);
  put("serve_rss_mb_1m", hwm);
  put("serve_rss_start_mb_1m", rss0);
  put("serve_rss_end_mb_1m", rss);
  put("serve_peak_after_signin_mb_1m", hwm_login);
  put("api_get_1m_rps", g.rps);
  put("api_get_1m_p99_ms", g.p99);
  put("api_list_1m_rps", l.rps);
  put("api_list_1m_p99_ms", l.p99);
  put("api_fire_1m_rps", f.rps);
  line("%-44s %12.1f   start %.1f, end %.1f; %s", "serve peak RSS MB at 1M (GET, list, fire)",
       hwm, rss0, rss, hwm < 64 ? "< 64 MB holds" : "< 64 MB MISSED");
  line("%-44s %12.1f", "  peak after one sign-in (argon2id 64 MiB)", hwm_login);
  line("%-44s %12.0f   p99 %.2f ms", "  API GET req/s at 1M", g.rps, g.p99);
  line("%-44s %12.0f   p99 %.2f ms", "  API list req/s at 1M", l.rps, l.p99);
  line("%-44s %12.0f   p99 %.2f ms", "  API fire req/s at 1M", f.rps, f.p99);
}

/* The dry run of moving every open co-parenthood case to a second version (its first
 * review made monthly, so every case in that stage has a timer moved), beside `case list`
 * over the same open cases: both as the real commands, whole processes, output thrown
 * away. Writes nothing: the second version stays deployed, and no case moves. */
static double timed_command(const char *path, const char *args) {
  char cmd[5000];
  snprintf(cmd, sizeof cmd, "KINFLOW_DB='%s' KINFLOW_OUTBOX=off '%s' %s >/dev/null 2>&1", path,
           kinflow_bin, args);
  double t0 = now_s();
  if (system(cmd) != 0) die("%s failed", cmd);
  return now_s() - t0;
}

static void scale_migrate_check(const char *path, const char *label) {
  sqlite3 *db = raw_conn(path);
  int64_t open_cases = scalar(db, "SELECT count(*) FROM cases WHERE workflow='coparenthood' AND final=0");
  sqlite3_close(db);
  FILE *in = fopen("workflows/coparenthood.lua", "r");
  char v2[600];
  snprintf(v2, sizeof v2, "%s/coparenthood.lua", dir);
  FILE *out = fopen(v2, "w");
  if (!in || !out) die("writing %s", v2);
  char buf[4096];
  int changed = 0;
  while (fgets(buf, sizeof buf, in)) {
    char *r = changed ? NULL : strstr(buf, "review = \"28d\"");
    if (r) memcpy(r, "review = \"30d\"", 14), changed = 1;
    fputs(buf, out);
  }
  fclose(in);
  fclose(out);
  kf_engine *e = engine(path, 0);
  deploy(e, v2);
  kf_engine_close(e);
  char list_args[96];
  snprintf(list_args, sizeof list_args, "case list --workflow coparenthood --open --limit %lld",
           (long long)open_cases);
  double list_s = timed_command(path, list_args);
  double check_s = timed_command(path, "migrate check coparenthood --to 2 --json");
  char key[96];
  snprintf(key, sizeof key, "scale_%s_migrate_check_s", label);
  put(key, check_s);
  snprintf(key, sizeof key, "scale_%s_migrate_list_s", label);
  put(key, list_s);
  snprintf(key, sizeof key, "scale_%s_migrate_check_vs_list", label);
  put(key, check_s / list_s);
  line("%-44s %12.2f %12.2f list %7.1fx %s", "  migrate check over the open cases, s", check_s,
       list_s, check_s / list_s, check_s / list_s <= 5 ? "<= 5x holds" : "<= 5x MISSED");
  say("migrate check at %s: %lld open cases in %.2f s, `case list` of them %.2f s", label,
      (long long)open_cases, check_s, list_s);
}

static void phase_scale(void) {
  db_path(db_s, sizeof db_s, "scale");
  rm_db(db_s);
  kf_engine *e = engine(db_s, 1);
  deploy(e, "workflows/coparenthood.lua");
  kf_engine_close(e);
  sqlite3 *db = raw_conn(db_s);
  cop_wf = scalar(db, "SELECT max(id) FROM definitions WHERE kind='workflow' AND name='coparenthood'");
  sqlite3_close(db);
  long sizes[] = {10000, 100000, 1000000};
  const char *labels[] = {"10k", "100k", "1m"};
  int nsizes = quick ? 1 : 3;
  for (int i = 0; i < nsizes; i++) {
    double t0 = now_s();
    scale_grow(db_s, sizes[i]);
    say("scale: %ld cases inserted as rows in %.1f s", sizes[i], now_s() - t0);
    char title[96];
    snprintf(title, sizeof title, "scale at %s cases (API verbs, in process)", labels[i]);
    line("%-44s %12s %12s", title, "p50 ms", "p99 ms");
    scale_measure(db_s, labels[i]);
    if (i == 0 && phase("api")) phase_api("10k");
    if (i == (quick ? 0 : 1)) scale_migrate_check(db_s, labels[i]); /* 10k quick, 100k full */
  }
  if (!quick) {
    double r = get("scale_1m_list_p50_ms") / get("scale_10k_list_p50_ms");
    put("list_1m_vs_10k_ratio", r);
    line("%-44s %12.2f %12s      %s", "list latency 1M / 10k (case.list, p50)", r, "",
         r <= 1.5 ? "<= 1.5 holds" : "<= 1.5 MISSED");
    if (phase("api")) phase_rss();
  }
}

/* ---- phase: PostgreSQL (BENCH_ONLY=pg) ---- */

/* A throwaway cluster (scripts/pg-cluster.sh), with the durability that script gives it:
 * fsync, synchronous_commit and full_page_writes off. Stopped (and its folder removed) at
 * exit, on a fatal error or a signal too; `make bench` stops it again should this process
 * die before. */
static char pg_dir[600];

static void pg_cluster_stop(void) {
  if (!pg_dir[0]) return;
  stop_children(); /* servers and drivers connected to it */
  char cmd[800];
  snprintf(cmd, sizeof cmd, "scripts/pg-cluster.sh stop '%s'", pg_dir);
  if (system(cmd) != 0) fprintf(stderr, "bench: could not stop the PostgreSQL cluster in %s\n", pg_dir);
  pg_dir[0] = 0;
}

static void on_signal(int sig) { exit(128 + sig); }

/* scripts/pg-cluster.sh ARGS; its first line of output into out (when out). 0 or -1. */
static int pg_sh(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pg_sh(char *out, size_t len, const char *fmt, ...) {
  char args[1200], cmd[1400], buf[600] = "";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(args, sizeof args, fmt, ap);
  va_end(ap);
  snprintf(cmd, sizeof cmd, "scripts/pg-cluster.sh %s", args);
  FILE *f = popen(cmd, "r");
  if (!f) return -1;
  if (fgets(buf, sizeof buf, f)) buf[strcspn(buf, "\n")] = 0;
  while (fgetc(f) != EOF) {}
  int rc = pclose(f);
  if (out) snprintf(out, len, "%s", buf);
  return rc == 0 && (!out || buf[0]) ? 0 : -1;
}

static void pg_newdb(char *uri, size_t len) {
  if (pg_sh(uri, len, "newdb '%s'", pg_dir)) die("PostgreSQL: could not make a database");
}

static void pg_dropdb(const char *uri) {
  const char *name = strrchr(uri, '/');
  if (name && pg_sh(NULL, 0, "dropdb '%s' '%s'", pg_dir, name + 1))
    say("PostgreSQL: could not drop %s", name + 1);
}

/* One statement as the cluster's superuser, on its maintenance database. */
static void pg_admin(const char *sql) {
  char url[600], conn[700];
  if (pg_sh(url, sizeof url, "url '%s'", pg_dir)) die("PostgreSQL: no cluster in %s", pg_dir);
  snprintf(conn, sizeof conn, "%s/postgres", url);
  PGconn *c = PQconnectdb(conn);
  PGresult *res = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
  if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
    die("PostgreSQL: %s: %s", sql, res ? PQresultErrorMessage(res) : PQerrorMessage(c));
  PQclear(res);
  PQfinish(c);
}

static long file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) ? -1 : (long)sb.st_size;
}

/* What the server logged (log_min_duration_statement = 0) in a window of its log: round
 * trips (a parse of its own, an execute of a prepared statement, a plain statement) and
 * the server's time in them (parse + bind + execute, or the statement). The window is
 * copied to save, for reading. */
typedef struct pg_log {
  long trips, parses, executes, plain;
  double ms;
} pg_log;

static pg_log pg_log_window(const char *log, long from, long to, const char *save) {
  pg_log o = {0};
  FILE *f = fopen(log, "r"), *out = fopen(save, "w");
  if (!f || fseek(f, from, SEEK_SET)) die("reading the server's log %s", log);
  char line_[8192];
  while (ftell(f) < to && fgets(line_, sizeof line_, f)) {
    if (out) fputs(line_, out);
    const char *d = strstr(line_, "LOG:  duration: ");
    if (!d) continue;
    char *end;
    double ms = strtod(d + 16, &end);
    if (strncmp(end, " ms  ", 5)) continue;
    const char *what = end + 5;
    o.ms += ms;
    if (!strncmp(what, "parse ", 6)) o.parses++;
    else if (!strncmp(what, "execute ", 8)) o.executes++;
    else if (!strncmp(what, "statement: ", 11)) o.plain++;
  }
  fclose(f);
  if (out) fclose(out);
  o.trips = o.parses + o.executes + o.plain;
  return o;
}

/* Statements per transition, each side alone on a database of its own whose every
 * statement the server logs: nlog cases opened, then the four rounds inside the window. */
static void pg_statements(int nlog, pg_log out[2]) {
  char log[700];
  snprintf(log, sizeof log, "%s/server.log", pg_dir);
  for (int side = 0; side < 2; side++) {
    char uri[600], sql[200], save[700];
    pg_newdb(uri, sizeof uri);
    snprintf(sql, sizeof sql, "ALTER DATABASE \"%s\" SET log_min_duration_statement = 0",
             strrchr(uri, '/') + 1);
    pg_admin(sql);
    ref_side *s = side == 0 ? ref_engine_new(uri, nlog) : ref_raw_new(uri, nlog);
    if (!s || ref_create(s, 0, nlog)) die("PostgreSQL: the logged run could not open its cases");
    usleep(200 * 1000); /* the last lines reach the log */
    long from = file_size(log);
    for (int r = 1; r <= 4; r++)
      if (ref_round(s, r)) die("PostgreSQL: the logged run, round %d", r);
    usleep(200 * 1000);
    long to = file_size(log);
    ref_free(s);
    snprintf(save, sizeof save, "%s/pg-statements-%s.log", dir, side == 0 ? "engine" : "raw");
    out[side] = pg_log_window(log, from, to, save);
    pg_dropdb(uri);
  }
}

/* A build/bench/reference process talking through two pipes. */
typedef struct driver {
  pid_t pid;
  int in;
  FILE *out;
} driver;

static void driver_start(driver *d, char *const argv[]) {
  int to[2], from[2];
  if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC)) die("pipe: %s", strerror(errno));
  d->pid = fork();
  if (d->pid < 0) die("fork: %s", strerror(errno));
  if (d->pid == 0) {
    dup2(to[0], 0);
    dup2(from[1], 1);
    close(to[0]), close(to[1]), close(from[0]), close(from[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  remember(d->pid, 1);
  d->in = to[1];
  d->out = fdopen(from[0], "r");
}

/* The next line starting with prefix, into buf; -1 when the driver ends first. */
static int driver_line(driver *d, const char *prefix, char *buf, size_t len) {
  while (fgets(buf, (int)len, d->out))
    if (!strncmp(buf, prefix, strlen(prefix))) return 0;
  return -1;
}

static void driver_end(driver *d) {
  close(d->in);
  fclose(d->out);
  waitpid(d->pid, NULL, 0);
  remember(d->pid, 0);
}

static double field(const char *line_, const char *name) {
  const char *p = strstr(line_, name);
  return p ? atof(p + strlen(name)) : NAN;
}

/* k driver processes ("servers") on one database where the programme is deployed, each
 * opening and moving its own k-th of the n cases; the rounds start together, once every
 * driver has opened its cases. The aggregate transitions/s over the union of their rounds;
 * then the whole database checked (n restored, 5n events, the chain: the engine's audit
 * verify, or the raw side's hashes recomputed). */
static double pg_servers(const char *uri, int n, int k, int as_raw, char *why, size_t whylen) {
  ref_side *setup = as_raw ? ref_raw_new(uri, n) : ref_engine_new(uri, n); /* schema, programme */
  if (!setup) die("PostgreSQL: cannot set up %s", uri);
  ref_free(setup);
  driver d[3];
  char nbuf[16], parts[3][16], buf[1024];
  snprintf(nbuf, sizeof nbuf, "%d", n);
  for (int i = 0; i < k; i++) {
    snprintf(parts[i], sizeof parts[i], "%d/%d", i + 1, k);
    char *argv[] = {ref_bin, "--n", nbuf, "--db", (char *)uri, "--part", parts[i], "--wait",
                    as_raw ? "--raw" : NULL, NULL};
    driver_start(&d[i], argv);
  }
  for (int i = 0; i < k; i++)
    if (driver_line(&d[i], "READY", buf, sizeof buf)) die("PostgreSQL: driver %d of %d failed", i + 1, k);
  for (int i = 0; i < k; i++)
    if (write(d[i].in, "go\n", 3) != 3) die("PostgreSQL: driver %d of %d is gone", i + 1, k);
  double begin = INFINITY, end = 0, total = 0;
  for (int i = 0; i < k; i++) {
    if (driver_line(&d[i], "RESULT", buf, sizeof buf)) die("PostgreSQL: driver %d of %d failed", i + 1, k);
    double b = field(buf, "t_begin="), e = field(buf, "t_end="), t = field(buf, "transitions=");
    if (!(b > 0 && e >= b && t > 0)) die("PostgreSQL: driver %d of %d said: %s", i + 1, k, buf);
    begin = b < begin ? b : begin;
    end = e > end ? e : end;
    total += t;
    driver_end(&d[i]);
  }
  ref_side *check = as_raw ? ref_raw_join(uri, n) : ref_engine_join(uri, n);
  if (!check) snprintf(why, whylen, "cannot open the database to check it");
  else ref_check(check, why, whylen);
  ref_free(check);
  return total / (end - begin);
}

/* The bench's admin user on db (a file or a URI); then signed in on the server at port. */
static void add_bench_user(const char *db) {
  kf_err err = {0};
  int status;
  kf_session *s = kf_session_open(db, &err);
  if (!s) die("session on %s: %s", db, err.msg);
  json_t *u = kf_session_call(s, "user.add", json_pack("{s:s,s:s,s:s,s:s}", "login", "bench",
                              "role", "admin", "password", "timing-runs-passphrase 1", "actor",
                              "bench"), &status, &err);
  if (!u) die("user.add on %s: %s", db, err.msg);
  json_decref(u);
  kf_session_close(s);
}

static void sign_in(int port, char *cookie, size_t clen, char *csrf, size_t xlen) {
  int status = 0;
  char *body = http(port, "POST", "/api/session", "-H 'Content-Type: application/json'",
                    "{\"login\":\"bench\",\"password\":\"timing-runs-passphrase 1\"}", &status,
                    cookie, clen);
  json_t *login = body ? json_loads(body, 0, NULL) : NULL;
  if (status != 200 || !login) die("login: %d %s", status, body ? body : "");
  snprintf(csrf, xlen, "%s", json_string_value(json_object_get(login, "csrf")));
  json_decref(login);
  free(body);
}

/* The console's GET /api/cases/ID on the PostgreSQL database pg (n reference cases, ids 1..n,
 * each moved four times) beside the same on SQLite, the cases made the same way, in process:
 * kinflow serve on each, an admin signed in, wrk as the API phase runs it. */
static void pg_api(const char *pg, int n) {
  if (!have_wrk()) {
    line("%-44s", "  API GET on PostgreSQL: wrk is missing, not measured");
    return;
  }
  char lite[600];
  db_path(lite, sizeof lite, "pg_api_sqlite");
  ref_side *x = ref_engine_new(lite, n);
  if (!x || ref_create(x, 0, n)) die("the SQLite side of the API comparison");
  for (int r = 1; r <= 4; r++)
    if (ref_round(x, r)) die("the SQLite side of the API comparison, round %d", r);
  int contiguous = ref_id(x, 0) == 1 && ref_id(x, n - 1) == n;
  ref_free(x);
  if (!contiguous) die("the SQLite side's cases are not numbered 1..%d", n);
  add_bench_user(pg);
  add_bench_user(lite);
  proc sp = {0}, sl = {0};
  char *argv[] = {kinflow_bin, "serve", "--port", "0", NULL};
  if (spawn(&sp, argv, pg)) die("kinflow serve on PostgreSQL did not start");
  if (spawn(&sl, argv, lite)) die("kinflow serve on SQLite did not start");
  char cp[512] = "", xp[128], cl[512] = "", xl[128], hp[700], hl[700], path[64];
  sign_in(sp.port, cp, sizeof cp, xp, sizeof xp);
  sign_in(sl.port, cl, sizeof cl, xl, sizeof xl);
  snprintf(hp, sizeof hp, "-H 'Cookie: %s'", cp);
  snprintf(hl, sizeof hl, "-H 'Cookie: %s'", cl);
  snprintf(path, sizeof path, "/api/cases/%d", n / 2 + 1);
  int s1, s2;
  char *a = http(sp.port, "GET", path, hp, NULL, &s1, NULL, 0);
  char *b = http(sl.port, "GET", path, hl, NULL, &s2, NULL, 0);
  if (s1 != 200 || s2 != 200) die("GET %s: PostgreSQL %d, SQLite %d", path, s1, s2);
  put("pg_api_get_body_bytes", a ? (double)strlen(a) : 0);
  put("sqlite_api_get_body_bytes", b ? (double)strlen(b) : 0);
  free(a);
  free(b);
  char gp[600], gl[600];
  snprintf(gp, sizeof gp, "%s/get_pg.lua", dir);
  snprintf(gl, sizeof gl, "%s/get_sqlite.lua", dir);
  write_script(gp, cp, xp, "get", 1, n);
  write_script(gl, cl, xl, "get", 1, n);
  double secs = quick ? 2 : 5;
  run_wrk(sp.port, gp, "/", 1); /* warm both */
  run_wrk(sl.port, gl, "/", 1);
  wrk_result g, l;
  double ratio = wrk_pairs2(sp.port, gp, sl.port, gl, secs, quick ? 2 : 3, &g, &l);
  stop(&sp);
  stop(&sl);
  rm_db(lite);
  /* round trips a GET: a fresh server on the database, every statement logged, 20 GETs */
  char sql[200], log[700], save[700];
  snprintf(sql, sizeof sql, "ALTER DATABASE \"%s\" SET log_min_duration_statement = 0",
           strrchr(pg, '/') + 1);
  pg_admin(sql);
  if (spawn(&sp, argv, pg)) die("kinflow serve on PostgreSQL did not start");
  sign_in(sp.port, cp, sizeof cp, xp, sizeof xp);
  snprintf(hp, sizeof hp, "-H 'Cookie: %s'", cp);
  for (int i = 0; i < 40; i++) /* every worker thread's session opened, its statements prepared */
    free(http(sp.port, "GET", path, hp, NULL, &s1, NULL, 0));
  snprintf(log, sizeof log, "%s/server.log", pg_dir);
  usleep(200 * 1000);
  long from = file_size(log);
  for (int i = 0; i < 20; i++) {
    snprintf(path, sizeof path, "/api/cases/%d", 1 + i * (n / 20));
    free(http(sp.port, "GET", path, hp, NULL, &s1, NULL, 0));
  }
  usleep(200 * 1000);
  long to = file_size(log); /* before the server stops: its statements are let go then */
  stop(&sp);
  snprintf(save, sizeof save, "%s/pg-statements-get.log", dir);
  pg_log lg = pg_log_window(log, from, to, save);
  put("pg_api_get_per_s", g.rps);
  put("sqlite_api_get_per_s", l.rps);
  put("pg_api_get_vs_sqlite_ratio", ratio);
  put("pg_api_get_p50_ms", g.p50);
  put("pg_api_get_p99_ms", g.p99);
  put("sqlite_api_get_p50_ms", l.p50);
  put("sqlite_api_get_p99_ms", l.p99);
  put("pg_api_get_non2xx", (double)(g.non2xx + l.non2xx));
  put("pg_api_get_statements_per_request", lg.trips / 20.0);
  put("pg_api_get_server_us_per_request", lg.ms * 1000 / 20);
  line("%-44s %12.0f %12.0f sqlite %5.2f", "API GET /api/cases/ID req/s, PostgreSQL", g.rps, l.rps,
       ratio);
  line("%-44s %5.2f/%-6.2f %5.2f/%-6.2f", "  p50/p99 ms (32 connections)", g.p50, g.p99, l.p50,
       l.p99);
  if (g.non2xx || l.non2xx) line("%-44s %12ld %12ld", "  non-2xx answers", g.non2xx, l.non2xx);
  line("%-44s %12.1f   server time %.0f us a GET (logged)", "  round trips a GET (server log)",
       lg.trips / 20.0, lg.ms * 1000 / 20);
  say("PostgreSQL: API GET %.0f req/s, SQLite %.0f req/s", g.rps, l.rps);
}

static void phase_pg(void) {
  int n = quick ? 2000 : 10000;
  const char *pd = getenv("BENCH_PG_DIR");
  if (pd && *pd) {
    if (mkdir(pd, 0700) && errno != EEXIST) die("%s: %s", pd, strerror(errno));
    char real[4096];
    if (!realpath(pd, real)) die("%s: %s", pd, strerror(errno));
    if (strlen(real) > 80) die("BENCH_PG_DIR %s: 80 characters at most (the server's socket)", real);
    memcpy(pg_dir, real, strlen(real) + 1);
  } else {
    snprintf(pg_dir, sizeof pg_dir, "%s/kinflow-bench-pg.XXXXXX",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(pg_dir)) die("mkdtemp %s: %s", pg_dir, strerror(errno));
  }
  atexit(pg_cluster_stop);
  say("PostgreSQL: a throwaway cluster in %s (scripts/pg-cluster.sh)", pg_dir);
  char url[600];
  if (pg_sh(NULL, 0, "start '%s'", pg_dir) || pg_sh(url, sizeof url, "url '%s'", pg_dir))
    die("PostgreSQL: the cluster did not start (scripts/pg-cluster.sh start %s)", pg_dir);
  put_s("pg_durability", "fsync=off synchronous_commit=off full_page_writes=off");
  line("%-44s %12s %12s", "PostgreSQL 15 (fsync, sync commit off)", "engine", "raw libpq");

  /* the engine beside raw libpq, in this process, alternating */
  say("PostgreSQL: the reference workload, engine vs raw libpq, %d cases", n);
  char ue[600], ur[600];
  pg_newdb(ue, sizeof ue);
  pg_newdb(ur, sizeof ur);
  ref_run run;
  ref_alternate(ue, ur, n, &run);
  pg_dropdb(ue);
  pg_dropdb(ur);
  double e_ps = 4.0 * n / run.move_t[0], r_ps = 4.0 * n / run.move_t[1];
  double e_cpu = run.move_cpu[0] * 1e6 / (4.0 * n), r_cpu = run.move_cpu[1] * 1e6 / (4.0 * n);
  double e_wall = run.move_t[0] * 1e6 / (4.0 * n), r_wall = run.move_t[1] * 1e6 / (4.0 * n);
  put("pg_n", n);
  put("pg_engine_per_s", e_ps);
  put("pg_raw_per_s", r_ps);
  put("pg_ratio", e_ps / r_ps);
  put("pg_engine_cpu_us", e_cpu);
  put("pg_raw_cpu_us", r_cpu);
  put("pg_engine_creates_per_s", n / run.create_t[0]);
  put("pg_raw_creates_per_s", n / run.create_t[1]);
  put_s("pg_check", run.bad ? (strcmp(run.why[0], "OK") ? run.why[0] : run.why[1]) : "OK");
  line("%-44s %12.0f %12.0f raw %8.2f %s", "pg reference: transitions/s (in process)", e_ps, r_ps,
       e_ps / r_ps, e_ps / r_ps >= 0.60 ? ">= 0.60 holds" : ">= 0.60 MISSED");
  line("%-44s %12.1f %12.1f raw %8.2f", "  us per transition: wall", e_wall, r_wall, e_wall / r_wall);
  line("%-44s %12.1f %12.1f raw %8.2f", "  us per transition: this process's CPU", e_cpu, r_cpu,
       e_cpu / r_cpu);
  line("%-44s %12.0f %12.0f raw %8.2f", "  case creation/s", n / run.create_t[0],
       n / run.create_t[1], run.create_t[1] / run.create_t[0]);
  line("%-44s %12s", "  check (restored, 5N events, both chains)", run.bad ? "FAILED" : "OK");
  say("PostgreSQL: engine %.0f/s, raw %.0f/s%s", e_ps, r_ps, run.bad ? ", check FAILED" : "");
  if (run.bad) say("PostgreSQL: check: engine %s; raw %s", run.why[0], run.why[1]);

  /* round trips and server time per transition, from the server's log */
  int nlog = quick ? 50 : 200;
  say("PostgreSQL: statements per transition (log_min_duration_statement=0, %d cases a side)", nlog);
  pg_log lg[2];
  pg_statements(nlog, lg);
  double tr = 4.0 * nlog;
  put("pg_engine_statements_per_transition", lg[0].trips / tr);
  put("pg_raw_statements_per_transition", lg[1].trips / tr);
  put("pg_engine_server_us_per_transition", lg[0].ms * 1000 / tr);
  put("pg_raw_server_us_per_transition", lg[1].ms * 1000 / tr);
  put("pg_engine_prepares_per_transition", lg[0].parses / tr);
  line("%-44s %12.2f %12.2f raw", "  round trips per transition (server log)", lg[0].trips / tr,
       lg[1].trips / tr);
  line("%-44s %12.2f %12.2f      (of them prepares: %.2f, %.2f)", "    prepared / plain statements",
       lg[0].executes / tr, lg[1].executes / tr, lg[0].parses / tr, lg[1].parses / tr);
  line("%-44s %12.1f %12.1f raw", "  server time us per transition (logged)", lg[0].ms * 1000 / tr,
       lg[1].ms * 1000 / tr);

  /* three servers at once beside one: the engine, then raw libpq the same way */
  say("PostgreSQL: %d cases by one driver process, then by three at once", n);
  char u1[600], u3[600], why[4][300];
  double rate[4]; /* engine one, engine three, raw one, raw three */
  for (int i = 0; i < 4; i++) {
    snprintf(why[i], sizeof why[i], "OK");
    char *u = i == 1 ? u3 : u1;
    pg_newdb(u, 600);
    rate[i] = pg_servers(u, n, i % 2 ? 3 : 1, i >= 2, why[i], sizeof why[i]);
    if (i != 1) pg_dropdb(u);
  }
  put("pg_one_server_per_s", rate[0]);
  put("pg_three_servers_per_s", rate[1]);
  put("pg_three_vs_one_ratio", rate[1] / rate[0]);
  put("pg_raw_one_server_per_s", rate[2]);
  put("pg_raw_three_servers_per_s", rate[3]);
  put("pg_raw_three_vs_one_ratio", rate[3] / rate[2]);
  int servers_ok = 1;
  for (int i = 0; i < 4; i++)
    if (strcmp(why[i], "OK")) {
      if (servers_ok) put_s("pg_servers_check", why[i]);
      servers_ok = 0;
      say("PostgreSQL: check of the %s run, %s: %s", i >= 2 ? "raw" : "engine",
          i % 2 ? "three servers" : "one", why[i]);
    }
  if (servers_ok) put_s("pg_servers_check", "OK");
  line("%-44s %12.0f %12.0f raw %8.2f", "pg: three servers at once, transitions/s", rate[1],
       rate[3], rate[1] / rate[3]);
  line("%-44s %12.0f %12.0f raw %8.2f", "  one server (the same driver alone)", rate[0], rate[2],
       rate[0] / rate[2]);
  line("%-44s %12.2f %12.2f raw", "  three / one", rate[1] / rate[0], rate[3] / rate[2]);
  line("%-44s %12s", "  check (restored, 5N events, chains)", servers_ok ? "OK" : "FAILED");
  say("PostgreSQL: three servers %.0f/s, one %.0f/s (raw %.0f/s, %.0f/s)", rate[1], rate[0],
      rate[3], rate[2]);

  /* the console's GET, on the three servers' database, beside SQLite */
  say("PostgreSQL: API GET, kinflow serve on PostgreSQL vs on SQLite, wrk -c32 -t2");
  pg_api(u3, n);
  pg_dropdb(u3);
  pg_cluster_stop();
}

/* ---- main ---- */

int main(void) {
  t_start = now_s();
  quick = getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "0");
  only = getenv("BENCH_ONLY");
  const char *d = getenv("BENCH_DIR");
  snprintf(dir, sizeof dir, "%s", d && *d ? d : "build/bench/data");
  mkdir("build", 0755);
  mkdir("build/bench", 0755);
  mkdir(dir, 0755);
  const char *k = getenv("KINFLOW_BIN");
  if (!k || !*k) k = "./kinflow";
  if (!realpath(k, kinflow_bin)) die("%s: no kinflow binary (run make first)", k);
  const char *bb = getenv("BARE_BIN");
  if (!realpath(bb && *bb ? bb : "build/bench/bare_server", bare_bin)) die("no bare_server binary");
  const char *rb = getenv("REFERENCE_BIN");
  if (!realpath(rb && *rb ? rb : "build/bench/reference", ref_bin)) die("no reference binary");
  if (access("bench/bench.lua", R_OK)) die("run from the repository's root (bench/bench.lua)");
  setenv("KINFLOW_OUTBOX", "off", 1); /* the outbox's cost is its own figure */
  unsetenv("KINFLOW_NOW");
  J = json_object();
  atexit(stop_children);
  signal(SIGINT, on_signal); /* so that exit stops the servers and the PostgreSQL cluster */
  signal(SIGTERM, on_signal);
  signal(SIGHUP, on_signal);
  double load0 = loadavg();
  put_s("mode", quick ? "quick" : "full");
  char when[24];
  iso(time(NULL), when);
  put_s("date", when);
  put_s("sqlite_version", sqlite3_libversion());
  put("cpus", (double)sysconf(_SC_NPROCESSORS_ONLN));
  put("load_1m_start", load0);
  say("kinflow bench, %s mode, load %.2f, databases in %s", quick ? "quick" : "full", load0, dir);

  line("%-44s %12s %12s %8s %s", "figure", "kinflow", "baseline", "ratio", "target");
  if (phase("reference")) phase_reference();
  if (phase("open") || phase("engine") || phase("full") || phase("group") || phase("outbox"))
    phase_open();
  if (phase("engine") || phase("group"))
    transitions(0, "transitions/s, WAL, synchronous=NORMAL", "normal");
  if (phase("full") || phase("group"))
    transitions(1, "transitions/s, synchronous=FULL, 1 by 1", "full");
  if (phase("group")) phase_group();
  if (phase("outbox")) phase_outbox();
  if (phase("scale") || phase("api")) phase_scale();
  if (phase("pg")) phase_pg();

  double load1 = loadavg(), took = now_s() - t_start;
  put("load_1m_end", load1);
  put("duration_s", took);
  printf("\nkinflow bench (%s mode, %s, %.0f s, load %.2f -> %.2f, SQLite %s)\n\n",
         quick ? "quick" : "full", when, took, load0, load1, sqlite3_libversion());
  for (int i = 0; i < nrows; i++) printf("%s\n", table[i]);
  if (json_dump_file(J, "bench/last.json", JSON_INDENT(2) | JSON_REAL_PRECISION(10)) == 0)
    printf("\nfigures in bench/last.json\n");
  json_decref(J);
  if (!getenv("BENCH_KEEP")) {
    const char *names[] = {"engine", "raw", "scale"};
    for (int i = 0; i < 3; i++) {
      char p[600];
      db_path(p, sizeof p, names[i]);
      rm_db(p);
    }
  }
  return 0;
}
