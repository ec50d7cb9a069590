/* store_copy.c: `db copy`: every table of one database copied into an empty one, SQLite or
 * PostgreSQL either side, through store_db.h's statements only, then verified on the target
 * before its one transaction commits. It never writes to the source, and never leaves a
 * target half-filled: what fails to copy or to verify is rolled back. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"

/* Every table of the schema, parents before the rows that refer to them, each with the key
 * it is read in order of (one or two columns) and, for meta, the rows that are each
 * backend's own bookkeeping (PostgreSQL's writers' row and schema version) left out. */
static const struct table {
  const char *name, *k1, *k2, *only;
} TABLES[] = {
    {"definitions", "id", NULL, NULL},
    {"cases", "id", NULL, NULL},
    {"members", "id", NULL, NULL},
    {"entries", "id", NULL, NULL},
    {"events", "seq", NULL, NULL},
    {"timers", "id", NULL, NULL},
    {"users", "login", NULL, NULL},
    {"sessions", "token_hash", NULL, NULL},
    {"teams", "name", NULL, NULL},
    {"team_members", "team", "login", NULL},
    {"access_grants", "id", NULL, NULL},
    {"consents", "id", NULL, NULL},
    {"decisions", "id", NULL, NULL},
    {"flags", "id", NULL, NULL},
    {"withheld", "case_id", "destination", NULL},
    {"case_links", "id", NULL, NULL},
    {"settings", "name", NULL, NULL},
    {"migrations", "id", NULL, NULL},
    {"migrated_cases", "migration", "case_id", NULL},
    {"deliveries", "destination", NULL, NULL},
    {"meta", "key", NULL, "key NOT IN ('writer', 'schema_version')"},
};
#define NTABLES ((int)(sizeof TABLES / sizeof TABLES[0]))

#define PAGE 500          /* rows read from the source a statement */
#define BATCH_PARAMS 255  /* values written a statement: store_pg.c numbers at most ?255 */
#define CASES_PAGE 1000   /* cases compared a statement (compare_cases's LIMIT) */

/* What one database holds, as the verification compares it. */
struct tally {
  int64_t rows[NTABLES];
  int64_t events;
  char head[65];
};

/* One value read from the source, kept until its batch is written. */
struct val {
  int type;
  int64_t i;
  double d;
  char *t;
  int len;
};

static void val_clear(struct val *v) {
  free(v->t);
  memset(v, 0, sizeof *v);
}

/* ---- opening ---- */

/* 1 when a and b are the same database: the same text, or the same file. */
static int same_database(const char *a, const char *b) {
  if (!strcmp(a, b)) return 1;
  struct stat sa, sb;
  return !store_is_pg_uri(a) && !store_is_pg_uri(b) && !stat(a, &sa) && !stat(b, &sb) &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Remove a SQLite file this copy created, with its side files. */
static void remove_created(const char *path) {
  static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
    char *p = NULL;
    if (asprintf(&p, "%s%s", path, sides[i]) >= 0) {
      unlink(p);
      free(p);
    }
  }
}

/* ---- counting ---- */

static int count_rows(kf_store *st, const struct table *t, int64_t *n, kf_err *err) {
  char *sql = NULL;
  if (asprintf(&sql, "SELECT count(*) FROM %s WHERE %s", t->name, t->only ? t->only : "1=1") < 0)
    return kf_fail(err, KF_ENOMEM, "out of memory");
  db_stmt *s = store_stmt(st, sql, err);
  free(sql);
  if (!s) return err ? err->code : KF_ESTORE;
  int rc = db_step(s);
  if (rc == DB_ROW) *n = db_column_int64(s, 0);
  db_reset(s);
  if (rc != DB_ROW) return store_db_fail(st, err, rc, "counting rows");
  return 0;
}

