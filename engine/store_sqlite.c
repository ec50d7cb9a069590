/* store_sqlite.c: the SQLite backend: a database file's connection (WAL, foreign keys,
 * defensive settings), its schema and migrations, and statements as store_db.h shows them.
 * The store's SQL is written for SQLite, so statements pass through as written. Nothing
 * above the store sees SQLite. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "store_int.h"

static const char *const MIGRATIONS[] = {
    /* 1: the first schema */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE definitions("
    "  id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK(kind IN ('workflow','rule','form')),"
    "  name TEXT NOT NULL, version INTEGER NOT NULL, title TEXT, path TEXT NOT NULL,"
    "  source TEXT NOT NULL, base_id INTEGER REFERENCES definitions(id),"
    "  definition TEXT NOT NULL, hash TEXT NOT NULL, deployed_at TEXT NOT NULL,"
    "  deployed_by TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,"
    "  UNIQUE(kind, name, version));"
    "CREATE TABLE cases("
    "  id INTEGER PRIMARY KEY, ref TEXT UNIQUE,"
    "  workflow_id INTEGER NOT NULL REFERENCES definitions(id), workflow TEXT NOT NULL,"
    "  state TEXT NOT NULL, final INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '{}',"
    "  revision INTEGER NOT NULL DEFAULT 1, overdue_since TEXT, created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL, entered_at TEXT NOT NULL);"
    "CREATE INDEX cases_by_state ON cases(workflow, state);"
    "CREATE INDEX cases_open ON cases(final, id);"
    "CREATE TABLE members("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  role TEXT NOT NULL, name TEXT NOT NULL, data TEXT NOT NULL DEFAULT '{}',"
    "  added_at TEXT NOT NULL);"
    "CREATE INDEX members_by_case ON members(case_id, role);"
    "CREATE TABLE entries("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  form TEXT NOT NULL, form_id INTEGER REFERENCES definitions(id), data TEXT NOT NULL,"
    "  valid INTEGER NOT NULL, errors TEXT, actor TEXT NOT NULL, submitted_at TEXT NOT NULL);"
    "CREATE INDEX entries_by_case ON entries(case_id, form, valid);"
    "CREATE TABLE events("
    "  seq INTEGER PRIMARY KEY, case_id INTEGER REFERENCES cases(id), at TEXT NOT NULL,"
    "  actor TEXT NOT NULL, role TEXT, kind TEXT NOT NULL, name TEXT, from_state TEXT,"
    "  to_state TEXT, reason TEXT, data TEXT NOT NULL DEFAULT '{}',"
    "  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX events_by_case ON events(case_id, seq);"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    "  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TABLE timers("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  name TEXT NOT NULL, kind TEXT NOT NULL, state TEXT, due_at TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'pending', done_at TEXT);"
    "CREATE INDEX timers_due ON timers(status, due_at);"
    "CREATE INDEX timers_by_case ON timers(case_id, status);",
    /* 2: people who use the console, and their sessions */
    "CREATE TABLE users("
    "  login TEXT PRIMARY KEY, role TEXT NOT NULL, roles TEXT NOT NULL DEFAULT '[]',"
    "  password_hash TEXT NOT NULL, created_at TEXT NOT NULL, last_login TEXT,"
    "  disabled INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE sessions("
    "  token_hash TEXT PRIMARY KEY, login TEXT NOT NULL REFERENCES users(login),"
    "  csrf TEXT NOT NULL, created_at INTEGER NOT NULL, seen_at INTEGER NOT NULL,"
    "  idle INTEGER NOT NULL, absolute INTEGER NOT NULL);"
    "CREATE INDEX sessions_by_login ON sessions(login);",
    /* 3: lists by state and overdue reviews without reading every case */
    "CREATE INDEX cases_by_state_id ON cases(state, id);"
    "CREATE INDEX cases_overdue ON cases(id) WHERE overdue_since IS NOT NULL;",
    /* 4: who is responsible for a case (a worker, and so a team), and time-limited access
     * to one case for someone outside its team (break the glass) */
    "CREATE TABLE teams(name TEXT PRIMARY KEY, created_at TEXT NOT NULL);"
    "CREATE TABLE team_members("
    "  team TEXT NOT NULL REFERENCES teams(name), login TEXT NOT NULL REFERENCES users(login),"
    "  PRIMARY KEY(team, login));"
    "CREATE INDEX team_members_by_login ON team_members(login, team);"
    "ALTER TABLE cases ADD COLUMN allocated_to TEXT;"
    "ALTER TABLE cases ADD COLUMN team TEXT;"
    "CREATE INDEX cases_by_allocated ON cases(allocated_to);"
    "CREATE INDEX cases_by_team ON cases(team);"
    "CREATE TABLE access_grants("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  login TEXT NOT NULL, reason TEXT NOT NULL, granted_at TEXT NOT NULL,"
    "  expires_at TEXT NOT NULL);"
    "CREATE INDEX access_grants_by_login ON access_grants(login, case_id, expires_at);"
    "CREATE INDEX access_grants_by_case ON access_grants(case_id);",
    /* 5: an account whose password was reset must change it at its next sign-in */
    "ALTER TABLE users ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;",
    /* 6: families take part: consent as a record of a member of the case, shared
     * decisions, flags for the case's worker, what was withheld from a destination for
     * want of consent, and sign-ins bound to one member of one case */
    "CREATE TABLE consents("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  member_id INTEGER NOT NULL REFERENCES members(id), purpose TEXT NOT NULL,"
    "  given_on TEXT NOT NULL, until TEXT, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL,"
    "  withdrawn_at TEXT, withdrawn_by TEXT, withdrawn_reason TEXT, on_behalf INTEGER);"
    "CREATE INDEX consents_by_case ON consents(case_id, purpose);"
    "CREATE TABLE decisions("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  transition TEXT, decided TEXT NOT NULL, family_agreed INTEGER NOT NULL,"
    "  participants TEXT NOT NULL, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL);"
    "CREATE INDEX decisions_by_case ON decisions(case_id, id);"
    "CREATE TABLE flags("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  kind TEXT NOT NULL, text TEXT NOT NULL, raised_at TEXT NOT NULL,"
    "  cleared_at TEXT, cleared_by TEXT);"
    "CREATE INDEX flags_open ON flags(case_id) WHERE cleared_at IS NULL;"
    "CREATE TABLE withheld("
    "  case_id INTEGER NOT NULL REFERENCES cases(id), destination TEXT NOT NULL,"
    "  purpose TEXT NOT NULL, events INTEGER NOT NULL, first_seq INTEGER NOT NULL,"
    "  last_seq INTEGER NOT NULL, reason TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  PRIMARY KEY(case_id, destination));"
    "ALTER TABLE users ADD COLUMN family_case INTEGER REFERENCES cases(id);"
    "ALTER TABLE users ADD COLUMN family_member INTEGER REFERENCES members(id);",
    /* 7: practice's records: the role an entry was given in (attestations), members who
     * left the case (kept in its history), cases linked to each other (siblings, a case
     * continuing another), and the agency's settings that programmes read */
    "ALTER TABLE entries ADD COLUMN role TEXT;"
    "ALTER TABLE members ADD COLUMN ended_at TEXT;"
    "ALTER TABLE members ADD COLUMN ended_reason TEXT;"
    "CREATE TABLE case_links("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  other_id INTEGER NOT NULL REFERENCES cases(id), kind TEXT NOT NULL,"
    "  linked_at TEXT NOT NULL, linked_by TEXT NOT NULL, UNIQUE(case_id, other_id, kind));"
    "CREATE INDEX case_links_by_other ON case_links(other_id);"
    "CREATE TABLE settings(name TEXT PRIMARY KEY, value TEXT NOT NULL, set_at TEXT NOT NULL,"
    "  set_by TEXT NOT NULL);",
    /* 8: programme versions: migrations of open cases to another version of their
     * workflow, and for each case moved what an undo needs to put it back exactly */
    "CREATE TABLE migrations("
    "  id INTEGER PRIMARY KEY, workflow TEXT NOT NULL, to_version INTEGER NOT NULL,"
    "  to_id INTEGER NOT NULL REFERENCES definitions(id), plan_hash TEXT NOT NULL, plan TEXT,"
    "  by TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,"
    "  state TEXT NOT NULL CHECK(state IN ('running','done','undone')),"
    "  counts TEXT NOT NULL DEFAULT '{}');"
    "CREATE TABLE migrated_cases("
    "  migration INTEGER NOT NULL REFERENCES migrations(id),"
    "  case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  from_workflow_id INTEGER NOT NULL REFERENCES definitions(id), from_state TEXT NOT NULL,"
    "  from_final INTEGER NOT NULL, from_data TEXT NOT NULL, from_timers TEXT NOT NULL,"
    "  from_entered_at TEXT NOT NULL, from_overdue_since TEXT, to_state TEXT NOT NULL,"
    "  revision INTEGER NOT NULL, seq INTEGER NOT NULL, undone INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY(migration, case_id));"
    "CREATE INDEX migrated_cases_by_case ON migrated_cases(case_id);",
    /* 9: a migration remembers the process running it (pid, host), so one whose process
     * died can be shown as interrupted. The table is rebuilt for its state's CHECK; its
     * referencing rows are re-matched before commit (foreign keys deferred meanwhile). */
    "PRAGMA defer_foreign_keys=ON;"
    "CREATE TABLE migrations_copy AS SELECT * FROM migrations;"
    "DROP TABLE migrations;"
    "CREATE TABLE migrations("
    "  id INTEGER PRIMARY KEY, workflow TEXT NOT NULL, to_version INTEGER NOT NULL,"
    "  to_id INTEGER NOT NULL REFERENCES definitions(id), plan_hash TEXT NOT NULL, plan TEXT,"
    "  by TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,"
    "  state TEXT NOT NULL CHECK(state IN ('running','done','undone','interrupted')),"
    "  counts TEXT NOT NULL DEFAULT '{}', pid INTEGER, host TEXT);"
    "INSERT INTO migrations(id, workflow, to_version, to_id, plan_hash, plan, by, started_at,"
    "  finished_at, state, counts) SELECT id, workflow, to_version, to_id, plan_hash, plan, by,"
    "  started_at, finished_at, state, counts FROM migrations_copy;"
    "DROP TABLE migrations_copy;",
    /* 10: a running migration beats: heartbeat_at (with its counts so far) every 100
     * cases, so a run whose process died on any host can be told from one still going;
     * a migrated case remembers the version it was moved to (an adaptation's cases move
     * to the adaptation re-applied on the new base, not to the base's own version) */
    "ALTER TABLE migrations ADD COLUMN heartbeat_at TEXT;"
    "ALTER TABLE migrated_cases ADD COLUMN to_workflow_id INTEGER REFERENCES definitions(id);",
    /* 11: a transition writes fewer pages: cases by workflow in an index that a move leaves
     * alone (the state's own index serves lists by state), and the log's head recorded in
     * the row of the case a transaction changed (last_seq) rather than in meta each time */
    "DROP INDEX cases_by_state;"
    "CREATE INDEX cases_by_workflow ON cases(workflow, id);"
    "ALTER TABLE cases ADD COLUMN last_seq INTEGER;",
    /* 12: where each destination's delivery has come to (the last event sent), and which
     * process delivers now (a lease until held_until, Unix seconds): once per destination
     * however many servers run */
    "CREATE TABLE deliveries(destination TEXT PRIMARY KEY, seq INTEGER NOT NULL DEFAULT 0,"
    "  holder TEXT, held_until INTEGER, updated_at TEXT);",
    /* 13: opening and closing a case write fewer pages: a case neither allocated nor in a
     * team (as most are when referred) has no entry in those two indexes (a filter by
     * worker or team still finds its cases there: x = ? holds only where x is not NULL),
     * and a case that closes leaves the index of open cases without joining another */
    PARTIAL_CASE_INDEXES,
    /* 14: a transition writes no index of the case's state (store_int.h) */
    NO_STATE_INDEX,
    /* 15: a case without a ref has no entry in an index of refs: the column's UNIQUE gives
     * way to a unique index of the refs given (store_int.h). SQLite cannot drop a
     * constraint, so the table is made again, as SQLite's own procedure for changing a
     * table does it: foreign keys off around the step, and checked before the commit
     * (store_sqlite_migrate). Its columns are named, in their order, since
     * migrations 1, 4 and 11 made them. */
    "CREATE TABLE cases_new("
    "  id INTEGER PRIMARY KEY, ref TEXT,"
    "  workflow_id INTEGER NOT NULL REFERENCES definitions(id), workflow TEXT NOT NULL,"
    "  state TEXT NOT NULL, final INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '{}',"
    "  revision INTEGER NOT NULL DEFAULT 1, overdue_since TEXT, created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL, entered_at TEXT NOT NULL, allocated_to TEXT, team TEXT,"
    "  last_seq INTEGER);"
    "INSERT INTO cases_new(id, ref, workflow_id, workflow, state, final, data, revision,"
    "  overdue_since, created_at, updated_at, entered_at, allocated_to, team, last_seq)"
    "  SELECT id, ref, workflow_id, workflow, state, final, data, revision, overdue_since,"
    "  created_at, updated_at, entered_at, allocated_to, team, last_seq FROM cases;"
    "DROP TABLE cases;"
    "ALTER TABLE cases_new RENAME TO cases;"
    "CREATE INDEX cases_by_workflow ON cases(workflow, id);"
    "CREATE INDEX cases_overdue ON cases(id) WHERE overdue_since IS NOT NULL;"
    "CREATE INDEX cases_by_allocated ON cases(allocated_to) WHERE allocated_to IS NOT NULL;"
    "CREATE INDEX cases_by_team ON cases(team) WHERE team IS NOT NULL;"
    "CREATE INDEX cases_open ON cases(id) WHERE final = 0;" REFS_GIVEN_INDEX,
};
#define NMIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

