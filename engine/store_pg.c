/* store_pg.c: the PostgreSQL backend (libpq): a connection from a postgresql:// URI, its
 * schema (what SQLite's migrations reach, in PostgreSQL's types: events append-only by
 * trigger and privilege, ids given as SQLite gives them), and statements as store_db.h
 * shows them. The store's SQL is translated once, when prepared: ?N parameters, and the
 * few spellings that differ (json_each, json_extract, LIKE, INDEXED BY, CROSS JOIN ... ON,
 * LIMIT -1). Nothing above the store sees libpq. */
#define _GNU_SOURCE
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

struct pg_conn {
  PGconn *c;
  int64_t changes, last_id; /* of the last statement that changed rows */
  char err[512];            /* the last error's primary message */
  unsigned named;           /* statements prepared so far: the next one's name */
  unsigned gen;             /* the connection's life: made again after it was lost */
};

#define MAXP 255 /* parameters a statement may number (?1 .. ?255) */

struct pg_stmt {
  db_stmt base;
  kf_store *st;
  char *sql;        /* as the store wrote it: the statement cache compares it */
  char name[24];    /* prepared as; "" when run as it is (transaction control) */
  char *text;       /* translated, for the unprepared */
  char *pgsql;      /* translated, for the prepared: prepared again on a new connection */
  unsigned gen;     /* the connection's life it was prepared in */
  int returning_id; /* an INSERT given " RETURNING id": its row is the new id, not a row */
  int nparams;      /* distinct parameters, numbered 1..nparams in order of first use */
  unsigned char map[MAXP + 1]; /* ?N as written -> its number in the translation */
  unsigned char isnull[MAXP + 1]; /* ?N in "?N IS [NOT] NULL": a number of its own, as text */
  Oid types[MAXP];                /* by translated number: 0 (inferred) or text */
  char *vals[MAXP];            /* bound values as text, by translated number; NULL: null */
  PGresult *res;
  int ran, row, nrows;
};

/* ---- translation: SQLite's spelling to PostgreSQL's ---- */

struct buf {
  char *p;
  size_t n, cap;
  int oom;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->n + n + 1 > b->cap) {
    size_t cap = (b->n + n + 1) * 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* Tables whose rows take an id as SQLite's INTEGER PRIMARY KEY gives one (the largest so far
 * plus one; a trigger gives it here): an INSERT into one returns it. */
static const char *const ID_TABLES[] = {"definitions", "cases", "members", "entries", "timers",
                                        "access_grants", "consents", "decisions", "flags",
                                        "case_links", "migrations", NULL};

static int word_is(const char *p, size_t n, const char *w) {
  return strlen(w) == n && !strncasecmp(p, w, n);
}

/* Where the parenthesis opened just before p closes (p points after it); NULL if never. */
static const char *closing(const char *p) {
  int depth = 1;
  for (; *p; p++) {
    if (*p == '\'') {
      for (p++; *p && !(*p == '\'' && p[1] != '\''); p += *p == '\'' ? 2 : 1) {}
      if (!*p) return NULL;
    } else if (*p == '(') depth++;
    else if (*p == ')' && !--depth) return p;
  }
  return NULL;
}

static void translate(struct pg_stmt *ps, struct buf *b, const char *p, const char *end);

/* json_extract(X, '$.a.b') -> (CAST(X AS json) #>> '{a,b}'); 1 when written. */
static int json_extract_call(struct pg_stmt *ps, struct buf *b, const char *args, const char *close) {
  const char *comma = NULL;
  int depth = 0;
  for (const char *q = args; q < close; q++) {
    if (*q == '(') depth++;
    else if (*q == ')') depth--;
    else if (*q == ',' && !depth) comma = q;
  }
  if (!comma) return 0;
  const char *path = comma + 1;
  while (*path == ' ') path++;
  if (strncmp(path, "'$.", 3)) return 0;
  const char *pend = memchr(path + 1, '\'', (size_t)(close - path - 1));
  if (!pend) return 0;
  puts_(b, "(CAST(");
  translate(ps, b, args, comma);
  puts_(b, " AS json) #>> '{");
  for (const char *q = path + 3; q < pend; q++) put(b, *q == '.' ? "," : q, 1);
  puts_(b, "}')");
  return 1;
}

static void translate(struct pg_stmt *ps, struct buf *b, const char *p, const char *end) {
  const char *prev = NULL; /* the last word, for AS INTEGER */
  size_t prevn = 0;
  while (p < end) {
    if (*p == '\'') { /* a string, as it is */
      const char *q = p + 1;
      while (q < end && !(*q == '\'' && (q + 1 >= end || q[1] != '\''))) q += *q == '\'' ? 2 : 1;
      if (q < end) q++;
      put(b, p, (size_t)(q - p));
      p = q;
      continue;
    }
    if (*p == '?') { /* ?N, or ? as the next */
      const char *q = p + 1;
      int n = 0;
      while (q < end && isdigit((unsigned char)*q)) n = n * 10 + (*q++ - '0');
      if (q == p + 1) n = ps->nparams + 1;
      if (n < 1 || n > MAXP || ps->nparams >= MAXP) {
        b->oom = 2;
        return;
      }
      /* PostgreSQL types a parameter where it first appears, and "$1 IS NULL" says
       * nothing: such a test gets a text parameter of its own, bound to the same value */
      const char *t = q;
      while (t < end && *t == ' ') t++;
      int null_test = !strncasecmp(t, "IS NULL", 7) || !strncasecmp(t, "IS NOT NULL", 11);
      unsigned char *slot = null_test ? &ps->isnull[n] : &ps->map[n];
      if (!*slot) {
        *slot = (unsigned char)++ps->nparams;
        if (null_test) ps->types[*slot - 1] = 25; /* text */
      }
      char num[32];
      snprintf(num, sizeof num, null_test ? "CAST($%d AS text)" : "$%d", *slot);
      puts_(b, num);
      p = q;
      continue;
    }
    if (isalpha((unsigned char)*p) || *p == '_') {
      const char *q = p;
      while (q < end && (isalnum((unsigned char)*q) || *q == '_' || *q == '.')) q++;
      size_t n = (size_t)(q - p);
      const char *after = q;
      while (after < end && *after == ' ') after++;
      if (word_is(p, n, "LIMIT") && *after == '?') { /* SQLite's LIMIT -1: no limit */
        const char *num = after + 1, *e = num;
        while (e < end && isdigit((unsigned char)*e)) e++;
        puts_(b, "LIMIT (SELECT CASE WHEN l < 0 THEN NULL ELSE l END FROM (SELECT CAST(");
        translate(ps, b, after, e);
        puts_(b, " AS BIGINT) AS l) AS lim)");
        q = e;
      } else if (word_is(p, n, "CROSS") && !strncasecmp(after, "JOIN", 4)) {
        q = after; /* SQLite's CROSS JOIN ... ON: an inner join in a fixed order */
      } else if (word_is(p, n, "LIKE")) puts_(b, "ILIKE");
      else if (word_is(p, n, "INDEXED") && !strncasecmp(after, "BY ", 3)) {
        q = after + 3; /* INDEXED BY name: PostgreSQL's planner chooses */
        while (q < end && *q == ' ') q++;
        while (q < end && (isalnum((unsigned char)*q) || *q == '_')) q++;
      } else if (prev && word_is(prev, prevn, "AS") && word_is(p, n, "INTEGER")) puts_(b, "BIGINT");
      else if (prev && word_is(prev, prevn, "AS") && word_is(p, n, "REAL"))
        puts_(b, "DOUBLE PRECISION");
      else if (word_is(p, n, "json_each") && *after == '(') {
        const char *close = closing(after + 1);
        if (!close || close > end) {
          b->oom = 2;
          return;
        }
        puts_(b, "json_array_elements_text(CAST(");
        translate(ps, b, after + 1, close);
        puts_(b, " AS json))");
        q = close + 1;
      } else if (word_is(p, n, "json_extract") && *after == '(') {
        const char *close = closing(after + 1);
        if (!close || close > end || !json_extract_call(ps, b, after + 1, close)) {
          b->oom = 2;
          return;
        }
        q = close + 1;
      } else put(b, p, n);
      prev = p;
      prevn = n;
      p = q;
      continue;
    }
    put(b, p, 1);
    p++;
  }
}

