/* cli_args.c: what the files of the `kinflow` command share: reading "--flag VALUE" and
 * printing records as JSON. It calls nothing in the engine. */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kf_cli_flag(int argc, char **argv, int *i, const char *name, const char **val) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return 0;
  if (argv[*i][n] == '=') {
    *val = argv[*i] + n + 1;
    return 1;
  }
  if (argv[*i][n] != 0) return 0;
  if (*i + 1 >= argc) return -1;
  *val = argv[++*i];
  return 1;
}

void kf_cli_print_json(const json_t *v) {
  char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
  if (s) puts(s);
  free(s);
}

const char *kf_cli_actor(const char *given) {
  if (given && *given) return given;
  const char *a = getenv("KINFLOW_ACTOR");
  if (!a || !*a) a = getenv("USER");
  return a && *a ? a : "cli";
}