int store_schema_current(void) { return NMIGRATIONS; }

/* A statement: SQLite's, behind the shared face. */
struct lite_stmt {
  db_stmt base;
  sqlite3_stmt *s;
};
#define LITE(x) (((struct lite_stmt *)(x))->s)

static int lite_prepare(kf_store *st, const char *sql, db_stmt **out) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return rc;
  }
  struct lite_stmt *l = malloc(sizeof *l);
  if (!l) {
    sqlite3_finalize(s);
    return SQLITE_NOMEM;
  }
  l->base.be = &store_sqlite_backend;
  l->s = s;
  *out = &l->base;
  return SQLITE_OK;
}

static int lite_exec(kf_store *st, const char *sql) {
  return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}
static int64_t lite_changes(kf_store *st) { return sqlite3_changes(st->db); }
static int64_t lite_last_id(kf_store *st) { return sqlite3_last_insert_rowid(st->db); }
static const char *lite_errmsg(kf_store *st) { return st->db ? sqlite3_errmsg(st->db) : "cannot open"; }
static int lite_in_tx(kf_store *st) { return !sqlite3_get_autocommit(st->db); }

/* The database's data version: it changes with every commit, this connection's or
 * another's (read at a transaction's start, it tells whether anyone wrote since). */
static unsigned lite_data_version(kf_store *st) {
  unsigned v = 0;
  if (sqlite3_file_control(st->db, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK) return 0;
  return v;
}

static int lite_schema_version(kf_store *st) {
  sqlite3_stmt *s = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return v;
}

static int lite_close(kf_store *st) {
  if (!st->db || sqlite3_close(st->db) == SQLITE_OK) return 0;
  /* A statement outside the cache was left unfinalized: a bug. Say so, then finalize the
   * strays so that the connection, and its memory, still go. */
  int strays = 0;
  sqlite3_stmt *s;
  while ((s = sqlite3_next_stmt(st->db, NULL))) {
    sqlite3_finalize(s);
    strays++;
  }
  if (sqlite3_close(st->db) != SQLITE_OK) strays = -1;
  if (strays >= 0)
    fprintf(stderr, "kinflow: internal: database %s: %d statement%s left open at close\n",
            st->path, strays, strays == 1 ? " was" : "s were");
  else fprintf(stderr, "kinflow: internal: database %s could not be closed\n", st->path);
  return KF_ESTORE;
}

static void lite_finalize(db_stmt *s) {
  sqlite3_finalize(LITE(s));
  free(s);
}
static int lite_bind_int64(db_stmt *s, int i, int64_t v) { return sqlite3_bind_int64(LITE(s), i, v); }
static int lite_bind_double(db_stmt *s, int i, double v) { return sqlite3_bind_double(LITE(s), i, v); }
static int lite_bind_text(db_stmt *s, int i, const char *v, int len, void (*del)(void *)) {
  return sqlite3_bind_text(LITE(s), i, v, len, del == DB_STATIC ? SQLITE_STATIC
                                              : del == DB_TRANSIENT ? SQLITE_TRANSIENT : del);
}
static int lite_bind_null(db_stmt *s, int i) { return sqlite3_bind_null(LITE(s), i); }
static int lite_bind_count(db_stmt *s) { return sqlite3_bind_parameter_count(LITE(s)); }
static int lite_step(db_stmt *s) { return sqlite3_step(LITE(s)); }
static void lite_reset(db_stmt *s) { sqlite3_reset(LITE(s)); }
static void lite_clear(db_stmt *s) { sqlite3_clear_bindings(LITE(s)); }
static int lite_busy(db_stmt *s) { return sqlite3_stmt_busy(LITE(s)); }
static const char *lite_sql(db_stmt *s) { return sqlite3_sql(LITE(s)); }
static int lite_column_count(db_stmt *s) { return sqlite3_column_count(LITE(s)); }
static const char *lite_column_name(db_stmt *s, int i) { return sqlite3_column_name(LITE(s), i); }
static int lite_column_type(db_stmt *s, int i) { return sqlite3_column_type(LITE(s), i); }
static int64_t lite_column_int64(db_stmt *s, int i) { return sqlite3_column_int64(LITE(s), i); }
static double lite_column_double(db_stmt *s, int i) { return sqlite3_column_double(LITE(s), i); }
static const char *lite_column_text(db_stmt *s, int i) {
  return (const char *)sqlite3_column_text(LITE(s), i);
}
static int lite_column_bytes(db_stmt *s, int i) { return sqlite3_column_bytes(LITE(s), i); }

const struct db_backend store_sqlite_backend = {
    "sqlite", lite_prepare, lite_exec, lite_changes, lite_last_id, lite_errmsg, lite_in_tx,
    lite_data_version, lite_schema_version, lite_close, lite_finalize, lite_bind_int64,
    lite_bind_double, lite_bind_text, lite_bind_null, lite_bind_count, lite_step, lite_reset,
    lite_clear, lite_busy, lite_sql, lite_column_count, lite_column_name, lite_column_type,
    lite_column_int64, lite_column_double, lite_column_text, lite_column_bytes};

/* Another connection writes: try again every 50 µs for the first millisecond, then every
 * millisecond, for up to 10 s in all; then "busy". SQLite's own timeout backs off to 100 ms
 * sleeps, and a process committing case after case (a migration run, an import) takes the
 * lock again in the instant between two of them, so a waiter polling that slowly could
 * wait out all its 10 s. The fine steps are for a writer in this same process (the outbox's
 * delivery thread), which holds the lock for tens of microseconds: a whole millisecond's
 * sleep cost the firing thread more than the write it waited for. */
static int lite_on_busy(void *ud, int count) {
  (void)ud;
  enum { FINE = 20 }; /* 20 x 50 µs */
  if (count >= FINE + 9999) return 0;
  struct timespec t = {0, count < FINE ? 50 * 1000 : 1000 * 1000};
  nanosleep(&t, NULL);
  return 1;
}

/* Before SQLite's first use in the process: no memory statistics (nothing here reads them;
 * kept, they take a mutex and count on every allocation, and Debian's SQLite has no
 * lookaside, so every small allocation is a malloc). Refused, harmlessly, once SQLite is
 * in use. */
static void lite_configure(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

int store_sqlite_open(kf_store *st, int flags, kf_err *err) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, lite_configure);
  int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (!(flags & (KF_STORE_NOCREATE | KF_STORE_READONLY))) oflags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(st->path, &st->db, oflags, store_sqlite_vfs());
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_CANTOPEN)
      return kf_fail(err, KF_ENOTFOUND, "database %s cannot be opened (run `kinflow init` "
                     "first?)", st->path);
    return store_db_fail(st, err, rc, "opening");
  }
  sqlite3_extended_result_codes(st->db, 1);
  sqlite3_busy_handler(st->db, lite_on_busy, NULL);
  sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
  sqlite3_db_config(st->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
  return store_exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                        "PRAGMA foreign_keys=ON;", err);
}