/* Whether sql inserts into a table whose id the row is given (see ID_TABLES). */
static int inserts_with_id(const char *sql) {
  if (strncasecmp(sql, "INSERT INTO ", 12) || strstr(sql, "RETURNING")) return 0;
  const char *t = sql + 12;
  size_t n = strcspn(t, "( ");
  for (int i = 0; ID_TABLES[i]; i++)
    if (word_is(t, n, ID_TABLES[i])) return 1;
  return 0;
}

/* Transaction control runs as it is (a prepared BEGIN gains nothing). */
static const char *control(const char *sql) {
  if (!strcmp(sql, "BEGIN IMMEDIATE")) return "BEGIN";
  if (!strcmp(sql, "BEGIN DEFERRED")) return "BEGIN ISOLATION LEVEL REPEATABLE READ";
  static const char *const as_is[] = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT ", "RELEASE ",
                                      "ROLLBACK TO ", NULL};
  for (int i = 0; as_is[i]; i++) {
    size_t n = strlen(as_is[i]);
    if (!strncmp(sql, as_is[i], n) && (as_is[i][n - 1] == ' ' || !sql[n])) return sql;
  }
  return NULL;
}

/* ---- errors ---- */

static int pg_code(const PGresult *res) {
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (!state) return DB_ERROR;
  if (!strcmp(state, "23505")) return DB_CONSTRAINT_UNIQUE;
  if (!strncmp(state, "23", 2) || !strcmp(state, "P0001")) return DB_CONSTRAINT;
  if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
    return DB_BUSY;
  if (!strcmp(state, "53100")) return DB_FULL;
  if (!strcmp(state, "53200")) return DB_NOMEM;
  if (!strcmp(state, "25006")) return DB_READONLY;
  if (!strcmp(state, "57014")) return DB_INTERRUPT;
  if (!strncmp(state, "XX", 2)) return DB_CORRUPT;
  return DB_ERROR;
}

static void note_error(struct pg_conn *pc, const PGresult *res) {
  const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  if (!m) m = PQerrorMessage(pc->c);
  snprintf(pc->err, sizeof pc->err, "%s", m && *m ? m : "the server did not answer");
  size_t n = strlen(pc->err);
  while (n && (pc->err[n - 1] == '\n' || pc->err[n - 1] == ' ')) pc->err[--n] = 0;
}

/* ---- the connection ---- */

/* Each connection's settings: the store's texts are UTF-8; its clock is the engine's, never
 * the server's; a lock not granted in 10 s is "busy, try again". */
#define SESSION_SETUP "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; SET lock_timeout = '10s'"

static void quiet_notices(void *arg, const char *message) {
  (void)arg;
  (void)message; /* "relation already exists, skipping" and the like: not for the user */
}

static int pg_exec(kf_store *st, const char *sql) {
  const char *ctl = control(sql);
  PGresult *res = PQexec(st->pg->c, ctl ? ctl : sql);
  ExecStatusType s = PQresultStatus(res);
  int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY ? DB_OK
                                                                        : pg_code(res);
  if (rc) note_error(st->pg, res);
  PQclear(res);
  return rc;
}

static int pg_in_tx(kf_store *st);

static int prepare_typed(kf_store *st, const char *sql, const Oid *hints, int nhints,
                         db_stmt **out);

/* ps prepared on the server as it is now. A parameter whose type nothing else decides
 * (SELECT ?1) is text. A failed prepare would end the transaction it is in: inside one,
 * it is tried under a savepoint. */
static int server_prepare(kf_store *st, struct pg_stmt *ps) {
  int rc, tx = pg_in_tx(st);
  for (int tries = 0;; tries++) {
    if (tx) PQclear(PQexec(st->pg->c, "SAVEPOINT kf_prepare"));
    PGresult *res = PQprepare(st->pg->c, ps->name, ps->pgsql, ps->nparams, ps->types);
    rc = PQresultStatus(res) == PGRES_COMMAND_OK ? DB_OK : pg_code(res);
    if (tx) PQclear(PQexec(st->pg->c, rc ? "ROLLBACK TO SAVEPOINT kf_prepare; "
                                           "RELEASE SAVEPOINT kf_prepare"
                                         : "RELEASE SAVEPOINT kf_prepare"));
    int k = 0;
    const char *m = rc ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (m && sscanf(m, "could not determine data type of parameter $%d", &k) == 1 && k >= 1 &&
        k <= ps->nparams && !ps->types[k - 1] && tries < MAXP) {
      ps->types[k - 1] = 25; /* text */
      PQclear(res);
      continue;
    }
    if (rc) note_error(st->pg, res);
    PQclear(res);
    ps->gen = st->pg->gen;
    return rc;
  }
}

static int pg_prepare(kf_store *st, const char *sql, db_stmt **out) {
  return prepare_typed(st, sql, NULL, 0, out);
}