/* Every table's rows, and the audit chain recomputed (its events and head). */
static int tally(kf_store *st, const char *side, struct tally *t, kf_err *err) {
  for (int i = 0; i < NTABLES; i++)
    if (count_rows(st, &TABLES[i], &t->rows[i], err)) return err ? err->code : KF_ESTORE;
  json_t *sum = NULL;
  kf_err verr = {0};
  if (kf_store_audit_verify(st, &sum, &verr))
    return kf_fail(err, KF_EINVAL, "the %s %s does not verify (%s)", side, st->path, verr.msg);
  t->events = store_jint(sum, "events");
  snprintf(t->head, sizeof t->head, "%s", store_jstr(sum, "head") ? store_jstr(sum, "head") : "");
  json_decref(sum);
  return 0;
}

/* ---- copying ---- */

/* INSERT INTO t(cols...) VALUES(...) for rows rows of ncols columns. */
static char *insert_sql(const char *table, char **cols, int ncols, int rows) {
  size_t cap = 64 + strlen(table), n;
  for (int c = 0; c < ncols; c++) cap += strlen(cols[c]) + 4;
  cap += (size_t)rows * ((size_t)ncols * 8 + 4);
  char *sql = malloc(cap);
  if (!sql) return NULL;
  n = (size_t)snprintf(sql, cap, "INSERT INTO %s(", table);
  for (int c = 0; c < ncols; c++)
    n += (size_t)snprintf(sql + n, cap - n, "%s\"%s\"", c ? "," : "", cols[c]);
  n += (size_t)snprintf(sql + n, cap - n, ") VALUES");
  for (int r = 0, p = 1; r < rows; r++) {
    n += (size_t)snprintf(sql + n, cap - n, "%s(", r ? "," : "");
    for (int c = 0; c < ncols; c++, p++) n += (size_t)snprintf(sql + n, cap - n, "%s?%d", c ? "," : "", p);
    n += (size_t)snprintf(sql + n, cap - n, ")");
  }
  return sql;
}

/* What copying one table needs between its batches. */
struct copy {
  kf_store *from, *to;
  const struct table *t;
  int ncols, batch, pending, keyi[2];
  char **cols;
  char *full_sql; /* the insert of a whole batch */
  struct val *vals; /* batch * ncols */
  struct val last[2]; /* the key of the last row read */
};

static int bind_val(db_stmt *s, int i, const struct val *v) {
  switch (v->type) {
  case DB_INTEGER: return db_bind_int64(s, i, v->i);
  case DB_FLOAT: return db_bind_double(s, i, v->d);
  case DB_NULL: return db_bind_null(s, i);
  default: return db_bind_text(s, i, v->t, v->len, DB_TRANSIENT);
  }
}

/* Write the rows waiting in the batch. */
static int flush(struct copy *cp, kf_err *err) {
  if (!cp->pending) return 0;
  char *own = NULL;
  const char *sql = cp->full_sql;
  if (cp->pending < cp->batch &&
      !(sql = own = insert_sql(cp->t->name, cp->cols, cp->ncols, cp->pending)))
    return kf_fail(err, KF_ENOMEM, "out of memory");
  db_stmt *s = store_stmt(cp->to, sql, err);
  free(own);
  if (!s) return err ? err->code : KF_ESTORE;
  int n = cp->pending * cp->ncols, rc = DB_OK;
  for (int i = 0; i < n && rc == DB_OK; i++) rc = bind_val(s, i + 1, &cp->vals[i]);
  for (int i = 0; i < n; i++) val_clear(&cp->vals[i]);
  cp->pending = 0;
  if (rc != DB_OK) {
    db_reset(s);
    return store_db_fail(cp->to, err, rc, "binding a row to copy");
  }
  char what[96];
  snprintf(what, sizeof what, "copying table %s", cp->t->name);
  return store_step_done(cp->to, s, what, err);
}

/* The columns of the source's rows (from the first page's statement), and the statements
 * the target is written with. */
