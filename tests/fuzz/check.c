/* check.c: libFuzzer harness for the workflow loader and checker: the input is the source of
 * a workflow file (workflow, adapt, rule, form or scenarios), checked as `kinflow check FILE`
 * checks it: kf_check on [{path, source}] with no database. Text that is not UTF-8 is refused
 * before the checker (as kinflow check refuses it), so it is skipped here. The checker is
 * mostly Lua (engine/lua/), which libFuzzer's coverage cannot see: the seeds (the
 * programme library, forms, rules, scenarios) and check.dict carry the search. */
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static kf_engine *e;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  e = fuzz_engine(NULL);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  json_t *source = json_string(text);
  free(text);
  if (!source) return 0;
  /* a file of scenarios is named as one (the checker goes by the name) */
  const char *path = strstr(json_string_value(source), "scenarios") ? "workflows/fuzz.test.lua"
                                                                     : "workflows/fuzz.lua";
  json_t *paths = json_pack("[{s:s,s:o}]", "path", path, "source", source);
  kf_err err = {0};
  json_t *report = kf_check(e, paths, &err);
  json_decref(report);
  json_decref(paths);
  return 0;
}