/* hints: a type for each parameter as the store numbers them (0: as PostgreSQL infers). */
static int prepare_typed(kf_store *st, const char *sql, const Oid *hints, int nhints,
                         db_stmt **out) {
  struct pg_stmt *ps = calloc(1, sizeof *ps);
  if (!ps || !(ps->sql = strdup(sql))) {
    free(ps);
    return DB_NOMEM;
  }
  ps->base.be = &store_pg_backend;
  ps->st = st;
  ps->row = -1;
  struct buf b = {0};
  const char *ctl = control(sql);
  if (ctl) puts_(&b, ctl);
  else translate(ps, &b, sql, sql + strlen(sql));
  if (!ctl && inserts_with_id(sql)) {
    puts_(&b, " RETURNING id");
    ps->returning_id = 1;
  }
  if (b.oom || !b.p) {
    snprintf(st->pg->err, sizeof st->pg->err, "%s",
             b.oom == 2 ? "a statement PostgreSQL cannot be given (parameters or a JSON call "
                          "this store does not translate)" : "out of memory");
    free(b.p);
    free(ps->sql);
    free(ps);
    return b.oom == 2 ? DB_ERROR : DB_NOMEM;
  }
  for (int i = 1; i <= nhints && i <= MAXP; i++)
    if (ps->map[i] && !ps->types[ps->map[i] - 1]) ps->types[ps->map[i] - 1] = hints[i - 1];
  if (ctl) {
    ps->text = b.p;
  } else {
    snprintf(ps->name, sizeof ps->name, "kf%u", ++st->pg->named);
    ps->pgsql = b.p;
    int rc = server_prepare(st, ps);
    if (rc) {
      free(ps->pgsql);
      free(ps->sql);
      free(ps);
      return rc;
    }
  }
  *out = &ps->base;
  return DB_OK;
}

static int64_t pg_changes(kf_store *st) { return st->pg->changes; }
static int64_t pg_last_id(kf_store *st) { return st->pg->last_id; }
static const char *pg_errmsg(kf_store *st) { return st->pg && st->pg->err[0] ? st->pg->err : "cannot connect"; }
static int pg_in_tx(kf_store *st) { return PQtransactionStatus(st->pg->c) != PQTRANS_IDLE; }
static unsigned pg_data_version(kf_store *st) {
  (void)st; /* other servers write too: the log's end is read in each transaction */
  return 0;
}

static int pg_schema_version(kf_store *st) {
  PGresult *res = PQexec(st->pg->c, "SELECT to_regclass('meta') IS NOT NULL");
  int v = -1;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
    int made = *PQgetvalue(res, 0, 0) == 't';
    PQclear(res);
    if (!made) return 0;
    res = PQexec(st->pg->c, "SELECT coalesce(max(value), '0') FROM meta WHERE key='schema_version'");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) v = atoi(PQgetvalue(res, 0, 0));
  }
  if (v < 0) note_error(st->pg, res);
  PQclear(res);
  return v;
}

static int pg_close(kf_store *st) {
  if (st->pg) {
    if (st->pg->c) PQfinish(st->pg->c);
    free(st->pg);
    st->pg = NULL;
  }
  return 0;
}

/* ---- statements ---- */

static void pg_clear(db_stmt *s) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  for (int i = 0; i < ps->nparams; i++) {
    free(ps->vals[i]);
    ps->vals[i] = NULL;
  }
}

static void pg_reset(db_stmt *s) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  PQclear(ps->res);
  ps->res = NULL;
  ps->ran = 0;
  ps->row = -1;
  ps->nrows = 0;
}

static void pg_finalize(db_stmt *s) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  pg_reset(s);
  pg_clear(s);
  if (ps->name[0] && ps->st->pg && ps->gen == ps->st->pg->gen &&
      PQstatus(ps->st->pg->c) == CONNECTION_OK &&
      PQtransactionStatus(ps->st->pg->c) != PQTRANS_INERROR) {
    char q[48];
    snprintf(q, sizeof q, "DEALLOCATE %s", ps->name);
    PQclear(PQexec(ps->st->pg->c, q));
  }
  free(ps->text);
  free(ps->pgsql);
  free(ps->sql);
  free(ps);
}

/* Stores v (owned: NULL only when out of memory; not owned: NULL is SQL's null) as
 * parameter i as the store numbered it, in each place the translation gave it. */
static int set_val(struct pg_stmt *ps, int i, char *v, int owned) {
  if (owned && !v) return DB_NOMEM;
  if (i < 1 || i > MAXP) {
    free(v);
    return DB_OK;
  }
  unsigned char at[2] = {ps->map[i], ps->isnull[i]};
  for (int k = 0; k < 2; k++) {
    if (!at[k]) continue;
    char **slot = &ps->vals[at[k] - 1];
    free(*slot);
    *slot = v && k && at[0] ? strdup(v) : v;
    if (v && !*slot) return DB_NOMEM;
  }
  if (!at[0] && !at[1]) free(v);
  return DB_OK;
}

static int pg_bind_int64(db_stmt *s, int i, int64_t v) {
  char num[24];
  snprintf(num, sizeof num, "%lld", (long long)v);
  return set_val((struct pg_stmt *)s, i, strdup(num), 1);
}
static int pg_bind_double(db_stmt *s, int i, double v) {
  char num[40];
  snprintf(num, sizeof num, "%.17g", v);
  return set_val((struct pg_stmt *)s, i, strdup(num), 1);
}
static int pg_bind_text(db_stmt *s, int i, const char *v, int len, void (*del)(void *)) {
  char *copy = len < 0 ? strdup(v) : strndup(v, (size_t)len);
  if (del != DB_STATIC && del != DB_TRANSIENT) del((void *)v);
  return set_val((struct pg_stmt *)s, i, copy, 1);
}
static int pg_bind_null(db_stmt *s, int i) { return set_val((struct pg_stmt *)s, i, NULL, 0); }
static int pg_bind_count(db_stmt *s) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  int most = 0;
  for (int i = 1; i <= MAXP; i++)
    if (ps->map[i] || ps->isnull[i]) most = i;
  return most;
}

/* The server went away (restarted, failed over): connect again, and say "try again" for
 * what was under way (its transaction is gone with the old connection). */
static int reconnect(kf_store *st) {
  struct pg_conn *pc = st->pg;
  char lost[sizeof pc->err];
  memcpy(lost, pc->err, sizeof lost);
  PQreset(pc->c);
  pc->gen++; /* every statement is prepared again on the new connection */
  if (PQstatus(pc->c) == CONNECTION_OK) {
    PQsetNoticeProcessor(pc->c, quiet_notices, NULL);
    PQclear(PQexec(pc->c, SESSION_SETUP));
  }
  snprintf(pc->err, sizeof pc->err, "the connection was lost (%.300s)%s", lost,
           PQstatus(pc->c) == CONNECTION_OK ? " and is made again" : " and cannot be made again yet");
  st->in_tx = 0;
  return DB_BUSY;
}

