/* scenario.h: `kinflow test`: runs the scenario files (*.test.lua) beside workflows, each
 * scenario on a fresh in-memory database through the real runtime. */
#ifndef KF_SCENARIO_H
#define KF_SCENARIO_H

#include "kf.h"

/* paths: test files or folders holding them. Prints one line per scenario. Returns 0
 * when the files could be run (whatever the results), else fills err. */
int kf_scenarios_run(const char **paths, int npaths, int json, int *passed, int *failed,
                     kf_err *err);

#endif
