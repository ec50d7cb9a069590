/* Unit tests for the runtime: concurrent fires on one case (one engine per thread: one
 * connection and one Lua state each), atomic refusal on Lua errors, timers fire once, groups
 * (nested savepoints: an undone call leaves no trace; hooks hear only after the commit). */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "t.h"

static char db[64], wf[64];

static const char *WORKFLOW =
    "return workflow {\n"
    "  name = 'race', roles = { 'worker' }, initial = 'open',\n"
    "  states = { { 'open', review = '7d' }, { 'taken' }, { 'broken' }, { 'done', final = true } },\n"
    "  transitions = {\n"
    "    { 'take', from = 'open', to = 'taken', by = { 'worker' } },\n"
    "    { 'break', from = 'open', to = 'broken', by = { 'worker' } },\n"
    "    { 'lapse', from = 'open', to = 'done', after = '30d' },\n"
    "    { 'finish', from = { 'taken', 'broken' }, to = 'done', by = { 'worker' },\n"
    "      when = { function(c) return c.data.ok == true, 'the work is not finished yet' end } },\n"
    "    { 'mark', from = 'taken', stay = true, by = { 'worker' },\n"
    "      action = function(c) c.data.zeta = 1; c.data.alpha = { y = 2, x = { 'l', 'm' } } end },\n"
    "    { 'stash', from = 'taken', stay = true, by = { 'worker' },\n"
    "      action = function(c) c.data.list = { 1, { f = function() end } } end },\n"
    "  },\n"
    "  on_enter = { broken = function(c) c.data.touched = true; error('boom in on_enter') end },\n"
    "}\n";

/* Opening: an on_enter action that sees the case's number, schedules and emits; a
 * sensitive key; a review timer. */
static const char *OPENING =
    "return workflow {\n"
    "  name = 'intake', roles = { 'worker' }, initial = 'new',\n"
    "  sensitive = { data = { 'dob' } },\n"
    "  states = { { 'new', review = '7d' }, { 'done', final = true } },\n"
    "  transitions = { { 'finish', from = 'new', to = 'done', by = { 'worker' } } },\n"
    "  on_enter = { new = function(c)\n"
    "    c.data.number = c.id; c.data.seen = true\n"
    "    c:schedule('call', '2d'); c:emit('intake.noted', { id = c.id })\n"
    "  end },\n"
    "}\n";

static int t_streq(json_t *v, const char *want) {
  return json_is_string(v) && !strcmp(json_string_value(v), want);
}

/* Opening that runs no Lua: no on_enter action and no timers in the initial state. */
static const char *CALM =
    "return workflow {\n"
    "  name = 'calm', roles = { 'worker' }, initial = 'a',\n"
    "  states = { { 'a' }, { 'b', review = '3d' }, { 'z', final = true } },\n"
    "  transitions = { { 'go', from = 'a', to = 'b', by = { 'worker' } },\n"
    "                  { 'end', from = 'b', to = 'z', by = { 'worker' } } },\n"
    "}\n";

/* kf_case_open's answer is the case as a read gives it, byte for byte (key order too). */
static void same_as_read(kf_engine *e, json_t *opened, const char *what) {
  kf_err err = {0};
  char id[32];
  snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(opened, "id")));
  json_t *read = kf_case_get(e, id, &err);
  char *got = opened ? json_dumps(opened, JSON_ENCODE_ANY) : NULL;
  char *want = read ? json_dumps(read, JSON_ENCODE_ANY) : NULL;
  CHECK(got && want && !strcmp(got, want), "%s: opened %s\n  read %s", what, got, want);
  free(got);
  free(want);
  json_decref(read);
}

#define THREADS 8
static int wins, conflicts, other;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *racer(void *arg) {
  (void)arg;
  kf_err err = {0};
  kf_engine *e = kf_engine_open(db, KF_STORE_NOCREATE, &err);
  json_t *res = e ? kf_case_fire(e, "1", "take", "worker", "t", NULL, 0, &err) : NULL;
  pthread_mutex_lock(&mu);
  if (res) wins++;
  else if (CONTAINS(err.msg, "case is in 'taken'")) conflicts++;
  else {
    other++;
    printf("unexpected: %s\n", err.msg);
  }
  pthread_mutex_unlock(&mu);
  json_decref(res);
  kf_engine_close(e);
  return NULL;
}

