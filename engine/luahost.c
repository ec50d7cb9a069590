/* luahost.c: the Lua host: a state with a counting, capped allocator, a CPU budget that a
 * script's own pcall cannot swallow, bounded pattern matching, JSON <-> Lua conversion and
 * the host functions the engine's Lua half calls. The only file that includes lua.h; it
 * holds no workflow logic (that is engine/workflow.lua). */
#define _GNU_SOURCE
#include "luahost.h"

#include <dirent.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Generated from engine/sandbox.lua and engine/workflow.lua by the Makefile. */
extern const char kf_lua_sandbox_src[];
extern const char kf_lua_workflow_src[];
extern const char kf_lua_script_src[]; /* engine/script.lua: analysts' scripts */

#define MAX_DEPTH 64

struct kf_lua {
  lua_State *L;
  kf_store *st;
  size_t used, peak, cap;
  long budget, count;  /* in hook calls (each 1000 instructions) */
  double seconds, deadline;
  int exceeded;
  char budget_msg[600];
  char current[256]; /* the file whose code runs now, for errors without a line */
  char lastpos[300];  /* FILE:LINE: the count hook last saw */
  int engine_ref;    /* the table of engine functions */
  const kf_lua_ext *ext; /* C plugins' rules and actions, from the state's owner */
  void *ext_ud;
  json_t *detail;    /* the DETAIL of the last refused call */
};

static double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static kf_lua *host(lua_State *L) {
  void *ud;
  lua_getallocf(L, &ud);
  return ud;
}

/* ---- memory ---- */

static void *alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  kf_lua *h = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    h->used -= old;
    return NULL;
  }
  if (nsize > old && h->used - old + nsize > h->cap) return NULL;
  void *p = realloc(ptr, nsize);
  if (!p) return NULL;
  h->used = h->used - old + nsize;
  if (h->used > h->peak) h->peak = h->used;
  return p;
}

/* ---- the CPU budget ---- */

static void where(lua_State *L, char *buf, size_t n) {
  lua_Debug ar;
  buf[0] = 0;
  for (int level = 0; lua_getstack(L, level, &ar); level++) {
    if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0 && ar.source[0] == '@') {
      snprintf(buf, n, "%s:%d:", ar.source + 1, ar.currentline);
      return;
    }
  }
}

static void hook(lua_State *L, lua_Debug *ar) {
  kf_lua *h = host(L);
  if (ar->event == LUA_HOOKLINE) { /* tracing a file's top level: just note the line */
    if (!h->exceeded && lua_getinfo(L, "S", ar) && ar->source[0] == '@')
      snprintf(h->lastpos, sizeof h->lastpos, "%s:%d:", ar->source + 1, ar->currentline);
    if (!h->exceeded) return;
  }
  if (!h->exceeded) {
    /* Remember where sandboxed code was, for errors that carry no position (memory). */
    if (lua_getinfo(L, "Sl", ar) && ar->source[0] == '@' && ar->currentline > 0)
      snprintf(h->lastpos, sizeof h->lastpos, "%s:%d:", ar->source + 1, ar->currentline);
    /* The clock on every call: C functions between calls (sorts, copies) take time too. */
    if (++h->count <= h->budget && mono() <= h->deadline) return;
    h->exceeded = 1;
    char at[280];
    where(L, at, sizeof at);
    snprintf(h->budget_msg, sizeof h->budget_msg, "%s%s CPU budget exceeded (%s)",
             at[0] ? at : h->current, at[0] ? "" : ":",
             h->count > h->budget ? "too many instructions: an endless loop?" : "ran too long");
    /* From now on every instruction fails, so no pcall can swallow it. */
    lua_sethook(L, hook, LUA_MASKCOUNT, 1);
  }
  lua_pushstring(L, h->budget_msg);
  lua_error(L);
}

static void arm(kf_lua *h) {
  h->lastpos[0] = 0;
  h->count = 0;
  h->exceeded = 0;
  h->budget_msg[0] = 0;
  h->deadline = mono() + h->seconds;
  lua_sethook(h->L, hook, LUA_MASKCOUNT, 1000);
}

/* ---- errors ---- */

/* Message handler: every error becomes one line "FILE:LINE: message". */
static int msgh(lua_State *L) {
  kf_lua *h = host(L);
  if (h->exceeded) {
    lua_pushstring(L, h->budget_msg);
    return 1;
  }
  const char *msg = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
  if (!msg) {
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    msg = lua_tostring(L, -1);
  }
  /* Does it already start with a position? */
  const char *c = strchr(msg, ':');
  int positioned = c && c != msg && c[1] >= '0' && c[1] <= '9';
  if (!positioned) {
    char at[280];
    where(L, at, sizeof at);
    if (!at[0]) snprintf(at, sizeof at, "%s:", h->current[0] ? h->current : "kinflow");
    lua_pushfstring(L, "%s %s", at, msg);
  } else {
    lua_pushstring(L, msg);
  }
  /* keep it to one line */
  size_t len;
  const char *s = lua_tolstring(L, -1, &len);
  if (memchr(s, '\n', len)) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++) luaL_addchar(&b, s[i] == '\n' ? ' ' : s[i]);
    luaL_pushresult(&b);
  }
  return 1;
}