static int columns(struct copy *cp, db_stmt *s, kf_err *err) {
  cp->ncols = db_column_count(s);
  if (cp->ncols < 1 || !(cp->cols = calloc((size_t)cp->ncols, sizeof *cp->cols)))
    return kf_fail(err, KF_ENOMEM, "out of memory");
  cp->keyi[0] = cp->keyi[1] = -1;
  for (int c = 0; c < cp->ncols; c++) {
    const char *name = db_column_name(s, c);
    if (!name || strchr(name, '"') || !(cp->cols[c] = strdup(name)))
      return kf_fail(err, KF_ENOMEM, "out of memory");
    if (!strcmp(name, cp->t->k1)) cp->keyi[0] = c;
    if (cp->t->k2 && !strcmp(name, cp->t->k2)) cp->keyi[1] = c;
  }
  if (cp->keyi[0] < 0 || (cp->t->k2 && cp->keyi[1] < 0))
    return kf_fail(err, KF_ESTORE, "table %s of %s has no column %s: it is not this kinflow's "
                   "schema", cp->t->name, cp->from->path, cp->keyi[0] < 0 ? cp->t->k1 : cp->t->k2);
  cp->batch = BATCH_PARAMS / cp->ncols > 0 ? BATCH_PARAMS / cp->ncols : 1;
  if (!(cp->vals = calloc((size_t)(cp->batch * cp->ncols), sizeof *cp->vals)) ||
      !(cp->full_sql = insert_sql(cp->t->name, cp->cols, cp->ncols, cp->batch)))
    return kf_fail(err, KF_ENOMEM, "out of memory");
  return 0;
}

/* Column c of the source's current row into v. */
static int read_val(struct copy *cp, db_stmt *s, int c, struct val *v, int64_t row, kf_err *err) {
  v->type = db_column_type(s, c);
  switch (v->type) {
  case DB_INTEGER: v->i = db_column_int64(s, c); return 0;
  case DB_FLOAT: v->d = db_column_double(s, c); return 0;
  case DB_NULL: return 0;
  default: {
    const char *t = db_column_text(s, c);
    v->len = db_column_bytes(s, c);
    if (!(v->t = malloc((size_t)v->len + 1))) return kf_fail(err, KF_ENOMEM, "out of memory");
    memcpy(v->t, t ? t : "", (size_t)v->len);
    v->t[v->len] = 0;
    v->type = DB_TEXT;
    if (store_is_pg(cp->to) && memchr(v->t, 0, (size_t)v->len))
      return kf_fail(err, KF_EINVAL, "table %s, row %lld: column %s holds a NUL character, "
                     "which PostgreSQL cannot store; nothing was copied", cp->t->name,
                     (long long)row, cp->cols[c]);
    return 0;
  }
  }
}

