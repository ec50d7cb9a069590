/* main.c: the `kinflow` command's entry point; everything else is in cli.c. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>

#include "cli.h"

int main(int argc, char **argv) {
  /* A file-size limit (ulimit -f) or a closed pipe should fail a write with an error we
   * can report in one line, not kill the process halfway. */
  signal(SIGXFSZ, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  return kf_cli_main(argc, argv);
}
