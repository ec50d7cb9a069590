/* store_gauges.c: what the database holds now, counted for monitoring (the console's
 * /metrics): pending timers due, overdue cases, the bytes the database takes on disk, and
 * on PostgreSQL the connections to it from every server.
 * Only reads: it never writes, and it reads no clock (the caller passes now). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/stat.h>

#include "store.h"
#include "store_int.h"

/* One count(*); -1 with err filled. */
static long long count_of(kf_store *st, const char *q, const char *now, const char *what,
                          kf_err *err) {
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return -1;
  if (now) store_bind_text(s, 1, now);
  int rc = db_step(s);
  long long n = rc == DB_ROW ? db_column_int64(s, 0) : -1;
  db_reset(s);
  if (n < 0) store_db_fail(st, err, rc, what);
  return n;
}

/* A file's size; 0 when it does not exist (a WAL checkpointed away). */
static long long file_bytes(const char *path, const char *suffix) {
  char p[4096];
  struct stat sb;
  if ((size_t)snprintf(p, sizeof p, "%s%s", path, suffix) >= sizeof p) return 0;
  return stat(p, &sb) ? 0 : (long long)sb.st_size;
}

json_t *kf_store_gauges(kf_store *st, const char *now, kf_err *err) {
  /* both served by an index: timers_due(status, due_at) and the partial cases_overdue */
  long long due = count_of(st, "SELECT count(*) FROM timers WHERE status='pending' AND due_at<=?1",
                           now, "counting due timers", err);
  long long overdue = due < 0 ? -1 : count_of(st, "SELECT count(*) FROM cases INDEXED BY "
                                              "cases_overdue WHERE overdue_since IS NOT NULL",
                                              NULL, "counting overdue cases", err);
  if (overdue < 0) return NULL;
  long long bytes, server = -1;
  if (store_is_pg(st)) { /* the database's size, and who is connected to it from anywhere */
    bytes = count_of(st, "SELECT pg_database_size(current_database())", NULL,
                     "measuring the database", err);
    server = bytes < 0 ? -1 : count_of(st, "SELECT count(*) FROM pg_stat_activity"
                                       " WHERE datname = current_database()", NULL,
                                       "counting the database's connections", err);
    if (server < 0) return NULL;
  } else {
    const char *path = kf_store_path(st);
    bytes = file_bytes(path, "") + file_bytes(path, "-wal");
  }
  json_t *g = json_pack("{s:I,s:I,s:I,s:s}", "timers_due", (json_int_t)due, "cases_overdue",
                        (json_int_t)overdue, "database_bytes", (json_int_t)bytes, "backend",
                        st->be->name);
  if (g && server >= 0) json_object_set_new(g, "server_connections", json_integer(server));
  return g;
}
