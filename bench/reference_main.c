/* reference_main.c: build/bench/reference: the reference workload (BENCH-REFERENCE.md) as a
 * whole process, so anyone can time it beside the peers: `reference --n N --db PATH [--raw]`
 * prints one line `RESULT trans_per_s=... creates_per_s=... check=OK` (and the CPU time per
 * transition, WAL frames per transition, peak RSS, and whether the outbox plugin delivered:
 * it is on unless KINFLOW_OUTBOX=off, as in any kinflow process). PATH may be a
 * postgresql:// URI. Several of these can share one database (--join, --part K/M, --wait:
 * what `make bench` runs as "three servers"). Run from the repository's root. */
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

static int usage(void) {
  fprintf(stderr, "usage: reference [--n N] [--db PATH|URI] [--raw] [--join] [--part K/M] [--wait]\n"
                  "  --join      the database is made already (programme deployed, or the raw schema)\n"
                  "  --part K/M  open and move only the K-th of M equal parts of the N cases (implies\n"
                  "              --join; no check: the caller checks the whole database)\n"
                  "  --wait      after opening the cases, print READY and wait for a line on stdin\n");
  return 2;
}

int main(int argc, char **argv) {
  int n = 10000, raw = 0, join = 0, wait = 0, part = 1, parts = 1;
  const char *db = "build/bench/reference.db";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--n") && i + 1 < argc) n = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--db") && i + 1 < argc) db = argv[++i];
    else if (!strcmp(argv[i], "--raw")) raw = 1;
    else if (!strcmp(argv[i], "--join")) join = 1;
    else if (!strcmp(argv[i], "--wait")) wait = 1;
    else if (!strcmp(argv[i], "--part") && i + 1 < argc) {
      if (sscanf(argv[++i], "%d/%d", &part, &parts) != 2 || parts < 1 || part < 1 || part > parts)
        return usage();
      join = 1;
    } else return usage();
  }
  if (n < 1) {
    fprintf(stderr, "reference: --n must be a positive number of cases\n");
    return 2;
  }
  ref_side *s = raw ? (join ? ref_raw_join(db, n) : ref_raw_new(db, n))
                    : (join ? ref_engine_join(db, n) : ref_engine_new(db, n));
  if (!s) return 1;
  int from = (int)((long long)(part - 1) * n / parts), to = (int)((long long)part * n / parts);
  int mine = to - from;
  double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  int64_t f0 = ref_frames(s);
  if (ref_create(s, from, to)) return 1;
  double tc = clock_s(CLOCK_MONOTONIC), cc = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  int64_t fc = ref_frames(s);
  if (wait) {
    char go[16];
    printf("READY\n");
    fflush(stdout);
    if (!fgets(go, sizeof go, stdin)) return 1;
  }
  double t1 = clock_s(CLOCK_MONOTONIC), c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  int64_t f1 = ref_frames(s);
  for (int r = 1; r <= 4; r++)
    if (ref_round_part(s, r, from, to)) return 1;
  double t2 = clock_s(CLOCK_MONOTONIC), c2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
  int64_t f2 = ref_frames(s);
  char why[300] = "part";
  int bad = parts > 1 ? 0 : ref_check(s, why, sizeof why);
  ref_free(s);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  /* t_begin, t_end: the rounds' start and end on the machine's monotonic clock, which every
   * process shares, so that a caller can time several of these together */
  printf("RESULT side=%s n=%d part=%d/%d transitions=%d trans_per_s=%.0f creates_per_s=%.0f"
         " cpu_us_per_transition=%.1f wal_frames_per_transition=%.2f cpu_us_per_create=%.1f"
         " wal_frames_per_create=%.2f peak_rss_mb=%.1f t_begin=%.6f t_end=%.6f outbox=%s check=%s\n",
         raw ? "raw" : "engine", n, part, parts, 4 * mine, 4.0 * mine / (t2 - t1),
         mine / (tc - t0), (c2 - c1) * 1e6 / (4.0 * mine),
         (double)(f2 - f1) / (4.0 * mine), (cc - c0) * 1e6 / mine, (double)(fc - f0) / mine,
         ru.ru_maxrss / 1024.0, t1, t2,
         raw || (getenv("KINFLOW_OUTBOX") && !strcmp(getenv("KINFLOW_OUTBOX"), "off")) ? "off" : "on",
         bad ? why : parts > 1 ? "part" : "OK");
  return bad ? 1 : 0;
}
