/* store.c: the store: opening either backend, prepared statements, transactions,
 * definitions, cases, members and entries, timers (lists of cases by filter are
 * store_find.c's). The SQL here is what SQLite and
 * PostgreSQL both run (store_pg.c translates the few spellings that differ); each backend's
 * connection, schema and migrations are its own file's (store_sqlite.c, store_pg.c). The
 * event log and its hash chain are store_log.c's, scripts' read-only connection
 * store_script.c's, people's rows store_people.c's, practice records store_practice.c's;
 * store_int.h is what they share. None knows about Lua or workflows beyond the rows it
 * keeps. */
#define _GNU_SOURCE
#include "store.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"


int store_db_fail(kf_store *st, kf_err *err, int rc, const char *what) {
  const char *msg = st && st->be ? st->be->errmsg(st) : "cannot open";
  switch (rc & 0xff) {
  case DB_BUSY:
  case DB_LOCKED:
    if (st && st->be && store_is_pg(st)) /* a lock not granted, a deadlock, a lost connection */
      return kf_fail(err, KF_EBUSY, "database %s is busy (%s); try again", st->path, msg);
    return kf_fail(err, KF_EBUSY, "database %s is busy (another writer held it too long); "
                   "try again", st ? st->path : "");
  case DB_FULL:
    return kf_fail(err, KF_ESTORE, "database %s: disk full while %s; nothing was changed",
                   st ? st->path : "", what);
  case DB_IOERR:
    if (rc == DB_IOERR_WRITE || rc == DB_IOERR_FSYNC || rc == DB_IOERR_TRUNCATE ||
        rc == DB_IOERR_SHMSIZE)
      return kf_fail(err, KF_ESTORE, "database %s: could not write while %s (is the disk full, "
                     "or a file-size limit reached?); nothing was changed", st ? st->path : "", what);
    return kf_fail(err, KF_ESTORE, "database %s: I/O error while %s (%s); nothing was changed",
                   st ? st->path : "", what, msg);
  case DB_CORRUPT:
  case DB_NOTADB:
    return kf_fail(err, KF_ESTORE, "database %s: could not read it (an I/O error, or the file "
                   "is damaged); nothing was changed: check it with `kinflow audit verify`",
                   st ? st->path : "");
  case DB_CONSTRAINT:
    return kf_fail(err, KF_EINVAL, "%s: %s", what, msg);
  case DB_READONLY:
    return kf_fail(err, KF_EINVAL, "%s: database is read-only here", what);
  default:
    return kf_fail(err, KF_ESTORE, "database %s: %s: %s", st ? st->path : "", what, msg);
  }
}

int store_exec(kf_store *st, const char *sql, kf_err *err) {
  int rc = st->be->exec(st, sql);
  return rc == DB_OK ? 0 : store_db_fail(st, err, rc, "setting up");
}

static uint64_t sql_hash(const char *sql) {
  uint64_t h = 1469598103934665603u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)sql; *p; p++) h = (h ^ *p) * 1099511628211u;
  return h;
}

/* A prepared statement for sql, reset and unbound, from the cache or prepared now (then
 * cached, evicting the least recently used statement that is not running). The caller
 * steps it and resets it (or steps it to the end) before it asks for NSTMT others. NULL
 * with err when it cannot be prepared, or when every cached statement is running. */
db_stmt *store_stmt(kf_store *st, const char *sql, kf_err *err) {
  if (!sql) {
    kf_fail(err, KF_ENOMEM, "out of memory building a query");
    return NULL;
  }
  /* Most callers pass the same static text each time: its address finds it at once (the
   * text is compared, so a reused buffer holding other SQL is never mistaken for it). */
  unsigned slot = (unsigned)(((uintptr_t)sql >> 3) % NSTMT);
  struct cached *hit = &st->cache[st->hint[slot]];
  st->tick++;
  if (hit->st && hit->key == sql && !db_stmt_busy(hit->st) &&
      !strcmp(db_sql(hit->st), sql)) {
    db_reset(hit->st);
    db_clear_bindings(hit->st);
    hit->used = st->tick;
    return hit->st;
  }
  uint64_t h = sql_hash(sql);
  struct cached *victim = NULL;
  for (int i = 0; i < NSTMT; i++) {
    struct cached *c = &st->cache[i];
    if (!c->st) {
      if (!victim || victim->st) victim = c; /* a free slot beats any eviction */
      continue;
    }
    if (db_stmt_busy(c->st)) continue; /* running: neither reused nor evicted */
    if (c->hash == h && !strcmp(db_sql(c->st), sql)) {
      db_reset(c->st);
      db_clear_bindings(c->st);
      c->used = st->tick;
      c->key = sql;
      st->hint[slot] = (unsigned char)i;
      return c->st;
    }
    if (!victim || (victim->st && c->used < victim->used)) victim = c;
  }
  if (!victim) {
    kf_fail(err, KF_ESTORE, "internal: all %d cached statements of database %s are running "
            "at once", NSTMT, st->path);
    return NULL;
  }
  db_stmt *s = NULL;
  int rc = st->be->prepare(st, sql, &s);
  if (rc != DB_OK) {
    db_finalize(s);
    store_db_fail(st, err, rc, "preparing a statement");
    return NULL;
  }
  if (victim->st) db_finalize(victim->st);
  victim->st = s;
  victim->hash = h;
  victim->used = st->tick;
  victim->key = sql;
  st->hint[slot] = (unsigned char)(victim - st->cache);
  return s;
}

void store_bind_text(db_stmt *s, int i, const char *v) {
  if (v) db_bind_text(s, i, v, -1, DB_TRANSIENT);
  else db_bind_null(s, i);
}

/* Bind v without a copy (SQLite's allocations are plain mallocs in Debian's build: it has
 * no lookaside): v must stay as it is until the statement has run (store_step_done). */
void store_bind_borrowed(db_stmt *s, int i, const char *v) {
  if (v) db_bind_text(s, i, v, -1, DB_STATIC);
  else db_bind_null(s, i);
}

/* Bind v as JSON text ("{}" when v is NULL). Fails, binding nothing, when v cannot be
 * written: never an empty object in place of data it could not write. */
int store_bind_json(kf_store *st, db_stmt *s, int i, json_t *v, kf_err *err) {
  char *text = v ? store_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  if (v && !text)
    return kf_fail(err, KF_ENOMEM, "could not write a value as JSON (out of memory); nothing "
                   "was changed");
  int rc = db_bind_text(s, i, text ? text : "{}", -1, DB_TRANSIENT);
  free(text);
  return rc == DB_OK ? 0 : store_db_fail(st, err, rc, "storing a JSON value");
}

