/* store_db.h: the face both database backends show the store's shared files: a connection
 * that prepares statements, and statements that bind, step and read columns. The SQLite
 * backend is store_sqlite.c, the PostgreSQL one store_pg.c; only those two include their
 * database's header. Result codes keep SQLite's numbers (the store was written against
 * them); the PostgreSQL backend maps its SQLSTATEs onto them. */
#ifndef KF_STORE_DB_H
#define KF_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct kf_store kf_store;
typedef struct db_stmt db_stmt;

enum {
  DB_OK = 0,
  DB_ERROR = 1,
  DB_BUSY = 5,        /* another writer holds it; PostgreSQL: a serialisation failure, deadlock */
  DB_LOCKED = 6,
  DB_NOMEM = 7,
  DB_READONLY = 8,
  DB_INTERRUPT = 9,   /* a script's budget ran out (PostgreSQL: statement timeout) */
  DB_IOERR = 10,
  DB_CORRUPT = 11,
  DB_FULL = 13,
  DB_CANTOPEN = 14,
  DB_CONSTRAINT = 19,
  DB_NOTADB = 26,
  DB_ROW = 100,
  DB_DONE = 101,
  DB_IOERR_WRITE = DB_IOERR | (3 << 8),
  DB_IOERR_FSYNC = DB_IOERR | (4 << 8),
  DB_IOERR_TRUNCATE = DB_IOERR | (6 << 8),
  DB_IOERR_SHMSIZE = DB_IOERR | (19 << 8),
  DB_CONSTRAINT_UNIQUE = DB_CONSTRAINT | (8 << 8),
};

/* A column's type, as SQLite's fundamental types. */
enum { DB_INTEGER = 1, DB_FLOAT = 2, DB_TEXT = 3, DB_BLOB = 4, DB_NULL = 5 };

/* What each backend provides. Texts handed to bind_text are copied unless said otherwise. */
struct db_backend {
  const char *name; /* "sqlite", "postgresql" */
  /* the connection */
  int (*prepare)(kf_store *st, const char *sql, db_stmt **out);
  int (*exec)(kf_store *st, const char *sql); /* several statements, no rows */
  int64_t (*changes)(kf_store *st);            /* rows the last statement changed */
  int64_t (*last_id)(kf_store *st);            /* the id the last INSERT gave its row */
  const char *(*errmsg)(kf_store *st);
  int (*in_tx)(kf_store *st);
  unsigned (*data_version)(kf_store *st); /* 0: not known (never the same twice) */
  int (*schema_version)(kf_store *st);    /* -1: unreadable */
  int (*close)(kf_store *st);             /* KF_ESTORE when something was left open */
  /* a statement */
  void (*finalize)(db_stmt *s);
  int (*bind_int64)(db_stmt *s, int i, int64_t v);
  int (*bind_double)(db_stmt *s, int i, double v);
  int (*bind_text)(db_stmt *s, int i, const char *v, int len, void (*del)(void *));
  int (*bind_null)(db_stmt *s, int i);
  int (*bind_count)(db_stmt *s);
  int (*step)(db_stmt *s);
  void (*reset)(db_stmt *s);
  void (*clear)(db_stmt *s);
  int (*busy)(db_stmt *s); /* stepped and not yet reset */
  const char *(*sql)(db_stmt *s);
  int (*column_count)(db_stmt *s);
  const char *(*column_name)(db_stmt *s, int i);
  int (*column_type)(db_stmt *s, int i);
  int64_t (*column_int64)(db_stmt *s, int i);
  double (*column_double)(db_stmt *s, int i);
  const char *(*column_text)(db_stmt *s, int i);
  int (*column_bytes)(db_stmt *s, int i);
};

/* Every backend's statement begins with this. */
struct db_stmt {
  const struct db_backend *be;
};

extern const struct db_backend store_sqlite_backend, store_pg_backend;

/* bind_text's del: the text lives until the statement is reset or rebound (no copy), or is
 * the statement's to free(). Anything else: copied now. */
#define DB_STATIC ((void (*)(void *))0)
#define DB_TRANSIENT ((void (*)(void *))-1)

static inline void db_finalize(db_stmt *s) { if (s) s->be->finalize(s); }
static inline int db_bind_int64(db_stmt *s, int i, int64_t v) { return s->be->bind_int64(s, i, v); }
static inline int db_bind_int(db_stmt *s, int i, int v) { return s->be->bind_int64(s, i, v); }
static inline int db_bind_double(db_stmt *s, int i, double v) { return s->be->bind_double(s, i, v); }
static inline int db_bind_text(db_stmt *s, int i, const char *v, int len, void (*del)(void *)) {
  return s->be->bind_text(s, i, v, len, del);
}
static inline int db_bind_null(db_stmt *s, int i) { return s->be->bind_null(s, i); }
static inline int db_bind_parameter_count(db_stmt *s) { return s->be->bind_count(s); }
static inline int db_step(db_stmt *s) { return s->be->step(s); }
static inline void db_reset(db_stmt *s) { s->be->reset(s); }
static inline void db_clear_bindings(db_stmt *s) { s->be->clear(s); }
static inline int db_stmt_busy(db_stmt *s) { return s->be->busy(s); }
static inline const char *db_sql(db_stmt *s) { return s->be->sql(s); }
static inline int db_column_count(db_stmt *s) { return s->be->column_count(s); }
static inline const char *db_column_name(db_stmt *s, int i) { return s->be->column_name(s, i); }
static inline int db_column_type(db_stmt *s, int i) { return s->be->column_type(s, i); }
static inline int64_t db_column_int64(db_stmt *s, int i) { return s->be->column_int64(s, i); }
static inline int db_column_int(db_stmt *s, int i) { return (int)s->be->column_int64(s, i); }
static inline double db_column_double(db_stmt *s, int i) { return s->be->column_double(s, i); }
static inline const char *db_column_text(db_stmt *s, int i) { return s->be->column_text(s, i); }
static inline int db_column_bytes(db_stmt *s, int i) { return s->be->column_bytes(s, i); }

#endif