/* The one protected call: nargs arguments above the function on the stack. */
static int pcall(kf_lua *h, int nargs, int nres, kf_err *err) {
  lua_State *L = h->L;
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, msgh);
  lua_insert(L, base);
  arm(h);
  int rc = lua_pcall(L, nargs, nres, base);
  lua_sethook(L, NULL, 0, 0);
  lua_remove(L, base);
  if (rc == LUA_OK) return 0;
  if (rc == LUA_ERRMEM) {
    if (h->lastpos[0]) kf_fail(err, KF_ELUA, "%s memory limit exceeded (%zu MiB)", h->lastpos, h->cap >> 20);
    else kf_fail(err, KF_ELUA, "%s: memory limit exceeded (%zu MiB)",
                 h->current[0] ? h->current : "kinflow", h->cap >> 20);
  }
  else if (h->exceeded) kf_fail(err, KF_ELUA, "%s", h->budget_msg);
  else kf_fail(err, KF_ELUA, "%s", lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "Lua error");
  lua_pop(L, 1);
  h->exceeded = 0;
  lua_gc(L, LUA_GCCOLLECT);
  return KF_ELUA;
}

/* ---- JSON <-> Lua ---- */

static void push_json(lua_State *L, json_t *v, int depth);

static void mark_array(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "kf.arrays");
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

static void push_json(lua_State *L, json_t *v, int depth) {
  luaL_checkstack(L, 4, "JSON nested too deeply");
  if (depth > MAX_DEPTH) luaL_error(L, "JSON nested more than %d deep", MAX_DEPTH);
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    const char *k;
    json_t *x;
    lua_createtable(L, 0, (int)json_object_size(v));
    json_object_foreach(v, k, x) {
      if (json_is_null(x)) continue;
      push_json(L, x, depth + 1);
      lua_setfield(L, -2, k);
    }
    break;
  }
  case JSON_ARRAY: {
    size_t i;
    json_t *x;
    lua_createtable(L, (int)json_array_size(v), 0);
    json_array_foreach(v, i, x) {
      push_json(L, x, depth + 1);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    mark_array(L);
    break;
  }
  case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
  case JSON_INTEGER: lua_pushinteger(L, json_integer_value(v)); break;
  case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
  case JSON_TRUE: lua_pushboolean(L, 1); break;
  case JSON_FALSE: lua_pushboolean(L, 0); break;
  default: lua_pushnil(L); break;
  }
}

/* Convert the value at idx using raw access only (no metamethods run). Returns NULL with
 * a message in errbuf for values JSON cannot hold, having freed what it built. */
static json_t *to_json(lua_State *L, int idx, int depth, const char *path, char *errbuf) {
  idx = lua_absindex(L, idx);
  switch (lua_type(L, idx)) {
  case LUA_TNIL: return json_null();
  case LUA_TBOOLEAN: return json_boolean(lua_toboolean(L, idx));
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) return json_integer(lua_tointeger(L, idx));
    else {
      double d = lua_tonumber(L, idx);
      return isfinite(d) ? json_real(d) : json_null();
    }
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    json_t *j = json_stringn(s, n);
    if (!j) snprintf(errbuf, 256, "%s: text is not valid UTF-8", path);
    return j;
  }
  case LUA_TTABLE: break;
  default:
    snprintf(errbuf, 256, "%s: a %s cannot be stored", path, luaL_typename(L, idx));
    return NULL;
  }
  if (depth > MAX_DEPTH || !lua_checkstack(L, 6)) {
    snprintf(errbuf, 256, "%s: nested more than %d deep (or a cycle)", path, MAX_DEPTH);
    return NULL;
  }
  lua_Unsigned n = lua_rawlen(L, idx);
  int is_array = n > 0;
  if (!n) {
    lua_getfield(L, LUA_REGISTRYINDEX, "kf.arrays");
    lua_pushvalue(L, idx);
    is_array = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
  }
  /* An array only when every key is 1..n. */
  lua_Unsigned keys = 0;
  if (is_array) {
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      keys++;
      lua_pop(L, 1);
      if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 ||
          (lua_Unsigned)lua_tointeger(L, -1) > n) {
        is_array = 0;
        lua_pop(L, 1);
        break;
      }
    }
    if (keys != n) is_array = 0;
  }
  json_t *out = is_array ? json_array() : json_object();
  char sub[200];
  if (is_array) {
    for (lua_Unsigned i = 1; i <= n; i++) {
      lua_rawgeti(L, idx, (lua_Integer)i);
      snprintf(sub, sizeof sub, "%s[%llu]", path, (unsigned long long)i);
      json_t *x = to_json(L, -1, depth + 1, sub, errbuf);
      lua_pop(L, 1);
      if (!x) {
        json_decref(out);
        return NULL;
      }
      json_array_append_new(out, x);
    }
    return out;
  }
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    char key[64];
    const char *k;
    if (lua_type(L, -2) == LUA_TSTRING) k = lua_tostring(L, -2);
    else if (lua_isinteger(L, -2)) {
      snprintf(key, sizeof key, "%lld", (long long)lua_tointeger(L, -2));
      k = key;
    } else {
      snprintf(errbuf, 256, "%s: keys must be text or whole numbers, not %s", path,
               luaL_typename(L, -2));
      lua_pop(L, 2);
      json_decref(out);
      return NULL;
    }
    snprintf(sub, sizeof sub, "%s.%s", path, k);
    json_t *x = to_json(L, -1, depth + 1, sub, errbuf);
    lua_pop(L, 1);
    if (!x) {
      lua_pop(L, 1);
      json_decref(out);
      return NULL;
    }
    if (!json_is_null(x)) json_object_set_new(out, k, x);
    else json_decref(x);
  }
  return out;
}

