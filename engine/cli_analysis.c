/* cli_analysis.c: `kinflow report` and `kinflow script` (being written). */
#include <stdio.h>

#include "cli.h"

int kf_cli_analysis(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "kinflow: reports and scripts are not built yet\n");
  return 2;
}
