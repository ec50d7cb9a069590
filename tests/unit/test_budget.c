/* Unit tests for the CPU budget over a transition's sandboxed code. A transition's count
 * hook is set only when its first sandboxed code is about to run (luahost.c, arm): each
 * place a transition runs workflow code must still be bounded, whether it is the first
 * code of the call or comes after code that returned, and the next transition must run
 * as before. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"
#include "t.h"

static char db[64], wf[64];

/* Each transition from `open` spins at one place; `go` spins nowhere. */
static const char *WORKFLOW =
    "local function spin() local n = 0 while true do n = n + 1 end end\n"
    /* a by list whose table counts reads through its metatable; the guard of 'watch' says
     * how many happened since the last one: none may, before the guard runs unbudgeted */
    "local seen, last = 0, nil\n"
    "local watched = setmetatable({ 'worker' }, { __index = function() seen = seen + 1 end })\n"
    "local function quiet()\n"
    "  local d = last and seen - last or 0\n"
    "  last = seen\n"
    "  return d == 0, 'the engine read by through its metatable ' .. d .. ' times before the guard'\n"
    "end\n"
    "return workflow {\n"
    "  name = 'spin', roles = { 'worker' }, initial = 'open',\n"
    "  states = { { 'open' }, { 'next' }, { 'done', final = true } },\n"
    "  transitions = {\n"
    "    { 'go', from = 'open', to = 'next', by = { 'worker' },\n"
    "      when = { function(c) return true end }, action = function(c) c.data.went = true end },\n"
    "    { 'guard_first', from = 'open', to = 'next', by = { 'worker' }, when = { spin } },\n"
    "    { 'guard_second', from = 'open', to = 'next', by = { 'worker' },\n"
    "      when = { function(c) return true end, spin } },\n"
    "    { 'action', from = 'open', to = 'next', by = { 'worker' },\n"
    "      when = { function(c) return true end }, action = spin },\n"
    "    { 'watch', from = 'open', stay = true, by = watched, when = { quiet } },\n"
    /* a guard writes into its copy of the data, deep down; the action sees the case's */
    "    { 'peek', from = 'open', stay = true, by = { 'worker' },\n"
    "      when = { function(c) c.data.nested.x = 'guard'; c.data.nested.list[1] = 'g';\n"
    "                           c.data.nested.more = { 1 }; c.data.top = 'guard'; return true end },\n"
    "      action = function(c) c.data.seen = c.data.nested.x .. ',' .. c.data.nested.list[1] ..\n"
    "        ',' .. tostring(c.data.nested.more) .. ',' .. tostring(c.data.top) end },\n"
    "    { 'finish', from = 'next', to = 'done', by = { 'worker' } },\n"
    "  },\n"
    "  on_exit = { next = spin },\n"
    "}\n";

/* Fire `name` on case 1 (in open): it must fail on the budget, naming the workflow's file,
 * and leave the case and its events as they were. */
static void spins(kf_engine *e, const char *name, const char *case_id) {
  kf_err err = {0};
  json_t *before = kf_case_get(e, case_id, &err);
  json_t *filter = json_pack("{s:i}", "case", atoi(case_id));
  json_t *hist = kf_store_events(kf_engine_store(e), filter, &err);
  size_t nev = json_array_size(hist);
  json_decref(hist);
  json_t *res = kf_case_fire(e, case_id, name, "worker", "t", NULL, 0, &err);
  CHECK(!res && err.code == KF_ELUA && CONTAINS(err.msg, "CPU budget exceeded") &&
            CONTAINS(err.msg, "kf-budget-"),
        "%s: stopped by the budget, the workflow's file named: %s", name,
        res ? "(it fired)" : err.msg);
  json_decref(res);
  json_t *after = kf_case_get(e, case_id, &err);
  CHECK(before && json_equal(before, after), "%s: the case is as it was", name);
  hist = kf_store_events(kf_engine_store(e), filter, &err);
  CHECK(json_array_size(hist) == nev, "%s: no event recorded", name);
  json_decref(hist);
  json_decref(filter);
  json_decref(before);
  json_decref(after);
}

int main(void) {
  /* transitions here hold the write lock for seconds: no delivery thread waiting on it */
  setenv("KINFLOW_OUTBOX", "off", 1);
  kf_err err = {0};
  kf_engine *e = t_engine_deployed("budget", WORKFLOW, db, wf, sizeof db, &err);
  if (!e) T_DONE();
  for (int i = 0; i < 3; i++) {
    json_t *c = kf_case_open(e, "spin", NULL, NULL, "t", &err);
    CHECK(c != NULL, "open case %d: %s", i + 1, err.msg);
    json_decref(c);
  }
  /* The first sandboxed code of the call spins (a guard), then sandboxed code after other
   * sandboxed code returned (a second guard, the action). Each spin takes the whole budget
   * (seconds under the sanitizers): one of each kind. */
  spins(e, "guard_first", "1");
  spins(e, "guard_second", "1");
  spins(e, "action", "1");
  /* Before its first sandboxed code a transition reads only tables the engine made: the
   * definition keeps a plain copy of a transition's by (and from, requires). */
  for (int i = 0; i < 3; i++) {
    json_t *w = kf_case_fire(e, "3", "watch", "worker", "t", NULL, 0, &err);
    CHECK(w != NULL, "watch %d: no metamethod of the file's by read before the guard: %s", i + 1,
          w ? "ok" : err.msg);
    json_decref(w);
  }
  /* A guard's copy of the data is its own all the way down. */
  json_t *patch = json_loads("{\"nested\": {\"x\": \"case\", \"list\": [\"c\"]}}", 0, NULL);
  json_t *set = kf_case_set(e, "3", patch, "t", 0, &err);
  CHECK(set != NULL, "nested data set: %s", set ? "ok" : err.msg);
  json_decref(set);
  json_decref(patch);
  json_t *p = kf_case_fire(e, "3", "peek", "worker", "t", NULL, 0, &err);
  json_t *pd = json_object_get(p, "data");
  const char *seen = json_string_value(json_object_get(pd, "seen"));
  CHECK(seen && !strcmp(seen, "case,c,nil,nil") && !json_object_get(pd, "top") &&
            !json_object_get(json_object_get(pd, "nested"), "more"),
        "what a guard writes, at any depth, stays in its copy: %s", seen ? seen : err.msg);
  json_decref(p);
  /* The next transitions run as before, with their budget. */
  json_t *res = kf_case_fire(e, "2", "go", "worker", "t", NULL, 0, &err);
  CHECK(res && json_is_true(json_object_get(json_object_get(res, "data"), "went")),
        "a transition after the budget errors fires: %s", res ? "ok" : err.msg);
  json_decref(res);
  /* The state left spins (on_exit): the first sandboxed code of a call without guards. */
  spins(e, "finish", "2");
  res = kf_case_fire(e, "1", "go", "worker", "t", NULL, 0, &err);
  CHECK(res != NULL, "case 1 still moves: %s", res ? "ok" : err.msg);
  json_decref(res);
  t_engine_finish(e, db, wf);
  T_DONE();
}