/* The JSON result travels through a light userdata slot so a raise cannot leak it. */
typedef struct conv {
  json_t *in;
  json_t *out;
  const char *path;
} conv;

static int p_to_json(lua_State *L) {
  conv *c = lua_touserdata(L, 2);
  char errbuf[256];
  c->out = to_json(L, 1, 0, c->path, errbuf);
  if (!c->out) return luaL_error(L, "%s", errbuf);
  return 0;
}

/* ---- bounded patterns ---- */

/* Lua's matcher runs in C where the count hook never fires, and backtracks. Bound the
 * work before it starts: roughly len^(q+1) steps for q repeated single-char items. */
#define PATTERN_MAX_LEN 256
#define SUBJECT_MAX (1u << 20)
#define PATTERN_MAX_WORK 2e8

static int pattern_cost_ok(lua_State *L, const char *fn) {
  size_t ls, lp;
  const char *s = lua_tolstring(L, 1, &ls);
  const char *p = lua_tolstring(L, 2, &lp);
  if (!s || !p) return 1; /* let the original raise its own argument errors */
  if (ls > SUBJECT_MAX)
    return luaL_error(L, "string.%s: text longer than %d bytes", fn, (int)SUBJECT_MAX);
  if (!strcmp(fn, "find") && lua_toboolean(L, 4)) { /* plain search: at most ls * lp */
    if (lp <= ls && (double)(ls - lp + 1) * (double)lp > 4e8)
      return luaL_error(L, "string.find: searching %I bytes for %I bytes is too costly",
                        (lua_Integer)ls, (lua_Integer)lp);
    return 1;
  }
  if (lp > PATTERN_MAX_LEN)
    return luaL_error(L, "string.%s: pattern longer than %d characters", fn, PATTERN_MAX_LEN);
  lua_Integer init = strcmp(fn, "gsub") ? luaL_optinteger(L, 3, 1) : 1;
  size_t n = ls;
  if (init > 1 && (size_t)init <= ls) n = ls - (size_t)init + 1;
  /* gmatch treats '^' as a plain character; %b and '?' backtrack like repetitions. */
  int q = 0, anchored = p[0] == '^' && strcmp(fn, "gmatch") != 0;
  for (size_t i = 0; i < lp; i++) {
    if (p[i] == '%') {
      if (i + 1 < lp && p[i + 1] == 'b') q++;
      i++;
      continue;
    }
    if (p[i] == '*' || p[i] == '+' || p[i] == '-' || p[i] == '?') q++;
  }
  /* At most C(n + q, q) ways to split the text among q repetitions, tried from each of n
   * starting places unless anchored: about n^(q+1) / q!. */
  double work = (double)n + 1;
  for (int i = anchored ? 1 : 0; i < q; i++) work *= (double)n + 1;
  for (int i = 2; i <= q; i++) work /= i;
  if (work > PATTERN_MAX_WORK)
    return luaL_error(L, "string.%s: pattern too costly for text of %I bytes (%d repetitions; "
                      "simplify the pattern or shorten the text)", fn, (lua_Integer)ls, q);
  return 1;
}

/* Before a C function that may run long: stop if the call's time is already spent (the
 * count hook only sees Lua instructions, and a loop of costly C calls has few). */
static void check_deadline(lua_State *L) {
  kf_lua *h = host(L);
  if (h->exceeded || (h->deadline > 0 && mono() > h->deadline)) {
    if (!h->exceeded) {
      h->exceeded = 1;
      char at[280];
      where(L, at, sizeof at);
      snprintf(h->budget_msg, sizeof h->budget_msg, "%s%s CPU budget exceeded (ran too long)",
               at[0] ? at : h->current, at[0] ? "" : ":");
      lua_sethook(L, hook, LUA_MASKCOUNT, 1);
    }
    lua_pushstring(L, h->budget_msg);
    lua_error(L);
  }
}

