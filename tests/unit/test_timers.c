/* Unit test: `timers run` ends even when a stored version has zero-delay timers (deployed
 * before the checker refused them): each timer of a case fires at most once per run, and
 * the one that falls due again at the same instant waits for the next run. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime.h"
#include "t.h"

static const char *PINGPONG =
    "return workflow {\n"
    "  name = 'pingpong', roles = { 'worker' }, initial = 'ping',\n"
    "  states = { { 'ping' }, { 'pong' }, { 'done', final = true } },\n"
    "  transitions = {\n"
    "    { 'to_pong', from = 'ping', to = 'pong', after = '0s' },\n"
    "    { 'to_ping', from = 'pong', to = 'ping', after = '0s' },\n"
    "    { 'stop', from = '*', to = 'done', by = { 'worker' } },\n"
    "  },\n"
    "}\n";

static void timeout(int sig) {
  (void)sig;
  static const char msg[] = "FAIL test_timers: timers run did not end\n0 passed, 1 failed\n";
  if (write(1, msg, sizeof msg - 1)) {}
  _exit(1);
}

static size_t fired(json_t *res) {
  size_t n = 0, i;
  json_t *t;
  json_array_foreach(json_object_get(res, "timers"), i, t)
    n += !strcmp(json_string_value(json_object_get(t, "result")), "fired");
  return n;
}

int main(void) {
  signal(SIGALRM, timeout);
  alarm(60);
  char db[64];
  t_tmp_path(db, sizeof db, "timers", "db");
  int64_t start;
  kf_parse_time("2026-01-05T09:00:00Z", &start);
  kf_clock_set(start); /* a fixed clock: every timer set during the run is due at once */
  kf_err err = {0};
  kf_engine *e = kf_engine_open(db, 0, &err);
  CHECK(e != NULL, "open: %s", err.msg);
  if (!e) T_DONE();
  /* The checker refuses this file now... */
  json_t *files = json_pack("[{s:s,s:s}]", "path", "pingpong.lua", "source", PINGPONG);
  json_t *report = NULL;
  CHECK(kf_deploy(e, files, "t", &report, &err) == KF_EINVAL, "the checker refuses zero delays");
  json_t *m = json_array_get(json_object_get(report, "messages"), 0);
  CHECK(CONTAINS(json_string_value(json_object_get(m, "msg")), "is zero"), "and says so");
  json_decref(report);
  json_decref(files);
  /* ...but a version stored before it did must still run, and `timers run` must end. */
  json_t *row = json_pack("{s:s,s:s,s:s,s:s,s:s,s:n,s:{},s:s,s:s,s:s}", "kind", "workflow", "name",
                          "pingpong", "title", "pingpong", "path", "pingpong.lua", "source", PINGPONG,
                          "base_id", "definition", "hash", "old", "deployed_at",
                          "2025-01-01T00:00:00Z", "deployed_by", "an older kinflow");
  CHECK(kf_tx_begin(e, &err) == 0 && kf_store_def_put(kf_engine_store(e), row, &err) == 0 &&
            kf_tx_commit(e, &err) == 0, "store an old version: %s", err.msg);
  json_decref(row);
  /* More cases than one page of due timers (100): the old loop went on for ever here. */
  json_t *c = NULL;
  for (int k = 0; k < 150; k++) {
    c = kf_case_open(e, "pingpong", NULL, NULL, "t", &err);
    json_decref(c);
  }
  CHECK(c != NULL, "open 150 cases: %s", err.msg);
  json_t *res = kf_timers_run(e, &err);
  CHECK(res != NULL, "timers run: %s", err.msg);
  CHECK(fired(res) == 300, "each case's two timers fired once in the run (%zu)", fired(res));
  json_decref(res);
  c = kf_case_get(e, "1", &err);
  CHECK(c && !strcmp(json_string_value(json_object_get(c, "state")), "ping"), "ping -> pong -> ping");
  json_decref(c);
  res = kf_timers_run(e, &err);
  CHECK(res && fired(res) == 300, "the next run goes on from there");
  json_decref(res);
  json_t *timers = kf_store_timers(kf_engine_store(e), 1, &err);
  size_t pending = 0, i;
  json_t *t;
  json_array_foreach(timers, i, t) pending += !strcmp(json_string_value(json_object_get(t, "status")), "pending");
  CHECK(pending == 1, "case 1's next timer waits for the next run (%zu)", pending);
  json_decref(timers);
  kf_engine_close(e);
  t_remove_db(db);
  T_DONE();
}
