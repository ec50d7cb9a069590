/* store_find.c: finding cases: a list or a count of the cases a filter asks for
 * (programme, state, overdue, open, worker, team, a text searched in refs, data and
 * members, what a user may see), sorted by a data key or by number, a page at a time; and
 * the cases of each state. Only the conditions asked for go in the statement, so that an
 * index can serve it. It reads; it writes nothing. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"

/* Case filters: the WHERE clause holds only the conditions asked for, so that SQLite can
 * use an index (an `?N IS NULL OR ...` form forces a scan of every case). One statement
 * text per combination, built once. Parameters: ?1 workflow, ?2 state, ?4 open, ?5 limit,
 * ?6 offset, ?7 q as a LIKE pattern, ?8 q as given, ?9 a count's cap, ?10 allocated_to,
 * ?11 team, and for visible_to: ?12 the login, ?13 its workflows and ?14 its teams (JSON
 * arrays), ?15 now. */
enum { F_WORKFLOW = 1, F_STATE = 2, F_OVERDUE = 4, F_OPEN = 8, F_TEXT = 16, F_NOT_OVERDUE = 32,
       F_ALLOCATED = 64, F_TEAM = 128, F_UNALLOCATED = 256,
       F_VISIBLE = 512,  /* visible_to with a list of workflows: programme roles or scope */
       F_CLOSED = 1024,  /* open: false */
       F_SCOPED = 2048,  /* visible_to with q: data and people are searched only in scope */
       F_SORT = 4096,    /* sort: by a data key (?16 its JSON path), then by id */
       F_DESC = 8192,    /* sort descending (missing values still last) */
       F_ALL = 16384 };

/* A case in the viewer's scope: allocated to them, to one of their teams, or opened to them
 * by an unexpired grant. */
#define IN_SCOPE                                                                         \
  "(c.allocated_to = ?12 OR c.team IN (SELECT value FROM json_each(?14))"               \
  " OR EXISTS (SELECT 1 FROM access_grants g WHERE g.login = ?12 AND g.case_id = c.id"   \
  " AND g.expires_at > ?15))"
/* q in a case's data, its members' names (case-insensitive), a member's date of birth. */
#define Q_PEOPLE                                                                         \
  "(c.data LIKE ?7 ESCAPE '\\' OR EXISTS (SELECT 1 FROM members m WHERE m.case_id = c.id" \
  " AND (m.name LIKE ?7 ESCAPE '\\' OR json_extract(m.data, '$.dob') = ?8)))"
#define Q_REF "c.ref LIKE ?7 ESCAPE '\\' OR CAST(c.id AS TEXT) = ?8"

/* A sort by a data key (?16: its JSON path): cases without it last; numbers (and text
 * written as a number) by value, before other text. */
#define SORT_X "json_extract(c.data, ?16)"
#define SORT_MISSING "(" SORT_X " IS NULL)"
#define SORT_VALUE                                                                       \
  "(CASE WHEN json_type(c.data, ?16) = 'text' AND (" SORT_X " GLOB '[0-9]*' OR " SORT_X \
  " GLOB '-[0-9]*') AND NOT substr(" SORT_X ", 2) GLOB '*[^0-9.]*' THEN CAST(" SORT_X     \
  " AS REAL) ELSE " SORT_X " END)"

/* The same sort on PostgreSQL, which orders one type a column: the key of ?16 ($."key")
 * read as jsonb (a JSON null is missing, as SQLite's json_extract has it); numbers (and
 * text written as a number) first by value, then the rest as text. */
#define PG_SORT_X                                                                         \
  "NULLIF(CAST(c.data AS jsonb) -> substr(?16, 4, length(?16) - 4), 'null'::jsonb)"
#define PG_SORT_NUM                                                                       \
  "(CASE WHEN jsonb_typeof(" PG_SORT_X ") = 'number' THEN CAST(" PG_SORT_X " #>> '{}' AS"  \
  " DOUBLE PRECISION) WHEN jsonb_typeof(" PG_SORT_X ") = 'string' AND (" PG_SORT_X         \
  " #>> '{}') ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN CAST(" PG_SORT_X " #>> '{}' AS DOUBLE"        \
  " PRECISION) WHEN jsonb_typeof(" PG_SORT_X ") = 'boolean' THEN CASE WHEN " PG_SORT_X     \
  " = 'true'::jsonb THEN 1 ELSE 0 END END)"