static int pg_step(db_stmt *s) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  struct pg_conn *pc = ps->st->pg;
  if (ps->ran) return ++ps->row < ps->nrows ? DB_ROW : DB_DONE;
  ps->ran = 1;
  if (!ps->text && ps->gen != pc->gen) { /* the connection was made again since */
    int rc = server_prepare(ps->st, ps);
    if (rc) return rc;
  }
  ps->res = ps->text ? PQexec(pc->c, ps->text)
                     : PQexecPrepared(pc->c, ps->name, ps->nparams, (const char *const *)ps->vals,
                                      NULL, NULL, 0);
  ExecStatusType status = PQresultStatus(ps->res);
  if (status == PGRES_COMMAND_OK) {
    const char *n = PQcmdTuples(ps->res);
    pc->changes = *n ? atoll(n) : 0;
    return DB_DONE;
  }
  if (status != PGRES_TUPLES_OK) {
    int rc = pg_code(ps->res);
    note_error(pc, ps->res);
    PQclear(ps->res);
    ps->res = NULL;
    if (PQstatus(pc->c) == CONNECTION_BAD) return reconnect(ps->st);
    return rc;
  }
  ps->nrows = PQntuples(ps->res);
  const char *n = PQcmdTuples(ps->res);
  if (*n) pc->changes = atoll(n); /* INSERT, UPDATE, DELETE ... RETURNING */
  if (ps->returning_id) {
    if (ps->nrows == 1) pc->last_id = atoll(PQgetvalue(ps->res, 0, 0));
    ps->nrows = 0;
    return DB_DONE;
  }
  ps->row = 0;
  return ps->nrows ? DB_ROW : DB_DONE;
}

static int pg_busy(db_stmt *s) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  return ps->ran && ps->row < ps->nrows;
}
static const char *pg_sql(db_stmt *s) { return ((struct pg_stmt *)s)->sql; }
static int pg_column_count(db_stmt *s) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  return ps->res ? PQnfields(ps->res) : 0;
}
static const char *pg_column_name(db_stmt *s, int i) { return PQfname(((struct pg_stmt *)s)->res, i); }

static int in_row(struct pg_stmt *ps, int i) {
  return ps->res && ps->row >= 0 && ps->row < ps->nrows && i >= 0 && i < PQnfields(ps->res);
}

enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_OID = 26,
       OID_FLOAT4 = 700, OID_FLOAT8 = 701, OID_NUMERIC = 1700 };

/* The DB_ type of column i of res's row as SQLite would give it. */
static int value_type(const PGresult *res, int row, int i) {
  if (PQgetisnull(res, row, i)) return DB_NULL;
  switch (PQftype(res, i)) {
  case OID_BOOL: case OID_INT8: case OID_INT2: case OID_INT4: case OID_OID: return DB_INTEGER;
  case OID_FLOAT4: case OID_FLOAT8: return DB_FLOAT;
  case OID_NUMERIC: /* sum() of integers is numeric: whole, it is an integer */
    return strpbrk(PQgetvalue(res, row, i), ".eEN") ? DB_FLOAT : DB_INTEGER;
  default: return DB_TEXT;
  }
}

static int pg_column_type(db_stmt *s, int i) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  return in_row(ps, i) ? value_type(ps->res, ps->row, i) : DB_NULL;
}

static int64_t pg_column_int64(db_stmt *s, int i) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  if (!in_row(ps, i) || PQgetisnull(ps->res, ps->row, i)) return 0;
  const char *v = PQgetvalue(ps->res, ps->row, i);
  if (PQftype(ps->res, i) == OID_BOOL) return *v == 't';
  return strtoll(v, NULL, 10);
}
static double pg_column_double(db_stmt *s, int i) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  if (!in_row(ps, i) || PQgetisnull(ps->res, ps->row, i)) return 0;
  return strtod(PQgetvalue(ps->res, ps->row, i), NULL);
}
static const char *pg_column_text(db_stmt *s, int i) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  if (!in_row(ps, i) || PQgetisnull(ps->res, ps->row, i)) return NULL;
  if (PQftype(ps->res, i) == OID_BOOL) return *PQgetvalue(ps->res, ps->row, i) == 't' ? "1" : "0";
  return PQgetvalue(ps->res, ps->row, i);
}
static int pg_column_bytes(db_stmt *s, int i) {
  struct pg_stmt *ps = (struct pg_stmt *)s;
  if (!in_row(ps, i) || PQgetisnull(ps->res, ps->row, i)) return 0;
  return PQgetlength(ps->res, ps->row, i);
}

const struct db_backend store_pg_backend = {
    "postgresql", pg_prepare, pg_exec, pg_changes, pg_last_id, pg_errmsg, pg_in_tx,
    pg_data_version, pg_schema_version, pg_close, pg_finalize, pg_bind_int64, pg_bind_double,
    pg_bind_text, pg_bind_null, pg_bind_count, pg_step, pg_reset, pg_clear, pg_busy, pg_sql,
    pg_column_count, pg_column_name, pg_column_type, pg_column_int64, pg_column_double,
    pg_column_text, pg_column_bytes};

/* ---- opening, and the schema ---- */

/* The URI as messages show it: without a password. */
static void hide_password(char *uri) {
  char *scheme = strstr(uri, "://");
  if (!scheme) return;
  char *auth = scheme + 3, *at = strchr(auth, '@'), *slash = strchr(auth, '/');
  if (!at || (slash && slash < at)) return;
  char *colon = memchr(auth, ':', (size_t)(at - auth));
  if (colon) memmove(colon, at, strlen(at) + 1);
}

int store_pg_open(kf_store *st, int flags, kf_err *err) {
  (void)flags; /* a PostgreSQL database is made by its administrator, not by kinflow */
  if (!(st->pg = calloc(1, sizeof *st->pg))) return kf_fail(err, KF_ENOMEM, "out of memory");
  st->pg->c = PQconnectdb(st->path);
  hide_password(st->path);
  if (!st->pg->c || PQstatus(st->pg->c) != CONNECTION_OK) {
    note_error(st->pg, NULL);
    return kf_fail(err, KF_ENOTFOUND, "database %s cannot be reached: %s", st->path, st->pg->err);
  }
  PQsetNoticeProcessor(st->pg->c, quiet_notices, NULL);
  int rc = pg_exec(st, SESSION_SETUP);
  return rc ? store_db_fail(st, err, rc, "setting up the connection") : 0;
}

