/* reference_main.c: build/bench/reference: the reference workload (BENCH-REFERENCE.md) as a
 * whole process, so anyone can time it beside the peers: `reference --n N --db PATH [--raw]`
 * prints one line `RESULT trans_per_s=... creates_per_s=... check=OK` (and the CPU time per
 * transition, WAL frames per transition, peak RSS, and whether the outbox plugin delivered:
 * it is on unless KINFLOW_OUTBOX=off, as in any kinflow process). Run from the repository's
 * root. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "reference.h"

static double clock_s(clockid_t which) {
  struct timespec ts;
  clock_gettime(which, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  int n = 10000, raw = 0;
  const char *db = "build/bench/reference.db";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
    else if (!strcmp(argv[i], "--raw")) raw = 1;
    else {
      fprintf(stderr, "usage: reference [--n N] [--db PATH] [--raw]\n");
      return 2;
    }
  }
  if (n < 1) {
    fprintf(stderr, "reference: --n must be a positive number of cases\n");
    return 2;
  }
  ref_side *s = raw ? ref_raw_new(db, n) : ref_engine_new(db, n);
  if (!s) return 1;
  double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  int64_t f0 = ref_frames(s);
  if (ref_create(s, 0, n)) return 1;
  double t1 = clock_s(CLOCK_MONOTONIC), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  int64_t f1 = ref_frames(s);
  for (int r = 1; r <= 4; r++)
    if (ref_round(s, r)) return 1;
  double t2 = clock_s(CLOCK_MONOTONIC), c2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  int64_t f2 = ref_frames(s);
  char why[300];
  int bad = ref_check(s, why, sizeof why);
  ref_free(s);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("RESULT side=%s n=%d trans_per_s=%.0f creates_per_s=%.0f cpu_us_per_transition=%.1f"
         " wal_frames_per_transition=%.2f cpu_us_per_create=%.1f wal_frames_per_create=%.2f"
         " peak_rss_mb=%.1f outbox=%s check=%s\n", raw ? "raw" : "engine", n,
         4.0 * n / (t2 - t1), n / (t1 - t0), (c2 - c1) * 1e6 / (4.0 * n),
         (double)(f2 - f1) / (4.0 * n), (c1 - c0) * 1e6 / n, (double)(f1 - f0) / n,
         ru.ru_maxrss / 1024.0,
         raw || (getenv("KINFLOW_OUTBOX") && !strcmp(getenv("KINFLOW_OUTBOX"), "off")) ? "off" : "on",
         bad ? why : "OK");
  return bad ? 1 : 0;
}