static int copy_table(kf_store *from, kf_store *to, const struct table *t, int64_t *copied,
                      kf_err *err) {
  struct copy cp = {.from = from, .to = to, .t = t};
  char *first = NULL, *next = NULL;
  const char *only = t->only ? t->only : "1=1";
  int rc = 0;
  if (asprintf(&first, "SELECT * FROM %s WHERE %s ORDER BY %s%s%s LIMIT %d", t->name, only,
               t->k1, t->k2 ? ", " : "", t->k2 ? t->k2 : "", PAGE) < 0)
    first = NULL;
  if (asprintf(&next, "SELECT * FROM %s WHERE %s AND (%s%s%s) > (?1%s) ORDER BY %s%s%s LIMIT %d",
               t->name, only, t->k1, t->k2 ? ", " : "", t->k2 ? t->k2 : "", t->k2 ? ", ?2" : "",
               t->k1, t->k2 ? ", " : "", t->k2 ? t->k2 : "", PAGE) < 0)
    next = NULL;
  if (!first || !next) {
    rc = kf_fail(err, KF_ENOMEM, "out of memory");
    goto out;
  }
  int64_t n = 0;
  char what[96];
  snprintf(what, sizeof what, "reading table %s", t->name);
  for (;;) {
    db_stmt *s = store_stmt(from, n ? next : first, err);
    if (!s) {
      rc = err ? err->code : KF_ESTORE;
      goto out;
    }
    for (int k = 0; n && k < (t->k2 ? 2 : 1); k++) bind_val(s, k + 1, &cp.last[k]);
    int step, page = 0;
    while ((step = db_step(s)) == DB_ROW) {
      if (!cp.ncols && (rc = columns(&cp, s, err))) break;
      struct val *row = &cp.vals[cp.pending * cp.ncols];
      for (int c = 0; c < cp.ncols && !rc; c++) rc = read_val(&cp, s, c, &row[c], n + 1, err);
      for (int k = 0; k < (t->k2 ? 2 : 1) && !rc; k++) {
        val_clear(&cp.last[k]);
        rc = read_val(&cp, s, cp.keyi[k], &cp.last[k], n + 1, err);
      }
      if (rc) break;
      page++;
      n++;
      if (++cp.pending == cp.batch && (rc = flush(&cp, err))) break;
    }
    if (rc) {
      db_reset(s);
      goto out;
    }
    if (step != DB_DONE) {
      db_reset(s);
      rc = store_db_fail(from, err, step, what);
      goto out;
    }
    db_reset(s);
    if (page < PAGE) break;
  }
  if ((rc = flush(&cp, err))) goto out;
  *copied = n;
out:
  if (cp.vals)
    for (int i = 0; i < cp.batch * cp.ncols; i++) val_clear(&cp.vals[i]);
  val_clear(&cp.last[0]);
  val_clear(&cp.last[1]);
  for (int c = 0; cp.cols && c < cp.ncols; c++) free(cp.cols[c]);
  free(cp.cols);
  free(cp.vals);
  free(cp.full_sql);
  free(first);
  free(next);
  return rc;
}

/* ---- verifying ---- */

static const char *text_or(const char *t) { return t ? t : "(none)"; }

/* Every case's (id, state, revision, workflow_id) the same on both, a page at a time. */
static int compare_cases(kf_store *from, kf_store *to, kf_err *err) {
  static const char *first = "SELECT id, state, revision, workflow_id FROM cases ORDER BY id"
                             " LIMIT 1000";
  static const char *next = "SELECT id, state, revision, workflow_id FROM cases WHERE id > ?1"
                            " ORDER BY id LIMIT 1000";
  int64_t after = 0;
  int started = 0;
  for (;;) {
    db_stmt *a = store_stmt(from, started ? next : first, err);
    if (!a) return err ? err->code : KF_ESTORE;
    db_stmt *b = store_stmt(to, started ? next : first, err);
    if (!b) {
      db_reset(a);
      return err ? err->code : KF_ESTORE;
    }
    if (started) {
      db_bind_int64(a, 1, after);
      db_bind_int64(b, 1, after);
    }
    started = 1;
    int ra, rb, page = 0, rc = 0;
    for (;;) {
      ra = db_step(a);
      rb = db_step(b);
      if (ra != DB_ROW || rb != DB_ROW) break;
      int64_t id = db_column_int64(a, 0), idb = db_column_int64(b, 0);
      const char *sa = db_column_text(a, 1), *sb = db_column_text(b, 1);
      if (id != idb) {
        int64_t gone = id < idb ? id : idb;
        rc = kf_fail(err, KF_EINVAL, "case %lld is on the %s only", (long long)gone,
                     id < idb ? "source" : "target");
      } else if (!sa || !sb || strcmp(sa, sb))
        rc = kf_fail(err, KF_EINVAL, "case %lld: state '%s' on the source, '%s' on the target",
                     (long long)id, text_or(sa), text_or(sb));
      else if (db_column_int64(a, 2) != db_column_int64(b, 2))
        rc = kf_fail(err, KF_EINVAL, "case %lld: revision %lld on the source, %lld on the "
                     "target", (long long)id, (long long)db_column_int64(a, 2),
                     (long long)db_column_int64(b, 2));
      else if (db_column_int64(a, 3) != db_column_int64(b, 3))
        rc = kf_fail(err, KF_EINVAL, "case %lld: workflow version %lld on the source, %lld on "
                     "the target", (long long)id, (long long)db_column_int64(a, 3),
                     (long long)db_column_int64(b, 3));
      if (rc) break;
      after = id;
      page++;
    }
    if (!rc && ra == DB_ROW && rb == DB_DONE)
      rc = kf_fail(err, KF_EINVAL, "case %lld is on the source only",
                   (long long)db_column_int64(a, 0));
    else if (!rc && ra == DB_DONE && rb == DB_ROW)
      rc = kf_fail(err, KF_EINVAL, "case %lld is on the target only",
                   (long long)db_column_int64(b, 0));
    else if (!rc && ra != DB_ROW && ra != DB_DONE)
      rc = store_db_fail(from, err, ra, "reading cases");
    else if (!rc && rb != DB_ROW && rb != DB_DONE)
      rc = store_db_fail(to, err, rb, "reading cases");
    db_reset(a);
    db_reset(b);
    if (rc) return rc;
    if (page < CASES_PAGE) return 0;
  }
}