/* A C library function, its deadline checked first (upvalue 1: the original). */
static int timed(lua_State *L) {
  check_deadline(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

static int bounded(lua_State *L) {
  const char *fn = lua_tostring(L, lua_upvalueindex(2));
  check_deadline(L);
  pattern_cost_ok(L, fn);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

/* table.move copies in C, where no hook fires: bound how many elements it may move. */
#define MOVE_MAX 10000000
static int bounded_move(lua_State *L) {
  lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
  if (e >= f && (e - f >= MOVE_MAX || e - f < 0))
    return luaL_error(L, "table.move: moving %I elements is more than allowed (%d)",
                      (lua_Integer)(e - f + 1 > 0 ? e - f + 1 : LUA_MAXINTEGER), MOVE_MAX);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

static void bound_patterns(lua_State *L) {
  lua_getglobal(L, "table");
  lua_getfield(L, -1, "move");
  lua_pushcclosure(L, bounded_move, 1);
  lua_setfield(L, -2, "move");
  static const char *slow_table[] = {"sort", "concat", "unpack"};
  for (size_t i = 0; i < 3; i++) {
    lua_getfield(L, -1, slow_table[i]);
    lua_pushcclosure(L, timed, 1);
    lua_setfield(L, -2, slow_table[i]);
  }
  lua_pop(L, 1);
  lua_getglobal(L, "string");
  static const char *slow_string[] = {"rep", "format", "upper", "lower", "reverse", "byte", "char"};
  for (size_t i = 0; i < sizeof slow_string / sizeof slow_string[0]; i++) {
    lua_getfield(L, -1, slow_string[i]);
    lua_pushcclosure(L, timed, 1);
    lua_setfield(L, -2, slow_string[i]);
  }
  lua_pop(L, 1);
  static const char *fns[] = {"find", "match", "gmatch", "gsub"};
  lua_getglobal(L, "string");
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    lua_getfield(L, -1, fns[i]);
    lua_pushstring(L, fns[i]);
    lua_pushcclosure(L, bounded, 2);
    lua_setfield(L, -2, fns[i]);
  }
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
}

/* ---- host functions for the engine's Lua half (never given to sandboxed code) ---- */

static kf_store *need_store(lua_State *L) {
  kf_lua *h = host(L);
  if (!h->st) luaL_error(L, "no database is open");
  return h->st;
}

static int p_push_taken(lua_State *L) {
  push_json(L, lua_touserdata(L, 1), 0);
  return 1;
}

/* Push j as Lua and release it, even when converting raises (e.g. the memory cap). */
static int push_json_new(lua_State *L, json_t *j) {
  lua_pushcfunction(L, p_push_taken);
  lua_pushlightuserdata(L, j);
  int rc = lua_pcall(L, 1, 1, 0);
  json_decref(j);
  if (rc != LUA_OK) return lua_error(L);
  return 1;
}

/* Push a json result or raise the store's error. Takes j. */
static int push_result_new(lua_State *L, json_t *j, kf_err *err) {
  if (!j) {
    if (err->code == KF_ENOTFOUND) {
      lua_pushnil(L);
      return 1;
    }
    return luaL_error(L, "%s", err->msg);
  }
  return push_json_new(L, j);
}

static int h_def(lua_State *L) {
  kf_err err = {0};
  kf_store *st = need_store(L);
  json_t *j = lua_isinteger(L, 1) ? kf_store_def_get(st, lua_tointeger(L, 1), &err)
                                  : kf_store_def_latest(st, luaL_checkstring(L, 1),
                                                        luaL_checkstring(L, 2), &err);
  return push_result_new(L, j, &err);
}

static int h_defs(lua_State *L) {
  kf_err err = {0};
  kf_store *st = host(L)->st;
  if (!st) {
    lua_newtable(L);
    return 1;
  }
  return push_result_new(L, kf_store_def_list(st, luaL_optstring(L, 1, NULL), &err), &err);
}

static int h_members(lua_State *L) {
  kf_err err = {0};
  return push_result_new(L, kf_store_members(need_store(L), luaL_checkinteger(L, 1),
                                          luaL_optstring(L, 2, NULL), &err), &err);
}

static int h_entries(lua_State *L) {
  kf_err err = {0};
  return push_result_new(L, kf_store_entries(need_store(L), luaL_checkinteger(L, 1),
                                          luaL_optstring(L, 2, NULL), 1, &err), &err);
}

static int h_has_store(lua_State *L) {
  lua_pushboolean(L, host(L)->st != NULL);
  return 1;
}

static int h_read_file(lua_State *L) {
  kf_err err = {0};
  size_t n;
  char *text = kf_read_file(luaL_checkstring(L, 1), &n, &err);
  if (!text) {
    lua_pushnil(L);
    lua_pushstring(L, err.msg);
    return 2;
  }
  lua_pushlstring(L, text, n);
  free(text);
  return 1;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in a directory (no dot files); nil if it is not one. */
static int h_list_dir(lua_State *L) {
  DIR *d = opendir(luaL_checkstring(L, 1));
  if (!d) return 0;
  char *names[1024];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 1024)
    if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name))) n++;
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], cmp_str);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, i + 1);
    free(names[i]);
  }
  return 1;
}

static int h_getenv(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  if (strncmp(name, "KINFLOW_", 8) != 0) return 0; /* only our own settings */
  lua_pushstring(L, getenv(name));
  return 1;
}

static int h_now(lua_State *L) {
  char buf[21];
  kf_iso(kf_now(), buf);
  lua_pushstring(L, buf);
  return 1;
}

static int h_parse_time(lua_State *L) {
  int64_t t;
  if (lua_type(L, 1) != LUA_TSTRING || kf_parse_time(lua_tostring(L, 1), &t)) return 0;
  lua_pushinteger(L, t);
  return 1;
}

static int h_iso(lua_State *L) {
  char buf[21];
  kf_iso(luaL_checkinteger(L, 1), buf);
  lua_pushstring(L, buf);
  return 1;
}

static int h_duration(lua_State *L) {
  int64_t d;
  if (lua_type(L, 1) != LUA_TSTRING || kf_parse_duration(lua_tostring(L, 1), &d)) return 0;
  lua_pushinteger(L, d);
  return 1;
}

/* at(path): name the file whose code runs next, for errors that carry no line. */
static int h_at(lua_State *L) {
  kf_lua *h = host(L);
  const char *p = luaL_optstring(L, 1, "");
  snprintf(h->current, sizeof h->current, "%s", p);
  return 0;
}