static const char *state_of(kf_engine *e, const char *id) {
  static char buf[32];
  kf_err err = {0};
  json_t *c = kf_case_get(e, id, &err);
  snprintf(buf, sizeof buf, "%s", c ? json_string_value(json_object_get(c, "state")) : "?");
  json_decref(c);
  return buf;
}

/* How many lines of the abi-test plugin's hook log start with prefix. */
static int hook_lines(const char *log, const char *prefix) {
  FILE *f = fopen(log, "r");
  int n = 0;
  char line[256];
  while (f && fgets(line, sizeof line, f)) n += !strncmp(line, prefix, strlen(prefix));
  if (f) fclose(f);
  return n;
}

/* Groups: cases g1, g2, g3 are open. The engine g has the abi-test plugin, whose hook writes a
 * line a case event into its log. */
static void groups(kf_engine *e) {
  kf_err err = {0};
  char dir[96], link[160], log[96], target[4096];
  snprintf(dir, sizeof dir, "/tmp/kf-grp-%d", (int)getpid());
  snprintf(link, sizeof link, "%s/abi-test", dir);
  snprintf(log, sizeof log, "/tmp/kf-grp-%d.log", (int)getpid());
  unlink(log);
  mkdir(dir, 0700);
  CHECK(realpath("tests/plugins/abi-test", target) && symlink(target, link) == 0,
        "the abi-test plugin in a folder of its own");
  setenv("KINFLOW_PLUGIN_PATH", dir, 1);
  setenv("ABI_TEST_LOG", log, 1);
  kf_engine *g = kf_engine_open(db, KF_STORE_NOCREATE, &err);
  unsetenv("KINFLOW_PLUGIN_PATH");
  CHECK(g != NULL, "an engine with the abi-test plugin: %s", err.msg);
  if (!g) return;
  json_t *all = kf_store_events(kf_engine_store(e), NULL, &err);
  int64_t head = json_integer_value(json_object_get(json_array_get(all, json_array_size(all) - 1), "seq"));
  json_decref(all);

  CHECK(kf_group_begin(g, &err) == 0, "a group begins: %s", err.msg);
  /* call 1: kept */
  json_t *r = NULL;
  CHECK(kf_group_call_begin(g, &err) == 0 && (r = kf_case_fire(g, "g1", "take", "worker", "t", NULL, 0, &err)) &&
            kf_group_call_end(g, 1, &err) == 0, "call 1 fires case g1: %s", err.msg);
  json_decref(r);
  /* call 2: a fire and a change, then the call is undone */
  json_t *patch = json_pack("{s:s}", "note", "undone");
  CHECK(kf_group_call_begin(g, &err) == 0 && (r = kf_case_fire(g, "g2", "take", "worker", "t", NULL, 0, &err)),
        "call 2 fires case g2: %s", err.msg);
  json_decref(r);
  r = kf_case_set(g, "g2", patch, "t", 0, &err);
  json_decref(patch);
  CHECK(r != NULL, "call 2 changes case g2's data: %s", err.msg);
  json_decref(r);
  CHECK(kf_group_call_end(g, 0, &err) == 0, "call 2 is undone: %s", err.msg);
  /* call 3: a fire kept, then a refusal whose own rollback leaves the call's work alone */
  CHECK(kf_group_call_begin(g, &err) == 0 && (r = kf_case_fire(g, "g3", "take", "worker", "t", NULL, 0, &err)),
        "call 3 fires case g3: %s", err.msg);
  json_decref(r);
  r = kf_case_fire(g, "g1", "finish", "worker", "t", NULL, 0, &err);
  CHECK(!r && err.code == KF_EREFUSED, "call 3's second fire is refused: %s", err.msg);
  CHECK(kf_group_call_end(g, 1, &err) == 0, "call 3 is kept: %s", err.msg);

  CHECK(hook_lines(log, "hook case.transition") == 0, "no hook has heard of the group before its commit");
  CHECK(!strcmp(state_of(e, "g1"), "open"), "another connection sees nothing before the commit");
  CHECK(kf_group_commit(g, &err) == 0, "the group commits: %s", err.msg);
  CHECK(hook_lines(log, "hook case.transition") == 2, "after the commit the hook hears the two kept "
        "transitions, once each (%d)", hook_lines(log, "hook case.transition"));
  char want[64];
  snprintf(want, sizeof want, "hook case.transition %lld", (long long)head + 1);
  CHECK(hook_lines(log, want) == 1, "the undone call left no gap in the log: %s", want);
  CHECK(!strcmp(state_of(e, "g1"), "taken") && !strcmp(state_of(e, "g3"), "taken"),
        "cases g1 and g3 moved");
  json_t *c7 = kf_case_get(e, "g2", &err);
  CHECK(c7 && !strcmp(json_string_value(json_object_get(c7, "state")), "open") &&
            !json_object_get(json_object_get(c7, "data"), "note"),
        "case g2 is as before the group: neither the fire nor the change stayed");
  json_t *f7 = json_pack("{s:O}", "case", json_object_get(c7, "id")), *h7 = kf_store_events(kf_engine_store(e), f7, &err);
  CHECK(json_array_size(h7) == 1, "case g2 has only its opening event (%zu)", json_array_size(h7));
  json_decref(h7);
  json_decref(f7);
  json_decref(c7);

  /* A group undone: nothing written, nothing heard. */
  CHECK(kf_group_begin(g, &err) == 0 && (r = kf_case_fire(g, "g2", "take", "worker", "t", NULL, 0, &err)),
        "a second group fires case g2: %s", err.msg);
  json_decref(r);
  kf_group_abort(g);
  CHECK(!strcmp(state_of(e, "g2"), "open") && hook_lines(log, "hook case.transition") == 2,
        "an aborted group leaves case g2 open, and no hook heard of it");
  /* Outside a group, a fire commits and is heard at once, as before. */
  r = kf_case_fire(g, "g2", "take", "worker", "t", NULL, 0, &err);
  CHECK(r && hook_lines(log, "hook case.transition") == 3, "a fire alone is heard after its own commit");
  json_decref(r);
  kf_engine_close(g);
  unlink(link);
  rmdir(dir);
  unlink(log);
}

