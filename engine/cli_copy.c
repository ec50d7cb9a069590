/* cli_copy.c: `kinflow db copy FROM TO [--json]`: a whole database moved between SQLite and
 * PostgreSQL (or to another file), verified. It parses arguments and prints what
 * store_copy.c did; it copies and checks nothing itself. Exit status 0 done, 1 refused (one
 * line on stderr), 2 usage. */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "store.h"

#define USAGE                                                                              \
  "usage: kinflow db copy FROM TO [--json]\n"                                             \
  "         copy every table of FROM into TO, then verify TO (counts, every case, the\n"  \
  "         audit chain); each a SQLite file or a postgresql:// URI. FROM is only read;\n" \
  "         TO must be new or empty (a missing file is created)\n"

static int usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: %s\n", why);
  fputs(USAGE, stderr);
  return 2;
}

int kf_cli_dbcopy(int argc, char **argv, int at) {
  const char *pos[3] = {0};
  int npos = 0, json = 0;
  for (int i = 1; i < argc; i++) {
    if (i == at) continue; /* "db" itself */
    const char *a = argv[i], *v = NULL;
    int r;
    if ((r = kf_cli_flag(argc, argv, &i, "--db", &v))) {
      if (r < 0) return usage("--db needs a value");
      /* the database of other commands: db copy names both of its own */
    } else if (!strcmp(a, "--json")) {
      json = 1;
    } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      return usage(NULL);
    } else if (!strncmp(a, "--", 2)) {
      char m[200];
      snprintf(m, sizeof m, "unknown option %.100s", a);
      return usage(m);
    } else {
      if (npos == 3) return usage("db copy takes FROM and TO only");
      pos[npos++] = a;
    }
  }
  if (npos == 0 || strcmp(pos[0], "copy"))
    return usage(npos ? "unknown db command (db copy FROM TO)" : "db needs a command: copy");
  if (npos < 3 || !*pos[1] || !*pos[2]) return usage("db copy needs FROM and TO");
  kf_err err = {0};
  json_t *sum = NULL;
  if (kf_store_copy(pos[1], pos[2], &sum, &err)) {
    fprintf(stderr, "kinflow: db copy: %s\n", err.msg);
    return 1;
  }
  if (json) {
    kf_cli_print_json(sum);
  } else {
    const char *name;
    json_t *n;
    json_object_foreach(json_object_get(sum, "tables"), name, n)
      printf("%-16s %lld\n", name, (long long)json_integer_value(n));
    printf("copied %lld cases, %lld events; audit chain intact, head %s\n",
           (long long)json_integer_value(json_object_get(sum, "cases")),
           (long long)json_integer_value(json_object_get(sum, "events")),
           json_string_value(json_object_get(sum, "head")));
  }
  json_decref(sum);
  return 0;
}
