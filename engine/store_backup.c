/* store_backup.c: backups and restores of a SQLite database through SQLite's online backup
 * API: a consistent copy while others write, verified before it is kept or put in place.
 * It never renames anything over a live database nor copies a live file byte by byte, and
 * it reads no clock: the caller passes the stamp that names the copy a restore keeps. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "store_int.h"

#define PAGES_PER_STEP 256   /* about 1 MiB of 4 KiB pages a step */
#define RESTARTS_MAX 4       /* then the rest in one step: under WAL it blocks no writer */
#define BUSY_WAIT_MS 30000   /* how long a step may keep meeting a lock before giving up */
#define BUSY_SLEEP_MS 10

/* What a verified copy holds. */
struct tally {
  int schema;
  long long cases, events, head_seq;
  char head[65];
};

/* ---- files ---- */

/* path with suffix appended, malloc'd; NULL when out of memory. */
static char *with_suffix(const char *path, const char *suffix) {
  char *s = NULL;
  return asprintf(&s, "%s%s", path, suffix) < 0 ? NULL : s;
}

/* Where path is, with its folder resolved (the file itself need not exist): malloc'd, or
 * NULL when its folder does not exist. */
static char *canonical(const char *path) {
  char *a = strdup(path), *b = strdup(path), *dir_real = NULL, *out = NULL;
  if (a && b && (dir_real = realpath(dirname(a), NULL)))
    if (asprintf(&out, "%s/%s", dir_real, basename(b)) < 0) out = NULL;
  free(a);
  free(b);
  free(dir_real);
  return out;
}

/* 1 when a and b name the same file: the same inode when both exist, else the same place. */
static int same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (!stat(a, &sa) && !stat(b, &sb)) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  char *ca = canonical(a), *cb = canonical(b);
  int same = ca && cb && !strcmp(ca, cb);
  free(ca);
  free(cb);
  return same;
}

/* 1 when file is the database at db or one of its side files (-wal, -shm, -journal). */
static int is_database(const char *db, const char *file) {
  static const char *sides[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
    char *p = with_suffix(db, sides[i]);
    int same = p && same_file(p, file);
    free(p);
    if (same) return 1;
  }
  return 0;
}

/* Remove a SQLite file we made and its side files; errors are ignored (it may be gone). */
static void remove_db_file(const char *path) {
  static const char *sides[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
    char *p = with_suffix(path, sides[i]);
    if (p) unlink(p);
    free(p);
  }
}

static int fsync_path(const char *path, int dir, kf_err *err) {
  int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0) close(fd);
    return kf_fail(err, KF_ESTORE, "could not flush %s to disk: %s", path, strerror(e));
  }
  close(fd);
  return 0;
}

static int fsync_folder_of(const char *path, kf_err *err) {
  char *a = strdup(path);
  if (!a) return kf_fail(err, KF_ENOMEM, "out of memory");
  int rc = fsync_path(dirname(a), 1, err);
  free(a);
  return rc;
}

static long long file_size(const char *path) {
  struct stat s;
  return stat(path, &s) ? -1 : (long long)s.st_size;
}

/* err's own message between before and after, under code (the message is copied first:
 * never read while it is written). Returns code. */
static int reword(kf_err *err, int code, const char *before, const char *after) {
  char m[sizeof err->msg];
  snprintf(m, sizeof m, "%s", err->msg);
  return kf_fail(err, code ? code : KF_ESTORE, "%s%s%s", before, m, after);
}

/* ---- connections ---- */

static int sql_fail(sqlite3 *db, int rc, kf_err *err, const char *fmt, const char *path) {
  const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
  case SQLITE_NOTADB: return kf_fail(err, KF_EINVAL, "%s is not a SQLite database", path);
  case SQLITE_CORRUPT:
    return kf_fail(err, KF_EINVAL, "%s is damaged: SQLite cannot read it (%s)", path, msg);
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return kf_fail(err, KF_EBUSY, fmt, path, "it stayed locked by another writer; try again");
  default: return kf_fail(err, KF_ESTORE, fmt, path, msg);
  }
}

/* A connection of our own to the SQLite file at path, hardened as the store's own are. */
static sqlite3 *open_raw(const char *path, int create, kf_err *err) {
  sqlite3 *db = NULL;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path, &db, flags, NULL);
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_CANTOPEN)
      kf_fail(err, KF_ENOTFOUND, "database %s cannot be opened (run `kinflow init` first?)", path);
    else sql_fail(db, rc, err, "%s: %s", path);
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
  return db;
}

