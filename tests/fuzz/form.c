/* form.c: libFuzzer harness for form validation: the input is a request body (JSON) given as
 * a form entry's data to kf_form_submit against a fixed form with every field type, on a case
 * of an in-memory database (renewed every 20000 inputs that reach the engine). Parsed as the
 * console parses bodies (json_loadb, duplicates refused); whatever parses goes to the engine,
 * objects or not. */
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *WORKFLOW =
    "return workflow {\n"
    "  name = 'fuzzforms', roles = { 'worker' }, initial = 'open',\n"
    "  forms = { form { name = 'visit', title = 'Visit',\n"
    "    fields = { { 'visit_date', type = 'date', required = true },\n"
    "               { 'when', type = 'date' },\n"
    "               { 'count', type = 'number', min = 0, max = 100 },\n"
    "               { 'score', type = 'number' },\n"
    "               { 'safe', type = 'boolean', required = true },\n"
    "               { 'mood', type = 'choice', choices = { 'settled', 'unsettled', 'ünïcode ✓' } },\n"
    "               { 'present', type = 'list', of = 'text' },\n"
    "               { 'scores', type = 'list', of = 'number' },\n"
    "               { 'days', type = 'list', of = 'date' },\n"
    "               { 'notes', type = 'text' },\n"
    "               { 'address', type = 'text', sensitive = true } } } },\n"
    "  states = { { 'open', forms = { 'visit' } }, { 'done', final = true } },\n"
    "  transitions = { { 'finish', from = 'open', to = 'done', by = { 'worker' },\n"
    "                    requires = { 'visit' } } },\n"
    "}\n";

static kf_engine *e;
static char id[32];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  e = fuzz_engine(WORKFLOW);
  fuzz_case(e, "fuzzforms", id);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_error_t jerr;
  json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
  if (!body) return 0;
  kf_err err = {0};
  json_t *res = kf_form_submit(e, id, "visit", body, NULL, "fuzz", &err);
  json_decref(res);
  json_decref(body);
  fuzz_recycle(&e, WORKFLOW, "fuzzforms", id, 20000);
  return 0;
}
