/* Unit tests for the Lua host: the CPU budget, the memory cap, errors as FILE:LINE. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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


/* A random JSON value for the data reader's differential test. */
static json_t *random_value(unsigned *seed, int depth) {
  static const char *const words[] = {"a", "stage", "consent", "caf\xc3\xa9", "\xe2\x82\xac",
                                      "x\"y", "tab\there", "new\nline", "back\\slash",
                                      "/slash", "", "\xf0\x9f\x98\x80", "z9", "notes"};
  int n = (int)(sizeof words / sizeof *words);
  int kind = rand_r(seed) % (depth > 3 ? 6 : 8);
  switch (kind) {
  case 0: return json_integer((json_int_t)(rand_r(seed) % 2001) - 1000);
  case 1: return json_real((rand_r(seed) % 1000) / 8.0);
  case 2: return json_string(words[rand_r(seed) % n]);
  case 3: return json_boolean(rand_r(seed) % 2);
  case 4: return json_null();
  case 5: return json_integer(rand_r(seed) % 2 ? INT64_MAX : INT64_MIN);
  case 6: {
    json_t *a = json_array();
    for (int i = rand_r(seed) % 5; i > 0; i--) json_array_append_new(a, random_value(seed, depth + 1));
    return a;
  }
  default: {
    json_t *o = json_object();
    for (int i = rand_r(seed) % 7; i > 0; i--)
      json_object_set_new(o, words[rand_r(seed) % n], random_value(seed, depth + 1));
    return o;
  }
  }
}

/* The case's data pushed through the text reader and through Jansson: the same Lua value,
 * keys iterated in the same order (the dump keeps Lua's order), the same failures. */
static void same_echo(kf_lua *L, const char *text) {
  kf_err e1 = {0}, e2 = {0};
  json_t *a = kf_lua_data_echo(L, text, 1, &e1), *b = kf_lua_data_echo(L, text, 0, &e2);
  char *ta = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  char *tb = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  int same = (!a && !b && !strcmp(e1.msg, e2.msg)) || (ta && tb && !strcmp(ta, tb));
  CHECK(same, "data %.80s: reader %s, Jansson %s", text, ta ? ta : e1.msg, tb ? tb : e2.msg);
  free(ta);
  free(tb);
  json_decref(a);
  json_decref(b);
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
/* The data reader: hand-written texts, then random values written as the store writes
   * them (sorted and not) */
  {
    static const char *const texts[] = {
        "{}", "[]", "{\"a\":1}", " { \"a\" : [ 1 , 2 , null , 3 ] , \"b\" : { } } ",
        "{\"a\":1,\"a\":null}", "{\"a\":null,\"a\":2}", "{\"u\":\"\\u00e9\\ud83d\\ude00\"}",
        "{\"lone\":\"\\ud800\"}", "{\"nul\":\"a\\u0000b\"}", "{\"n\":01}", "{\"n\":-0}",
        "{\"n\":1e5}", "{\"n\":2.5}", "{\"n\":9223372036854775807}",
        "{\"n\":9223372036854775808}", "{\"n\":-9223372036854775808}",
        "{\"n\":-9223372036854775809}", "{\"s\":\"bad \xff utf8\"}", "{\"s\":\"\xc3\"}",
        "{\"s\":\"over\xc0\xaflong\"}", "{\"s\":\"ctl\x01\"}", "{\"a\":1,}", "{\"a\" 1}",
        "[1,2", "not json", "", "5", "\"text\"", "true", "null", "{\"a\":tru}",
        "{\"esc\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "{\"bad\":\"\\x\"}"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) same_echo(L, texts[i]);
    unsigned seed = 17;
    for (int i = 0; i < 1500; i++) {
      json_t *v = random_value(&seed, 0);
      char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | (i % 2 ? JSON_SORT_KEYS : 0));
      if (t) same_echo(L, t);
      free(t);
      json_decref(v);
    }
    char deep[300] = "";
    for (int i = 0; i < 70; i++) strcat(deep, "[");
    for (int i = 0; i < 70; i++) strcat(deep, "]");
    same_echo(L, deep);
  }
  kf_lua_free(L);
    T_DONE();
}