/* Programme 'vers' at a version of its own, titled title, deployed by engine e. */
static void deploy_vers(kf_engine *e, const char *title, const char *who) {
  char path[64], text[512];
  kf_err err = {0};
  t_tmp_path(path, sizeof path, "rt-vers", "lua");
  snprintf(text, sizeof text,
           "return workflow {\n"
           "  name = 'vers', title = '%s', roles = { 'worker' }, initial = 'a',\n"
           "  states = { { 'a' }, { 'b' }, { 'z', final = true } },\n"
           "  transitions = { { 'go', from = 'a', to = 'b', by = { 'worker' } },\n"
           "                  { 'end', from = 'b', to = 'z', by = { 'worker' } } },\n"
           "}\n", title);
  t_write_file(path, text);
  json_t *paths = json_pack("[{s:s}]", "path", path), *report = NULL;
  CHECK(kf_deploy(e, paths, "t", &report, &err) == 0, "%s deploys 'vers' (%s): %s", who, title, err.msg);
  json_decref(report);
  json_decref(paths);
  unlink(path);
}

/* The version a case of 'vers' opened by e now gets (-1: none opened), and that case's id. */
static int64_t opened_version(kf_engine *e, char id[24]) {
  kf_err err = {0};
  json_t *c = kf_case_open(e, "vers", NULL, NULL, "t", &err);
  int64_t v = c ? json_integer_value(json_object_get(c, "version")) : -1;
  if (c) snprintf(id, 24, "%lld", (long long)json_integer_value(json_object_get(c, "id")));
  json_decref(c);
  return v;
}