/* One integer from sql (its first column), or rc < 0. */
static int one_int(sqlite3 *db, const char *sql, long long *out, int *rc_out) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(s, 0);
    rc = SQLITE_OK;
  }
  sqlite3_finalize(s);
  *rc_out = rc;
  return rc == SQLITE_OK ? 0 : -1;
}

/* Copy src into dst with the backup API, per_step pages a step (-1: all at once). A step
 * that meets a lock sleeps briefly and tries again, for BUSY_WAIT_MS at most; when others
 * write to src between steps the API starts over, and after RESTARTS_MAX of those the
 * rest goes in one step (one read snapshot: under WAL no writer waits for it).
 * what names the copy in messages ("%s" gets the path shown). */
/* One step of n pages; a lock met sleeps briefly and tries again, *waited (ms) counting
 * towards BUSY_WAIT_MS. SQLITE_OK (more to copy), SQLITE_DONE, or the error. */
static int step(sqlite3_backup *b, int n, int *waited) {
  for (;;) {
    int rc = sqlite3_backup_step(b, n);
    if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) return rc;
    if (*waited >= BUSY_WAIT_MS) return rc;
    sqlite3_sleep(BUSY_SLEEP_MS);
    *waited += BUSY_SLEEP_MS;
  }
}

/* Finish backup b after its last step returned rc: 0, or the error (on the destination
 * connection dst) in err, what and shown as in copy_pages. */
static int finish(sqlite3_backup *b, int rc, sqlite3 *dst, const char *what, const char *shown,
                  kf_err *err) {
  int frc = sqlite3_backup_finish(b);
  if (rc == SQLITE_DONE && frc == SQLITE_OK) return 0;
  if (rc == SQLITE_DONE || rc == SQLITE_OK) rc = frc != SQLITE_OK ? frc : SQLITE_ABORT;
  if ((rc & 0xff) == SQLITE_READONLY)
    return kf_fail(err, KF_ESTORE, what, shown, "it cannot be written here (a read-only file, "
                   "or the two databases' page sizes differ)");
  return sql_fail(dst, rc, err, what, shown);
}

static int copy_pages(sqlite3 *dst, sqlite3 *src, int per_step, int *restarts,
                      const char *what, const char *shown, kf_err *err) {
  sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
  if (!b) return sql_fail(dst, sqlite3_errcode(dst), err, what, shown);
  int rc, waited = 0, n = per_step, again = 0, last = -1;
  while ((rc = step(b, n, &waited)) == SQLITE_OK) {
    /* a restart shows as no fewer pages left than after the step before */
    int left = sqlite3_backup_remaining(b);
    if (last >= 0 && left >= last && ++again >= RESTARTS_MAX) n = -1;
    last = left;
  }
  *restarts += again;
  return finish(b, rc, dst, what, shown, err);
}

/* ---- verification ---- */

/* Integrity, and a kinflow schema this binary can read, of the file open as db (shown as
 * path in messages). *version gets its schema version. */
static int check_file(sqlite3 *db, const char *path, int current, int *version, kf_err *err) {
  long long v = 0, tables = 0;
  int rc;
  if (one_int(db, "PRAGMA user_version", &v, &rc))
    return sql_fail(db, rc, err, "%s: %s", path);
  sqlite3_stmt *s = NULL;
  rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(s);
    return sql_fail(db, rc, err, "%s: %s", path);
  }
  const char *first = (const char *)sqlite3_column_text(s, 0);
  if (!first || strcmp(first, "ok")) {
    char what[201]; /* its first problem, on one line */
    snprintf(what, sizeof what, "%s", first ? first : "no answer");
    for (char *c = what; *c; c++)
      if (*c == '\n' || *c == '\r') *c = ' ';
    int code = kf_fail(err, KF_EINVAL, "%s is damaged: it fails SQLite's integrity check (%s)",
                       path, what);
    sqlite3_finalize(s);
    return code;
  }
  sqlite3_finalize(s);
  if (one_int(db, "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name IN "
                  "('meta','definitions','cases','events')", &tables, &rc))
    return sql_fail(db, rc, err, "%s: %s", path);
  if (v < 1 || tables != 4)
    return kf_fail(err, KF_EINVAL, "%s is not a kinflow database (it has no kinflow schema)", path);
  if (v > current)
    return kf_fail(err, KF_EINVAL, "%s has schema version %lld, newer than this kinflow knows "
                   "(%d): use a newer kinflow", path, v, current);
  *version = (int)v;
  return 0;
}

