/* store_script.c: the read-only connection an analyst's script (and a report) runs on: on
 * SQLite an authorizer that allows reads only, never of the login tables, and reads the
 * columns holding people's details as NULL unless revealed; a deadline and a cap on what
 * one query may return; kf.sql's queries with their parameters. PostgreSQL's side is
 * store_pg.c's (a read-only snapshot, and a role that reads only what scripts may). It
 * writes nothing. */
#define _GNU_SOURCE
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "store_int.h"

/* What a script's connection allows: reads only, never of the login tables, and only
 * until its deadline; unless revealed, the script's own SQL reads the columns that hold
 * people's details as NULL. The authorizer records why it refused, for a one-line message. */
struct kf_script_guard {
  double deadline, seconds; /* CLOCK_MONOTONIC */
  size_t max_result;        /* bytes one kf.sql result may take */
  int timed_out;
  int reveal;   /* KF_SCRIPT_REVEAL: the private columns read as stored */
  int user_sql; /* preparing the script's own statement (kf_store_query), not the store's */
  char denied[300]; /* why the authorizer refused the statement */
  char schema[300]; /* a write to the schema tables: allowed only inside reads (the pragma
                       table functions do it); refused when the statement is not one */
};

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int schema_table(const char *t) {
  return t && (!sqlite3_stricmp(t, "sqlite_master") || !sqlite3_stricmp(t, "sqlite_schema") ||
               !sqlite3_stricmp(t, "sqlite_temp_master") ||
               !sqlite3_stricmp(t, "sqlite_temp_schema"));
}

/* Columns that hold case data, people's details, form entries and event data: what an
 * analyst's own SQL reads as NULL unless the run reveals them. */
static int private_column(const char *table, const char *column) {
  static const char *tables[] = {"cases", "members", "entries", "events"};
  if (!table || !column || sqlite3_stricmp(column, "data")) return 0;
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
    if (!sqlite3_stricmp(table, tables[i])) return 1;
  return 0;
}

static int forbidden_table(const char *t) {
  return t && (!sqlite3_stricmp(t, "users") || !sqlite3_stricmp(t, "sessions") ||
               !sqlite3_stricmp(t, "sqlite_dbpage"));
}

/* Pragmas that only read: those taking a table or index name, and those read bare. */
static int pragma_reads(const char *name, const char *arg) {
  static const char *with_arg[] = {"table_info", "table_xinfo", "index_list", "index_info",
                                   "index_xinfo", "foreign_key_list"};
  static const char *bare[] = {"table_list", "user_version", "schema_version", "data_version",
                               "function_list", "collation_list", "database_list",
                               "compile_options", "encoding", "page_count", "page_size",
                               "freelist_count", "query_only"};
  for (size_t i = 0; i < sizeof with_arg / sizeof with_arg[0]; i++)
    if (!sqlite3_stricmp(name, with_arg[i])) return !forbidden_table(arg);
  for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++)
    if (!sqlite3_stricmp(name, bare[i])) return arg == NULL;
  return 0;
}