static const char *filter_sql(int mask, int count, int pg) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static char *texts[2][2][F_ALL];
  /* overdue and open as written conditions, so the partial indexes on overdue cases and on
   * open cases serve them */
  static const char *conds[] = {
      "c.workflow=?1", "c.state=?2", "c.overdue_since IS NOT NULL", "c.final = 0",
      "(" Q_REF " OR " Q_PEOPLE ")", "c.overdue_since IS NULL", "c.allocated_to=?10",
      "c.team=?11", "c.allocated_to IS NULL",
      "(c.workflow IN (SELECT value FROM json_each(?13)) OR " IN_SCOPE ")", "c.final = 1"};
  static const char scoped_text[] = "(" Q_REF " OR (" IN_SCOPE " AND " Q_PEOPLE "))";
  pthread_mutex_lock(&lock);
  char *t = texts[pg][count][mask];
  if (!t) {
    char where[4096] = "";
    for (int i = 0; i < (int)(sizeof conds / sizeof conds[0]); i++) {
      if (!(mask & (1 << i))) continue;
      const char *cond = (1 << i) == F_TEXT && (mask & F_SCOPED) ? scoped_text : conds[i];
      strcat(where, where[0] ? " AND " : " WHERE ");
      strcat(where, cond); /* at most every condition once: well inside where[] */
    }
    char buf[8192];
    if (count)
      snprintf(buf, sizeof buf, "SELECT count(*) FROM (SELECT 1 FROM cases c%s LIMIT ?9) AS n", where);
    else if ((mask & F_SORT) && pg) {
      const char *dir = mask & F_DESC ? " DESC" : "";
      /* as SQLite orders its types: numbers before text, so after it when descending */
      snprintf(buf, sizeof buf, "SELECT " CASE_COLS CASE_FROM "%s ORDER BY (" PG_SORT_X " IS NULL), "
               "(" PG_SORT_NUM " IS NULL)%s, " PG_SORT_NUM "%s, (" PG_SORT_X " #>> '{}')%s, c.id"
               " LIMIT ?5 OFFSET ?6", where, dir, dir, dir);
    } else if (mask & F_SORT)
      snprintf(buf, sizeof buf, "SELECT " CASE_COLS CASE_FROM "%s ORDER BY " SORT_MISSING ", "
               SORT_VALUE "%s, c.id LIMIT ?5 OFFSET ?6", where, mask & F_DESC ? " DESC" : "");
    else
      snprintf(buf, sizeof buf, "SELECT " CASE_COLS CASE_FROM "%s ORDER BY c.id LIMIT ?5 OFFSET ?6",
               where);
    t = texts[pg][count][mask] = strdup(buf);
  }
  pthread_mutex_unlock(&lock);
  return t;
}

/* Which filters f asks for. */
static int filter_mask(json_t *f) {
  int m = 0;
  if (store_jstr(f, "workflow")) m |= F_WORKFLOW;
  if (store_jstr(f, "state")) m |= F_STATE;
  json_t *od = json_object_get(f, "overdue");
  if (json_is_boolean(od)) m |= json_is_true(od) ? F_OVERDUE : F_NOT_OVERDUE;
  json_t *open = json_object_get(f, "open");
  if (json_is_boolean(open)) m |= json_is_true(open) ? F_OPEN : F_CLOSED;
  if (store_jstr(f, "q") && *store_jstr(f, "q")) m |= F_TEXT;
  if (store_jstr(f, "allocated_to")) m |= F_ALLOCATED;
  if (store_jstr(f, "team")) m |= F_TEAM;
  if (json_is_true(json_object_get(f, "unallocated"))) m |= F_UNALLOCATED;
  const char *sort = store_jstr(f, "sort");
  if (sort && *sort) m |= F_SORT | (sort[0] == '-' ? F_DESC : 0);
  json_t *vis = json_object_get(f, "visible_to");
  if (json_is_object(vis)) {
    if (json_is_array(json_object_get(vis, "workflows"))) m |= F_VISIBLE;
    if (m & F_TEXT) m |= F_SCOPED;
  }
  return m;
}

/* Check names is a JSON array of texts (absent: fine, json_each then sees no rows) and
 * bind it to s unless s is NULL. */
static int bind_names(kf_store *st, db_stmt *s, int i, json_t *names, const char *what,
                      kf_err *err) {
  if (!names || json_is_null(names)) return 0;
  size_t k;
  json_t *v;
  if (!json_is_array(names))
    return kf_fail(err, KF_EINVAL, "internal: visible_to.%s must be a list of names", what);
  json_array_foreach(names, k, v) if (!json_is_string(v))
    return kf_fail(err, KF_EINVAL, "internal: visible_to.%s must be a list of names", what);
  return s ? store_bind_json(st, s, i, names, err) : 0;
}

/* Bind a case filter: workflow, state, overdue, open, q (text searched in ref and data,
 * members' names and dates of birth), allocated_to, team, visible_to. */
