/* scenario.h: `kinflow test`: runs the scenario files (*.test.lua) beside workflows, each
 * scenario on a fresh in-memory database (or a PostgreSQL database emptied before each)
 * through the real runtime. */
#ifndef KF_SCENARIO_H
#define KF_SCENARIO_H

#include <jansson.h>

#include "kf.h"

/* paths: test files or folders holding them. Prints one line per scenario, or, when
 * results (an array) is given, appends {file, line, scenario, ok, message} to it instead.
 * scratch: NULL (in memory), or a PostgreSQL URI each scenario empties and runs on
 * (kf_store_scratch). Returns 0 when the files could be run (whatever the results), else
 * fills err. */
int kf_scenarios_run(const char **paths, int npaths, json_t *results, int *passed, int *failed,
                     const char *scratch, kf_err *err);

#endif
