/* Unit tests for the Lua host: the CPU budget, the memory cap, errors as FILE:LINE. */
#include <stdlib.h>

#include "luahost.h"
#include "t.h"

/* Check one source as file `path`; returns the first message (static buffer) or the error. */
static const char *check_src(kf_lua *L, const char *path, const char *src, int *code) {
  static char out[600];
  kf_err err = {0};
  json_t *res = kf_lua_call_new(L, KF_LUA_CHECK, json_pack("[[{s:s,s:s}]]", "path", path, "source", src), &err);
  *code = res ? 0 : err.code;
  if (!res) {
    snprintf(out, sizeof out, "%s", err.msg);
    return out;
  }
  json_t *m = json_array_get(json_object_get(res, "messages"), 0);
  snprintf(out, sizeof out, "%s:%lld: %s", m ? json_string_value(json_object_get(m, "path")) : "",
           m ? (long long)json_integer_value(json_object_get(m, "line")) : 0,
           m ? json_string_value(json_object_get(m, "msg")) : "ok");
  json_decref(res);
  return out;
}

#define WF "\nreturn workflow { name='x', roles={'a'}, initial='s', states={{'s'},{'f', final=true}}," \
           " transitions={{'go', from='s', to='f'}} }\n"

int main(void) {
  kf_err err = {0};
  kf_lua_limits lim = {.memory = 16u << 20, .instructions = 20000, .seconds = 2};
  kf_lua *L = kf_lua_new(NULL, &lim, &err);
  CHECK(L != NULL, "new: %s", err.msg);
  if (!L) T_DONE();
  int code;
  const char *m = check_src(L, "w/ok.lua", WF, &code);
  CHECK(code == 0 && CONTAINS(m, "ok"), "a good file: %s", m);
  m = check_src(L, "w/loop.lua", "while true do end" WF, &code);
  CHECK(code == KF_ELUA && CONTAINS(m, "w/loop.lua:1:") && CONTAINS(m, "CPU budget"), "loop: %s", m);
  m = check_src(L, "w/pcall.lua", "\nfor i = 1, 10 do pcall(function() while true do end end) end" WF, &code);
  CHECK(code == KF_ELUA && CONTAINS(m, "CPU budget"), "pcall cannot swallow the budget: %s", m);
  m = check_src(L, "w/ok.lua", WF, &code);
  CHECK(code == 0, "the state is usable after a budget error: %s", m);
  m = check_src(L, "w/mem.lua", "local t = {} for i = 1, 1e8 do t[i] = ('x'):rep(100) .. i end" WF, &code);
  CHECK(CONTAINS(m, "memory limit") && CONTAINS(m, "w/mem.lua"), "memory bomb: %s", m);
  size_t peak = 0;
  kf_lua_memory(L, &peak);
  CHECK(peak <= lim.memory, "peak %zu within the cap %zu", peak, lim.memory);
  m = check_src(L, "w/rep.lua", "local s = string.rep('x', 1 << 30)" WF, &code);
  CHECK(CONTAINS(m, "memory limit"), "string.rep bomb: %s", m);
  m = check_src(L, "w/ok.lua", WF, &code);
  CHECK(code == 0, "usable after a memory error: %s", m);
  m = check_src(L, "w/pat.lua", "string.rep('a', 300):find('.-.-.-.-.-.-.-.-b')" WF, &code);
  CHECK(CONTAINS(m, "w/pat.lua:1:") && CONTAINS(m, "pattern too costly"), "pattern: %s", m);
  m = check_src(L, "w/err.lua", "\n\nlocal x = nil + 1" WF, &code);
  CHECK(CONTAINS(m, "w/err.lua:3:"), "runtime error with its line: %s", m);
  m = check_src(L, "w/syn.lua", "\nlocal = 1" WF, &code);
  CHECK(CONTAINS(m, "w/syn.lua:2:"), "syntax error with its line: %s", m);
  m = check_src(L, "w/bc.lua", "assert(load('\\27Lua'))" WF, &code);
  CHECK(CONTAINS(m, "w/bc.lua") && CONTAINS(m, "binary"), "bytecode refused: %s", m);
  m = check_src(L, "w/poison.lua", "string.format = nil" WF, &code);
  CHECK(CONTAINS(m, "read-only"), "libraries are read-only: %s", m);
  m = check_src(L, "w/gc.lua", "setmetatable({}, {__gc = function() end})" WF, &code);
  CHECK(CONTAINS(m, "__gc"), "no finalizers: %s", m);
  m = check_src(L, "w/smt.lua", "getmetatable('').__index.format = nil" WF, &code);
  CHECK(CONTAINS(m, "w/smt.lua:1:"), "string metatable hidden: %s", m);
  m = check_src(L, "w/g.lua", "print = nil; tostring = nil" WF, &code);
  CHECK(code == 0, "a file may change its own globals: %s", m);
  m = check_src(L, "w/ok2.lua", "assert(tostring(1) == '1' and print)" WF, &code);
  CHECK(code == 0, "the next file sees them intact: %s", m);
  kf_lua_free(L);
  T_DONE();
}
