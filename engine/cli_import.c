/* cli_import.c: `kinflow case import FILE.jsonl|- [--batch N] [--from LINE]`: an agency's
 * caseload brought in, one case a line, a transaction per batch (kf_case_open_batch). It
 * reads and numbers lines and says where a bad one is; how a case opens is the runtime's
 * alone. Exit status 0 done, 1 refused (FILE:LINE: what is wrong), 2 usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runtime.h"

#define USAGE                                                                                 \
  "usage: kinflow case import FILE.jsonl|- [--batch N] [--from LINE] [--actor WHO] [--json]\n" \
  "         one case a line: {\"workflow\": NAME, \"data\": {...}, \"ref\": \"...\"} (data, ref\n" \
  "         optional); - reads stdin; a transaction per batch of N cases (default 500);\n"    \
  "         --from LINE skips the lines before LINE (to resume after a refusal)\n"

#define LINE_MAX_BYTES (1024 * 1024) /* a case's line, without its newline */
#define BATCH_DEFAULT 500
#define BATCH_MAX 100000
#define PROGRESS_EVERY 1000

static int usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: %s\n", why);
  fputs(USAGE, stderr);
  return 2;
}

typedef struct opts {
  const char *db, *actor, *file;
  long long batch, from;
  int json, npos;
} opts;

static int number(const char *flag, const char *v, long long min, long long max, long long *out) {
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (!*v || *end || errno || n < min || n > max) {
    char m[120];
    snprintf(m, sizeof m, "%s needs a whole number from %lld to %lld", flag, min, max);
    return usage(m);
  }
  *out = n;
  return 0;
}