/* A case's data, keys sorted: equal data is then equal text (kf_store_data_differs). */
int store_bind_data(kf_store *st, db_stmt *s, int i, json_t *v, kf_err *err) {
  char *text = v ? store_json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
  if (v && !text)
    return kf_fail(err, KF_ENOMEM, "could not write a value as JSON (out of memory); nothing "
                   "was changed");
  int rc = db_bind_text(s, i, text ? text : "{}", -1, free);
  return rc == DB_OK ? 0 : store_db_fail(st, err, rc, "storing a case's data");
}

const char *store_jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
int64_t store_jint(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* Column value as json: integers, reals, text; columns named in json_cols parse as JSON. */
json_t *store_col_json(db_stmt *s, int i, int parse) {
  switch (db_column_type(s, i)) {
  case DB_INTEGER: return json_integer(db_column_int64(s, i));
  case DB_FLOAT: return json_real(db_column_double(s, i));
  case DB_NULL: return json_null();
  default: {
    const char *t = db_column_text(s, i);
    if (parse) {
      json_t *v = json_loads(t, JSON_DECODE_ANY, NULL);
      if (v) return v;
    }
    return json_string(t);
  }
  }
}

int store_is_json_col(const char *name) {
  return !strcmp(name, "data") || !strcmp(name, "definition") || !strcmp(name, "errors");
}

/* The current row as an object keyed by column names. */
json_t *store_row_json(db_stmt *s) {
  json_t *o = json_object();
  int n = db_column_count(s);
  for (int i = 0; i < n; i++) {
    const char *name = db_column_name(s, i);
    json_object_set_new(o, name, store_col_json(s, i, store_is_json_col(name)));
  }
  return o;
}

/* Step through every row into an array; NULL with err on failure. */
json_t *store_rows_json(kf_store *st, db_stmt *s, const char *what, kf_err *err) {
  json_t *a = json_array();
  int rc;
  if (!a) {
    kf_fail(err, KF_ENOMEM, "%s: out of memory", what);
    return NULL;
  }
  while ((rc = db_step(s)) == DB_ROW) json_array_append_new(a, store_row_json(s));
  if (rc != DB_DONE) {
    json_decref(a);
    store_db_fail(st, err, rc, what);
    return NULL;
  }
  db_reset(s);
  return a;
}

/* One row or NULL with KF_ENOTFOUND. */
json_t *store_row_or_none(kf_store *st, db_stmt *s, const char *what, kf_err *err) {
  int rc = db_step(s);
  json_t *o = NULL;
  if (rc == DB_ROW) {
    if (!(o = store_row_json(s))) kf_fail(err, KF_ENOMEM, "%s: out of memory", what);
  } else if (rc == DB_DONE) kf_fail(err, KF_ENOTFOUND, "%s: not found", what);
  else store_db_fail(st, err, rc, what);
  db_reset(s);
  return o;
}

int store_step_done(kf_store *st, db_stmt *s, const char *what, kf_err *err) {
  int rc = db_step(s);
  db_reset(s);
  return rc == DB_DONE || rc == DB_ROW ? 0 : store_db_fail(st, err, rc, what);
}

int store_migrate(kf_store *st, const char *const *steps, int n,
                  int (*begin)(kf_store *st, kf_err *err),
                  int (*set_version)(kf_store *st, int v, kf_err *err), kf_err *err) {
  int v = store_schema_version(st);
  if (v < 0) return store_db_fail(st, err, DB_ERROR, "reading the schema version");
  if (v > n)
    return kf_fail(err, KF_ESTORE, "database %s has schema version %d, newer than this "
                   "kinflow knows (%d); upgrade kinflow", st->path, v, n);
  if (v == n) return 0;
  if (st->readonly)
    return kf_fail(err, KF_ESTORE, "database %s needs an upgrade: run `kinflow init`", st->path);
  int rc = begin(st, err);
  if (rc) return rc;
  v = store_schema_version(st); /* another process may have migrated meanwhile */
  if (v < 0 || v > n) {
    if (v < 0) rc = store_db_fail(st, err, DB_ERROR, "reading the schema version");
    else rc = kf_fail(err, KF_ESTORE, "database %s has schema version %d, newer than this "
                      "kinflow knows (%d); upgrade kinflow", st->path, v, n);
    kf_store_rollback(st);
    return rc;
  }
  for (; v < n; v++)
    if ((rc = store_exec(st, steps[v], err)) || (rc = set_version(st, v + 1, err))) {
      kf_store_rollback(st);
      return rc;
    }
  return kf_store_commit(st, err);
}

int store_is_pg_uri(const char *path) {
  return !strncmp(path, "postgresql://", 13) || !strncmp(path, "postgres://", 11);
}

kf_store *store_connect(const char *path, int flags, kf_err *err) {
  if (sodium_init() < 0) { /* the chain's SHA-256 */
    kf_fail(err, KF_ESTORE, "libsodium failed to initialise");
    return NULL;
  }
  kf_store *st = calloc(1, sizeof *st);
  if (!st || !(st->path = strdup(path))) {
    free(st);
    kf_fail(err, KF_ENOMEM, "out of memory");
    return NULL;
  }
  st->readonly = !!(flags & KF_STORE_READONLY);
  int pg = store_is_pg_uri(path);
  st->be = pg ? &store_pg_backend : &store_sqlite_backend;
  if (pg ? store_pg_open(st, flags, err) : store_sqlite_open(st, flags, err)) {
    kf_store_close(st);
    return NULL;
  }
  return st;
}

kf_store *kf_store_open(const char *path, int flags, kf_err *err) {
  if (!path || !*path) {
    kf_fail(err, KF_EINVAL, "no database path given");
    return NULL;
  }
  kf_store *st = store_connect(path, flags, err);
  if (st && (store_is_pg(st) ? store_pg_migrate(st, flags, err) : store_sqlite_migrate(st, err))) {
    kf_store_close(st);
    return NULL;
  }
  return st;
}

int kf_store_close(kf_store *st) {
  if (!st) return 0;
  for (int i = 0; i < NSTMT; i++) db_finalize(st->cache[i].st);
  int code = st->be ? st->be->close(st) : 0;
  free(st->guard);
  free(st->path);
  free(st);
  return code;
}

const char *kf_store_path(const kf_store *st) { return st->path; }

int kf_store_schema_version(kf_store *st) { return store_schema_version(st); }

/* BEGIN and COMMIT as cached statements: a transition is short, and parsing them again
 * each time was a measurable share of it. */
static int step_sql(kf_store *st, const char *sql, const char *what, kf_err *err) {
  db_stmt *s = store_stmt(st, sql, err);
  if (!s) return err ? err->code : KF_ESTORE;
  int rc = db_step(s);
  db_reset(s);
  return rc == DB_DONE || rc == DB_ROW ? 0 : store_db_fail(st, err, rc, what);
}

int kf_store_begin(kf_store *st, kf_err *err) {
  int rc = step_sql(st, "BEGIN IMMEDIATE", "starting a transaction", err);
  if (rc) return rc;
  /* PostgreSQL lets writers overlap: one at a time holds the writers' row, so that the
   * log's chain has one head however many servers write (SQLite's BEGIN IMMEDIATE already
   * admits one writer). */
  if (store_is_pg(st) && (rc = step_sql(st, "SELECT 1 FROM meta WHERE key='writer' FOR UPDATE",
                                        "starting a transaction", err))) {
    kf_store_rollback(st);
    return rc;
  }
  st->in_tx = 1;
  memset(&st->head, 0, sizeof st->head);
  st->nsaved = 0;
  unsigned version = st->be->data_version(st); /* 0: unknown (PostgreSQL: read the log) */
  st->tail.current = st->tail.valid && version && st->tail.version == version;
  if (!st->tail.current) st->epoch++; /* what was read before may have changed */
  return 0;
}

int store_log_end(kf_store *st, int64_t *seq, char hash[65]) {
  if (st->head.seq) { /* this transaction's last event so far */
    *seq = st->head.seq;
    memcpy(hash, st->head.hash, 65);
    return 1;
  }
  if (!st->in_tx || !st->tail.current) return 0;
  *seq = st->tail.seq;
  memcpy(hash, st->tail.hash, 65);
  return 1;
}

int kf_store_begin_read(kf_store *st, kf_err *err) {
  return step_sql(st, "BEGIN DEFERRED", "starting a read", err);
}

/* The transaction's last event as the log's head, in meta, unless a case row holds it. */
static int record_head(kf_store *st, kf_err *err) {
  if (!st->head.seq || st->head.noted == st->head.seq) return 0;
  static const char *q = "INSERT INTO meta(key, value) VALUES('head', ?1)"
                         " ON CONFLICT(key) DO UPDATE SET value=excluded.value";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  char head[96];
  snprintf(head, sizeof head, "%lld:%s", (long long)st->head.seq, st->head.hash);
  store_bind_text(s, 1, head);
  return store_step_done(st, s, "recording the log's head", err);
}

int kf_store_commit(kf_store *st, kf_err *err) {
  int rc = record_head(st, err);
  if (!rc) rc = step_sql(st, "COMMIT", "committing", err);
  if (rc) {
    kf_store_rollback(st);
    return rc;
  }
  st->in_tx = 0;
  if (st->head.seq) {
    st->tail.seq = st->head.seq;
    memcpy(st->tail.hash, st->head.hash, sizeof st->tail.hash);
  }
  st->tail.valid = st->head.seq || st->tail.current;
  st->tail.version = st->be->data_version(st);
  st->tail.current = 0;
  st->nsaved = 0;
  memset(&st->head, 0, sizeof st->head);
  return 0;
}

void kf_store_rollback(kf_store *st) {
  if (st->be->in_tx(st)) st->be->exec(st, "ROLLBACK");
  st->defs++;
  st->cases_max = 0;
  st->in_tx = 0;
  st->tail.current = 0;
  st->nsaved = 0;
  memset(&st->head, 0, sizeof st->head);
}

int kf_store_in_tx(kf_store *st) { return st->be->in_tx(st); }

/* Savepoints, nested up to KF_SAVEPOINTS deep: one call or request inside a group commit
 * can fail alone. SQLite names the innermost "kf_one" first. Cached statements, as BEGIN
 * and COMMIT are: a group opens two a request. */
int kf_store_savepoint(kf_store *st, int op, kf_err *err) {
  if (op < 0 || op > 2) return kf_fail(err, KF_EINVAL, "internal: bad savepoint operation");
  if (op == 0 && st->nsaved == KF_SAVEPOINTS)
    return kf_fail(err, KF_EINVAL, "internal: savepoints nested more than %d deep", KF_SAVEPOINTS);
  if (op > 0 && !st->nsaved) return kf_fail(err, KF_EINVAL, "internal: no savepoint is open");
  int rc = op == 0 ? step_sql(st, "SAVEPOINT kf_one", "opening a savepoint", err)
         : op == 1 ? step_sql(st, "RELEASE kf_one", "releasing a savepoint", err)
         : step_sql(st, "ROLLBACK TO kf_one", "rolling back to a savepoint", err);
  if (op == 2 && !rc) rc = step_sql(st, "RELEASE kf_one", "releasing a savepoint", err);
  if (rc) return rc;
  if (op == 0) st->saved[st->nsaved++] = st->head;
  else if (op == 1) st->nsaved--;
  else {
    st->head = st->saved[--st->nsaved]; /* its events are gone: so is their head */
    st->defs++;                          /* and what it deployed */
    st->cases_max = 0;                   /* and the cases it opened */
  }
  return 0;
}

int kf_store_set_durability(kf_store *st, int full, kf_err *err) {
  if (store_is_pg(st)) /* PostgreSQL's commits are durable (synchronous_commit) already */
    return 0;
  return store_exec(st, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err);
}

/* ---- definitions ---- */

int kf_store_def_put(kf_store *st, json_t *row, kf_err *err) {
  static const char *q_ver = "SELECT coalesce(max(version),0)+1 FROM definitions "
                             "WHERE kind=?1 AND name=?2";
  static const char *q_ins =
      "INSERT INTO definitions(kind,name,version,title,path,source,base_id,definition,hash,"
      "deployed_at,deployed_by) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)";
  st->defs++; /* the latest versions kept may change */
  db_stmt *s = store_stmt(st, q_ver, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, store_jstr(row, "kind"));
  store_bind_text(s, 2, store_jstr(row, "name"));
  int rc = db_step(s);
  if (rc != DB_ROW) {
    db_reset(s);
    return store_db_fail(st, err, rc, "versioning a definition");
  }
  int64_t version = db_column_int64(s, 0);
  db_reset(s);
  if (!(s = store_stmt(st, q_ins, err))) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, store_jstr(row, "kind"));
  store_bind_text(s, 2, store_jstr(row, "name"));
  db_bind_int64(s, 3, version);
  store_bind_text(s, 4, store_jstr(row, "title"));
  store_bind_text(s, 5, store_jstr(row, "path"));
  store_bind_text(s, 6, store_jstr(row, "source"));
  if (json_is_integer(json_object_get(row, "base_id")))
    db_bind_int64(s, 7, store_jint(row, "base_id"));
  if ((rc = store_bind_json(st, s, 8, json_object_get(row, "definition"), err))) return rc;
  store_bind_text(s, 9, store_jstr(row, "hash"));
  store_bind_text(s, 10, store_jstr(row, "deployed_at"));
  store_bind_text(s, 11, store_jstr(row, "deployed_by"));
  if ((rc = store_step_done(st, s, "storing a definition", err))) return rc;
  json_object_set_new(row, "version", json_integer(version));
  json_object_set_new(row, "id", json_integer(db_last_id(st)));
  return 0;
}