/* Load text (never bytecode) as a chunk named after its file, in environment env. */
static int h_load(lua_State *L) {
  size_t n;
  const char *src = luaL_checklstring(L, 1, &n);
  const char *name = luaL_checkstring(L, 2);
  int has_env = !lua_isnoneornil(L, 3);
  int rc = luaL_loadbufferx(L, src, n, name, "t");
  if (rc != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (has_env) {
    lua_pushvalue(L, 3);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
  }
  return 1;
}

/* caller(level): source and current line of the Lua function `level` frames up. */
static int h_caller(lua_State *L) {
  lua_Debug ar;
  if (!lua_getstack(L, (int)luaL_checkinteger(L, 1), &ar) || !lua_getinfo(L, "Sl", &ar)) return 0;
  lua_pushstring(L, ar.source[0] == '@' ? ar.source + 1 : ar.short_src);
  lua_pushinteger(L, ar.currentline);
  return 2;
}

/* fninfo(f): where a Lua function was defined. */
static int h_fninfo(lua_State *L) {
  lua_Debug ar;
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushvalue(L, 1);
  lua_getinfo(L, ">S", &ar);
  lua_pushstring(L, ar.source[0] == '@' ? ar.source + 1 : ar.short_src);
  lua_pushinteger(L, ar.linedefined);
  return 2;
}

static int h_realpath(lua_State *L) {
  char *r = realpath(luaL_checkstring(L, 1), NULL);
  if (!r) return 0;
  lua_pushstring(L, r);
  free(r);
  return 1;
}

/* The folder of the running kinflow binary, to find plugins installed beside it. */
static int h_exe_dir(lua_State *L) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) {
    lua_pushstring(L, ".");
    return 1;
  }
  buf[n] = 0;
  char *slash = strrchr(buf, '/');
  if (slash) *slash = 0;
  lua_pushstring(L, buf);
  return 1;
}

static int h_log(lua_State *L) {
  fprintf(stderr, "%s\n", luaL_checkstring(L, 1));
  return 0;
}

/* ---- C plugins ---- */