/* Every argument but "case" and "import" (at, at + 1). 0, or 2 after saying what is wrong. */
static int parse(int argc, char **argv, int at, opts *o) {
  o->batch = BATCH_DEFAULT;
  o->from = 1;
  for (int i = 1; i < argc; i++) {
    if (i == at || i == at + 1) continue;
    const char *a = argv[i], *v = NULL;
    int r;
    if (!strcmp(a, "--json")) {
      o->json = 1;
      continue;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(NULL);
    if ((r = kf_cli_flag(argc, argv, &i, "--db", &v)) > 0) o->db = v;
    else if (!r && (r = kf_cli_flag(argc, argv, &i, "--actor", &v)) > 0) o->actor = v;
    else if (!r && (r = kf_cli_flag(argc, argv, &i, "--batch", &v)) > 0) {
      if (number("--batch", v, 1, BATCH_MAX, &o->batch)) return 2;
    } else if (!r && (r = kf_cli_flag(argc, argv, &i, "--from", &v)) > 0) {
      if (number("--from", v, 1, (long long)1 << 62, &o->from)) return 2;
    }
    if (r < 0) {
      char m[120];
      snprintf(m, sizeof m, "%.60s needs a value", a);
      return usage(m);
    }
    if (r) continue;
    if (!strncmp(a, "--", 2)) {
      char m[200];
      snprintf(m, sizeof m, "unknown option %.100s", a);
      return usage(m);
    }
    if (o->npos++) return usage("case import takes one file (or - for stdin)");
    o->file = a;
  }
  if (!o->file) return usage("case import needs a file (or - for stdin)");
  return 0;
}

/* One line of in (without its newline) into buf (LINE_MAX_BYTES + 1 bytes): its length, -1
 * at the end of the input, -2 when it is longer than LINE_MAX_BYTES (the rest of it is then
 * left unread: the import stops there). keep = 0 reads past the line without keeping it. */
static long read_line(FILE *in, char *buf, int keep) {
  long n = 0;
  int ch;
  while ((ch = getc_unlocked(in)) != EOF && ch != '\n') {
    if (!keep) continue;
    if (n == LINE_MAX_BYTES) return -2;
    buf[n++] = (char)ch;
  }
  if (ch == EOF && n == 0 && (feof(in) || ferror(in))) return -1;
  buf[n] = 0;
  return n;
}

static int blank(const char *s, long n) {
  for (long i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') return 0;
  return 1;
}

typedef struct run {
  const opts *o;
  const char *name; /* the file as messages name it */
  kf_engine *e;
  json_t *cases;        /* the batch being read */
  long long *lines;     /* the line of each case of the batch */
  long long imported;   /* cases committed */
  long long batches;    /* batches committed */
  long long last_line;  /* the line of the last case committed (0: none) */
  long long reported;   /* progress: cases when stderr last heard */
} run;

/* After a refusal at line bad: what was imported, and where to resume. Returns 1. */
static int stopped(run *r, long long bad, const char *why) {
  long long resume = r->last_line ? r->last_line + 1 : r->o->from;
  fprintf(stderr, "%s:%lld: %s\n", r->name, bad, why);
  if (r->imported)
    fprintf(stderr, "kinflow: %lld case%s imported (lines %lld-%lld) in %lld batch%s; nothing of "
            "lines %lld-%lld was written: fix line %lld and rerun with --from %lld\n",
            r->imported, r->imported == 1 ? "" : "s", r->o->from, r->last_line, r->batches,
            r->batches == 1 ? "" : "es", resume, bad, bad, resume);
  else
    fprintf(stderr, "kinflow: no case imported; nothing of lines %lld-%lld was written: fix line "
            "%lld and rerun with --from %lld\n", resume, bad, bad, resume);
  return 1;
}

/* Open the batch read so far: 0, or 1 after saying which line was refused. */
static int flush(run *r) {
  size_t n = json_array_size(r->cases), failed = 0;
  if (!n) return 0;
  kf_err err = {0};
  if (kf_case_open_batch(r->e, r->cases, kf_cli_actor(r->o->actor), &failed, &err))
    return stopped(r, r->lines[failed < n ? failed : n - 1], err.msg);
  r->imported += (long long)n;
  r->batches++;
  r->last_line = r->lines[n - 1];
  json_array_clear(r->cases);
  if (r->imported / PROGRESS_EVERY > r->reported / PROGRESS_EVERY) {
    fprintf(stderr, "kinflow: %lld cases imported (to line %lld)\n", r->imported, r->last_line);
    r->reported = r->imported;
  }
  return 0;
}

static int import(run *r, FILE *in) {
  char *buf = malloc(LINE_MAX_BYTES + 1);
  r->lines = malloc(sizeof *r->lines * (size_t)r->o->batch);
  r->cases = json_array();
  int rc = 0;
  if (!buf || !r->lines || !r->cases) {
    fprintf(stderr, "kinflow: out of memory\n");
    rc = 1;
    goto out;
  }
  for (long long line = 1;; line++) {
    long n = read_line(in, buf, line >= r->o->from);
    if (n == -1) break;
    if (n == -2) {
      char why[120];
      snprintf(why, sizeof why, "the line is longer than 1 MB (a case's line holds at most %d "
               "bytes)", LINE_MAX_BYTES);
      rc = stopped(r, line, why);
      goto out;
    }
    if (line < r->o->from || blank(buf, n)) continue;
    json_error_t je;
    json_t *c = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &je);
    if (!c) {
      char why[300];
      snprintf(why, sizeof why, "not valid JSON: %s (at character %d)", je.text, je.position);
      rc = stopped(r, line, why);
      goto out;
    }
    r->lines[json_array_size(r->cases)] = line;
    json_array_append_new(r->cases, c);
    if ((long long)json_array_size(r->cases) == r->o->batch && (rc = flush(r))) goto out;
  }
  if (ferror(in)) {
    fprintf(stderr, "kinflow: cannot read %s: %s\n", r->name, strerror(errno));
    rc = 1;
    goto out;
  }
  rc = flush(r);
out:
  free(buf);
  free(r->lines);
  json_decref(r->cases);
  return rc;
}

int kf_cli_is_import(int argc, char **argv, int at) {
  return !strcmp(argv[at], "case") && at + 1 < argc && !strcmp(argv[at + 1], "import");
}

int kf_cli_import(int argc, char **argv, int at) {
  opts o = {0};
  int rc = parse(argc, argv, at, &o);
  if (rc) return rc;
  int std = !strcmp(o.file, "-");
  FILE *in = std ? stdin : fopen(o.file, "r");
  if (!in) {
    fprintf(stderr, "kinflow: cannot read %s: %s\n", o.file, strerror(errno));
    return 1;
  }
  kf_err err = {0};
  kf_engine *e = kf_engine_open(kf_cli_db(o.db), KF_STORE_NOCREATE, &err);
  if (!e) {
    fprintf(stderr, "kinflow: %s\n", err.msg);
    if (!std) fclose(in);
    return err.code == KF_EUSAGE ? 2 : 1;
  }
  run r = {.o = &o, .name = std ? "stdin" : o.file, .e = e};
  rc = import(&r, in);
  if (!rc) {
    if (o.json) {
      json_t *sum = json_pack("{s:I,s:I}", "imported", (json_int_t)r.imported, "batches",
                              (json_int_t)r.batches);
      kf_cli_print_json(sum);
      json_decref(sum);
    } else {
      printf("imported %lld case%s in %lld batch%s\n", r.imported, r.imported == 1 ? "" : "s",
             r.batches, r.batches == 1 ? "" : "es");
    }
  }
  kf_engine_close(e);
  if (!std) fclose(in);
  return rc;
}
