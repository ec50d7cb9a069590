/* cli_backup.c: `kinflow backup FILE [--force]` and `kinflow restore FILE`: a verified copy
 * of the SQLite database while it serves, and one put back in place. It parses arguments
 * and prints what store_backup.c did; it copies and checks nothing itself. Exit status 0
 * done, 1 refused (one line on stderr), 2 usage. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"
#include "store.h"

#define USAGE                                                                                \
  "usage: kinflow backup FILE [--force] [--json]\n"                                        \
  "         a verified copy of the database (SQLite) while it serves and writes;\n"        \
  "         --force replaces an existing FILE\n"                                            \
  "       kinflow restore FILE [--json]\n"                                                   \
  "         verify FILE, keep the database as it is beside it (DB.before-restore-TIME),\n" \
  "         then put FILE's content in place (a running console sees it at once)\n"

static int usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: %s\n", why);
  fputs(USAGE, stderr);
  return 2;
}

typedef struct opts {
  const char *db, *file;
  int json, force, npos;
} opts;

static int parse(int argc, char **argv, int at, opts *o) {
  int restore = !strcmp(argv[at], "restore");
  for (int i = 1; i < argc; i++) {
    if (i == at) continue; /* "backup" or "restore" itself */
    const char *a = argv[i], *v = NULL;
    int r;
    if ((r = kf_cli_flag(argc, argv, &i, "--db", &v))) {
      if (r < 0) return usage("--db needs a value");
      o->db = v;
    } else if (!strcmp(a, "--json")) {
      o->json = 1;
    } else if (!strcmp(a, "--force") && !restore) {
      o->force = 1;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      return usage(NULL);
    } else if (!strncmp(a, "--", 2)) {
      char m[200];
      snprintf(m, sizeof m, "unknown option %.100s", a);
      return usage(m);
    } else {
      if (o->npos++) return usage("one FILE only");
      o->file = a;
    }
  }
  if (!o->file || !*o->file) return usage(restore ? "restore needs a FILE" : "backup needs a FILE");
  return 0;
}

static int is_postgres(const char *db) {
  return !strncasecmp(db, "postgresql://", 13) || !strncasecmp(db, "postgres://", 11);
}

static double seconds_since(const struct timespec *t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static long long ji(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }
static const char *js(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static void print_size(long long bytes) {
  if (bytes >= 1 << 20) printf("%.1f MiB", (double)bytes / (1 << 20));
  else if (bytes >= 1 << 10) printf("%.1f KiB", (double)bytes / (1 << 10));
  else printf("%lld bytes", bytes);
}

/* now as 20260105T090000Z: the name of the copy a restore keeps. */
static void stamp_now(char out[static 21]) {
  char iso[21];
  kf_iso(kf_now(), iso);
  size_t n = 0;
  for (const char *p = iso; *p; p++)
    if (*p != '-' && *p != ':') out[n++] = *p;
  out[n] = 0;
}

int kf_cli_backup(int argc, char **argv, int at) {
  opts o = {0};
  int rc = parse(argc, argv, at, &o);
  if (rc) return rc;
  int restore = !strcmp(argv[at], "restore");
  const char *db = kf_cli_db(o.db);
  if (is_postgres(db)) {
    fprintf(stderr, "kinflow: %s: the database is PostgreSQL: use PostgreSQL's own tools "
            "(pg_dump -Fc and pg_restore, or pg_basebackup), then `kinflow audit verify` on the "
            "restored database (README: Backups)\n", restore ? "restore" : "backup");
    return 1;
  }
  kf_err err = {0};
  json_t *sum = NULL;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (restore) {
    char stamp[21];
    stamp_now(stamp);
    rc = kf_store_restore(db, o.file, stamp, &sum, &err);
  } else {
    rc = kf_store_backup(db, o.file, o.force, &sum, &err);
  }
  if (rc) {
    fprintf(stderr, "kinflow: %s\n", err.msg);
    return 1;
  }
  double secs = seconds_since(&t0);
  json_object_set_new(sum, "seconds", json_real(secs));
  if (o.json) {
    kf_cli_print_json(sum);
  } else if (!restore) {
    printf("backup: %s -> %s: %lld cases, %lld events (audit chain intact, head event %lld), ",
           db, o.file, ji(sum, "cases"), ji(sum, "events"), ji(sum, "head_seq"));
    print_size(ji(sum, "bytes"));
    printf(" in %.2f s\n", secs);
  } else {
    json_t *kept = json_object_get(sum, "kept");
    printf("restore: %s -> %s: %lld cases, %lld events (audit chain intact, head event %lld) "
           "in %.2f s\n", o.file, db, ji(sum, "cases"), ji(sum, "events"), ji(sum, "head_seq"),
           secs);
    if (json_is_object(kept)) {
      if (json_is_true(json_object_get(kept, "verified")))
        printf("the database as it was is kept in %s (verified)\n", js(kept, "file"));
      else
        printf("the database as it was is kept in %s (it does not verify: %s)\n",
               js(kept, "file"), js(kept, "problem"));
    }
  }
  json_decref(sum);
  return 0;
}