#define DEF_COLS                                                                         \
  "d.id, d.kind, d.name, d.version, d.title, d.path, d.base_id, d.hash, d.deployed_at, " \
  "d.deployed_by, d.active, b.name AS base_name, b.version AS base_version"
#define DEF_FROM " FROM definitions d LEFT JOIN definitions b ON b.id = d.base_id "

json_t *kf_store_def_latest(kf_store *st, const char *kind, const char *name, kf_err *err) {
  static const char *q = "SELECT " DEF_COLS ", d.source, d.definition" DEF_FROM
                         "WHERE d.kind=?1 AND d.name=?2 AND d.active=1 "
                         "ORDER BY d.version DESC LIMIT 1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, kind);
  store_bind_text(s, 2, name);
  json_t *o = store_row_or_none(st, s, name, err);
  if (!o && err && err->code == KF_ENOTFOUND)
    kf_fail(err, KF_ENOTFOUND, "no %s named '%s' is deployed", kind, name);
  return o;
}

int kf_store_defs_stamp(kf_store *st, char out[80], kf_err *err) {
  static const char *q = "SELECT id, hash FROM definitions ORDER BY id DESC LIMIT 1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err->code;
  int rc = db_step(s);
  if (rc == DB_ROW)
    snprintf(out, 80, "%lld:%.64s", (long long)db_column_int64(s, 0),
             db_column_text(s, 1) ? db_column_text(s, 1) : "");
  else snprintf(out, 80, "none");
  db_reset(s);
  return rc == DB_ROW || rc == DB_DONE ? 0 : store_db_fail(st, err, rc, "reading definitions");
}

