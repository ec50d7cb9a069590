/* test_sqlite_wal.c: the SQLite backend's file layer (engine/store_sqlite_wal.c), which
 * gathers a commit's WAL frames into one write. Through real database files: a commit is
 * one write to the log; another connection (the system's own VFS) sees each commit as soon
 * as it returns; a transaction that spills pages, writes one again and has its checksums
 * written again, a commit under synchronous=FULL, a log begun again after a checkpoint, and
 * two connections taking turns (one emptying the log between the other's commits) all
 * survive a process that dies without closing, with the log read back from its
 * checksums alone (the shared-memory index deleted); and commits acknowledged before a
 * kill -9 are all there after it. */
#define _GNU_SOURCE
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_int.h"
#include "t.h"

static sqlite3 *open_db(const char *path, const char *vfs) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) != SQLITE_OK) {
    printf("cannot open %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

static int exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) printf("  %s: %s\n", sql, msg ? msg : "?");
  sqlite3_free(msg);
  return rc;
}

static long long scalar(sqlite3 *db, const char *sql) {
  sqlite3_stmt *s = NULL;
  long long v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

static int integrity_ok(sqlite3 *db) {
  sqlite3_stmt *s = NULL;
  int ok = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
           sqlite3_step(s) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(s, 0), "ok");
  sqlite3_finalize(s);
  return ok;
}

/* This process's write calls so far (the kernel's count), -1 if it does not say. */
static long long writes_so_far(void) {
  FILE *f = fopen("/proc/self/io", "r");
  char line[128];
  long long n = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "syscw: %lld", &n) == 1) break;
  if (f) fclose(f);
  return n;
}

static void remove_db(const char *path) {
  t_remove_db(path);
  char side[300];
  snprintf(side, sizeof side, "%s-journal", path);
  unlink(side);
}

/* A fresh database's path for test NAME (nothing left of an earlier run). */
static void fresh_db(char *path, size_t n, const char *name) {
  t_tmp_path(path, n, name, "db");
  remove_db(path);
}

/* After its writers are gone: the database opened through the system's VFS, its
 * shared-memory index deleted first, so that the connection reads the log back from its
 * checksums alone. */
static sqlite3 *read_back(const char *path) {
  char shm[300];
  snprintf(shm, sizeof shm, "%s-shm", path);
  unlink(shm);
  return open_db(path, NULL);
}