/* The audit chain recomputed on st (a database at this binary's schema), and its counts. */
static int tally_store(kf_store *st, const char *shown, struct tally *t, kf_err *err) {
  json_t *sum = NULL;
  kf_err verr = {0};
  if (kf_store_audit_verify(st, &sum, &verr))
    return kf_fail(err, KF_EINVAL, "%s fails the audit check (%s)", shown, verr.msg);
  snprintf(t->head, sizeof t->head, "%s", store_jstr(sum, "head") ? store_jstr(sum, "head") : "");
  t->events = store_jint(sum, "events");
  json_decref(sum);
  int rc;
  if (one_int(st->db, "SELECT count(*) FROM cases", &t->cases, &rc) ||
      one_int(st->db, "SELECT coalesce(max(seq), 0) FROM events", &t->head_seq, &rc))
    return sql_fail(st->db, rc, err, "%s: %s", shown);
  t->schema = kf_store_schema_version(st);
  return 0;
}

/* The audit chain of the file at path (already checked: check_file), recomputed: on the
 * file itself when it has this binary's schema, else on a scratch copy of it brought up
 * to date by the store's migrations (the file itself is left as it is). */
static int tally_file(sqlite3 *db, const char *path, const char *shown, int version, int current,
                      struct tally *t, kf_err *err) {
  if (version == current) {
    kf_store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
      free(st);
      return kf_fail(err, KF_ENOMEM, "out of memory");
    }
    st->be = &store_sqlite_backend;
    st->db = db; /* borrowed: detached before the wrapper goes (its statements are finalized) */
    int rc = tally_store(st, shown, t, err);
    st->db = NULL;
    kf_store_close(st);
    return rc;
  }
  char *scratch = with_suffix(path, ".verify");
  if (!scratch) return kf_fail(err, KF_ENOMEM, "out of memory");
  remove_db_file(scratch);
  int restarts = 0, rc;
  sqlite3 *dst = open_raw(scratch, 1, err);
  if (!dst) {
    free(scratch);
    return err->code;
  }
  rc = copy_pages(dst, db, -1, &restarts, "could not copy %s to check it: %s", shown, err);
  sqlite3_close(dst);
  if (!rc) {
    kf_store *st = kf_store_open(scratch, KF_STORE_NOCREATE, err);
    if (!st) rc = err->code;
    else {
      rc = tally_store(st, shown, t, err);
      kf_store_close(st);
    }
  }
  remove_db_file(scratch);
  free(scratch);
  if (!rc) t->schema = version; /* the file's own, not its upgraded copy's */
  return rc;
}

/* ---- backup ---- */

/* Verify the file at path as a backup of shown: 0 and *t, or why not in err. */
static int verify_path(const char *path, const char *shown, struct tally *t, kf_err *err) {
  int current = store_schema_current(), version = 0, rc;
  sqlite3 *db = open_raw(path, 0, err);
  if (!db) return err->code;
  if (!(rc = check_file(db, shown, current, &version, err)))
    rc = tally_file(db, path, shown, version, current, t, err);
  sqlite3_close(db);
  return rc;
}

/* Copy the open database src into the new file at file (which must not exist yet), through
 * file.tmp-PID: the copy is fsynced and, when verify is set, checked (one that does not
 * verify is refused and nothing left behind), then renamed to file, and its folder fsynced.
 * Without verify the copy is kept as it is (a restore keeps the database it replaces, and
 * checks that copy once its own write is done). shown names the source in messages. */
static int backup_into(sqlite3 *src, const char *shown, const char *file, int verify,
                       struct tally *t, int *restarts, kf_err *err) {
  char pid[32];
  snprintf(pid, sizeof pid, ".tmp-%ld", (long)getpid());
  char *tmp = with_suffix(file, pid);
  if (!tmp) return kf_fail(err, KF_ENOMEM, "out of memory");
  remove_db_file(tmp); /* a stale one of an earlier process with our pid */
  int rc = 0, current = store_schema_current(), version = 0;
  sqlite3 *dst = NULL;
  if (!(dst = open_raw(tmp, 1, err))) {
    char before[PATH_MAX + 32];
    snprintf(before, sizeof before, "could not create %s: ", tmp);
    rc = reword(err, err->code, before, "");
    goto out;
  }
  /* the copy is flushed once at the end; a journal is no use for a file nobody sees yet */
  sqlite3_exec(dst, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF", NULL, NULL, NULL);
  if ((rc = copy_pages(dst, src, PAGES_PER_STEP, restarts, "could not copy %s: %s", shown, err)))
    goto out;
  sqlite3_close(dst);
  /* one self-contained file: a rollback-journal database, readable without side files */
  if (!(dst = open_raw(tmp, 0, err))) {
    rc = err->code;
    goto out;
  }
  char *msg = NULL;
  if ((rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, &msg)) != SQLITE_OK) {
    sqlite3_free(msg);
    rc = sql_fail(dst, rc, err, "could not finish the copy %s: %s", tmp);
    goto out;
  }
  if (verify && ((rc = check_file(dst, shown, current, &version, err)) ||
                 (rc = tally_file(dst, tmp, shown, version, current, t, err))))
    goto out;
  sqlite3_close(dst);
  dst = NULL;
  if ((rc = fsync_path(tmp, 0, err))) goto out;
  if (rename(tmp, file) != 0) {
    rc = kf_fail(err, KF_ESTORE, "could not rename %s to %s: %s", tmp, file, strerror(errno));
    goto out;
  }
  rc = fsync_folder_of(file, err);
  free(tmp);
  return rc; /* file is in place: a failed folder flush is said, the file is kept */
out:
  sqlite3_close(dst);
  remove_db_file(tmp);
  free(tmp);
  return rc;
}