/* A kept id of kind's latest version named name (see struct latest), or NULL. */
static struct latest *latest_kept(kf_store *st, const char *kind, const char *name) {
  if (!st->in_tx) return NULL;
  for (int i = 0; i < 4; i++) {
    struct latest *l = &st->latest[i];
    if (l->id && l->epoch == st->epoch && l->defs == st->defs && !strcmp(l->kind, kind) &&
        !strcmp(l->name, name))
      return l;
  }
  return NULL;
}

static void latest_keep(kf_store *st, const char *kind, const char *name, int64_t id) {
  if (!st->in_tx || strlen(kind) >= sizeof st->latest[0].kind ||
      strlen(name) >= sizeof st->latest[0].name)
    return;
  struct latest *l = &st->latest[0];
  for (int i = 0; i < 4; i++) /* the same name's, or one out of date, or the first */
    if (!strcmp(st->latest[i].name, name) || st->latest[i].epoch != st->epoch ||
        st->latest[i].defs != st->defs) {
      l = &st->latest[i];
      break;
    }
  snprintf(l->kind, sizeof l->kind, "%s", kind);
  snprintf(l->name, sizeof l->name, "%s", name);
  l->id = id;
  l->epoch = st->epoch;
  l->defs = st->defs;
}

int64_t kf_store_def_latest_id(kf_store *st, const char *kind, const char *name, kf_err *err) {
  static const char *q = "SELECT d.id FROM definitions d WHERE d.kind=?1 AND d.name=?2 AND"
                         " d.active=1 ORDER BY d.version DESC LIMIT 1";
  struct latest *kept = latest_kept(st, kind, name);
  if (kept) return kept->id;
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return 0;
  store_bind_text(s, 1, kind);
  store_bind_text(s, 2, name);
  int rc = db_step(s);
  int64_t id = rc == DB_ROW ? db_column_int64(s, 0) : 0;
  db_reset(s);
  if (rc != DB_ROW && rc != DB_DONE) store_db_fail(st, err, rc, "reading definitions");
  else if (!id) kf_fail(err, KF_ENOTFOUND, "no %s named '%s' is deployed", kind, name);
  else latest_keep(st, kind, name, id);
  return id;
}

json_t *kf_store_def_get(kf_store *st, int64_t id, kf_err *err) {
  static const char *q = "SELECT " DEF_COLS ", d.source, d.definition" DEF_FROM "WHERE d.id=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, id);
  return store_row_or_none(st, s, "definition", err);
}

json_t *kf_store_def_list(kf_store *st, const char *kind, kf_err *err) {
  static const char *q = "SELECT " DEF_COLS ", "
                         "(SELECT count(*) FROM cases c WHERE c.workflow_id=d.id) AS cases, "
                         "(SELECT count(*) FROM cases c WHERE c.workflow_id=d.id AND c.final=0)"
                         " AS open_cases" DEF_FROM
                         "WHERE ?1 IS NULL OR d.kind=?1 ORDER BY d.kind, d.name, d.version";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, kind);
  return store_rows_json(st, s, "listing definitions", err);
}

int kf_store_def_deactivate(kf_store *st, int64_t id, kf_err *err) {
  static const char *q = "UPDATE definitions SET active=0 WHERE id=?1";
  st->defs++;
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  int rc = store_step_done(st, s, "rolling back a definition", err);
  if (!rc && db_changes(st) == 0)
    rc = kf_fail(err, KF_ENOTFOUND, "no definition %lld to roll back", (long long)id);
  return rc;
}

/* ---- cases ---- */

json_t *store_case_fix(json_t *c) {
  if (c) json_object_set(c, "final", json_boolean(store_jint(c, "final")));
  return c;
}

int kf_store_case_reserve(kf_store *st, int64_t *id, kf_err *err) {
  static const char *q = "SELECT max(id) FROM cases";
  if (!kf_store_in_tx(st))
    return kf_fail(err, KF_ESTORE, "internal: a case number taken outside a transaction");
  /* known: no other connection has committed since this one read or wrote it */
  if (st->cases_max && st->cases_epoch == st->epoch && st->cases_max < INT64_MAX) {
    *id = st->cases_max + 1;
    return 0;
  }
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  int rc = db_step(s);
  int64_t last = rc == DB_ROW ? db_column_int64(s, 0) : 0;
  db_reset(s);
  if (rc != DB_ROW) return store_db_fail(st, err, rc, "reading the last case's number");
  if (last == INT64_MAX) return kf_fail(err, KF_ESTORE, "case numbers have run out");
  *id = last + 1;
  st->cases_max = last;
  st->cases_epoch = st->epoch;
  return 0;
}