static int script_authorizer(void *ud, int action, const char *a1, const char *a2,
                             const char *db, const char *via) {
  (void)db;
  (void)via;
  struct kf_script_guard *g = ud;
  const char *what = NULL;
  switch (action) {
  case SQLITE_SELECT:
  case SQLITE_RECURSIVE:
  case SQLITE_FUNCTION:
    return SQLITE_OK;
  case SQLITE_READ:
    if (!forbidden_table(a1))
      return g->user_sql && !g->reveal && private_column(a1, a2) ? SQLITE_IGNORE : SQLITE_OK;
    if (!g->denied[0])
      snprintf(g->denied, sizeof g->denied, "reading table '%s' is not allowed in scripts", a1);
    return SQLITE_DENY;
  case SQLITE_PRAGMA:
    if (pragma_reads(a1, a2)) return SQLITE_OK;
    if (!g->denied[0] && forbidden_table(a2))
      snprintf(g->denied, sizeof g->denied, "reading table '%s' is not allowed in scripts", a2);
    if (!g->denied[0])
      snprintf(g->denied, sizeof g->denied, "PRAGMA %s%s%s is not allowed: scripts are read-only",
               a1, a2 ? " = " : "", a2 ? a2 : "");
    return SQLITE_DENY;
  case SQLITE_INSERT:
  case SQLITE_UPDATE:
  case SQLITE_DELETE:
    if (!schema_table(a1)) break;
    /* CREATE, DROP, ANALYZE check their own action next; a pragma table function
     * "updates" the schema while it reads. kf_store_query refuses what still writes. */
    if (!g->schema[0])
      snprintf(g->schema, sizeof g->schema, "changing the schema ('%s') is not allowed: "
               "scripts are read-only", a1);
    return SQLITE_OK;
  default:
    break;
  }
  switch (action) {
  case SQLITE_INSERT: what = "INSERT into table"; break;
  case SQLITE_UPDATE: what = "UPDATE of table"; break;
  case SQLITE_DELETE: what = "DELETE from table"; break;
  case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TEMP_INDEX: what = "CREATE INDEX"; break;
  case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_TABLE: what = "CREATE TABLE"; break;
  case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_TEMP_TRIGGER: what = "CREATE TRIGGER"; break;
  case SQLITE_CREATE_VIEW: case SQLITE_CREATE_TEMP_VIEW: what = "CREATE VIEW"; break;
  case SQLITE_CREATE_VTABLE: what = "CREATE VIRTUAL TABLE"; break;
  case SQLITE_DROP_INDEX: case SQLITE_DROP_TEMP_INDEX: what = "DROP INDEX"; break;
  case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_TABLE: what = "DROP TABLE"; break;
  case SQLITE_DROP_TRIGGER: case SQLITE_DROP_TEMP_TRIGGER: what = "DROP TRIGGER"; break;
  case SQLITE_DROP_VIEW: case SQLITE_DROP_TEMP_VIEW: what = "DROP VIEW"; break;
  case SQLITE_DROP_VTABLE: what = "DROP VIRTUAL TABLE"; break;
  case SQLITE_ALTER_TABLE: what = "ALTER TABLE"; a1 = a2; break;
  case SQLITE_ATTACH: what = "ATTACH"; break;
  case SQLITE_DETACH: what = "DETACH"; break;
  case SQLITE_TRANSACTION: what = "BEGIN/COMMIT/ROLLBACK"; a1 = NULL; break;
  case SQLITE_SAVEPOINT: what = "SAVEPOINT"; a1 = NULL; break;
  case SQLITE_REINDEX: what = "REINDEX"; break;
  case SQLITE_ANALYZE: what = "ANALYZE"; break;
  default: what = "this statement"; a1 = NULL; break;
  }
  if (!g->denied[0]) {
    if (a1 && *a1)
      snprintf(g->denied, sizeof g->denied, "%s '%s' is not allowed: scripts are read-only",
               what, a1);
    else snprintf(g->denied, sizeof g->denied, "%s is not allowed: scripts are read-only", what);
  }
  return SQLITE_DENY;
}

static int script_progress(void *ud) {
  struct kf_script_guard *g = ud;
  if (mono_now() <= g->deadline) return 0;
  g->timed_out = 1;
  return 1;
}