static int bind_case_filter(kf_store *st, db_stmt *s, json_t *f, kf_err *err) {
  store_bind_text(s, 1, store_jstr(f, "workflow"));
  store_bind_text(s, 2, store_jstr(f, "state"));
  json_t *v;
  if (json_is_boolean(v = json_object_get(f, "overdue"))) db_bind_int(s, 3, json_is_true(v));
  store_bind_text(s, 10, store_jstr(f, "allocated_to"));
  store_bind_text(s, 11, store_jstr(f, "team"));
  json_t *vis = json_object_get(f, "visible_to");
  if (vis && !json_is_null(vis)) {
    if (!json_is_object(vis) || !store_jstr(vis, "login") || !store_jstr(vis, "now"))
      return kf_fail(err, KF_EINVAL, "internal: visible_to needs login and now");
    /* Only a statement with the scope's conditions has these parameters (?15 the last). */
    int bind = db_bind_parameter_count(s) >= 15, rc;
    if ((rc = bind_names(st, bind ? s : NULL, 13, json_object_get(vis, "workflows"),
                         "workflows", err)) ||
        (rc = bind_names(st, bind ? s : NULL, 14, json_object_get(vis, "teams"), "teams", err)))
      return rc;
    if (bind) {
      store_bind_text(s, 12, store_jstr(vis, "login"));
      store_bind_text(s, 15, store_jstr(vis, "now"));
    }
  }
  const char *q = store_jstr(f, "q");
  if (q && *q) {
    size_t n = strlen(q);
    char *like = malloc(2 * n + 3), *p = like;
    if (!like) return kf_fail(err, KF_ENOMEM, "out of memory searching cases");
    *p++ = '%';
    for (size_t i = 0; i < n; i++) {
      if (q[i] == '%' || q[i] == '_' || q[i] == '\\') *p++ = '\\';
      *p++ = q[i];
    }
    *p++ = '%';
    *p = 0;
    db_bind_text(s, 7, like, -1, DB_TRANSIENT);
    db_bind_text(s, 8, q, -1, DB_TRANSIENT);
    free(like);
  }
  return 0;
}

/* A sort key: KEY or -KEY, KEY of letters, digits and _ (1 to 64). */
static int sort_key_ok(const char *sort) {
  const char *k = sort[0] == '-' ? sort + 1 : sort;
  size_t n = strlen(k);
  if (n < 1 || n > 64) return 0;
  for (const char *p = k; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
      return 0;
  return 1;
}

json_t *kf_store_case_list(kf_store *st, json_t *f, kf_err *err) {
  const char *sort = store_jstr(f, "sort");
  if (sort && *sort && !sort_key_ok(sort)) {
    kf_fail(err, KF_EINVAL, "sort '%.80s': give a data key (letters, digits and _), or -KEY "
            "for descending", sort);
    return NULL;
  }
  db_stmt *s = store_stmt(st, filter_sql(filter_mask(f), 0, store_is_pg(st)), err);
  if (!s || bind_case_filter(st, s, f, err)) return NULL;
  if (sort && *sort) {
    char path[80];
    snprintf(path, sizeof path, "$.\"%s\"", sort[0] == '-' ? sort + 1 : sort);
    db_bind_text(s, 16, path, -1, DB_TRANSIENT);
  }
  json_t *lim = json_object_get(f, "limit");
  db_bind_int64(s, 5, json_is_integer(lim) ? json_integer_value(lim) : -1);
  db_bind_int64(s, 6, store_jint(f, "offset"));
  json_t *v;
  json_t *a = store_rows_json(st, s, "listing cases", err);
  size_t i;
  json_array_foreach(a, i, v) store_case_fix(v);
  return a;
}

int64_t kf_store_case_count(kf_store *st, json_t *f, int64_t cap, kf_err *err) {
  db_stmt *s = store_stmt(st, filter_sql(filter_mask(f) & ~(F_SORT | F_DESC), 1, store_is_pg(st)),
                         err);
  if (!s || bind_case_filter(st, s, f, err)) return -1;
  db_bind_int64(s, 9, cap > 0 ? cap : -1);
  int rc = db_step(s);
  int64_t n = rc == DB_ROW ? db_column_int64(s, 0) : -1;
  db_reset(s);
  if (n < 0) store_db_fail(st, err, rc, "counting cases");
  return n;
}

json_t *kf_store_case_states(kf_store *st, const char *workflow, kf_err *err) {
  static const char *q = "SELECT state, count(*) AS cases,"
                         " sum(CASE WHEN overdue_since IS NOT NULL THEN 1 ELSE 0 END) AS overdue"
                         " FROM cases"
                         " WHERE (?1 IS NULL OR workflow=?1) GROUP BY state";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, workflow);
  return store_rows_json(st, s, "counting cases per state", err);
}