int kf_store_case_note_head(kf_store *st, int64_t id, kf_err *err) {
  static const char *q = "UPDATE cases SET last_seq=?2 WHERE id=?1";
  if (!st->head.seq || st->head.case_id != id || st->head.noted == st->head.seq) return 0;
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  db_bind_int64(s, 2, st->head.seq);
  int rc = store_step_done(st, s, "recording the log's head", err);
  if (!rc && db_changes(st) == 1) st->head.noted = st->head.seq;
  return rc;
}

int kf_store_case_insert(kf_store *st, json_t *c, const char *now, kf_err *err) {
  return kf_store_case_insert_as(st, c, 0, 0, now, err);
}

/* The log's last seq so far (0: empty), in the open transaction. */
static int64_t last_seq(kf_store *st, kf_err *err) {
  static const char *q = "SELECT max(seq) FROM events";
  int64_t known;
  char hash[65];
  if (store_log_end(st, &known, hash)) return known; /* appended or committed by this one */
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return -1;
  int rc = db_step(s);
  int64_t last = rc == DB_ROW ? db_column_int64(s, 0) : -1;
  db_reset(s);
  if (rc != DB_ROW) store_db_fail(st, err, rc, "reading the event log's last number");
  return last;
}

int kf_store_case_insert_as(kf_store *st, json_t *c, int64_t id, int events, const char *now,
                            kf_err *err) {
  /* last_seq: the log's head when the transaction's last event so far is this case's (its
   * events appended first: see kf_store_case_reserve and record_head) */
  static const char *q = "INSERT INTO cases(id,ref,workflow_id,workflow,state,final,data,"
                          "created_at,updated_at,entered_at,last_seq,revision)"
                          " VALUES(?8,?1,?2,?3,?4,?5,?6,?7,?7,?7,?9,coalesce(?10,1))";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  json_t *data = json_object_get(c, "data");
  char *text = data ? kf_store_data_text(data) : NULL; /* keys sorted, as every case's data */
  if (data && !text)
    return kf_fail(err, KF_ENOMEM, "could not write the case's data as JSON (out of memory)");
  store_bind_borrowed(s, 1, store_jstr(c, "ref"));
  db_bind_int64(s, 2, store_jint(c, "workflow_id"));
  store_bind_borrowed(s, 3, store_jstr(c, "workflow"));
  store_bind_borrowed(s, 4, store_jstr(c, "state"));
  db_bind_int(s, 5, json_is_true(json_object_get(c, "final")));
  store_bind_borrowed(s, 6, text ? text : "{}");
  store_bind_borrowed(s, 7, now);
  if (id) db_bind_int64(s, 8, id);
  else db_bind_null(s, 8);
  int noting = id && st->head.seq && st->head.case_id == id;
  int64_t head = noting ? st->head.seq : 0;
  if (!noting && id && events > 0) { /* the seq its events will end at, taken as noted */
    int64_t last = last_seq(st, err);
    if (last < 0) return err ? err->code : KF_ESTORE;
    head = last + events;
  }
  if (head) db_bind_int64(s, 9, head);
  else db_bind_null(s, 9);
  if (json_is_integer(json_object_get(c, "revision"))) db_bind_int64(s, 10, store_jint(c, "revision"));
  else db_bind_null(s, 10);
  int rc = db_step(s);
  db_reset(s);
  if (rc == DB_DONE && id && st->cases_max && id > st->cases_max) st->cases_max = id;
  else if (rc == DB_DONE && !id) st->cases_max = 0; /* numbered by the database */
  if (rc != DB_DONE) {
    free(text);
    if (rc == DB_CONSTRAINT_UNIQUE && store_jstr(c, "ref"))
      return kf_fail(err, KF_EINVAL, "a case with ref '%s' already exists", store_jstr(c, "ref"));
    return store_db_fail(st, err, rc, "opening a case");
  }
  /* data as a reading of the row gives it back: text Jansson cannot read again (a NUL in a
   * string) comes back as the text itself */
  if (text && strstr(text, "\\u0000")) {
    json_t *back = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!back) json_object_set_new(c, "data", json_string(text));
    json_decref(back);
  }
  free(text);
  if (head) st->head.noted = head;
  if (!id || !json_is_integer(json_object_get(c, "id")))
    json_object_set_new(c, "id", json_integer(db_last_id(st)));
  return 0;
}

/* A number written in digits: 1 and *id when text is all digits (no sign, no spaces) and
 * fits in 63 bits; 0 (*id untouched) otherwise. */
int store_parse_digits(const char *text, int64_t *id) {
  int64_t n = 0;
  if (!*text) return 0;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9') return 0;
    if (n > (INT64_MAX - (*p - '0')) / 10) return 0;
    n = n * 10 + (*p - '0');
  }
  *id = n;
  return 1;
}

json_t *kf_store_case_get(kf_store *st, const char *id_or_ref, kf_err *err) {
  static const char *by_id = "SELECT " CASE_COLS CASE_FROM "WHERE c.id=?1";
  static const char *by_ref = "SELECT " CASE_COLS CASE_FROM "WHERE c.ref=?1";
  kf_err local = {0};
  if (!err) err = &local; /* its code decides whether to look by ref too */
  if (!id_or_ref || !*id_or_ref) {
    kf_fail(err, KF_EINVAL, "which case? give a case number or its ref (got %s)",
            id_or_ref ? "an empty one" : "none");
    return NULL;
  }
  int64_t id = 0;
  int numeric = store_parse_digits(id_or_ref, &id);
  db_stmt *s = store_stmt(st, numeric ? by_id : by_ref, err);
  if (!s) return NULL;
  if (numeric) db_bind_int64(s, 1, id);
  else store_bind_text(s, 1, id_or_ref);
  json_t *c = store_row_or_none(st, s, id_or_ref, err);
  if (!c && numeric && err->code == KF_ENOTFOUND && (s = store_stmt(st, by_ref, err))) {
    store_bind_text(s, 1, id_or_ref); /* a ref may be all digits */
    c = store_row_or_none(st, s, id_or_ref, err);
  }
  if (!c && err->code == KF_ENOTFOUND)
    kf_fail(err, KF_ENOTFOUND, "no case '%s' (give a case number or its ref)", id_or_ref);
  return store_case_fix(c);
}

#define ROW_COLS                                                                        \
  "id, workflow_id, revision, final, ref, workflow, state, data, overdue_since, "          \
  "created_at, updated_at, entered_at, allocated_to, team"
