/* t.h: the smallest test harness: CHECK(cond, name) counts and reports; T_DONE prints
 * "N passed, N failed" and gives the exit status. */
#ifndef KF_T_H
#define KF_T_H
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int t_pass, t_fail;
#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    if (cond) {                                                           \
      t_pass++;                                                           \
    } else {                                                              \
      t_fail++;                                                           \
      printf("FAIL %s:%d: ", __FILE__, __LINE__);                         \
      printf(__VA_ARGS__);                                                \
      printf("\n");                                                       \
    }                                                                     \
  } while (0)
#define CONTAINS(hay, needle) ((hay) && strstr((hay), (needle)) != NULL)
/* Temporary files of one test run, named after the process: PATH gets /tmp/kf-NAME-PID.EXT. */
static inline void t_tmp_path(char *path, size_t n, const char *name, const char *ext) {
  snprintf(path, n, "/tmp/kf-%s-%d.%s", name, (int)getpid(), ext);
}

static inline void t_write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

/* Remove a database with its WAL and shared-memory files, and what the outbox plugin
 * (loaded from plugins/) wrote beside it. */
static inline void t_remove_db(const char *path) {
  static const char *sides[] = {"-wal", "-shm", ".outbox.jsonl", ".outbox.jsonl.cursor",
                                ".outbox.jsonl.lock"};
  char side[300];
  unlink(path);
  for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
    snprintf(side, sizeof side, "%s%s", path, sides[i]);
    unlink(side);
  }
}

/* Seconds on the monotonic clock, for timing a stretch of a test. (Declared where the
 * test asks for POSIX, _GNU_SOURCE before its first include, as most tests here do.) */
#ifdef CLOCK_MONOTONIC
static inline double t_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
#endif

/* Where the test includes api.h first: run one verb, freeing ARGS after the call. */
#ifdef KF_API_H
static inline json_t *t_call(kf_session *s, const char *verb, json_t *args, int *status,
                             kf_err *err) {
  json_t *r = kf_session_call(s, verb, args, status, err);
  json_decref(args);
  return r;
}
#endif

/* Where the test includes runtime.h first: a fresh database DB and the definition file WF
 * (both paths of N bytes, named /tmp/kf-NAME-PID.*), WORKFLOW written there, an engine open
 * on DB with WF deployed as actor "t". Two checks, "open" and "deploy"; NULL if the engine
 * does not open (a failed deploy leaves the engine open, for the checks that follow). */
#ifdef KF_RUNTIME_H
static inline kf_engine *t_engine_deployed(const char *name, const char *workflow, char *db,
                                           char *wf, size_t n, kf_err *err) {
  t_tmp_path(db, n, name, "db");
  t_tmp_path(wf, n, name, "lua");
  t_write_file(wf, workflow);
  kf_engine *e = kf_engine_open(db, 0, err);
  CHECK(e != NULL, "open: %s", err->msg);
  if (!e) return NULL;
  json_t *paths = json_pack("[{s:s}]", "path", wf), *report = NULL;
  CHECK(kf_deploy(e, paths, "t", &report, err) == 0, "deploy: %s", err->msg);
  json_decref(report);
  json_decref(paths);
  return e;
}

/* The end of a t_engine_deployed engine: one check that the audit chain holds, then the
 * engine closed and its files removed. */
static inline void t_engine_finish(kf_engine *e, const char *db, const char *wf) {
  kf_err err = {0};
  json_t *sum = NULL;
  CHECK(kf_store_audit_verify(kf_engine_store(e), &sum, &err) == 0, "the audit chain holds: %s",
        err.msg);
  json_decref(sum);
  kf_engine_close(e);
  t_remove_db(db);
  unlink(wf);
}
#endif

/* Flushed before returning: LeakSanitizer reports at exit and ends the process without
 * flushing stdio, which would lose the summary. */
#define T_DONE()                                                          \
  do {                                                                    \
    printf("%d passed, %d failed\n", t_pass, t_fail);                     \
    fflush(stdout);                                                       \
    return t_fail ? 1 : 0;                                                \
  } while (0)
#endif