static json_t *tally_json(const struct tally *t) {
  return json_pack("{s:i,s:I,s:I,s:I,s:s}", "schema", t->schema, "cases", (json_int_t)t->cases,
                   "events", (json_int_t)t->events, "head_seq", (json_int_t)t->head_seq,
                   "head", t->head);
}

int kf_store_backup(const char *db, const char *file, int force, json_t **summary, kf_err *err) {
  struct stat s;
  if (is_database(db, file))
    return kf_fail(err, KF_EINVAL, "backup: %s is the database itself (or one of its files): "
                   "name another file", file);
  if (!stat(file, &s)) {
    if (!force)
      return kf_fail(err, KF_EINVAL, "backup: %s exists; name another file, or replace it "
                     "with --force", file);
    if (!S_ISREG(s.st_mode))
      return kf_fail(err, KF_EINVAL, "backup: %s exists and is not a file", file);
  }
  char *here = canonical(file);
  if (!here) return kf_fail(err, KF_EINVAL, "backup: the folder of %s does not exist", file);
  free(here);
  sqlite3 *src = open_raw(db, 0, err);
  if (!src) return reword(err, err->code, "backup: ", "");
  struct tally t = {0};
  int restarts = 0;
  int rc = backup_into(src, db, file, 1, &t, &restarts, err);
  sqlite3_close(src);
  if (rc) return reword(err, rc, "backup: ", "");
  if (summary) {
    json_t *o = tally_json(&t);
    if (!o || json_object_set_new(o, "database", json_string(db)) ||
        json_object_set_new(o, "file", json_string(file)) ||
        json_object_set_new(o, "bytes", json_integer(file_size(file))) ||
        json_object_set_new(o, "restarts", json_integer(restarts))) {
      json_decref(o);
      return kf_fail(err, KF_ENOMEM, "backup: out of memory (the backup %s was made)", file);
    }
    *summary = o;
  }
  return 0;
}

/* ---- restore ---- */

/* A name for the copy of db kept before a restore: db.before-restore-STAMP, with -2, -3 ...
 * when that is taken. malloc'd. */
static char *kept_name(const char *db, const char *stamp) {
  for (int i = 1; i < 1000; i++) {
    char *p = NULL;
    if ((i == 1 ? asprintf(&p, "%s.before-restore-%s", db, stamp)
                : asprintf(&p, "%s.before-restore-%s-%d", db, stamp, i)) < 0)
      return NULL;
    struct stat s;
    if (stat(p, &s) != 0) return p;
    free(p);
  }
  return NULL;
}