/* load_c_plugin(so_path, dir, {taken names}) -> true | nil, message */
static int h_load_c_plugin(lua_State *L) {
  kf_lua *h = host(L);
  const char *so = luaL_checkstring(L, 1), *dir = luaL_checkstring(L, 2);
  const char *taken[512];
  int n = 0;
  if (lua_istable(L, 3))
    for (lua_Integer i = 1; n < 511 && lua_rawgeti(L, 3, i) == LUA_TSTRING; i++) {
      taken[n++] = lua_tostring(L, -1); /* stays alive: still in the table */
      lua_pop(L, 1);
    }
  taken[n] = NULL;
  kf_err err = {0};
  if (!h->ext) kf_fail(&err, KF_EINVAL, "%s: C plugins cannot be loaded here", so);
  if (!h->ext || h->ext->load(h->ext_ud, so, dir, taken, &err)) {
    lua_pushnil(L);
    lua_pushstring(L, err.msg);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int h_c_plugins(lua_State *L) {
  kf_lua *h = host(L);
  json_t *list = h->ext ? h->ext->list(h->ext_ud) : json_array();
  return push_json_new(L, list);
}

static int h_c_rule_owner(lua_State *L) {
  kf_lua *h = host(L);
  const char *owner = h->ext ? h->ext->rule_owner(h->ext_ud, luaL_checkstring(L, 1)) : NULL;
  if (!owner) return 0;
  lua_pushstring(L, owner);
  return 1;
}

static int h_c_action_owner(lua_State *L) {
  kf_lua *h = host(L);
  const char *owner = h->ext ? h->ext->action_owner(h->ext_ud, luaL_checkstring(L, 1)) : NULL;
  if (!owner) return 0;
  lua_pushstring(L, owner);
  return 1;
}

/* Convert a Lua value for a C callback; raises with a message on values JSON cannot hold. */
static json_t *arg_json(lua_State *L, int idx, const char *what) {
  char errbuf[256];
  json_t *j = to_json(L, idx, 0, what, errbuf);
  if (!j) luaL_error(L, "%s", errbuf);
  return j;
}

/* call_c_rule(name, case) -> ok, reason (raises when the rule fails) */
static int h_call_c_rule(lua_State *L) {
  kf_lua *h = host(L);
  const char *name = luaL_checkstring(L, 1);
  if (!h->ext) return luaL_error(L, "no C rule '%s' here", name);
  json_t *c = arg_json(L, 2, "case");
  char reason[512];
  int rc = h->ext->rule(h->ext_ud, name, c, reason, sizeof reason);
  json_decref(c);
  if (rc < 0) return luaL_error(L, "rule '%s' failed: %s", name, reason[0] ? reason : "no reason given");
  lua_pushboolean(L, rc == 1);
  if (rc == 1 || !reason[0]) return 1;
  lua_pushstring(L, reason);
  return 2;
}

/* call_c_action(name, case, args) -> changes table or nil */
static int h_call_c_action(lua_State *L) {
  kf_lua *h = host(L);
  const char *name = luaL_checkstring(L, 1);
  if (!h->ext) return luaL_error(L, "no action '%s' here", name);
  json_t *c = arg_json(L, 2, "case");
  json_t *args = lua_isnoneornil(L, 3) ? json_null() : to_json(L, 3, 0, "args", (char[256]){0});
  if (!args) {
    json_decref(c);
    return luaL_error(L, "kf.actions.%s: its arguments cannot be passed to C", name);
  }
  json_t *changes = NULL;
  kf_err err = {0};
  int rc = h->ext->action(h->ext_ud, name, c, args, &changes, &err);
  json_decref(c);
  json_decref(args);
  if (rc) return luaL_error(L, "%s", err.msg);
  if (!changes) return 0;
  return push_json_new(L, changes);
}

/* array(t): t, marked so that it becomes a JSON array even when empty. */
static int h_array(lua_State *L) {
  if (lua_isnoneornil(L, 1)) lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  mark_array(L);
  return 1;
}

/* trace(on): note every line while a file's top level runs, so that errors without a
 * position (memory, error objects that are not text) can still name their line. */
static int h_trace(lua_State *L) {
  kf_lua *h = host(L);
  if (!h->exceeded)
    lua_sethook(L, hook, LUA_MASKCOUNT | (lua_toboolean(L, 1) ? LUA_MASKLINE : 0), 1000);
  return 0;
}

static int h_exceeded(lua_State *L) {
  lua_pushboolean(L, host(L)->exceeded);
  return 1;
}

/* where(): FILE:LINE: the budget hook last saw in sandboxed code ("" if none). */
static int h_lastpos(lua_State *L) {
  lua_pushstring(L, host(L)->lastpos);
  return 1;
}

static int h_memory(lua_State *L) {
  kf_lua *h = host(L);
  lua_pushinteger(L, (lua_Integer)h->used);
  lua_pushinteger(L, (lua_Integer)h->cap);
  return 2;
}

static const luaL_Reg host_fns[] = {
    {"def", h_def},           {"defs", h_defs},         {"members", h_members},
    {"entries", h_entries},   {"has_store", h_has_store}, {"read_file", h_read_file},
    {"list_dir", h_list_dir}, {"getenv", h_getenv},     {"now", h_now},
    {"parse_time", h_parse_time}, {"iso", h_iso},       {"duration", h_duration},
    {"at", h_at},             {"load", h_load},         {"memory", h_memory},
    {"caller", h_caller},     {"fninfo", h_fninfo},     {"realpath", h_realpath},
    {"exe_dir", h_exe_dir},   {"log", h_log},           {"array", h_array},
    {"exceeded", h_exceeded}, {"lastpos", h_lastpos},   {"trace", h_trace},
    {"load_c_plugin", h_load_c_plugin}, {"c_plugins", h_c_plugins},
    {"c_rule_owner", h_c_rule_owner},   {"c_action_owner", h_c_action_owner},
    {"call_c_rule", h_call_c_rule},     {"call_c_action", h_call_c_action},
    {NULL, NULL}};

/* ---- analysts' scripts: host functions for engine/script.lua ----
 * Given to the engine's Lua half as E.script_host; script.lua builds the read-only `kf`
 * of `kinflow script run` on them. They read only, and only through a connection from
 * kf_store_open_script (kf_store_query refuses any other). */

/* Where the script is: "FILE:LINE:" of the innermost frame of a file, else the file. */
static void script_where(lua_State *L, char *at, size_t n) {
  where(L, at, n);
  if (!at[0]) snprintf(at, n, "%s:", host(L)->current[0] ? host(L)->current : "script");
}

/* Raise "FILE:LINE: msg" (msg copied first: callers free their resources, then call). */
static int script_error(lua_State *L, const char *msg) {
  char at[280];
  script_where(L, at, sizeof at);
  lua_pushfstring(L, "%s %s", at, msg);
  return lua_error(L);
}

/* End the script: an error no pcall can swallow, since from now on the budget hook fails
 * every instruction with this message (as when the CPU budget runs out). */
static int script_end(lua_State *L, const char *msg) {
  kf_lua *h = host(L);
  char at[280];
  script_where(L, at, sizeof at);
  snprintf(h->budget_msg, sizeof h->budget_msg, "%s %s", at, msg);
  h->exceeded = 1;
  lua_sethook(L, hook, LUA_MASKCOUNT, 1);
  lua_pushstring(L, h->budget_msg);
  return lua_error(L);
}

/* The table at idx as JSON (raw access), or raise naming what is wrong. */
static json_t *script_arg(lua_State *L, int idx, const char *what) {
  char errbuf[256];
  if (lua_isnoneornil(L, idx)) return json_object();
  json_t *j = to_json(L, idx, 0, what, errbuf);
  if (!j) script_error(L, errbuf);
  return j;
}

/* Push a page from the store, or raise its error. Takes arg. */
static int script_page_new(lua_State *L, json_t *page, json_t *arg, kf_err *err) {
  json_decref(arg);
  if (!page) return script_error(L, err->msg);
  return push_json_new(L, page);
}

/* cases(filter, after, limit) -> cases with id > after, in order */
static int h_s_cases(lua_State *L) {
  kf_store *st = need_store(L);
  lua_Integer after = luaL_checkinteger(L, 2), limit = luaL_checkinteger(L, 3);
  json_t *f = script_arg(L, 1, "kf.cases filter");
  kf_err err = {0};
  return script_page_new(L, kf_store_cases_after(st, f, after, (int)limit, &err), f, &err);
}

/* events(filter, after, limit) -> events with seq > after, in order */
static int h_s_events(lua_State *L) {
  kf_store *st = need_store(L);
  lua_Integer after = luaL_checkinteger(L, 2), limit = luaL_checkinteger(L, 3);
  json_t *f = script_arg(L, 1, "kf.events filter");
  kf_err err = {0};
  return script_page_new(L, kf_store_events_after(st, f, after, (int)limit, &err), f, &err);
}

/* case(id or ref) -> the case, or nil */
static int h_s_case(lua_State *L) {
  kf_store *st = need_store(L);
  const char *id = luaL_checkstring(L, 1);
  kf_err err = {0};
  json_t *c = kf_store_case_get(st, id, &err);
  if (!c) {
    if (err.code == KF_ENOTFOUND) return 0;
    return script_error(L, err.msg);
  }
  return push_json_new(L, c);
}

/* sql(query, ...) -> rows. A denied statement ends the script. */
static int h_s_sql(lua_State *L) {
  kf_store *st = need_store(L);
  const char *q = luaL_checkstring(L, 1);
  int n = lua_gettop(L);
  for (int i = 2; i <= n; i++) {
    int t = lua_type(L, i);
    if (t != LUA_TNIL && t != LUA_TBOOLEAN && t != LUA_TNUMBER && t != LUA_TSTRING) {
      lua_pushfstring(L, "kf.sql: parameter %d is a %s; give text, a number, a boolean or nil",
                      i - 1, luaL_typename(L, i));
      return script_error(L, lua_tostring(L, -1));
    }
  }
  json_t *params = json_array();
  for (int i = 2; i <= n; i++) {
    json_t *v;
    switch (lua_type(L, i)) {
    case LUA_TBOOLEAN: v = json_boolean(lua_toboolean(L, i)); break;
    case LUA_TNUMBER:
      v = lua_isinteger(L, i) ? json_integer(lua_tointeger(L, i))
          : isfinite(lua_tonumber(L, i)) ? json_real(lua_tonumber(L, i)) : json_null();
      break;
    case LUA_TSTRING: {
      size_t len;
      const char *s = lua_tolstring(L, i, &len);
      v = json_stringn_nocheck(s, len);
      break;
    }
    default: v = json_null(); break;
    }
    json_array_append_new(params, v);
  }
  kf_err err = {0};
  json_t *rows = kf_store_query(st, q, params, &err);
  json_decref(params);
  if (!rows) return err.code == KF_EREFUSED ? script_end(L, err.msg) : script_error(L, err.msg);
  return push_json_new(L, rows);
}

/* write(text): to standard output, the script's own output. */
static int h_s_write(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  fwrite(s, 1, n, stdout);
  return 0;
}

static int p_push_cstr(lua_State *L) {
  lua_pushstring(L, lua_touserdata(L, 1));
  return 1;
}

/* json(value[, compact]) -> the value as JSON text (indented unless compact), keys sorted. */
static int h_s_json(lua_State *L) {
  char errbuf[256];
  luaL_checkany(L, 1);
  json_t *j = to_json(L, 1, 0, "kf.out.json", errbuf);
  if (!j) return script_error(L, errbuf);
  size_t flags = lua_toboolean(L, 2) ? JSON_COMPACT : JSON_INDENT(2);
  char *text = json_dumps(j, flags | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  json_decref(j);
  if (!text) return script_error(L, "kf.out.json: out of memory");
  lua_pushcfunction(L, p_push_cstr);
  lua_pushlightuserdata(L, text);
  int rc = lua_pcall(L, 1, 1, 0);
  free(text);
  if (rc != LUA_OK) return lua_error(L);
  return 1;
}

/* deny(message): an attempt to change something: ends the script. */
static int h_s_deny(lua_State *L) {
  return script_end(L, luaL_checkstring(L, 1));
}

/* where() -> "FILE:LINE:" of the script's innermost frame. */
static int h_s_where(lua_State *L) {
  char at[280];
  script_where(L, at, sizeof at);
  lua_pushstring(L, at);
  return 1;
}

static const luaL_Reg script_fns[] = {
    {"cases", h_s_cases}, {"events", h_s_events}, {"case", h_s_case},
    {"sql", h_s_sql},     {"write", h_s_write},   {"json", h_s_json},
    {"deny", h_s_deny},   {"where", h_s_where},   {NULL, NULL}};

/* ---- the state ---- */

static int open_state(lua_State *L) {
  static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},       {LUA_TABLIBNAME, luaopen_table},
                                  {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
                                  {LUA_UTF8LIBNAME, luaopen_utf8},  {LUA_OSLIBNAME, luaopen_os},
                                  {NULL, NULL}};
  for (const luaL_Reg *l = libs; l->func; l++) {
    luaL_requiref(L, l->name, l->func, 1);
    lua_pop(L, 1);
  }
  /* os: only time, date and clock. */
  lua_getglobal(L, "os");
  lua_newtable(L);
  static const char *keep[] = {"time", "date", "clock"};
  for (int i = 0; i < 3; i++) {
    lua_getfield(L, -2, keep[i]);
    lua_setfield(L, -2, keep[i]);
  }
  lua_setglobal(L, "os");
  lua_pop(L, 1);
  /* No file or bytecode loading anywhere, not even for the engine's own Lua. */
  static const char *drop[] = {"dofile", "loadfile", "require", "package", "debug", "io"};
  for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
    lua_pushnil(L);
    lua_setglobal(L, drop[i]);
  }
  bound_patterns(L);
  /* weak set of tables that came from JSON arrays */
  lua_newtable(L);
  lua_newtable(L);
  lua_pushstring(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, "kf.arrays");
  /* The engine table: host functions, then the two Lua halves add to it. */
  lua_newtable(L);
  luaL_newlib(L, host_fns);
  lua_setfield(L, -2, "host");
  luaL_newlib(L, script_fns); /* analysts' scripts (engine/script.lua) */
  lua_setfield(L, -2, "script_host");
  static const struct {
    const char *name, *src;
  } chunks[] = {{"=engine/sandbox.lua", kf_lua_sandbox_src},
                {"=engine/workflow.lua", kf_lua_workflow_src},
                {"=engine/script.lua", kf_lua_script_src}};
  for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
    if (luaL_loadbufferx(L, chunks[i].src, strlen(chunks[i].src), chunks[i].name, "t"))
      return lua_error(L);
    lua_pushvalue(L, -2);
    lua_call(L, 1, 0);
  }
  return 1;
}

