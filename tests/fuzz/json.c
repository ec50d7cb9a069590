/* json.c: libFuzzer harness for JSON input as the CLI takes it (`--data JSON`): parsed as
 * cli.c's parse_data does (json_loads, duplicates refused, an object only), then merged into
 * a case's data with kf_case_set (null deletes a key), and every eighth input also opens a
 * case with it (`case new --data`). The case's keys are cleared when they pile up, so that
 * one input's result does not depend on too long a history; the whole database is renewed
 * every 20000 inputs that reach the engine. */
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *WORKFLOW =
    "return workflow {\n"
    "  name = 'fuzzdata', roles = { 'worker' }, initial = 'open',\n"
    "  states = { { 'open', review = '7d' }, { 'done', final = true } },\n"
    "  transitions = { { 'finish', from = 'open', to = 'done', by = { 'worker' },\n"
    "    when = { function(case) return case.data.ok == true, 'not ok' end } } },\n"
    "  on_enter = { done = function(case) case.data.finished = kf.today() end },\n"
    "}\n";

static void clear_keys(kf_engine *e, const char *id) {
  kf_err err = {0};
  json_t *c = kf_case_get(e, id, &err);
  json_t *d = json_object_get(c, "data");
  if (json_object_size(d) > 32) {
    json_t *patch = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(d, k, v) json_object_set_new(patch, k, json_null());
    json_decref(kf_case_set(e, id, patch, "fuzz", 0, &err));
    json_decref(patch);
  }
  json_decref(c);
}

static kf_engine *e;
static char id[32];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  e = fuzz_engine(WORKFLOW);
  fuzz_case(e, "fuzzdata", id);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  json_error_t jerr;
  json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
  free(text);
  if (!v) return 0;
  if (!json_is_object(v)) { /* parse_data refuses these before the engine sees them */
    json_decref(v);
    return 0;
  }
  kf_err err = {0};
  json_decref(kf_case_set(e, id, v, "fuzz", 0, &err));
  if ((size & 7) == 0) json_decref(kf_case_open(e, "fuzzdata", v, NULL, "fuzz", &err));
  json_decref(v);
  clear_keys(e, id);
  fuzz_recycle(&e, WORKFLOW, "fuzzdata", id, 20000);
  return 0;
}