int kf_store_restore(const char *db, const char *file, const char *stamp, json_t **summary,
                     kf_err *err) {
  static const char *untouched = "; the live database was not changed";
  struct stat s;
  struct tally t = {0}, kt = {0};
  kf_err kept_problem = {0};
  char *staging = NULL, *kept = NULL;
  sqlite3 *src = NULL, *live = NULL;
  kf_store *staged = NULL;
  int rc = 0, version = 0, restarts = 0, current;
  if (stat(file, &s) != 0)
    return kf_fail(err, KF_ENOTFOUND, "restore: %s: %s%s", file, strerror(errno), untouched);
  if (!S_ISREG(s.st_mode))
    return kf_fail(err, KF_EINVAL, "restore: %s is not a file%s", file, untouched);
  if (is_database(db, file))
    return kf_fail(err, KF_EINVAL, "restore: %s is the live database itself (or one of its "
                   "files)%s", file, untouched);
  current = store_schema_current();
  /* 1. the file: integrity and schema, then a staging copy of it beside the live database
   * (one read snapshot of the file for both), brought up to this binary's schema */
  if (!(src = open_raw(file, 0, err))) goto refused;
  sqlite3_exec(src, "PRAGMA query_only=ON", NULL, NULL, NULL);
  if ((rc = sqlite3_exec(src, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
    rc = sql_fail(src, rc, err, "%s: %s", file);
    goto refused;
  }
  if ((rc = check_file(src, file, current, &version, err))) goto refused;
  char pid[48];
  snprintf(pid, sizeof pid, ".restore-%ld", (long)getpid());
  if (!(staging = with_suffix(db, pid))) {
    rc = kf_fail(err, KF_ENOMEM, "out of memory");
    goto refused;
  }
  remove_db_file(staging);
  sqlite3 *stage_db = open_raw(staging, 1, err);
  if (!stage_db) goto refused;
  rc = copy_pages(stage_db, src, -1, &restarts, "could not copy %s: %s", file, err);
  sqlite3_close(stage_db);
  if (rc) goto refused;
  sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
  sqlite3_close(src);
  src = NULL;
  /* 2. the audit chain, recomputed on the staging copy (migrated when it was older) */
  if (!(staged = kf_store_open(staging, KF_STORE_NOCREATE, err))) goto refused;
  if ((rc = tally_store(staged, file, &t, err))) goto refused;
  t.schema = version;
  /* 3. the live database's write lock, taken by the restore's first step (of no pages):
   * from here until its last step commits nobody else writes to it, so the copy kept next
   * holds everything committed before the restore */
  int existed = !stat(db, &s), waited = 0;
  if (!(live = open_raw(db, !existed, err))) goto refused;
  sqlite3_backup *b = sqlite3_backup_init(live, "main", staged->db, "main");
  if (!b) {
    rc = sql_fail(live, sqlite3_errcode(live), err, "could not write %s: %s", db);
    goto refused;
  }
  if ((rc = step(b, 0, &waited)) != SQLITE_OK) {
    rc = finish(b, rc, live, "could not lock %s to write it: %s", db, err);
    goto refused;
  }
  /* 4. the live database as it is now, kept beside it (when there is one), read on a
   * connection of its own (readers are not held up by the lock) */
  if (existed) {
    sqlite3 *now = NULL;
    int r2 = 0;
    if (!(kept = kept_name(db, stamp))) rc = kf_fail(err, KF_ENOMEM, "out of memory");
    else if (!(now = open_raw(db, 0, err))) rc = err->code;
    else rc = backup_into(now, db, kept, 0, &kt, &r2, err);
    sqlite3_close(now);
    if (rc) {
      sqlite3_backup_finish(b); /* undoes the locked, empty write: nothing was copied */
      rc = reword(err, rc, "restore: could not keep a copy of the live database first (",
                  "); the live database was not changed (to restore over a database that "
                  "cannot be copied, move it aside with nothing running on it)");
      goto done;
    }
  }
  /* 5. the staging copy's content into the live database, in that one write transaction:
   * other connections see it as another writer's commit */
  if ((rc = finish(b, step(b, -1, &waited), live, "could not write %s: %s", db, err))) {
    char after[PATH_MAX + 96] = "";
    if (kept)
      snprintf(after, sizeof after, "; the live database is as it was, and a copy of it is "
               "kept in %s", kept);
    rc = reword(err, rc, "restore: ", after);
    goto done;
  }
  sqlite3_exec(live, "PRAGMA wal_checkpoint(PASSIVE)", NULL, NULL, NULL);
  /* 6. the kept copy checked, now that nobody waits for the lock any more */
  if (kept) verify_path(kept, db, &kt, &kept_problem);
  if (summary) {
    json_t *o = tally_json(&t);
    json_t *k = kept ? json_pack("{s:s,s:b}", "file", kept, "verified", !kept_problem.code)
                     : json_null();
    if (k && kept && kept_problem.code)
      json_object_set_new(k, "problem", json_string(kept_problem.msg));
    if (!o || !k) json_decref(k); /* (set_new below takes k, even when it fails) */
    if (!o || !k || json_object_set_new(o, "database", json_string(db)) ||
        json_object_set_new(o, "file", json_string(file)) || json_object_set_new(o, "kept", k)) {
      json_decref(o);
      rc = kf_fail(err, KF_ENOMEM, "restore: out of memory after restoring %s%s%s", file,
                   kept ? "; the database as it was is kept in " : "", kept ? kept : "");
      goto done;
    }
    *summary = o;
  }
  goto done;
refused:
  rc = reword(err, rc ? rc : err->code, "restore: ", untouched);
done:
  if (src) sqlite3_close(src);
  if (live) sqlite3_close(live);
  kf_store_close(staged);
  if (staging) remove_db_file(staging);
  free(staging);
  free(kept);
  return rc;
}