/* The schema as SQLite's eleven migrations leave it (store_sqlite.c), in PostgreSQL's types.
 * A row is given the next id as SQLite gives it (the largest plus one) when none is named;
 * events can be neither changed nor removed, by trigger and by privilege. */
static const char *const SCHEMA =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta(key, value) VALUES('writer', '') ON CONFLICT DO NOTHING;"
    "CREATE FUNCTION kf_next_id() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    "  IF NEW.id IS NULL THEN"
    "    EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I', TG_TABLE_NAME) INTO NEW.id;"
    "  END IF; RETURN NEW; END $$;"
    "CREATE FUNCTION kf_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    "  RAISE EXCEPTION 'events are append-only'; END $$;"
    "CREATE TABLE definitions("
    "  id BIGINT PRIMARY KEY, kind TEXT NOT NULL CHECK(kind IN ('workflow','rule','form')),"
    "  name TEXT NOT NULL, version BIGINT NOT NULL, title TEXT, path TEXT NOT NULL,"
    "  source TEXT NOT NULL, base_id BIGINT REFERENCES definitions(id),"
    "  definition TEXT NOT NULL, hash TEXT NOT NULL, deployed_at TEXT NOT NULL,"
    "  deployed_by TEXT NOT NULL, active BIGINT NOT NULL DEFAULT 1,"
    "  UNIQUE(kind, name, version));"
    "CREATE TABLE cases("
    "  id BIGINT PRIMARY KEY, ref TEXT UNIQUE,"
    "  workflow_id BIGINT NOT NULL REFERENCES definitions(id), workflow TEXT NOT NULL,"
    "  state TEXT NOT NULL, final BIGINT NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '{}',"
    "  revision BIGINT NOT NULL DEFAULT 1, overdue_since TEXT, created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL, entered_at TEXT NOT NULL, allocated_to TEXT, team TEXT,"
    "  last_seq BIGINT);"
    "CREATE INDEX cases_open ON cases(final, id);"
    "CREATE INDEX cases_by_state_id ON cases(state, id);"
    "CREATE INDEX cases_overdue ON cases(id) WHERE overdue_since IS NOT NULL;"
    "CREATE INDEX cases_by_allocated ON cases(allocated_to);"
    "CREATE INDEX cases_by_team ON cases(team);"
    "CREATE INDEX cases_by_workflow ON cases(workflow, id);"
    "CREATE TABLE members("
    "  id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  role TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}',"
    "  added_at TEXT NOT NULL, ended_at TEXT, ended_reason TEXT);"
    "CREATE INDEX members_by_case ON members(case_id, role);"
    "CREATE TABLE entries("
    "  id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  form TEXT NOT NULL, form_id BIGINT REFERENCES definitions(id), data TEXT NOT NULL,"
    "  valid BIGINT NOT NULL, errors TEXT, actor TEXT NOT NULL, submitted_at TEXT NOT NULL,"
    "  role TEXT);"
    "CREATE INDEX entries_by_case ON entries(case_id, form, valid);"
    "CREATE TABLE events("
    "  seq BIGINT PRIMARY KEY, case_id BIGINT REFERENCES cases(id), at TEXT NOT NULL,"
    "  actor TEXT NOT NULL, role TEXT, kind TEXT NOT NULL, name TEXT, from_state TEXT,"
    "  to_state TEXT, reason TEXT, data TEXT NOT NULL DEFAULT '{}',"
    "  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX events_by_case ON events(case_id, seq);"
    "CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events"
    "  FOR EACH ROW EXECUTE FUNCTION kf_append_only();"
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events"
    "  FOR EACH STATEMENT EXECUTE FUNCTION kf_append_only();"
    "REVOKE UPDATE, DELETE, TRUNCATE ON events FROM PUBLIC, CURRENT_USER;"
    "CREATE TABLE timers("
    "  id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  name TEXT NOT NULL, kind TEXT NOT NULL, state TEXT, due_at TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'pending', done_at TEXT);"
    "CREATE INDEX timers_due ON timers(status, due_at);"
    "CREATE INDEX timers_by_case ON timers(case_id, status);"
    "CREATE TABLE users("
    "  login TEXT PRIMARY KEY, role TEXT NOT NULL, roles TEXT NOT NULL DEFAULT '[]',"
    "  password_hash TEXT NOT NULL, created_at TEXT NOT NULL, last_login TEXT,"
    "  disabled BIGINT NOT NULL DEFAULT 0, must_change BIGINT NOT NULL DEFAULT 0,"
    "  family_case BIGINT REFERENCES cases(id), family_member BIGINT);"
    "CREATE TABLE sessions("
    "  token_hash TEXT PRIMARY KEY, login TEXT NOT NULL REFERENCES users(login),"
    "  csrf TEXT NOT NULL, created_at BIGINT NOT NULL, seen_at BIGINT NOT NULL,"
    "  idle BIGINT NOT NULL, absolute BIGINT NOT NULL);"
    "CREATE INDEX sessions_by_login ON sessions(login);"
    "CREATE TABLE teams(name TEXT PRIMARY KEY, created_at TEXT NOT NULL);"
    "CREATE TABLE team_members("
    "  team TEXT NOT NULL REFERENCES teams(name), login TEXT NOT NULL REFERENCES users(login),"
    "  PRIMARY KEY(team, login));"
    "CREATE INDEX team_members_by_login ON team_members(login, team);"
    "CREATE TABLE access_grants("
    "  id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  login TEXT NOT NULL, reason TEXT NOT NULL, granted_at TEXT NOT NULL,"
    "  expires_at TEXT NOT NULL);"
    "CREATE INDEX access_grants_by_login ON access_grants(login, case_id, expires_at);"
    "CREATE INDEX access_grants_by_case ON access_grants(case_id);"
    "CREATE TABLE consents("
    "  id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  member_id BIGINT NOT NULL REFERENCES members(id), purpose TEXT NOT NULL,"
    "  given_on TEXT NOT NULL, until TEXT, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,"
    "  withdrawn_at TEXT, withdrawn_by TEXT, withdrawn_reason TEXT, on_behalf BIGINT);"
    "CREATE INDEX consents_by_case ON consents(case_id, purpose);"
    "CREATE TABLE decisions("
    "  id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  transition TEXT, decided TEXT NOT NULL, family_agreed BIGINT NOT NULL,"
    "  participants TEXT NOT NULL, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL);"
    "CREATE INDEX decisions_by_case ON decisions(case_id, id);"
    "CREATE TABLE flags("
    "  id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  kind TEXT NOT NULL, text TEXT NOT NULL, raised_at TEXT NOT NULL,"
    "  cleared_at TEXT, cleared_by TEXT);"
    "CREATE INDEX flags_open ON flags(case_id) WHERE cleared_at IS NULL;"
    "CREATE TABLE withheld("
    "  case_id BIGINT NOT NULL REFERENCES cases(id), destination TEXT NOT NULL,"
    "  purpose TEXT NOT NULL, events BIGINT NOT NULL, first_seq BIGINT NOT NULL,"
    "  last_seq BIGINT NOT NULL, reason TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  PRIMARY KEY(case_id, destination));"
    "ALTER TABLE users ADD FOREIGN KEY(family_member) REFERENCES members(id);"
    "CREATE TABLE case_links("
    "  id BIGINT PRIMARY KEY, case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  other_id BIGINT NOT NULL REFERENCES cases(id), kind TEXT NOT NULL,"
    "  linked_at TEXT NOT NULL, linked_by TEXT NOT NULL, UNIQUE(case_id, other_id, kind));"
    "CREATE INDEX case_links_by_other ON case_links(other_id);"
    "CREATE TABLE settings(name TEXT PRIMARY KEY, value TEXT NOT NULL, set_at TEXT NOT NULL,"
    "  set_by TEXT NOT NULL);"
    "CREATE TABLE migrations("
    "  id BIGINT PRIMARY KEY, workflow TEXT NOT NULL, to_version BIGINT NOT NULL,"
    "  to_id BIGINT NOT NULL REFERENCES definitions(id), plan_hash TEXT NOT NULL, plan TEXT,"
    "  by TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,"
    "  state TEXT NOT NULL CHECK(state IN ('running','done','undone','interrupted')),"
    "  counts TEXT NOT NULL DEFAULT '{}', pid BIGINT, host TEXT, heartbeat_at TEXT);"
    "CREATE TABLE migrated_cases("
    "  migration BIGINT NOT NULL REFERENCES migrations(id),"
    "  case_id BIGINT NOT NULL REFERENCES cases(id),"
    "  from_workflow_id BIGINT NOT NULL REFERENCES definitions(id), from_state TEXT NOT NULL,"
    "  from_final BIGINT NOT NULL, from_data TEXT NOT NULL, from_timers TEXT NOT NULL,"
    "  from_entered_at TEXT NOT NULL, from_overdue_since TEXT, to_state TEXT NOT NULL,"
    "  revision BIGINT NOT NULL, seq BIGINT NOT NULL, undone BIGINT NOT NULL DEFAULT 0,"
    "  to_workflow_id BIGINT REFERENCES definitions(id),"
    "  PRIMARY KEY(migration, case_id));"
    "CREATE INDEX migrated_cases_by_case ON migrated_cases(case_id);"
    /* Analysts' SQL (kf.sql) runs as kinflow_script, which reads the tables through the
     * views of schema kf_script: every table but the login tables, with the data columns of
     * cases, members, entries and events NULL; with --reveal as kinflow_script_reveal,
     * through kf_reveal's views, which hold those too. Neither role can write, nor read a
     * table itself. (A column added to one of these tables is added to its views.) Without
     * the right to make roles, scripts' SQL is refused until an administrator makes them. */
    "CREATE SCHEMA kf_script; CREATE SCHEMA kf_reveal;"
    "DO $$ DECLARE t TEXT; BEGIN FOREACH t IN ARRAY ARRAY['meta','definitions','timers','teams',"
    "  'team_members','access_grants','consents','decisions','flags','withheld','case_links',"
    "  'settings','migrations','migrated_cases','cases','members','entries','events'] LOOP"
    "  EXECUTE format('CREATE VIEW kf_reveal.%I AS SELECT * FROM public.%I', t, t);"
    "  IF t NOT IN ('cases','members','entries','events') THEN"
    "    EXECUTE format('CREATE VIEW kf_script.%I AS SELECT * FROM public.%I', t, t);"
    "  END IF; END LOOP; END $$;"
    "CREATE VIEW kf_script.cases AS SELECT id, ref, workflow_id, workflow, state, final,"
    "  NULL::text AS data, revision, overdue_since, created_at, updated_at, entered_at,"
    "  allocated_to, team, last_seq FROM public.cases;"
    "CREATE VIEW kf_script.members AS SELECT id, case_id, role, name, NULL::text AS data,"
    "  added_at, ended_at, ended_reason FROM public.members;"
    "CREATE VIEW kf_script.entries AS SELECT id, case_id, form, form_id, NULL::text AS data,"
    "  valid, errors, actor, submitted_at, role FROM public.entries;"
    "CREATE VIEW kf_script.events AS SELECT seq, case_id, at, actor, role, kind, name,"
    "  from_state, to_state, reason, NULL::text AS data, prev_hash, hash FROM public.events;"
    "DO $$ DECLARE r TEXT; BEGIN"
    "  FOREACH r IN ARRAY ARRAY['kinflow_script', 'kinflow_script_reveal'] LOOP"
    "    BEGIN EXECUTE format('CREATE ROLE %I NOLOGIN', r);"
    "    EXCEPTION WHEN duplicate_object THEN NULL; END;"
    "  END LOOP;"
    "  EXECUTE format('GRANT kinflow_script, kinflow_script_reveal TO %I', current_user);"
    "  GRANT USAGE ON SCHEMA kf_script TO kinflow_script;"
    "  GRANT SELECT ON ALL TABLES IN SCHEMA kf_script TO kinflow_script;"
    "  GRANT USAGE ON SCHEMA kf_reveal TO kinflow_script_reveal;"
    "  GRANT SELECT ON ALL TABLES IN SCHEMA kf_reveal TO kinflow_script_reveal;"
    "EXCEPTION WHEN insufficient_privilege THEN"
    "  RAISE NOTICE 'kinflow: no roles for scripts (%)', SQLERRM; END $$;"
    "DO $$ DECLARE t TEXT; BEGIN FOREACH t IN ARRAY ARRAY['definitions','cases','members',"
    "  'entries','timers','access_grants','consents','decisions','flags','case_links',"
    "  'migrations'] LOOP EXECUTE format('CREATE TRIGGER %I BEFORE INSERT ON %I FOR EACH ROW"
    "  EXECUTE FUNCTION kf_next_id()', t || '_next_id', t); END LOOP; END $$;";