/* The child's exit status, 0 when it ran to its end without a failure. */
static int child_status(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A commit of a few pages is one write; another connection sees every commit at once. */
static void one_write_a_commit(const char *vfs) {
  char path[256];
  fresh_db(path, sizeof path, "walvfs-seen");
  sqlite3 *w = open_db(path, vfs);
  CHECK(w && exec(w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "PRAGMA wal_autocheckpoint=0;"
                     "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
                     "CREATE INDEX t_v ON t(v);") == SQLITE_OK,
        "a database in WAL mode through the file layer");
  sqlite3 *r = open_db(path, NULL); /* the system's VFS */
  int seen = 0, one_write = 0, counted = 0;
  for (int i = 1; w && r && i <= 50; i++) {
    char sql[200];
    snprintf(sql, sizeof sql, "INSERT INTO t(v) VALUES('row %d of the first fifty')", i);
    long long before = writes_so_far();
    exec(w, sql);
    long long after = writes_so_far();
    if (before >= 0 && after >= 0) {
      counted++;
      one_write += after - before == 1;
    }
    seen += scalar(r, "SELECT count(*) FROM t") == i;
  }
  CHECK(seen == 50, "the other connection saw each of 50 commits as it returned: %d", seen);
  if (counted)
    CHECK(one_write == counted, "a commit of 3 pages (table, index, schema) is one write to "
          "the log: %d of %d commits", one_write, counted);
  else
    printf("  (this kernel does not count write calls in /proc/self/io: not checked)\n");
  CHECK(r && integrity_ok(r), "integrity_check through the system's VFS");
  sqlite3_close(r);
  sqlite3_close(w);
  remove_db(path);
}

/* The checks a run's database must pass: rows 1..n with v = i * 7, and the big row. */
static long long expected_sum(int n) { return 7LL * n * (n + 1) / 2; }

/* In a child: commits of every kind the layer sees, then death without closing. */
static void workload(const char *path, const char *vfs) {
  sqlite3 *db = open_db(path, vfs);
  if (!db) _exit(2);
  int rc = exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    "PRAGMA wal_autocheckpoint=0;"
                    "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT);"
                    "CREATE TABLE big(id INTEGER PRIMARY KEY, body TEXT);");
  char sql[256];
  for (int i = 1; !rc && i <= 100; i++) { /* small commits */
    snprintf(sql, sizeof sql, "INSERT INTO t(v, pad) VALUES(%d, printf('%%.300c', 'x'))", i * 7);
    rc = exec(db, sql);
    /* the log begins again at its header after a checkpoint that emptied it */
    if (!rc && i == 20) rc = exec(db, "PRAGMA wal_checkpoint(TRUNCATE);");
  }
  /* a transaction larger than the page cache: pages spill to the log before the commit,
   * and are written again (a page already in this transaction's frames), so SQLite writes
   * their checksums again after the commit frame; more than one gathered run's worth */
  if (!rc)
    rc = exec(db, "PRAGMA cache_size=8; BEGIN;"
                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)"
                  "  INSERT INTO big(body) SELECT printf('%.900c', 'b') FROM n;"
                  "UPDATE big SET body = printf('%.800c', 'c');"
                  "UPDATE t SET pad = printf('%.200c', 'y');"
                  "UPDATE big SET body = printf('%.850c', 'd') WHERE id % 3 = 0;"
                  "COMMIT; PRAGMA cache_size=2000;");
  if (!rc) rc = exec(db, "PRAGMA synchronous=FULL; INSERT INTO t(v, pad) VALUES(707, 'full');"
                         "PRAGMA synchronous=NORMAL;");
  /* two connections take turns: each appends after the other's frames, and the log one
   * of them emptied begins again with the other's next commit */
  sqlite3 *other = rc ? NULL : open_db(path, vfs);
  if (!rc && (!other || exec(other, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;")))
    rc = 1;
  for (int i = 102; !rc && i <= 140; i++) {
    snprintf(sql, sizeof sql, "INSERT INTO t(v, pad) VALUES(%d, 'after')", i * 7);
    rc = exec(i % 2 ? other : db, sql);
    if (!rc && i == 121) rc = exec(other, "PRAGMA wal_checkpoint(TRUNCATE);");
  }
  _exit(rc ? 1 : 0); /* no close: the log stays as it is, unchecked-pointed */
}

static void survives_death(const char *vfs) {
  char path[256];
  fresh_db(path, sizeof path, "walvfs-dies");
  pid_t pid = fork();
  if (pid == 0) workload(path, vfs);
  int status = child_status(pid);
  CHECK(status == 0, "the workload ran (status %d)", status);
  sqlite3 *db = read_back(path);
  CHECK(db && integrity_ok(db), "after the writer died: integrity_check ok");
  CHECK(scalar(db, "SELECT count(*) FROM t") == 140 &&
            scalar(db, "SELECT sum(v) FROM t") == expected_sum(140),
        "every commit read back from the log: %lld rows, sum %lld (140, %lld)",
        scalar(db, "SELECT count(*) FROM t"), scalar(db, "SELECT sum(v) FROM t"),
        expected_sum(140));
  CHECK(scalar(db, "SELECT count(*) FROM big WHERE length(body) = 850") == 133 &&
            scalar(db, "SELECT count(*) FROM big WHERE length(body) = 800") == 267,
        "the spilled transaction's last writes are the ones kept");
  CHECK(scalar(db, "SELECT count(*) FROM t WHERE pad = printf('%.200c', 'y')") == 100,
        "its update of the small commits' rows too");
  sqlite3_close(db);
  remove_db(path);
}

/* A transaction that spilled pages to the log and was rolled back leaves nothing gathered
 * behind: another connection's commits written over those offsets meanwhile stay. */
static void rolled_back_spill(const char *vfs) {
  char path[256];
  fresh_db(path, sizeof path, "walvfs-undo");
  pid_t pid = fork();
  if (pid == 0) {
    sqlite3 *a = open_db(path, vfs), *b = a ? open_db(path, vfs) : NULL;
    int rc = !b || exec(a, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                           "PRAGMA wal_autocheckpoint=0;"
                           "CREATE TABLE t(id INTEGER PRIMARY KEY, who TEXT, pad TEXT);") ||
             exec(b, "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;");
    if (!rc)
      rc = exec(a, "PRAGMA cache_size=8; BEGIN;"
                   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)"
                   "  INSERT INTO t(who, pad) SELECT 'undone', printf('%.900c', 'u') FROM n;"
                   "ROLLBACK; PRAGMA cache_size=2000;");
    for (int i = 0; !rc && i < 40; i++)
      rc = exec(b, "INSERT INTO t(who, pad) VALUES('b', printf('%.900c', 'b'))");
    if (!rc) rc = exec(a, "INSERT INTO t(who, pad) VALUES('a', 'after')");
    _exit(rc ? 1 : 0); /* no close */
  }
  int status = child_status(pid);
  CHECK(status == 0, "the two writers ran (status %d)", status);
  sqlite3 *db = read_back(path);
  CHECK(db && integrity_ok(db), "after a rolled-back spill and another's commits: integrity ok");
  CHECK(scalar(db, "SELECT count(*) FROM t WHERE who = 'b'") == 40 &&
            scalar(db, "SELECT count(*) FROM t WHERE who = 'a'") == 1 &&
            scalar(db, "SELECT count(*) FROM t WHERE who = 'undone'") == 0,
        "the other's 40 commits and the last one are there, nothing of the rolled back: "
        "%lld, %lld, %lld", scalar(db, "SELECT count(*) FROM t WHERE who = 'b'"),
        scalar(db, "SELECT count(*) FROM t WHERE who = 'a'"),
        scalar(db, "SELECT count(*) FROM t WHERE who = 'undone'"));
  sqlite3_close(db);
  remove_db(path);
}

/* Commits acknowledged (through a pipe) before a kill -9 at a random moment are there. */
static void acknowledged_survive_kill(const char *vfs) {
  char path[256];
  t_tmp_path(path, sizeof path, "walvfs-kill", "db");
  int kept = 0, rounds = 12;
  srand((unsigned)getpid());
  for (int round = 0; round < rounds; round++) {
    remove_db(path);
    int fds[2];
    if (pipe(fds)) break;
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      sqlite3 *db = open_db(path, vfs);
      if (!db || exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                           "CREATE TABLE t(i INTEGER PRIMARY KEY, pad TEXT);"))
        _exit(2);
      for (int i = 1;; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, printf('%%.%dc', 'k'))", i,
                 100 + i % 900);
        if (exec(db, sql)) _exit(3);
        if (write(fds[1], &i, sizeof i) != sizeof i) _exit(4);
      }
    }
    close(fds[1]);
    int last = 0, got;
    int want = 20 + rand() % 400; /* acknowledgements to read before the kill */
    while (last < want && read(fds[0], &got, sizeof got) == sizeof got) last = got;
    kill(pid, SIGKILL);
    while (read(fds[0], &got, sizeof got) == sizeof got) last = got; /* sent before it died */
    close(fds[0]);
    waitpid(pid, NULL, 0);
    sqlite3 *db = read_back(path);
    long long have = db ? scalar(db, "SELECT max(i) FROM t") : -1;
    long long rows = db ? scalar(db, "SELECT count(*) FROM t") : -1;
    int ok = db && integrity_ok(db) && have >= last && rows == have;
    if (!ok)
      printf("  round %d: acknowledged %d, found max %lld in %lld rows\n", round, last, have, rows);
    kept += ok;
    sqlite3_close(db);
  }
  CHECK(kept == rounds, "kill -9 after N acknowledged commits: all N there, integrity ok "
        "(%d of %d rounds)", kept, rounds);
  remove_db(path);
}

int main(void) {
  const char *vfs = store_sqlite_vfs();
  CHECK(vfs && sqlite3_vfs_find(vfs), "the file layer is registered with SQLite: %s",
        vfs ? vfs : "(none)");
  if (vfs) {
    one_write_a_commit(vfs);
    survives_death(vfs);
    rolled_back_spill(vfs);
    acknowledged_survive_kill(vfs);
  }
  printf("%d passed, %d failed\n", t_pass, t_fail);
  return t_fail ? 1 : 0;
}