/* to against what from holds (src: from's tally): counts, cases, the chain and its head. */
static int verify(kf_store *from, kf_store *to, const struct tally *src, json_t **summary,
                  kf_err *err) {
  struct tally dst = {0};
  kf_err terr = {0};
  if (tally(to, "target", &dst, &terr))
    return kf_fail(err, terr.code, "%s", terr.msg);
  for (int i = 0; i < NTABLES; i++)
    if (src->rows[i] != dst.rows[i])
      return kf_fail(err, KF_EINVAL, "table %s has %lld rows on the source, %lld on the target",
                     TABLES[i].name, (long long)src->rows[i], (long long)dst.rows[i]);
  int rc = compare_cases(from, to, err);
  if (rc) return rc;
  if (src->events != dst.events || strcmp(src->head, dst.head))
    return kf_fail(err, KF_EINVAL, "the audit chain's head differs: event %lld, %s on the "
                   "source; event %lld, %s on the target", (long long)src->events, src->head,
                   (long long)dst.events, dst.head);
  if (!summary) return 0;
  json_t *tables = json_object();
  for (int i = 0; tables && i < NTABLES; i++)
    json_object_set_new(tables, TABLES[i].name, json_integer(dst.rows[i]));
  *summary = json_pack("{s:o,s:I,s:I,s:s}", "tables", tables, "cases", (json_int_t)dst.rows[1],
                       "events", (json_int_t)dst.events, "head", dst.head);
  return *summary ? 0 : kf_fail(err, KF_ENOMEM, "out of memory");
}

int kf_store_copy_verify(kf_store *from, kf_store *to, json_t **summary, kf_err *err) {
  struct tally src = {0};
  int rc = tally(from, "source", &src, err);
  if (!rc) rc = verify(from, to, &src, summary, err);
  return rc;
}

/* ---- the copy ---- */

/* The source, open read-only on one snapshot, at this kinflow's schema (current), its
 * chain verified and its rows counted into src. */
static kf_store *open_source(const char *from, int current, struct tally *src, kf_err *err) {
  if (!store_is_pg_uri(from) && access(from, F_OK)) {
    kf_fail(err, KF_ENOTFOUND, "the source %s does not exist; nothing was copied", from);
    return NULL;
  }
  kf_store *st = store_connect(from, KF_STORE_READONLY | KF_STORE_NOCREATE, err);
  if (!st) return NULL;
  int v = store_schema_version(st), rc;
  if (v < 0) rc = store_db_fail(st, err, DB_ERROR, "reading the schema version");
  else if (v == 0)
    rc = kf_fail(err, KF_EINVAL, "the source %s is not a kinflow database (it has no schema); "
                 "nothing was copied", st->path);
  else if (v != current)
    rc = kf_fail(err, KF_EINVAL, "the source %s has schema version %d, this kinflow's is %d: "
                 "run `kinflow init` on it with this kinflow first; nothing was copied",
                 st->path, v, current);
  else
    rc = store_exec(st, store_is_pg(st) ? "SET default_transaction_read_only = on"
                                        : "PRAGMA query_only=ON", err);
  if (!rc) rc = kf_store_begin_read(st, err);
  if (!rc) rc = tally(st, "source", src, err);
  if (rc) {
    kf_store_close(st);
    return NULL;
  }
  return st;
}