/* SQLite's steps 2 to 11 are in the one schema above; a later step is written for both
 * (store_sqlite.c says what each is for). */
static const char *const STEPS[] = {
    SCHEMA, "", "", "", "", "", "", "", "", "", "",
    /* 12 */
    "CREATE TABLE deliveries(destination TEXT PRIMARY KEY, seq BIGINT NOT NULL DEFAULT 0,"
    "  holder TEXT, held_until BIGINT, updated_at TEXT);",
    /* 13 */
    PARTIAL_CASE_INDEXES,
    /* 14 */
    NO_STATE_INDEX,
    /* 15 */
    "ALTER TABLE cases DROP CONSTRAINT cases_ref_key;" REFS_GIVEN_INDEX,
};
#define NSTEPS ((int)(sizeof STEPS / sizeof STEPS[0]))
_Static_assert(sizeof STEPS / sizeof STEPS[0] == 15, "PostgreSQL's steps follow SQLite's migrations");

/* A migration's transaction: one migrator at a time, however many servers start at once. */
static int pg_begin_migration(kf_store *st, kf_err *err) {
  int rc = pg_exec(st, "BEGIN; SELECT pg_advisory_xact_lock(7064841)");
  if (rc) return store_db_fail(st, err, rc, "starting the schema's upgrade");
  st->in_tx = 1;
  return 0;
}