enum { ROW_TEXTS = 10 }; /* the columns from ref on, in kf_case_row's order */

/* The current row of a ROW_COLS statement into r. */
static int case_row_take(db_stmt *s, kf_case_row *r, kf_err *err) {
  size_t len[ROW_TEXTS], total = 0;
  for (int i = 0; i < ROW_TEXTS; i++) {
    len[i] = db_column_type(s, 4 + i) == DB_NULL ? 0 : (size_t)db_column_bytes(s, 4 + i) + 1;
    total += len[i];
  }
  char *mem = malloc(total ? total : 1), *at = mem;
  if (!mem) return kf_fail(err, KF_ENOMEM, "out of memory reading a case");
  const char **field[ROW_TEXTS] = {&r->ref, &r->workflow, &r->state, &r->data,
                                   &r->overdue_since, &r->created_at, &r->updated_at,
                                   &r->entered_at, &r->allocated_to, &r->team};
  for (int i = 0; i < ROW_TEXTS; i++) {
    *field[i] = NULL;
    if (!len[i]) continue;
    memcpy(at, db_column_text(s, 4 + i), len[i]); /* with its NUL */
    *field[i] = at;
    at += len[i];
  }
  r->id = db_column_int64(s, 0);
  r->workflow_id = db_column_int64(s, 1);
  r->revision = db_column_int64(s, 2);
  r->final = db_column_int(s, 3) != 0;
  r->mem = mem;
  return 0;
}

/* One row of s into r: 0, or KF_ENOTFOUND / the store's error. */
static int case_row_step(kf_store *st, db_stmt *s, kf_case_row *r, kf_err *err) {
  int rc = db_step(s);
  if (rc == DB_ROW) rc = case_row_take(s, r, err);
  else if (rc == DB_DONE) rc = kf_fail(err, KF_ENOTFOUND, "case not found");
  else rc = store_db_fail(st, err, rc, "reading a case");
  db_reset(s);
  return rc;
}

int kf_store_case_row(kf_store *st, const char *id_or_ref, kf_case_row *row, kf_err *err) {
  static const char *by_id = "SELECT " ROW_COLS " FROM cases WHERE id=?1";
  static const char *by_ref = "SELECT " ROW_COLS " FROM cases WHERE ref=?1";
  memset(row, 0, sizeof *row);
  if (!id_or_ref || !*id_or_ref)
    return kf_fail(err, KF_EINVAL, "which case? give a case number or its ref (got %s)",
                   id_or_ref ? "an empty one" : "none");
  int64_t id = 0;
  int numeric = store_parse_digits(id_or_ref, &id);
  db_stmt *s = store_stmt(st, numeric ? by_id : by_ref, err);
  if (!s) return err->code;
  if (numeric) db_bind_int64(s, 1, id);
  else store_bind_text(s, 1, id_or_ref);
  int rc = case_row_step(st, s, row, err);
  if (rc == KF_ENOTFOUND && numeric && (s = store_stmt(st, by_ref, err))) {
    store_bind_text(s, 1, id_or_ref); /* a ref may be all digits */
    rc = case_row_step(st, s, row, err);
  }
  if (rc == KF_ENOTFOUND)
    kf_fail(err, KF_ENOTFOUND, "no case '%s' (give a case number or its ref)", id_or_ref);
  return rc;
}

void kf_case_row_free(kf_case_row *row) {
  if (!row) return;
  free(row->mem);
  row->mem = NULL;
}

json_t *kf_store_def_meta(kf_store *st, int64_t def_id, kf_err *err) {
  static const char *q = "SELECT d.version, d.title AS workflow_title, b.name AS base_name,"
                         " b.version AS base_version FROM definitions d"
                         " LEFT JOIN definitions b ON b.id = d.base_id WHERE d.id=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, def_id);
  return store_row_or_none(st, s, "definition", err);
}

int kf_store_case_update(kf_store *st, int64_t id, int64_t revision, const char *state,
                         int final, int entered, json_t *data, const char *now, kf_err *err) {
  char *text = data ? kf_store_data_text(data) : NULL;
  if (data && !text)
    return kf_fail(err, KF_ENOMEM, "could not write a value as JSON (out of memory); nothing "
                   "was changed");
  int rc = kf_store_case_update_text(st, id, revision, state, final, entered, text, now, err);
  free(text);
  return rc;
}

int kf_store_case_update_text(kf_store *st, int64_t id, int64_t revision, const char *state,
                              int final, int entered, const char *data, const char *now,
                              kf_err *err) {
  /* final is set only when it becomes 1 (nothing leaves a final state), so that its index
   * is not rewritten on every move; last_seq: the log's head when the transaction's last
   * event so far is this case's (see record_head). */
  static const char *q[2] = {
      "UPDATE cases SET state=?3, data=?5, revision=revision+1, updated_at=?6,"
      " entered_at=CASE WHEN ?7 THEN ?6 ELSE entered_at END,"
      " overdue_since=CASE WHEN ?7 THEN NULL ELSE overdue_since END,"
      " last_seq=coalesce(?8, last_seq) WHERE id=?1 AND revision=?2",
      "UPDATE cases SET state=?3, final=1, data=?5, revision=revision+1, updated_at=?6,"
      " entered_at=CASE WHEN ?7 THEN ?6 ELSE entered_at END,"
      " overdue_since=CASE WHEN ?7 THEN NULL ELSE overdue_since END,"
      " last_seq=coalesce(?8, last_seq) WHERE id=?1 AND revision=?2"};
  db_stmt *s = store_stmt(st, q[!!final], err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  db_bind_int64(s, 2, revision);
  store_bind_borrowed(s, 3, state);
  store_bind_borrowed(s, 5, data ? data : "{}");
  store_bind_borrowed(s, 6, now);
  db_bind_int(s, 7, entered);
  int noting = st->head.seq && st->head.case_id == id;
  if (noting) db_bind_int64(s, 8, st->head.seq);
  int rc = store_step_done(st, s, "updating a case", err);
  if (rc) return rc;
  if (db_changes(st) == 0)
    return kf_fail(err, KF_ECONFLICT, "case %lld changed since revision %lld (someone else "
                   "updated it first); reload and try again", (long long)id, (long long)revision);
  if (noting) st->head.noted = st->head.seq;
  return 0;
}

int kf_store_case_set_overdue(kf_store *st, int64_t id, const char *since, const char *now,
                              kf_err *err) {
  static const char *q = "UPDATE cases SET overdue_since=?2, revision=revision+1,"
                         " updated_at=?3 WHERE id=?1";
  if (!now) return kf_fail(err, KF_EINVAL, "internal: case %lld updated without a time",
                           (long long)id);
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  store_bind_text(s, 2, since);
  store_bind_text(s, 3, now);
  int rc = store_step_done(st, s, "marking a review", err);
  if (!rc && db_changes(st) == 0)
    rc = kf_fail(err, KF_ENOTFOUND, "no case %lld to mark", (long long)id);
  return rc;
}

int kf_store_case_allocate(kf_store *st, int64_t id, const char *to, const char *team,
                           const char *now, kf_err *err) {
  static const char *q = "UPDATE cases SET allocated_to=?2, team=?3, revision=revision+1,"
                         " updated_at=?4 WHERE id=?1";
  if (!now) return kf_fail(err, KF_EINVAL, "internal: case %lld allocated without a time",
                           (long long)id);
  if (!to && team) return kf_fail(err, KF_EINVAL, "internal: case %lld: a team without a "
                                  "worker", (long long)id);
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  store_bind_text(s, 2, to);
  store_bind_text(s, 3, team);
  store_bind_text(s, 4, now);
  int rc = store_step_done(st, s, "allocating a case", err);
  if (!rc && db_changes(st) == 0)
    rc = kf_fail(err, KF_ENOTFOUND, "no case %lld to allocate", (long long)id);
  return rc;
}

/* ---- members and form entries ---- */

int kf_store_member_add(kf_store *st, int64_t case_id, const char *role, const char *name,
                        json_t *data, const char *now, kf_err *err) {
  static const char *q = "INSERT INTO members(case_id,role,name,data,added_at) "
                         "VALUES(?1,?2,?3,?4,?5)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, role);
  store_bind_text(s, 3, name);
  int rc = store_bind_json(st, s, 4, data, err);
  if (rc) return rc;
  store_bind_text(s, 5, now);
  return store_step_done(st, s, "adding a member", err);
}

json_t *kf_store_members(kf_store *st, int64_t case_id, const char *role, kf_err *err) {
  static const char *q = "SELECT id, role, name, data, added_at, ended_at, ended_reason FROM members "
                         "WHERE case_id=?1 AND (?2 IS NULL OR role=?2) ORDER BY id";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, role);
  return store_rows_json(st, s, "listing members", err);
}