kf_lua *kf_lua_new(kf_store *st, const kf_lua_limits *lim, kf_err *err) {
  kf_lua *h = calloc(1, sizeof *h);
  if (!h) {
    kf_fail(err, KF_ENOMEM, "out of memory");
    return NULL;
  }
  h->st = st;
  h->cap = lim && lim->memory ? lim->memory : (size_t)64 << 20;
  h->budget = lim && lim->instructions ? lim->instructions : 200000;
  h->seconds = lim && lim->seconds > 0 ? lim->seconds : 5.0;
  h->L = lua_newstate(alloc, h);
  if (!h->L) {
    free(h);
    kf_fail(err, KF_ENOMEM, "out of memory starting Lua");
    return NULL;
  }
  lua_pushcfunction(h->L, open_state);
  if (pcall(h, 0, 1, err)) {
    kf_lua_free(h);
    return NULL;
  }
  h->engine_ref = luaL_ref(h->L, LUA_REGISTRYINDEX);
  return h;
}

void kf_lua_free(kf_lua *h) {
  if (!h) return;
  if (h->L) {
    /* Finalizers left by scripts get no time at all. */
    h->exceeded = 1;
    snprintf(h->budget_msg, sizeof h->budget_msg, "kinflow: closing");
    lua_sethook(h->L, hook, LUA_MASKCOUNT, 1);
    lua_close(h->L);
  }
  json_decref(h->detail);
  free(h);
}