/* The target, at the source's schema version v (a new one is given it), holding no rows. */
static kf_store *open_target(const char *to, int v, const char *from_shown, kf_err *err) {
  kf_store *st = store_connect(to, 0, err);
  if (!st) return NULL;
  int vt = store_schema_version(st), rc = 0;
  if (vt == 0)
    rc = store_is_pg(st) ? store_pg_migrate(st, 0, err) : store_sqlite_migrate(st, err);
  else if (vt < 0)
    rc = store_db_fail(st, err, DB_ERROR, "reading the schema version");
  else if (vt != v)
    rc = kf_fail(err, KF_EINVAL, "the source %s has schema version %d, the target %s %d: "
                 "both must be at the same version; nothing was copied", from_shown, v,
                 st->path, vt);
  for (int i = 0; !rc && i < NTABLES; i++) {
    int64_t n = 0;
    if ((rc = count_rows(st, &TABLES[i], &n, err))) break;
    if (n)
      rc = kf_fail(err, KF_EINVAL, "the target %s is not empty (table %s holds %lld row%s): "
                   "copy into a new database; nothing was copied", st->path, TABLES[i].name,
                   (long long)n, n == 1 ? "" : "s");
  }
  if (rc) {
    kf_store_close(st);
    return NULL;
  }
  return st;
}

/* Add ": nothing was copied" (or what) to a refusal that does not say it yet. */
static void say_nothing_copied(kf_err *e, const char *what) {
  size_t n = strlen(e->msg);
  if (!strstr(e->msg, "nothing was copied"))
    snprintf(e->msg + n, sizeof e->msg - n, "%s", what);
}

int kf_store_copy(const char *from, const char *to, json_t **summary, kf_err *err) {
  kf_err e = {0};
  if (summary) *summary = NULL;
  if (!from || !*from || !to || !*to)
    return kf_fail(err, KF_EINVAL, "db copy needs a source and a target");
  if (same_database(from, to)) /* a URI is not shown: it may hold a password */
    return kf_fail(err, KF_EINVAL, "the source and the target are the same database%s%s%s",
                   store_is_pg_uri(from) ? "" : " (", store_is_pg_uri(from) ? "" : from,
                   store_is_pg_uri(from) ? "" : ")");
  int current = store_schema_current();
  struct tally src = {0};
  kf_store *a = open_source(from, current, &src, &e), *b = NULL;
  if (!a) {
    say_nothing_copied(&e, "; nothing was copied");
    if (err) *err = e;
    return e.code;
  }
  int created = !store_is_pg_uri(to) && access(to, F_OK) != 0;
  int rc = 0;
  if (!(b = open_target(to, current, a->path, &e))) {
    rc = e.code ? e.code : KF_ESTORE;
    goto out;
  }
  if ((rc = kf_store_begin(b, &e))) goto out;
  for (int i = 0; i < NTABLES && !rc; i++) {
    int64_t n = 0;
    rc = copy_table(a, b, &TABLES[i], &n, &e);
    if (!rc && n != src.rows[i])
      rc = kf_fail(&e, KF_EINVAL, "table %s: %lld rows read, %lld counted on the source",
                   TABLES[i].name, (long long)n, (long long)src.rows[i]);
  }
  if (!rc && (rc = verify(a, b, &src, summary, &e)))
    say_nothing_copied(&e, ": the copy does not verify; nothing was copied");
  if (rc) kf_store_rollback(b);
  else if ((rc = kf_store_commit(b, &e)) && summary) {
    json_decref(*summary);
    *summary = NULL;
  }
out:
  if (rc) say_nothing_copied(&e, "; nothing was copied");
  kf_store_rollback(a);
  kf_store_close(a);
  kf_store_close(b);
  if (rc && created) remove_created(to);
  if (rc && err) *err = e;
  return rc;
}