int kf_store_member_end(kf_store *st, int64_t case_id, int64_t member, const char *on,
                        const char *reason, kf_err *err) {
  static const char *q = "UPDATE members SET ended_at=?3, ended_reason=?4"
                         " WHERE id=?2 AND case_id=?1 AND ended_at IS NULL";
  if (!on || !reason)
    return kf_fail(err, KF_EINVAL, "internal: member %lld ended without a date or reason",
                   (long long)member);
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  db_bind_int64(s, 2, member);
  store_bind_text(s, 3, on);
  store_bind_text(s, 4, reason);
  int rc = store_step_done(st, s, "ending a member", err);
  if (!rc && db_changes(st) == 0)
    rc = kf_fail(err, KF_ECONFLICT, "member %lld of case %lld is not a current member",
                 (long long)member, (long long)case_id);
  return rc;
}

char *kf_store_family_login(kf_store *st, int64_t member, kf_err *err) {
  static const char *q = "SELECT login FROM users WHERE family_member=?1 ORDER BY login LIMIT 1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, member);
  int rc = db_step(s);
  char *out = NULL;
  if (rc == DB_ROW) {
    const char *v = db_column_text(s, 0);
    if (!(out = strdup(v ? v : ""))) kf_fail(err, KF_ENOMEM, "out of memory");
  } else if (rc == DB_DONE) {
    kf_fail(err, KF_ENOTFOUND, "member %lld has no family account", (long long)member);
  } else {
    store_db_fail(st, err, rc, "finding a family account");
  }
  db_reset(s);
  return out;
}

int kf_store_entry_add(kf_store *st, json_t *e, const char *now, int64_t *id, kf_err *err) {
  static const char *q = "INSERT INTO entries(case_id,form,form_id,data,valid,errors,actor,"
                         "submitted_at,role) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, store_jint(e, "case"));
  store_bind_text(s, 2, store_jstr(e, "form"));
  if (json_is_integer(json_object_get(e, "form_id"))) db_bind_int64(s, 3, store_jint(e, "form_id"));
  int rc = store_bind_json(st, s, 4, json_object_get(e, "data"), err);
  if (rc) return rc;
  db_bind_int(s, 5, json_is_true(json_object_get(e, "valid")));
  json_t *errors = json_object_get(e, "errors");
  if (errors && !json_is_null(errors) && (rc = store_bind_json(st, s, 6, errors, err))) return rc;
  store_bind_text(s, 7, store_jstr(e, "actor"));
  store_bind_text(s, 8, now);
  store_bind_text(s, 9, json_string_value(json_object_get(e, "role")));
  rc = store_step_done(st, s, "storing a form entry", err);
  if (!rc && id) *id = db_last_id(st);
  return rc;
}

json_t *kf_store_entries(kf_store *st, int64_t case_id, const char *form, int valid_only,
                         kf_err *err) {
  static const char *q =
      "SELECT e.id, e.form, d.version AS form_version, e.data, e.valid, e.errors, e.actor,"
      " e.submitted_at AS at, e.role FROM entries e LEFT JOIN definitions d ON d.id = e.form_id"
      " WHERE e.case_id=?1 AND (?2 IS NULL OR e.form=?2) AND (?3 = 0 OR e.valid = 1)"
      " ORDER BY e.id";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, form);
  db_bind_int(s, 3, valid_only);
  json_t *a = store_rows_json(st, s, "listing form entries", err);
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) json_object_set(v, "valid", json_boolean(store_jint(v, "valid")));
  return a;
}

/* One member of a case by its number, ended or not: an array of one row, or empty. */
json_t *kf_store_member_get(kf_store *st, int64_t case_id, int64_t member_id, kf_err *err) {
  static const char *q = "SELECT id, role, name, data, added_at, ended_at, ended_reason "
                         "FROM members WHERE case_id=?1 AND id=?2";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  db_bind_int64(s, 2, member_id);
  return store_rows_json(st, s, "reading a member", err);
}

/* ---- timers ---- */

int kf_store_timer_add(kf_store *st, int64_t case_id, const char *name, const char *kind,
                       const char *state, const char *due, kf_err *err) {
  static const char *q = "INSERT INTO timers(case_id,name,kind,state,due_at) VALUES(?1,?2,?3,?4,?5)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, name);
  store_bind_text(s, 3, kind);
  store_bind_text(s, 4, state);
  store_bind_text(s, 5, due);
  return store_step_done(st, s, "scheduling a timer", err);
}