static int pg_set_version(kf_store *st, int v, kf_err *err) {
  char q[160];
  snprintf(q, sizeof q, "INSERT INTO meta(key, value) VALUES('schema_version', '%d')"
           " ON CONFLICT(key) DO UPDATE SET value=excluded.value", v);
  return store_exec(st, q, err);
}

int store_pg_migrate(kf_store *st, int flags, kf_err *err) {
  /* A database the administrator made, with nothing of kinflow's in it yet: only `kinflow
   * init` gives it the schema (as a SQLite file that is not there yet is refused). */
  if ((flags & (KF_STORE_NOCREATE | KF_STORE_READONLY)) && store_schema_version(st) == 0)
    return kf_fail(err, KF_ENOTFOUND, "database %s cannot be opened: it holds no kinflow schema "
                   "yet (run `kinflow init` first?)", st->path);
  return store_migrate(st, STEPS, NSTEPS, pg_begin_migration, pg_set_version, err);
}

/* ---- analysts' scripts ---- */

int store_pg_script_begin(kf_store *st, kf_err *err) {
  int rc = pg_exec(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  return rc ? store_db_fail(st, err, rc, "starting a script's snapshot") : 0;
}

/* The first word of sql: what kind of statement it is. */
static int starts_with_word(const char *sql, const char *w) {
  while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r' || *sql == '(') sql++;
  size_t n = strlen(w);
  return !strncasecmp(sql, w, n) && !isalnum((unsigned char)sql[n]) && sql[n] != '_';
}

/* Whether m says a login table does not exist (scripts' views leave them out); its name. */
static int login_table(const char *m, char table[64]) {
  char name[64];
  if (sscanf(m, "relation \"%63[^\"]\" does not exist", name) != 1) return 0;
  const char *dot = strrchr(name, '.'), *t = dot ? dot + 1 : name;
  if (strcmp(t, "users") && strcmp(t, "sessions")) return 0;
  snprintf(table, 64, "%s", t);
  return 1;
}

/* Whether sql names a write (a data-modifying WITH) outside its strings. */
static int writes(const char *sql) {
  static const char *const verbs[] = {"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", NULL};
  for (const char *p = sql; *p;) {
    if (*p == '\'') {
      for (p++; *p && !(*p == '\'' && p[1] != '\''); p += *p == '\'' ? 2 : 1) {}
      if (*p) p++;
    } else if (isalpha((unsigned char)*p) || *p == '_') {
      const char *q = p;
      while (isalnum((unsigned char)*q) || *q == '_') q++;
      for (int i = 0; verbs[i]; i++)
        if (word_is(p, (size_t)(q - p), verbs[i])) return 1;
      p = q;
    } else p++;
  }
  return 0;
}

/* Whether sql holds a second statement after a semicolon (outside its strings). */
static int several(const char *sql) {
  for (const char *p = sql; *p; p++) {
    if (*p == '\'') {
      for (p++; *p && !(*p == '\'' && p[1] != '\''); p += *p == '\'' ? 2 : 1) {}
      if (!*p) return 0;
    } else if (*p == ';') {
      for (p++; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ';'; p++) {}
      return *p != 0;
    }
  }
  return 0;
}

/* The rows of ps (bound, prepared), one at a time off the wire, into a new array: at most
 * max_result bytes (then the server is told to stop). rc: 0, a DB_ code, or -1 (err set). */
static json_t *stream_rows(kf_store *st, struct pg_stmt *ps, size_t max_result, int *rc,
                           kf_err *err) {
  PGconn *c = st->pg->c;
  *rc = 0;
  if (!PQsendQueryPrepared(c, ps->name, ps->nparams, (const char *const *)ps->vals, NULL, NULL, 0)) {
    note_error(st->pg, NULL);
    *rc = DB_ERROR;
    return NULL;
  }
  PQsetSingleRowMode(c);
  json_t *rows = json_array();
  size_t bytes = 0;
  PGresult *res;
  while ((res = PQgetResult(c))) {
    ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_SINGLE_TUPLE && rows) {
      json_t *o = json_object();
      for (int i = 0; i < PQnfields(res); i++) {
        json_t *v;
        const char *t = PQgetvalue(res, 0, i);
        switch (value_type(res, 0, i)) {
        case DB_NULL: v = json_null(); break;
        case DB_INTEGER: v = json_integer(PQftype(res, i) == OID_BOOL ? *t == 't' : strtoll(t, NULL, 10)); break;
        case DB_FLOAT: v = json_real(strtod(t, NULL)); break;
        default: v = json_stringn_nocheck(t, (size_t)PQgetlength(res, 0, i));
        }
        bytes += (size_t)PQgetlength(res, 0, i) + 32;
        json_object_set_new(o, PQfname(res, i), v);
      }
      json_array_append_new(rows, o);
      if ((bytes += 64) > max_result) { /* enough: stop the server, then drain */
        kf_fail(err, KF_EINVAL, "kf.sql: the result is larger than %zu MiB; narrow the query "
                "(WHERE, LIMIT) or aggregate in SQL", max_result >> 20);
        *rc = -1;
        json_decref(rows);
        rows = NULL;
        PGcancel *cancel = PQgetCancel(c);
        char why[64];
        if (cancel) PQcancel(cancel, why, sizeof why);
        PQfreeCancel(cancel);
      }
    } else if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK && !*rc) {
      *rc = pg_code(res);
      note_error(st->pg, res);
    }
    PQclear(res);
  }
  if (*rc) {
    json_decref(rows);
    return NULL;
  }
  return rows;
}