kf_store *kf_store_open_script(const char *path, double seconds, size_t max_result,
                               int flags, kf_err *err) {
  kf_store *st = kf_store_open(path, KF_STORE_READONLY | KF_STORE_NOCREATE, err);
  if (!st) return NULL;
  struct kf_script_guard *g = calloc(1, sizeof *g);
  if (!g) {
    kf_store_close(st);
    kf_fail(err, KF_ENOMEM, "out of memory");
    return NULL;
  }
  g->seconds = seconds > 0 ? seconds : 60;
  g->deadline = mono_now() + g->seconds;
  g->max_result = max_result ? max_result : (size_t)64 << 20;
  g->reveal = (flags & KF_SCRIPT_REVEAL) != 0;
  st->guard = g;
  /* One snapshot for the whole script, so that pages of cases and events agree. */
  int rc = store_is_pg(st) ? store_pg_script_begin(st, err) : store_exec(st, "BEGIN DEFERRED", err);
  if (rc) {
    kf_store_close(st);
    return NULL;
  }
  if (store_is_pg(st)) return st; /* its limits are the role's and the statement's */
  sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL); /* not even that */
  sqlite3_limit(st->db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(st->db, SQLITE_LIMIT_LENGTH, (int)(g->max_result < (1u << 30) ? g->max_result : (1u << 30)));
  sqlite3_limit(st->db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
  sqlite3_progress_handler(st->db, 1000, script_progress, g);
  sqlite3_set_authorizer(st->db, script_authorizer, g);
  return st;
}

/* A column as it is, for scripts: nothing parsed. */
static json_t *raw_col(sqlite3_stmt *s, int i, size_t *bytes) {
  switch (sqlite3_column_type(s, i)) {
  case SQLITE_INTEGER: *bytes += 16; return json_integer(sqlite3_column_int64(s, i));
  case SQLITE_FLOAT: *bytes += 16; return json_real(sqlite3_column_double(s, i));
  case SQLITE_NULL: *bytes += 8; return json_null();
  default: {
    const char *t = (const char *)sqlite3_column_blob(s, i);
    size_t n = (size_t)sqlite3_column_bytes(s, i);
    *bytes += n + 32;
    return json_stringn_nocheck(t ? t : "", n);
  }
  }
}

static int bind_params(sqlite3_stmt *s, json_t *params, kf_err *err) {
  int want = sqlite3_bind_parameter_count(s);
  int have = (int)json_array_size(params);
  if (want != have)
    return kf_fail(err, KF_EINVAL, "kf.sql: the query has %d parameter%s, %d value%s given",
                   want, want == 1 ? "" : "s", have, have == 1 ? "" : "s");
  for (int i = 0; i < have; i++) {
    json_t *v = json_array_get(params, (size_t)i);
    switch (json_typeof(v)) {
    case JSON_STRING:
      sqlite3_bind_text(s, i + 1, json_string_value(v), (int)json_string_length(v),
                        SQLITE_TRANSIENT);
      break;
    case JSON_INTEGER: sqlite3_bind_int64(s, i + 1, json_integer_value(v)); break;
    case JSON_REAL: sqlite3_bind_double(s, i + 1, json_real_value(v)); break;
    case JSON_TRUE: sqlite3_bind_int(s, i + 1, 1); break;
    case JSON_FALSE: sqlite3_bind_int(s, i + 1, 0); break;
    case JSON_NULL: sqlite3_bind_null(s, i + 1); break;
    default:
      return kf_fail(err, KF_EINVAL, "kf.sql: parameter %d is a table; give text, a number, "
                     "a boolean or nil", i + 1);
    }
  }
  return 0;
}

json_t *kf_store_query(kf_store *st, const char *sql, json_t *params, kf_err *err) {
  struct kf_script_guard *g = st->guard;
  if (!g) {
    kf_fail(err, KF_EINVAL, "internal: kf_store_query needs a script connection");
    return NULL;
  }
  if (store_is_pg(st))
    return store_pg_query(st, sql, params, g->reveal, g->seconds, g->deadline - mono_now(),
                          g->max_result, err);
  g->denied[0] = g->schema[0] = 0;
  sqlite3_stmt *s = NULL;
  const char *tail = NULL;
  json_t *rows = NULL;
  g->user_sql = 1; /* until out: a statement may be prepared again while it steps */
  int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, &tail);
  if (rc != SQLITE_OK) {
    if (g->denied[0]) kf_fail(err, KF_EREFUSED, "kf.sql: %s; nothing was changed", g->denied);
    else if (strstr(sqlite3_errmsg(st->db), "may not be modified"))
      kf_fail(err, KF_EREFUSED, "kf.sql: %s: scripts are read-only; nothing was changed",
              sqlite3_errmsg(st->db));
    else if (g->timed_out)
      kf_fail(err, KF_EREFUSED, "kf.sql: stopped: the script's time limit (%g s) ran out",
              g->seconds);
    else kf_fail(err, KF_EINVAL, "kf.sql: %s", sqlite3_errmsg(st->db));
    goto out;
  }
  if (!s) {
    kf_fail(err, KF_EINVAL, "kf.sql: the query is empty");
    goto out;
  }
  while (tail && (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';'))
    tail++;
  if (tail && *tail) {
    kf_fail(err, KF_EINVAL, "kf.sql: one statement at a time (found more after the first)");
    goto out;
  }
  if (!sqlite3_stmt_readonly(s)) {
    if (g->schema[0]) kf_fail(err, KF_EREFUSED, "kf.sql: %s; nothing was changed", g->schema);
    else kf_fail(err, KF_EREFUSED, "kf.sql: the statement would change the database: scripts "
                 "are read-only; nothing was changed");
    goto out;
  }
  if (bind_params(s, params, err)) goto out;
  rows = json_array();
  size_t bytes = 0;
  int n = sqlite3_column_count(s);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    json_t *o = json_object();
    for (int i = 0; i < n; i++) json_object_set_new(o, sqlite3_column_name(s, i), raw_col(s, i, &bytes));
    json_array_append_new(rows, o);
    bytes += 64;
    if (bytes > g->max_result) {
      kf_fail(err, KF_EINVAL, "kf.sql: the result is larger than %zu MiB; narrow the query "
              "(WHERE, LIMIT) or aggregate in SQL", g->max_result >> 20);
      goto fail;
    }
  }
  if (rc != SQLITE_DONE) {
    if (g->timed_out)
      kf_fail(err, KF_EREFUSED, "kf.sql: stopped: the script's time limit (%g s) ran out",
              g->seconds);
    else if (g->denied[0]) /* pragma table functions ask when they run */
      kf_fail(err, KF_EREFUSED, "kf.sql: %s; nothing was changed", g->denied);
    else if ((rc & 0xff) == SQLITE_READONLY)
      kf_fail(err, KF_EREFUSED, "kf.sql: %s: scripts are read-only; nothing was changed",
              sqlite3_errmsg(st->db));
    else kf_fail(err, KF_EINVAL, "kf.sql: %s", sqlite3_errmsg(st->db));
    goto fail;
  }
  goto out;
fail:
  json_decref(rows);
  rows = NULL;
out:
  sqlite3_finalize(s);
  g->user_sql = 0;
  return rows;
}
