/* store_int.h: what the store's files share: store.c (cases, entries, timers,
 * cases page by page), store_log.c (the event log and its hash chain), store_script.c
 * (scripts' read-only connection), store_people.c (users, sessions, teams, grants) and
 * store_practice.c (decisions, consents, flags, withheld, links, settings, migrations).
 * They share the connection and its statement cache, and the helpers that prepare, bind
 * and read statements, through store_db.h: the connection is SQLite's (store_sqlite.c) or
 * PostgreSQL's (store_pg.c). Only the store's files include it. */
#ifndef KF_STORE_INT_H
#define KF_STORE_INT_H

#include <stdint.h>

#include <jansson.h>

#include "kf.h"
#include "store_db.h"


/* The statement cache: at most NSTMT prepared statements a connection, keyed by their SQL
 * text, least recently used out first. A statement that is running (stepped, not yet
 * reset) is never evicted, nor handed out again: a second user of the same SQL while it
 * runs (a callback of kf_store_state_entries that reads the store) gets its own. */
#define NSTMT 64

/* Savepoints open at once inside one transaction (a group, a call in it, a verb's own). */
#define KF_SAVEPOINTS 8

struct cached {
  db_stmt *st; /* NULL: a free slot */
  uint64_t hash;    /* of its SQL text (db_sql), for a quick look */
  uint64_t used;    /* when it was last handed out: the least recent goes first */
  const char *key;  /* the caller's pointer it was last asked for by (see hint) */
};

struct kf_store {
  const struct db_backend *be; /* SQLite's or PostgreSQL's */
  struct sqlite3 *db;           /* SQLite: its connection */
  struct pg_conn *pg;           /* PostgreSQL: its connection (store_pg.c) */
  char *path;                   /* the file, or the URI without its password */
  int readonly;
  int in_tx;
  struct kf_script_guard *guard; /* scripts only: store_script.c */
  uint64_t tick;                 /* counts store_stmt() calls, for the cache's recency */
  /* The log's head, recorded once a transaction: the last event it appended, and where
   * its seq is written already (a case row's last_seq) so that commit need not write meta.
   * saved: as at each open savepoint (innermost last, nsaved of them), for a rollback to it. */
  struct head {
    int64_t seq, case_id, noted;
    char hash[65];
  } head, saved[KF_SAVEPOINTS];
  int nsaved;
  /* The log's last event as this connection last committed it, and the database's data
   * version then: while no other connection has written since, the next transaction's
   * first event follows it without reading the log's end. */
  struct {
    int valid, current; /* current: checked at this transaction's start */
    unsigned version;
    int64_t seq;
    char hash[65];
  } tail;
  struct cached cache[NSTMT];
  unsigned char hint[NSTMT]; /* by the caller's SQL pointer: where it was found last */
  /* The id of a few definitions' latest versions (kf_store_def_latest_id), as read in a
   * transaction: still so while every transaction since began with no other connection's
   * commit since this one's last (epoch counts those that did not: tail.current false) and
   * this connection wrote no definition and rolled nothing back (defs counts those). */
  unsigned epoch, defs;
  /* The highest case number, as read or written by this connection in epoch cases_epoch;
   * 0: not known (kf_store_case_reserve reads it then). */
  int64_t cases_max;
  unsigned cases_epoch;
  struct latest {
    char kind[12], name[64];
    int64_t id;
    unsigned epoch, defs;
  } latest[4];
};

static inline int64_t db_changes(kf_store *st) { return st->be->changes(st); }
static inline int64_t db_last_id(kf_store *st) { return st->be->last_id(st); }
static inline int store_is_pg(const kf_store *st) { return st->be == &store_pg_backend; }

/* A libpq connection URI (postgresql://, postgres://) selects PostgreSQL; anything else is a
 * SQLite file's path. */
int store_is_pg_uri(const char *path);
/* A connection to path by its backend, its schema as it is (not migrated): NULL with err. */
kf_store *store_connect(const char *path, int flags, kf_err *err);
/* The backends' connections: open (the path or URI is st->path; flags as kf_store_open's),
 * and the schema brought to the current version (each backend has its own DDL). */
int store_sqlite_open(kf_store *st, int flags, kf_err *err);
int store_pg_open(kf_store *st, int flags, kf_err *err);
int store_sqlite_migrate(kf_store *st, kf_err *err);
/* The VFS kinflow opens SQLite's files with (store_sqlite_wal.c: a commit's WAL frames in
 * one write), registered at the first call; NULL: the system's default. */
const char *store_sqlite_vfs(void);
int store_pg_migrate(kf_store *st, int flags, kf_err *err);
/* PostgreSQL's side of scripts (store_script.c has SQLite's): a read-only snapshot, and
 * an analyst's query run as a role that can read only what the script may. */
int store_pg_script_begin(kf_store *st, kf_err *err);
json_t *store_pg_query(kf_store *st, const char *sql, json_t *params, int reveal,
                       double seconds, double seconds_left, size_t max_result, kf_err *err);
