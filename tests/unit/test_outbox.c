/* The outbox plugin (plugins/outbox, loaded from the repository's plugins/ as by any kinflow
 * process run from there) across engines opened one after another in one process. The
 * plugin's object stays mapped when an engine closes, so its next load finds the last
 * one's state: each engine's events must still go to its own database's outbox file, on
 * the plugin's thread, also after an engine that ran with the outbox off. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "t.h"

static const char *WORKFLOW =
    "return workflow {\n"
    "  name = 'relay', roles = { 'worker' }, initial = 'open',\n"
    "  states = { { 'open' }, { 'done', final = true } },\n"
    "  transitions = { { 'finish', from = 'open', to = 'done', by = { 'worker' } } },\n"
    "}\n";

/* The lines of a file, -1 when there is none. */
static int lines_of(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n;
}

/* How many lines of the file name this database's deployment (its definition file wf). */
static int lines_naming(const char *path, const char *wf) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[8192];
  int n = 0;
  while (fgets(line, sizeof line, f)) n += strstr(line, wf) != NULL;
  fclose(f);
  return n;
}

/* Whether the file reaches n lines within seconds (polled every 10 ms). */
static int delivered_within(const char *path, int n, double seconds) {
  for (double t = t_seconds(); t_seconds() - t < seconds; usleep(10 * 1000))
    if (lines_of(path) >= n) return 1;
  return lines_of(path) >= n;
}

/* One engine's life on a fresh database NAME: deploy (an event about no case, which always
 * goes), open a case and finish it (events about a case without consent: withheld), close
 * (the plugin's thread delivers what is left). Returns the events in the log, or -1. */
static int life(const char *name, char *db, char *wf, size_t n) {
  kf_err err = {0};
  kf_engine *e = t_engine_deployed(name, WORKFLOW, db, wf, n, &err);
  if (!e) return -1;
  json_t *c = kf_case_open(e, "relay", NULL, NULL, "t", &err);
  CHECK(c != NULL, "%s: open a case: %s", name, err.msg);
  json_decref(c);
  c = kf_case_fire(e, "1", "finish", "worker", "t", NULL, 0, &err);
  CHECK(c != NULL, "%s: fire: %s", name, err.msg);
  json_decref(c);
  json_t *all = kf_store_events(kf_engine_store(e), NULL, &err);
  int events = all ? (int)json_array_size(all) : -1;
  json_decref(all);
  kf_engine_close(e);
  return events;
}

int main(void) {
  char db_a[64], wf_a[64], db_b[64], wf_b[64], db_c[64], wf_c[64], out[96];
  unsetenv("KINFLOW_OUTBOX");

  /* A: the first load delivers to A's file: the deployment (no case) goes, the case's
   * events are withheld (no consent). */
  int ev_a = life("obx-a", db_a, wf_a, sizeof db_a);
  snprintf(out, sizeof out, "%s.outbox.jsonl", db_a);
  CHECK(ev_a == 3, "A's log: deployed, opened, finished (%d events)", ev_a);
  CHECK(lines_of(out) == 1 && lines_naming(out, wf_a) == 1,
        "A's outbox holds A's deployment only (%d lines)", lines_of(out));
  int a_lines = lines_of(out);

  /* B, after A closed: its events go to B's own file, not to A's. */
  int ev_b = life("obx-b", db_b, wf_b, sizeof db_b);
  char out_b[96];
  snprintf(out_b, sizeof out_b, "%s.outbox.jsonl", db_b);
  CHECK(ev_b == 3, "B's log: 3 events (%d)", ev_b);
  CHECK(lines_of(out_b) == 1 && lines_naming(out_b, wf_b) == 1,
        "a second engine in the process delivers to its own database's outbox (%d lines)",
        lines_of(out_b));
  CHECK(lines_of(out) == a_lines && lines_naming(out, wf_b) == 0,
        "nothing of B's went to A's outbox (%d lines)", lines_of(out));

  /* C with the outbox off, then B again with it on: delivered as before. */
  setenv("KINFLOW_OUTBOX", "off", 1);
  int ev_c = life("obx-c", db_c, wf_c, sizeof db_c);
  char out_c[96];
  snprintf(out_c, sizeof out_c, "%s.outbox.jsonl", db_c);
  CHECK(ev_c == 3 && lines_of(out_c) == -1, "with the outbox off nothing is written (%d)",
        lines_of(out_c));
  unsetenv("KINFLOW_OUTBOX");
  kf_err err = {0};
  kf_engine *e = kf_engine_open(db_b, KF_STORE_NOCREATE, &err);
  CHECK(e != NULL, "reopen B: %s", err.msg);
  if (e) {
    json_t *c = kf_case_open(e, "relay", NULL, NULL, "t", &err);
    CHECK(c != NULL, "B: another case: %s", err.msg);
    json_decref(c);
    /* an event about no case goes: a redeployment of the same file is refused, so a new
     * version of it */
    t_write_file(wf_b, "return workflow {\n  name = 'relay', title = 'Relay, again',"
                       " roles = { 'worker' }, initial = 'open',\n"
                       "  states = { { 'open' }, { 'done', final = true } },\n"
                       "  transitions = { { 'finish', from = 'open', to = 'done', by = { 'worker' } } },\n"
                       "}\n");
    json_t *paths = json_pack("[{s:s}]", "path", wf_b), *report = NULL;
    CHECK(kf_deploy(e, paths, "t", &report, &err) == 0, "B: deploy again: %s", err.msg);
    json_decref(report);
    /* delivered while the engine runs (its thread woken by the commit), not at its close */
    CHECK(delivered_within(out_b, 2, 5.0), "B: the new version's event is in the outbox while "
          "the engine runs (%d lines)", lines_of(out_b));
    /* once the thread has nothing left, the next commit wakes it again */
    usleep(100 * 1000);
    t_write_file(wf_b, "return workflow {\n  name = 'relay', title = 'Relay, a third time',"
                       " roles = { 'worker' }, initial = 'open',\n"
                       "  states = { { 'open' }, { 'done', final = true } },\n"
                       "  transitions = { { 'finish', from = 'open', to = 'done', by = { 'worker' } } },\n"
                       "}\n");
    CHECK(kf_deploy(e, paths, "t", &report, &err) == 0, "B: deploy a third time: %s", err.msg);
    json_decref(report);
    json_decref(paths);
    CHECK(delivered_within(out_b, 3, 5.0), "B: so is the next one, after the thread waited "
          "for work (%d lines)", lines_of(out_b));
    kf_engine_close(e);
  }
  CHECK(lines_of(out_b) == 3 && lines_naming(out_b, wf_b) == 3,
        "after an engine with the outbox off, the next one delivers again (%d lines)",
        lines_of(out_b));

  t_remove_db(db_a);
  t_remove_db(db_b);
  t_remove_db(db_c);
  unlink(wf_a);
  unlink(wf_b);
  unlink(wf_c);
  T_DONE();
}
