/* Unit tests for store_backup.c: a backup while another connection commits as fast as it
 * can (the backup API starts over after each of those commits: the copy must still finish
 * while the writer writes, and verify), a restore under the same writer, and the paths a
 * backup refuses (the database itself and its side files, an existing file). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"
#include "t.h"

#define NCASES 12000 /* about 24 MB: some 90 steps of the copy, a writer's commits between */

static char path[64], copy[80], kept[160];
static atomic_int stop;
static atomic_long commits;

/* Commit to the database on a connection of its own, as fast as it can, until stop. */
static void *writer(void *arg) {
  (void)arg;
  kf_err err = {0};
  kf_store *st = kf_store_open(path, KF_STORE_NOCREATE, &err);
  if (!st) {
    printf("writer: %s\n", err.msg);
    return NULL;
  }
  char v[32];
  for (long i = 0; !atomic_load(&stop) && i < 2000000; i++) {
    snprintf(v, sizeof v, "%ld", i);
    if (kf_store_begin(st, &err) || kf_store_meta_put(st, "tick", v, &err) ||
        kf_store_commit(st, &err)) {
      printf("writer: %s\n", err.msg);
      break;
    }
    atomic_fetch_add(&commits, 1);
  }
  kf_store_close(st);
  return NULL;
}

static int verify(const char *file, long long *events) {
  kf_err err = {0};
  kf_store *st = kf_store_open(file, KF_STORE_NOCREATE, &err);
  json_t *sum = NULL;
  int rc = st ? kf_store_audit_verify(st, &sum, &err) : -1;
  if (rc) printf("verify %s: %s\n", file, err.msg);
  *events = json_integer_value(json_object_get(sum, "events"));
  json_decref(sum);
  kf_store_close(st);
  return rc;
}

/* A database of n cases with some data each, an event apiece. */
static void fill(kf_store *st, int n) {
  kf_err err = {0};
  char pad[1501];
  memset(pad, 'x', sizeof pad - 1);
  pad[sizeof pad - 1] = 0;
  CHECK(kf_store_begin(st, &err) == 0, "begin: %s", err.msg);
  json_t *def = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "workflow", "name",
                          "w", "title", "W", "path", "w.lua", "source", "return 1", "definition",
                          "hash", "h1", "deployed_at", "2026-01-05T09:00:00Z", "deployed_by", "t");
  CHECK(kf_store_def_put(st, def, &err) == 0, "def: %s", err.msg);
  for (int i = 0; i < n; i++) {
    json_t *c = json_pack("{s:O,s:s,s:s,s:b,s:{s:s,s:i}}", "workflow_id", json_object_get(def, "id"),
                          "workflow", "w", "state", "a", "final", 0, "data", "pad", pad, "n", i);
    json_t *ev = NULL;
    if (kf_store_case_insert(st, c, "2026-01-05T09:00:00Z", &err) == 0) {
      ev = json_pack("{s:O,s:s,s:s,s:s,s:s,s:{s:i}}", "case", json_object_get(c, "id"), "kind",
                     "case.opened", "actor", "t", "at", "2026-01-05T09:00:00Z", "to", "a", "data",
                     "n", i);
      kf_store_event_append(st, ev, &err);
    }
    json_decref(ev);
    json_decref(c);
  }
  json_decref(def);
  CHECK(kf_store_commit(st, &err) == 0, "fill commit: %s", err.msg);
}

int main(void) {
  t_tmp_path(path, sizeof path, "backup", "db");
  snprintf(copy, sizeof copy, "%s.copy", path);
  t_remove_db(path);
  unlink(copy);
  kf_err err = {0};
  kf_store *st = kf_store_open(path, 0, &err);
  CHECK(st != NULL, "open: %s", err.msg);
  if (!st) T_DONE();
  fill(st, NCASES);
  kf_store_close(st);
  long long events = 0;
  CHECK(verify(path, &events) == 0 && events == NCASES, "the database verifies: %lld events", events);

  /* refusals */
  char side[128];
  CHECK(kf_store_backup(path, path, 1, NULL, &err) == KF_EINVAL &&
            CONTAINS(err.msg, "is the database itself"), "its own path refused: %s", err.msg);
  snprintf(side, sizeof side, "%s-wal", path);
  CHECK(kf_store_backup(path, side, 1, NULL, &err) == KF_EINVAL &&
            CONTAINS(err.msg, "is the database itself"), "its WAL refused: %s", err.msg);
  snprintf(side, sizeof side, "/tmp/../tmp/%s", path + 5);
  CHECK(kf_store_backup(path, side, 1, NULL, &err) == KF_EINVAL &&
            CONTAINS(err.msg, "is the database itself"), "its path spelt otherwise refused: %s", err.msg);

  /* a backup while a writer commits without pause */
  pthread_t th;
  pthread_create(&th, NULL, writer, NULL);
  while (atomic_load(&commits) < 100) usleep(1000);
  json_t *sum = NULL;
  long before = atomic_load(&commits);
  int rc = kf_store_backup(path, copy, 0, &sum, &err);
  long after = atomic_load(&commits);
  CHECK(rc == 0, "backup under a writer: %s", err.msg);
  /* the writer goes on (a checkpoint's fsync may hold it up a while): the backup did not
   * wait for it to stop, as it would if it started over after every commit for good */
  for (int i = 0; i < 500 && atomic_load(&commits) <= after; i++) usleep(10000);
  CHECK(after > before && atomic_load(&commits) > after,
        "the writer committed during the backup and after it (%ld, %ld, %ld commits)", before,
        after, (long)atomic_load(&commits));
  /* however busy the writer, the copy starts over a few times at most (4), then takes the
   * rest in one read snapshot: it never chases the writer's commits without end */
  long long restarts = json_integer_value(json_object_get(sum, "restarts"));
  CHECK(restarts <= 4, "the copy started over %lld times (at most 4)", restarts);
  CHECK(json_integer_value(json_object_get(sum, "events")) == NCASES &&
            json_integer_value(json_object_get(sum, "cases")) == NCASES,
        "the summary counts the copy");
  json_decref(sum);
  CHECK(verify(copy, &events) == 0 && events == NCASES, "the copy verifies");
  CHECK(kf_store_backup(path, copy, 0, NULL, &err) == KF_EINVAL && CONTAINS(err.msg, "exists"),
        "an existing file refused: %s", err.msg);

  /* a restore under the same writer */
  sum = NULL;
  rc = kf_store_restore(path, copy, "20260105T090000Z", &sum, &err);
  CHECK(rc == 0, "restore under a writer: %s", err.msg);
  snprintf(kept, sizeof kept, "%s.before-restore-20260105T090000Z", path);
  CHECK(!strcmp(json_string_value(json_object_get(json_object_get(sum, "kept"), "file")), kept),
        "the database as it was is kept as DB.before-restore-STAMP");
  json_decref(sum);
  atomic_store(&stop, 1);
  pthread_join(th, NULL);
  CHECK(verify(kept, &events) == 0 && events == NCASES, "the kept copy verifies");
  CHECK(verify(path, &events) == 0 && events == NCASES, "the restored database verifies");

  t_remove_db(path);
  unlink(copy);
  unlink(kept);
  T_DONE();
}