/* Opening takes the programme's latest version, whoever deployed it and whatever this
 * connection did meanwhile: the engine keeps the latest version's id only while nothing can
 * have changed it (store.c, latest_kept). */
static void latest_followed(kf_engine *e) {
  kf_err err = {0};
  char id[24] = "none";
  kf_engine *g = kf_engine_open(db, KF_STORE_NOCREATE, &err);
  CHECK(g != NULL, "a second engine on the same file: %s", err.msg);
  if (!g) return;
  deploy_vers(e, "one", "this engine");
  CHECK(opened_version(e, id) == 1 && opened_version(e, id) == 1, "cases open at version 1");
  deploy_vers(g, "two", "another engine");
  CHECK(opened_version(e, id) == 2, "the version another connection deployed is taken at once");
  deploy_vers(g, "three", "another engine");
  json_t *r = kf_case_fire(e, id, "go", "worker", "t", NULL, 0, &err);
  CHECK(r != NULL, "this engine moves a case meanwhile (its commit after the other's): %s", err.msg);
  json_decref(r);
  CHECK(opened_version(e, id) == 3, "... and still opens at the version deployed before that move");
  deploy_vers(e, "four", "this engine");
  CHECK(opened_version(e, id) == 4, "this engine's own deploy is taken at once");
  CHECK(kf_group_begin(e, &err) == 0 && kf_group_call_begin(e, &err) == 0, "a group: %s", err.msg);
  deploy_vers(e, "five", "a call of the group");
  CHECK(opened_version(e, id) == 5, "inside the call, its deploy is the latest");
  CHECK(kf_group_call_end(e, 0, &err) == 0, "the call is undone: %s", err.msg);
  CHECK(kf_group_call_begin(e, &err) == 0 && opened_version(e, id) == 4 &&
            kf_group_call_end(e, 1, &err) == 0 && kf_group_commit(e, &err) == 0,
        "after it, in the same group, cases open at version 4 again: %s", err.msg);
  CHECK(opened_version(e, id) == 4, "and after the group");

  /* Case numbers: the next after the highest, whoever opened it (store.c keeps the
   * highest only while no other connection has committed). */
  char a[24], b[24], c3[24];
  opened_version(e, a);
  opened_version(g, b);
  opened_version(e, c3);
  CHECK(atoll(b) == atoll(a) + 1 && atoll(c3) == atoll(a) + 2,
        "numbers follow on between two engines: %s, %s, %s", a, b, c3);
  opened_version(g, b);
  json_t *r2 = kf_case_fire(e, a, "go", "worker", "t", NULL, 0, &err);
  json_decref(r2);
  CHECK(opened_version(e, c3) == 4 && atoll(c3) == atoll(b) + 1,
        "after the other's case and a move of this one's, the next number (%s after %s)", c3, b);
  CHECK(kf_group_begin(e, &err) == 0 && kf_group_call_begin(e, &err) == 0 &&
            opened_version(e, a) == 4 && kf_group_call_end(e, 0, &err) == 0,
        "a call opens case %s, then is undone: %s", a, err.msg);
  CHECK(kf_group_call_begin(e, &err) == 0 && opened_version(e, b) == 4 &&
            kf_group_call_end(e, 1, &err) == 0 && kf_group_commit(e, &err) == 0 && !strcmp(a, b),
        "the next call's case takes the number the undone one left (%s, %s): %s", a, b, err.msg);
  kf_engine_close(g);
}