int kf_store_timers_cancel(kf_store *st, int64_t case_id, const char *state, const char *name,
                           const char *now, int64_t except, kf_err *err) {
  static const char *q = "UPDATE timers SET status='cancelled', done_at=?4"
                         " WHERE case_id=?1 AND status='pending' AND id<>?5"
                         " AND (?2 IS NULL OR state=?2) AND (?3 IS NULL OR name=?3)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, state);
  store_bind_text(s, 3, name);
  store_bind_text(s, 4, now);
  db_bind_int64(s, 5, except);
  return store_step_done(st, s, "cancelling timers", err);
}

json_t *kf_store_timers_due(kf_store *st, const char *now, int limit, kf_err *err) {
  static const char *q = "SELECT id, case_id AS \"case\", name, kind, state, due_at, status"
                         " FROM timers WHERE status='pending' AND due_at<=?1"
                         " ORDER BY due_at, id LIMIT ?2";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, now);
  db_bind_int(s, 2, limit);
  return store_rows_json(st, s, "reading due timers", err);
}

json_t *kf_store_timers(kf_store *st, int64_t case_id, kf_err *err) {
  static const char *q = "SELECT id, case_id AS \"case\", name, kind, state, due_at, status,"
                         " done_at FROM timers WHERE case_id=?1 ORDER BY id";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  return store_rows_json(st, s, "reading timers", err);
}

json_t *kf_store_timer_claim(kf_store *st, int64_t id, kf_err *err) {
  /* PostgreSQL: the row stays locked to this transaction, and a runner on another server
   * passes over it rather than waiting (SQLite's writers take turns already) */
  static const char *lite = "SELECT id, case_id AS \"case\", name, kind, state, due_at, status,"
                            " done_at FROM timers WHERE id=?1";
  static const char *pg = "SELECT id, case_id AS \"case\", name, kind, state, due_at, status,"
                          " done_at FROM timers WHERE id=?1 FOR UPDATE SKIP LOCKED";
  db_stmt *s = store_stmt(st, store_is_pg(st) ? pg : lite, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, id);
  return store_row_or_none(st, s, "timer", err);
}

json_t *kf_store_timer_get(kf_store *st, int64_t id, kf_err *err) {
  static const char *q = "SELECT id, case_id AS \"case\", name, kind, state, due_at, status,"
                         " done_at FROM timers WHERE id=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, id);
  return store_row_or_none(st, s, "timer", err);
}

int kf_store_timer_finish(kf_store *st, int64_t id, const char *status, const char *now,
                          kf_err *err) {
  static const char *q = "UPDATE timers SET status=?2, done_at=?3 WHERE id=?1 AND status='pending'";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  store_bind_text(s, 2, status);
  store_bind_text(s, 3, now);
  int rc = store_step_done(st, s, "finishing a timer", err);
  if (rc) return rc;
  if (db_changes(st) == 0)
    return kf_fail(err, KF_ECONFLICT, "timer %lld was already done", (long long)id);
  return 0;
}

/* ---- cases and entries page by page (scripts, migrations) ---- */

/* Each workflow definition and the root of its adaptation lineage (its programme). */
#define LINEAGE                                                                          \
  "WITH RECURSIVE lineage(id, root) AS ("                                               \
  "  SELECT id, id FROM definitions WHERE base_id IS NULL"                              \
  "  UNION ALL SELECT d.id, l.root FROM definitions d JOIN lineage l ON d.base_id = l.id) "

json_t *kf_store_cases_after(kf_store *st, json_t *f, int64_t after, int limit, kf_err *err) {
  static const char *q =
      LINEAGE "SELECT " CASE_COLS ", r.name AS programme" CASE_FROM
      "LEFT JOIN lineage l ON l.id = c.workflow_id LEFT JOIN definitions r ON r.id = l.root "
      "WHERE c.id > ?5 AND (?1 IS NULL OR c.workflow=?1) AND (?2 IS NULL OR c.state=?2)"
      " AND (?3 IS NULL OR (c.overdue_since IS NOT NULL) = ?3)"
      " AND (?4 IS NULL OR c.final = 1 - ?4)"
      " ORDER BY c.id LIMIT ?6";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, store_jstr(f, "workflow"));
  store_bind_text(s, 2, store_jstr(f, "state"));
  json_t *v;
  if (json_is_boolean(v = json_object_get(f, "overdue"))) db_bind_int(s, 3, json_is_true(v));
  if (json_is_boolean(v = json_object_get(f, "open"))) db_bind_int(s, 4, json_is_true(v));
  db_bind_int64(s, 5, after);
  db_bind_int(s, 6, limit);
  json_t *a = store_rows_json(st, s, "listing cases", err);
  size_t i;
  json_array_foreach(a, i, v) store_case_fix(v);
  return a;
}

int kf_store_state_entries(kf_store *st, json_t *f, int (*fn)(json_t *row, void *ud), void *ud,
                           kf_err *err) {
  static const char *q =
      LINEAGE "SELECT e.case_id AS \"case\", c.workflow, r.name AS programme, e.at,"
      "  e.to_state AS state, json_extract(e.data, '$.outcome') AS outcome,"
      "  json_extract(e.data, '$.ended_by') AS ended_by, c.final,"
      "  c.state AS current"
      " FROM events e JOIN cases c ON c.id = e.case_id"
      " LEFT JOIN lineage l ON l.id = c.workflow_id LEFT JOIN definitions r ON r.id = l.root"
      " WHERE e.kind IN ('case.opened', 'case.transition') AND e.to_state IS NOT NULL"
      "  AND (e.from_state IS NULL OR e.from_state <> e.to_state)" /* acts that stay */
      "  AND (?1 IS NULL OR c.workflow = ?1) AND (?2 IS NULL OR e.case_id = ?2)"
      " ORDER BY e.case_id, e.seq";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, store_jstr(f, "workflow"));
  if (json_is_integer(json_object_get(f, "case"))) db_bind_int64(s, 2, store_jint(f, "case"));
  int rc, stop = 0;
  while (!stop && (rc = db_step(s)) == DB_ROW) {
    json_t *row = store_row_json(s);
    if (!row) {
      db_reset(s);
      return kf_fail(err, KF_ENOMEM, "out of memory reading the event log");
    }
    json_object_set(row, "final", json_boolean(store_jint(row, "final")));
    stop = fn(row, ud);
    json_decref(row);
  }
  if (!stop && rc != DB_DONE) {
    int code = store_db_fail(st, err, rc, "reading the event log");
    db_reset(s);
    return code;
  }
  db_reset(s);
  return stop;
}