void kf_lua_set_store(kf_lua *h, kf_store *st) { h->st = st; }

void kf_lua_set_ext(kf_lua *h, const kf_lua_ext *ext, void *ud) {
  h->ext = ext;
  h->ext_ud = ud;
}

json_t *kf_lua_detail(kf_lua *h) { return h->detail; }

size_t kf_lua_memory(const kf_lua *h, size_t *peak) {
  if (peak) *peak = h->peak;
  return h->used;
}

static int p_push_args(lua_State *L) {
  conv *c = lua_touserdata(L, 1);
  size_t i;
  json_t *x;
  json_array_foreach(c->in, i, x) push_json(L, x, 0);
  return (int)json_array_size(c->in);
}

static json_t *call(kf_lua *h, const char *fn, json_t *args, kf_err *err);

json_t *kf_lua_call_new(kf_lua *h, const char *fn, json_t *args, kf_err *err) {
  if (!args) {
    kf_fail(err, KF_ENOMEM, "out of memory preparing a call to '%s'", fn);
    return NULL;
  }
  json_t *res = call(h, fn, args, err);
  json_decref(args);
  return res;
}

static json_t *call(kf_lua *h, const char *fn, json_t *args, kf_err *err) {
  lua_State *L = h->L;
  int top = lua_gettop(L);
  h->current[0] = 0;
  json_decref(h->detail);
  h->detail = NULL;
  /* The function, then its arguments, converted in protected mode. */
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->engine_ref);
  if (lua_getfield(L, -1, fn) != LUA_TFUNCTION) {
    lua_settop(L, top);
    kf_fail(err, KF_EINVAL, "internal: no engine function '%s'", fn);
    return NULL;
  }
  lua_remove(L, -2);
  conv c = {args, NULL, "result"};
  lua_pushcfunction(L, p_push_args);
  lua_pushlightuserdata(L, &c);
  if (pcall(h, 1, LUA_MULTRET, err)) {
    lua_settop(L, top);
    return NULL;
  }
  int nargs = lua_gettop(L) - top - 1;
  if (pcall(h, nargs, 4, err)) {
    lua_settop(L, top);
    return NULL;
  }
  /* nil, CODE, MESSAGE [, DETAIL]: a refusal */
  if (lua_isnil(L, -4)) {
    if (lua_istable(L, -1)) { /* the detail is data for the caller; best effort */
      kf_err ignore = {0};
      lua_pushcfunction(L, p_to_json);
      lua_pushvalue(L, -2);
      lua_pushlightuserdata(L, &c);
      c.out = NULL;
      if (pcall(h, 2, 0, &ignore) == 0) h->detail = c.out;
      else json_decref(c.out);
      c.out = NULL;
    }
    lua_pop(L, 1);
    const char *code = lua_tostring(L, -2), *msg = lua_tostring(L, -1);
    int k = !code                          ? KF_EINVAL
            : !strcmp(code, "notfound")    ? KF_ENOTFOUND
            : !strcmp(code, "refused")     ? KF_EREFUSED
            : !strcmp(code, "conflict")    ? KF_ECONFLICT
                                           : KF_EINVAL;
    kf_fail(err, k, "%s", msg ? msg : "refused");
    lua_settop(L, top);
    return NULL;
  }
  lua_pop(L, 3);
  lua_pushcfunction(L, p_to_json);
  lua_insert(L, -2);
  lua_pushlightuserdata(L, &c);
  if (pcall(h, 2, 0, err)) {
    json_decref(c.out);
    lua_settop(L, top);
    return NULL;
  }
  lua_settop(L, top);
  return c.out;
}