/* After a migration's last step (foreign keys off meanwhile): every reference still
 * finds its row, or the upgrade is undone. */
static int lite_keys_hold(kf_store *st, int v, kf_err *err) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s, NULL);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return store_db_fail(st, err, rc, "checking references after an upgrade");
  }
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    kf_fail(err, KF_ESTORE, "database %s: upgrading it to schema %d would leave row %lld of "
            "table %s naming a missing row of %s; nothing was changed", st->path, v,
            (long long)sqlite3_column_int64(s, 1), (const char *)sqlite3_column_text(s, 0),
            (const char *)sqlite3_column_text(s, 2));
  else if (rc != SQLITE_DONE) store_db_fail(st, err, rc, "checking references after an upgrade");
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? 0 : err->code;
}

static int lite_set_version(kf_store *st, int v, kf_err *err) {
  char pragma[64];
  snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v);
  int rc = store_exec(st, pragma, err);
  return rc || v < NMIGRATIONS ? rc : lite_keys_hold(st, v, err);
}

/* Foreign keys are off while the migrations run (a table made again would otherwise be
 * emptied row by row, each row checked against every table naming it), then checked
 * (lite_keys_hold) and on again. */
int store_sqlite_migrate(kf_store *st, kf_err *err) {
  int v = store_schema_version(st);
  int off = !st->readonly && v >= 0 && v < NMIGRATIONS;
  int rc = off ? store_exec(st, "PRAGMA foreign_keys=OFF;", err) : 0;
  if (!rc) rc = store_migrate(st, MIGRATIONS, NMIGRATIONS, kf_store_begin, lite_set_version, err);
  if (off) {
    kf_err again = {0};
    int on = store_exec(st, "PRAGMA foreign_keys=ON;", &again);
    if (on && !rc) {
      *err = again;
      rc = on;
    }
  }
  if (!rc && st->readonly) rc = store_exec(st, "PRAGMA query_only=ON;", err);
  return rc;
}
