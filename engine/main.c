/* main.c: the `kinflow` command's entry point; everything else is in cli.c. */
#include "cli.h"

int main(int argc, char **argv) { return kf_cli_main(argc, argv); }