/* Brings the schema from its version to n (steps[v] takes version v to v + 1), in one
 * transaction that begin starts; set_version records each step. Refuses a newer schema,
 * and a read-only connection's older one. */
int store_migrate(kf_store *st, const char *const *steps, int n,
                  int (*begin)(kf_store *st, kf_err *err),
                  int (*set_version)(kf_store *st, int v, kf_err *err), kf_err *err);
/* Schema step 13, the same SQL on both backends: the indexes of cases by worker and by
 * team hold only the cases that have one, and the index of open cases only those. */
#define PARTIAL_CASE_INDEXES                                                                \
  "DROP INDEX cases_by_allocated;"                                                            \
  "CREATE INDEX cases_by_allocated ON cases(allocated_to) WHERE allocated_to IS NOT NULL;"    \
  "DROP INDEX cases_by_team;"                                                                 \
  "CREATE INDEX cases_by_team ON cases(team) WHERE team IS NOT NULL;"                         \
  "DROP INDEX cases_open;"                                                                    \
  "CREATE INDEX cases_open ON cases(id) WHERE final = 0;"
/* Schema 14: a move writes no index of the state it leaves and joins. The index on (state,
 * id) took two pages a transition, one more than half the log's own writes; a list by state
 * reads its programme's cases through cases_by_workflow (workflow, id) instead, or the
 * table in id order, which stops at its page of cases (BENCH.md says what each costs). */
#define NO_STATE_INDEX "DROP INDEX cases_by_state_id;"
/* Schema 15: refs are unique where given. The column's UNIQUE put every case in its index,
 * a NULL ref too: one page more written for each case opened (BENCH.md). A lookup by ref
 * (ref = ?) reads this index, as it read the constraint's. */
#define REFS_GIVEN_INDEX "CREATE UNIQUE INDEX cases_by_ref ON cases(ref) WHERE ref IS NOT NULL;"
/* The schema version this kinflow writes (both backends reach the same one). */
int store_schema_current(void);
/* The schema's version: SQLite's user_version, PostgreSQL's meta row. -1: unreadable. */
static inline int store_schema_version(kf_store *st) { return st->be->schema_version(st); }

int store_db_fail(kf_store *st, kf_err *err, int rc, const char *what);
int store_exec(kf_store *st, const char *sql, kf_err *err);
db_stmt *store_stmt(kf_store *st, const char *sql, kf_err *err);
void store_bind_text(db_stmt *s, int i, const char *v);
void store_bind_borrowed(db_stmt *s, int i, const char *v);
int store_bind_json(kf_store *st, db_stmt *s, int i, json_t *v, kf_err *err);
json_t *store_col_json(db_stmt *s, int i, int parse);
int store_is_json_col(const char *name);
json_t *store_row_json(db_stmt *s);
json_t *store_rows_json(kf_store *st, db_stmt *s, const char *what, kf_err *err);
json_t *store_row_or_none(kf_store *st, db_stmt *s, const char *what, kf_err *err);
int store_step_done(kf_store *st, db_stmt *s, const char *what, kf_err *err);
const char *store_jstr(json_t *o, const char *k);
int64_t store_jint(json_t *o, const char *k);
/* A case's columns and tables as every reading of cases selects them (alias c). */
#define CASE_COLS                                                                       \
  "c.id, c.ref, c.workflow, d.version, c.workflow_id, c.state, c.final, c.data, "       \
  "c.revision, c.overdue_since, c.created_at, c.updated_at, c.entered_at, "             \
  "c.allocated_to, c.team, d.title AS workflow_title, b.name AS base_name, b.version AS base_version"
#define CASE_FROM                                                                       \
  " FROM cases c JOIN definitions d ON d.id = c.workflow_id "                           \
  "LEFT JOIN definitions b ON b.id = d.base_id "
json_t *store_case_fix(json_t *c);
int store_parse_digits(const char *text, int64_t *id);
/* An event's link in the chain: SHA-256(prev "\n" the canonical JSON array [seq, case (0:
 * null), at, actor, role, kind, name, from, to, reason, data], text[] holding the nine texts
 * from at on, NULL for null). out: 64 hex digits. -1 when a text is not UTF-8. */
/* json_dumps(v, flags), written directly when flags are JSON_COMPACT with JSON_SORT_KEYS or
 * JSON_ENCODE_ANY or both (the same bytes; Jansson writes anything else). free() it. */
char *store_json_dumps(json_t *v, size_t flags);
/* The log's last event (seq, hash) when known without reading it: appended by this
 * transaction, or committed by this connection with nobody writing since. 0: read it. */
int store_log_end(kf_store *st, int64_t *seq, char hash[65]);
int store_bind_data(kf_store *st, db_stmt *s, int i, json_t *v, kf_err *err);
int store_event_hash(const char *prev, int64_t seq, int64_t case_id, const char *const text[9],
                     char out[65]);

#endif