int main(void) {
  kf_clock_set(1767603600); /* 2026-01-05T09:00:00Z */
  kf_err err = {0};
  kf_engine *e = t_engine_deployed("rt", WORKFLOW, db, wf, sizeof db, &err);
  if (!e) T_DONE();
  json_t *c = kf_case_open(e, "race", NULL, NULL, "t", &err);
  CHECK(c != NULL, "open a case: %s", err.msg);
  json_decref(c);
  c = kf_case_open(e, "race", NULL, NULL, "t", &err); /* case 2: for the Lua error */
  json_decref(c);

  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, racer, NULL);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  CHECK(wins == 1, "exactly one fire wins (%d)", wins);
  CHECK(conflicts == THREADS - 1 && other == 0, "the others are told the case moved on (%d, %d)",
        conflicts, other);

  /* A Lua error in on_enter: nothing changes. */
  json_t *before = kf_case_get(e, "2", &err);
  json_t *filter = json_pack("{s:i}", "case", 2);
  json_t *hist = kf_store_events(kf_engine_store(e), filter, &err);
  size_t nev = json_array_size(hist);
  json_decref(hist);
  json_t *res = kf_case_fire(e, "2", "break", "worker", "t", NULL, 0, &err);
  CHECK(!res && err.code == KF_ELUA && CONTAINS(err.msg, "boom in on_enter") &&
            CONTAINS(err.msg, "kf-rt-"), "Lua error named with file and line: %s", err.msg);
  json_t *after = kf_case_get(e, "2", &err);
  CHECK(json_equal(before, after), "case unchanged after a failed action");
  hist = kf_store_events(kf_engine_store(e), filter, &err);
  json_decref(filter);
  CHECK(json_array_size(hist) == nev, "no event recorded");
  json_decref(hist);
  json_decref(before);
  json_decref(after);

  /* A guard's own reason is the refusal. */
  res = kf_case_fire(e, "1", "finish", "worker", "t", NULL, 0, &err);
  CHECK(!res && err.code == KF_EREFUSED && CONTAINS(err.msg, "the work is not finished yet"),
        "guard reason quoted: %s", err.msg);

  /* Timers: case 2 is still open: its review and lapse fire once, in order. */
  kf_clock_set(1768294800); /* 2026-01-13T09:00:00Z */
  res = kf_timers_run(e, &err);
  CHECK(res && json_array_size(json_object_get(res, "timers")) == 1, "the review fires at 8 days");
  json_decref(res);
  c = kf_case_get(e, "2", &err);
  CHECK(json_is_string(json_object_get(c, "overdue_since")), "case 2 is overdue");
  json_decref(c);
  kf_clock_set(1772355600); /* 2026-03-01T09:00:00Z */
  res = kf_timers_run(e, &err);
  CHECK(res && json_array_size(json_object_get(res, "timers")) == 1, "the lapse fires once");
  json_decref(res);
  res = kf_timers_run(e, &err);
  CHECK(res && json_array_size(json_object_get(res, "timers")) == 0, "nothing fires twice");
  json_decref(res);
  c = kf_case_get(e, "2", &err);
  CHECK(c && !strcmp(json_string_value(json_object_get(c, "state")), "done"), "case 2 lapsed");
  json_decref(c);
  c = kf_case_get(e, "1", &err);
  CHECK(c && !strcmp(json_string_value(json_object_get(c, "state")), "taken"), "case 1 untouched");
  json_decref(c);
  /* Group commit: three requests, one refused; the others commit together. */
  json_t *c3 = kf_case_open(e, "race", NULL, NULL, "t", &err), *c4 = kf_case_open(e, "race", NULL, NULL, "t", &err);
  json_decref(c3);
  json_decref(c4);
  json_t *reqs = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s}]", "id", "3", "transition",
                           "take", "as", "worker", "id", "1", "transition", "finish", "as", "worker",
                           "id", "4", "transition", "take", "as", "worker");
  res = kf_case_fire_many(e, reqs, &err);
  json_decref(reqs);
  CHECK(res && json_is_true(json_object_get(json_array_get(res, 0), "ok")) &&
            !json_is_true(json_object_get(json_array_get(res, 1), "ok")) &&
            json_is_true(json_object_get(json_array_get(res, 2), "ok")),
        "group commit: each request answered on its own: %s", err.msg);
  CHECK(CONTAINS(json_string_value(json_object_get(json_array_get(res, 1), "error")),
                 "the work is not finished yet"), "the refusal keeps its reason");
  json_decref(res);
  c = kf_case_get(e, "4", &err);
  CHECK(c && !strcmp(json_string_value(json_object_get(c, "state")), "taken"), "request 3 committed");
  json_decref(c);
  c = kf_case_get(e, "1", &err);
  CHECK(c && !strcmp(json_string_value(json_object_get(c, "state")), "taken"), "the refused one changed nothing");
  json_decref(c);

  static const char *const grefs[] = {"g1", "g2", "g3"};
  for (int k = 0; k < 3; k++) json_decref(kf_case_open(e, "race", NULL, grefs[k], "t", &err));
  groups(e);

  /* What fire hands back is the case as a read gives it: the same fields, the same values. */
  json_t *c5 = kf_case_open(e, "race", NULL, "five", "t", &err);
  json_decref(c5);
  res = kf_case_fire(e, "five", "take", "worker", "t", NULL, 0, &err);
  c = kf_case_get(e, "five", &err);
  CHECK(res && c && json_equal(res, c), "the fired case is the stored one");
  char *got = res ? json_dumps(res, JSON_SORT_KEYS) : NULL, *want = c ? json_dumps(c, JSON_SORT_KEYS) : NULL;
  CHECK(got && want && !strcmp(got, want), "fired %s\n  read %s", got, want);
  CHECK(json_object_size(res) == 18 && json_object_get(res, "workflow_title") &&
            json_is_integer(json_object_get(res, "version")) && json_is_false(json_object_get(res, "final")),
        "the fired case has its 18 fields, its programme's too (%zu)", json_object_size(res));
  free(got);
  free(want);
  json_decref(res);
  json_decref(c);

  /* What open hands back is the case as a read gives it, its row written once. */
  char wf2[64], wf3[64];
  t_tmp_path(wf2, sizeof wf2, "rt-intake", "lua");
  t_write_file(wf2, OPENING);
  t_tmp_path(wf3, sizeof wf3, "rt-calm", "lua");
  t_write_file(wf3, CALM);
  json_t *paths = json_pack("[{s:s},{s:s}]", "path", wf2, "path", wf3), *report = NULL;
  CHECK(kf_deploy(e, paths, "t", &report, &err) == 0, "deploy intake: %s", err.msg);
  json_decref(report);
  json_decref(paths);
  c = kf_case_open(e, "race", NULL, NULL, "t", &err);
  CHECK(c && json_integer_value(json_object_get(c, "revision")) == 2 &&
            json_is_null(json_object_get(c, "ref")) && json_object_size(c) == 18 &&
            json_is_object(json_object_get(c, "data")) && !json_object_size(json_object_get(c, "data")),
        "a plain case: revision 2 (opening is its first change), no ref, data {}, 18 fields");
  same_as_read(e, c, "no data, no on_enter");
  json_t *tl = kf_store_timers(kf_engine_store(e), json_integer_value(json_object_get(c, "id")), &err);
  char *tt = tl ? json_dumps(tl, JSON_COMPACT) : NULL;
  CHECK(json_array_size(tl) == 2 && t_streq(json_object_get(json_array_get(tl, 0), "name"), "lapse") &&
            t_streq(json_object_get(json_array_get(tl, 0), "kind"), "after") &&
            t_streq(json_object_get(json_array_get(tl, 0), "due_at"), "2026-03-31T09:00:00Z") &&
            t_streq(json_object_get(json_array_get(tl, 1), "name"), "review") &&
            t_streq(json_object_get(json_array_get(tl, 1), "kind"), "review") &&
            t_streq(json_object_get(json_array_get(tl, 1), "state"), "open") &&
            t_streq(json_object_get(json_array_get(tl, 1), "due_at"), "2026-03-08T09:00:00Z"),
        "opened without Lua, its timers as open sets them: the lapse then the review: %s", tt);
  free(tt);
  json_decref(tl);
  json_decref(c);
  json_t *data = json_pack("{s:s,s:n,s:{s:n,s:i},s:[i,i],s:f}", "dob", "2019-03-02", "gone", "nested",
                           "x", "y", 1, "list", 1, 2, "real", 2.0);
  json_object_set_new(data, "nul", json_stringn("a\0b", 3));
  c = kf_case_open(e, "race", data, "R-null", "t", &err);
  CHECK(c != NULL, "open with nulls: %s", err.msg);
  same_as_read(e, c, "data with nulls and a NUL, no on_enter");
  CHECK(c && !json_object_get(json_object_get(c, "data"), "gone"), "nulls are left out as before");
  json_decref(c);
  c = kf_case_open(e, "calm", data, "R-calm-null", "t", &err);
  same_as_read(e, c, "no Lua to run, but nulls");
  CHECK(c && !json_object_get(json_object_get(c, "data"), "gone") &&
            !json_object_get(json_object_get(json_object_get(c, "data"), "nested"), "x"),
        "nulls are left out without an on_enter too, nested ones as well");
  json_decref(c);
  json_t *plain = json_pack("{s:s,s:[i,{s:b}]}", "family", "F1", "kids", 1, "ok", 1);
  c = kf_case_open(e, "calm", plain, "R-calm", "t", &err);
  CHECK(c && t_streq(json_object_get(c, "state"), "a") && json_equal(json_object_get(c, "data"), plain),
        "a case opened without Lua: its initial state and data as given: %s", err.msg);
  same_as_read(e, c, "no on_enter, no timers: no Lua");
  json_decref(c);
  json_decref(plain);
  res = kf_case_fire(e, "R-calm", "go", "worker", "t", NULL, 0, &err);
  CHECK(res && t_streq(json_object_get(res, "state"), "b"), "and it moves on: %s", err.msg);
  json_decref(res);
  json_object_del(data, "nul"); /* (a read gives such data back as its text) */
  c = kf_case_open(e, "intake", data, "R-intake", "t", &err);
  CHECK(c != NULL, "open intake: %s", err.msg);
  same_as_read(e, c, "on_enter, a ref, a sensitive key");
  json_t *cd = json_object_get(c, "data");
  CHECK(json_integer_value(json_object_get(cd, "number")) == json_integer_value(json_object_get(c, "id")) &&
            json_is_true(json_object_get(cd, "seen")),
        "on_enter saw the case's number before its row was written");
  json_t *f = json_pack("{s:I}", "case", json_integer_value(json_object_get(c, "id")));
  hist = kf_store_events(kf_engine_store(e), f, &err);
  json_t *ev0 = json_array_get(hist, 0), *ev1 = json_array_get(hist, 1);
  json_t *evd = json_object_get(ev0, "data");
  CHECK(json_array_size(hist) == 2 && t_streq(json_object_get(ev0, "kind"), "case.opened") &&
            t_streq(json_object_get(ev0, "to"), "new") &&
            t_streq(json_object_get(json_object_get(evd, "data"), "dob"), "(private)") &&
            t_streq(json_object_get(evd, "ref"), "R-intake") &&
            t_streq(json_object_get(ev1, "kind"), "intake.noted"),
        "its events: case.opened (dob private, the ref) then what on_enter emitted");
  json_decref(hist);
  json_decref(f);
  json_t *timers = kf_store_timers(kf_engine_store(e), json_integer_value(json_object_get(c, "id")), &err);
  CHECK(json_array_size(timers) == 2, "its timers: the review and the one on_enter scheduled (%zu)",
        json_array_size(timers));
  json_decref(timers);
  json_decref(c);
  c = kf_case_open(e, "intake", data, "R-intake", "t", &err);
  CHECK(!c && err.code == KF_EINVAL && CONTAINS(err.msg, "R-intake"), "a taken ref refused: %s", err.msg);
  json_decref(data);
  /* a batch: each case as a single open writes it, the head in the last one's row */
  json_t *batch = json_pack("[{s:s,s:{s:i}},{s:s},{s:s,s:s}]", "workflow", "intake", "data", "n", 1,
                            "workflow", "race", "workflow", "intake", "ref", "R-b3");
  size_t failed = 9;
  CHECK(kf_case_open_batch(e, batch, "t", &failed, &err) == 0 && failed == 0, "a batch: %s", err.msg);
  json_decref(batch);
  c = kf_case_get(e, "R-b3", &err);
  CHECK(c && json_integer_value(json_object_get(json_object_get(c, "data"), "number")) ==
                 json_integer_value(json_object_get(c, "id")) &&
            json_integer_value(json_object_get(c, "revision")) == 2,
        "a batch's case: on_enter saw its number; revision 2");
  json_decref(c);
  json_t *sum = NULL;
  CHECK(kf_store_audit_verify(kf_engine_store(e), &sum, &err) == 0, "audit holds after opens: %s", err.msg);
  json_decref(sum);
  unlink(wf2);
  unlink(wf3);

  /* Moves: each lists its refusals, an empty list when it is available. */
  json_t *moves = kf_case_moves(e, "five", "worker", &err);
  json_t *finish = NULL, *stash = NULL, *m;
  size_t mi;
  json_array_foreach(moves, mi, m) {
    const char *name = json_string_value(json_object_get(m, "name"));
    if (name && !strcmp(name, "finish")) finish = m;
    if (name && !strcmp(name, "stash")) stash = m;
  }
  CHECK(finish && json_is_array(json_object_get(finish, "refusals")) &&
            json_array_size(json_object_get(finish, "refusals")) == 1 &&
            !json_is_true(json_object_get(finish, "available")),
        "a blocked move lists its refusal");
  CHECK(stash && json_is_array(json_object_get(stash, "refusals")) &&
            json_array_size(json_object_get(stash, "refusals")) == 0 &&
            json_is_array(json_object_get(stash, "reasons")) && json_is_true(json_object_get(stash, "available")),
        "an available move has empty lists of refusals and reasons");
  json_decref(moves);

  /* The case's data is stored with its keys sorted, and the move's event holds that very
   * text as {"data": ...} (the event's text is not written twice). */
  res = kf_case_fire(e, "five", "mark", "worker", "t", NULL, 0, &err);
  CHECK(res != NULL, "mark: %s", err.msg);
  same_as_read(e, res, "a move that changes the data: the case handed back, byte for byte");
  json_decref(res);
  {
    sqlite3 *raw = NULL;
    sqlite3_stmt *q = NULL;
    char evtext[512] = "", casetext[512] = "";
    sqlite3_open(db, &raw);
    if (sqlite3_prepare_v2(raw, "SELECT e.data, c.data FROM events e JOIN cases c ON c.id = e.case_id"
                           " WHERE e.kind = 'case.transition' ORDER BY e.seq DESC LIMIT 1",
                           -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
      snprintf(evtext, sizeof evtext, "%s", (const char *)sqlite3_column_text(q, 0));
      snprintf(casetext, sizeof casetext, "%s", (const char *)sqlite3_column_text(q, 1));
    }
    sqlite3_finalize(q);
    sqlite3_close(raw);
    json_t *v = json_loads(casetext, 0, NULL);
    char *sorted = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    CHECK(sorted && !strcmp(sorted, casetext) && strstr(casetext, "\"zeta\":1"),
          "the case's data is stored with its keys sorted: %s", casetext);
    char expect[600];
    snprintf(expect, sizeof expect, "{\"data\":%s}", casetext);
    CHECK(!strcmp(evtext, expect), "the event holds the case's data text: %s", evtext);
    free(sorted);
    json_decref(v);
  }

  /* A value JSON cannot hold is named by where it sits in the result. */
  res = kf_case_fire(e, "five", "stash", "worker", "t", NULL, 0, &err);
  CHECK(!res && err.code == KF_ELUA && CONTAINS(err.msg, "result.data.list[2].f: a function cannot be stored"),
        "the path of a value that cannot be stored: %s", err.msg);
  json_decref(res);

  latest_followed(e);
  t_engine_finish(e, db, wf);
  T_DONE();
}