json_t *store_pg_query(kf_store *st, const char *sql, json_t *params, int reveal,
                       double seconds, double seconds_left, size_t max_result, kf_err *err) {
  if (several(sql)) {
    kf_fail(err, KF_EINVAL, "kf.sql: one statement at a time (found more after the first)");
    return NULL;
  }
  if ((!starts_with_word(sql, "SELECT") && !starts_with_word(sql, "WITH") &&
       !starts_with_word(sql, "VALUES") && !starts_with_word(sql, "TABLE")) || writes(sql)) {
    kf_fail(err, KF_EREFUSED, "kf.sql: only a query (SELECT, WITH, VALUES) may run: scripts "
            "are read-only; nothing was changed");
    return NULL;
  }
  if (seconds_left <= 0.001) {
    kf_fail(err, KF_EREFUSED, "kf.sql: stopped: the script's time limit (%g s) ran out", seconds);
    return NULL;
  }
  char setup[200];
  snprintf(setup, sizeof setup, "SAVEPOINT kf_sql; SET LOCAL statement_timeout = %ld; "
           "SET LOCAL ROLE %s; SET LOCAL search_path = %s", (long)(seconds_left * 1000) + 1,
           reveal ? "kinflow_script_reveal" : "kinflow_script", reveal ? "kf_reveal" : "kf_script");
  if (pg_exec(st, setup)) {
    kf_fail(err, KF_EREFUSED, "kf.sql: this database has no role for scripts' SQL (%s): an "
            "administrator creates kinflow_script and kinflow_script_reveal (README: "
            "PostgreSQL); nothing was changed", st->pg->err);
    pg_exec(st, "ROLLBACK TO SAVEPOINT kf_sql; RELEASE SAVEPOINT kf_sql");
    return NULL;
  }
  db_stmt *s = NULL;
  json_t *rows = NULL;
  Oid hints[MAXP] = {0}; /* the values' own types: "SELECT ? + ?" adds numbers */
  for (size_t i = 0; i < json_array_size(params) && i < MAXP; i++) {
    json_t *v = json_array_get(params, i);
    hints[i] = json_is_integer(v) || json_is_boolean(v) ? OID_INT8 : json_is_real(v) ? OID_FLOAT8
             : json_is_string(v) ? 25 : 0;
  }
  int rc = prepare_typed(st, sql, hints, (int)json_array_size(params), &s);
  int want = rc ? 0 : pg_bind_count(s), have = (int)json_array_size(params);
  if (!rc && want != have)
    kf_fail(err, KF_EINVAL, "kf.sql: the query has %d parameter%s, %d value%s given", want,
            want == 1 ? "" : "s", have, have == 1 ? "" : "s");
  else if (!rc) {
    for (int i = 0; i < have && !rc; i++) {
      json_t *v = json_array_get(params, (size_t)i);
      switch (json_typeof(v)) {
      case JSON_STRING: rc = pg_bind_text(s, i + 1, json_string_value(v), -1, DB_TRANSIENT); break;
      case JSON_INTEGER: rc = pg_bind_int64(s, i + 1, json_integer_value(v)); break;
      case JSON_REAL: rc = pg_bind_double(s, i + 1, json_real_value(v)); break;
      case JSON_TRUE: rc = pg_bind_int64(s, i + 1, 1); break;
      case JSON_FALSE: rc = pg_bind_int64(s, i + 1, 0); break;
      case JSON_NULL: rc = pg_bind_null(s, i + 1); break;
      default:
        kf_fail(err, KF_EINVAL, "kf.sql: parameter %d is a table; give text, a number, a "
                "boolean or nil", i + 1);
        rc = -1;
      }
    }
    if (!rc) rows = stream_rows(st, (struct pg_stmt *)s, max_result, &rc, err);
  }
  if (rc > 0) { /* the database refused it: say why in the script's terms */
    json_decref(rows);
    rows = NULL;
    const char *m = st->pg->err;
    char table[64];
    if (rc == DB_INTERRUPT)
      kf_fail(err, KF_EREFUSED, "kf.sql: stopped: the script's time limit (%g s) ran out", seconds);
    else if (rc == DB_READONLY)
      kf_fail(err, KF_EREFUSED, "kf.sql: %s: scripts are read-only; nothing was changed", m);
    else if (sscanf(m, "permission denied for %*s %63s", table) == 1 || login_table(m, table))
      kf_fail(err, KF_EREFUSED, "kf.sql: reading table '%s' is not allowed in scripts; nothing "
              "was changed", table);
    else if (strstr(m, "multiple commands"))
      kf_fail(err, KF_EINVAL, "kf.sql: one statement at a time (found more after the first)");
    else kf_fail(err, KF_EINVAL, "kf.sql: %s", m);
  }
  db_finalize(s);
  pg_exec(st, rows ? "SET LOCAL ROLE NONE; RELEASE SAVEPOINT kf_sql"
                   : "ROLLBACK TO SAVEPOINT kf_sql; RELEASE SAVEPOINT kf_sql");
  return rows;
}

/* ---- a scratch database for scenarios ---- */

int kf_store_scratch(const char *uri, kf_err *err) {
  kf_store st = {.be = &store_pg_backend};
  if (!(st.path = strdup(uri))) return kf_fail(err, KF_ENOMEM, "out of memory");
  int rc = store_pg_open(&st, 0, err);
  if (!rc) {
    /* only a database with nothing in it, or one emptied for scenarios before */
    PGresult *res = PQexec(st.pg->c, "SELECT to_regclass('public.meta') IS NOT NULL, EXISTS"
                                     " (SELECT 1 FROM pg_tables WHERE schemaname = 'public')");
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    int has_meta = ok && *PQgetvalue(res, 0, 0) == 't', any = ok && *PQgetvalue(res, 0, 1) == 't';
    if (!ok) note_error(st.pg, res);
    PQclear(res);
    int may = ok && !any;
    if (has_meta) {
      res = PQexec(st.pg->c, "SELECT 1 FROM public.meta WHERE key = 'scratch'");
      if (!(ok = PQresultStatus(res) == PGRES_TUPLES_OK)) note_error(st.pg, res);
      may = ok && PQntuples(res) == 1;
      PQclear(res);
    }
    if (!may)
      rc = !ok ? store_db_fail(&st, err, DB_ERROR, "looking at a scratch database")
                         : kf_fail(err, KF_EREFUSED, "database %s holds tables: scenarios run on "
                                   "an empty database of their own (each empties it first)",
                                   st.path);
    else if ((rc = pg_exec(&st, "DROP SCHEMA IF EXISTS public, kf_script, kf_reveal CASCADE;"
                                "CREATE SCHEMA public;"
                                "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                                "INSERT INTO meta VALUES('scratch', 'kinflow test')")))
      rc = store_db_fail(&st, err, rc, "emptying the scratch database");
  }
  pg_close(&st);
  free(st.path);
  return rc;
}
