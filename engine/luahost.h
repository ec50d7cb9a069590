/* luahost.h: a sandboxed Lua state and the bridge to the engine's Lua half
 * (engine/lua/). One kf_lua per thread, never shared. It knows nothing of plugins:
 * whoever owns the state hands it the C extensions (kf_lua_ext).
 * Ownership: json_t* arguments are borrowed; results are new references. */
#ifndef KF_LUAHOST_H
#define KF_LUAHOST_H

#include <jansson.h>

#include "kf.h"
#include "store.h"

typedef struct kf_lua kf_lua;

/* The engine's Lua functions that C calls, by name (kf_lua_call's fn): every name C uses
 * is here, so that the two halves meet in one place. */
#define KF_LUA_CHECK "check"                       /* files -> {files, messages} */
#define KF_LUA_DIAGRAM "diagram"                   /* what -> DOT text */
#define KF_LUA_INITIAL "initial"                   /* workflow id -> {state} */
#define KF_LUA_OPEN "open"                         /* case -> {data, timers, ...} */
#define KF_LUA_FIRE "fire"                         /* case, transition, role, opts */
#define KF_LUA_MOVES "moves"                       /* case, role -> [move] */
#define KF_LUA_SUBMIT "submit"                     /* case, form, data -> check */
#define KF_LUA_HAS_REVIEW "has_review"             /* case -> bool */
#define KF_LUA_HAS_TRANSITION "has_transition"     /* case, name -> bool */
#define KF_LUA_REVIEW_TIMER "review_timer"         /* case -> {state, due} */
#define KF_LUA_LOAD_PLUGINS "load_plugins_count"   /* -> how many plugins */
#define KF_LUA_PLUGINS "plugins"                   /* -> {lua, c, problems} */
#define KF_LUA_RULE_IMPACT "rule_impact"           /* path, source, cases */
#define KF_LUA_RULE_SOURCE "rule_source"           /* name -> where it comes from */
#define KF_LUA_RULES_LIST "rules_list"             /* deployed names -> [rule] */
#define KF_LUA_FORM_SCHEMA "form_schema"           /* name, workflow id -> schema */
#define KF_LUA_SENSITIVE_FIELDS "sensitive_fields" /* workflow id, forms -> {form: [field]} */
#define KF_LUA_SENSITIVE_KEYS "sensitive_keys"     /* workflow id -> {data, members, forms} */
#define KF_LUA_SCENARIO_FILE "scenario_file"       /* path -> scenarios */
#define KF_LUA_SCRIPT_RUN "script_run"             /* path, args -> output (scripts only) */
#define KF_LUA_FAMILY_INFO "family_info"           /* workflow id -> {roles, transitions, forms} */
#define KF_LUA_FAMILY_PAGE "family_page"           /* case, role -> the family page's parts */
#define KF_LUA_MIGRATE_PLAN "migrate_plan"         /* name, version, to id, froms, path?, source? */
#define KF_LUA_MIGRATE_CASE "migrate_case"         /* case, timers, name, version, to id, path?, source? */

/* C extensions (plugins' rules and actions), handed in by the state's owner; each
 * function gets ud. Without them, Lua sees no C plugins. */
typedef struct kf_lua_ext {
  /* Load dir's shared object; taken: names Lua plugins already add (NULL-ended). */
  int (*load)(void *ud, const char *so_path, const char *dir, const char *const *taken,
              kf_err *err);
  json_t *(*list)(void *ud);                        /* [{name, version, path, adds}] */
  const char *(*rule_owner)(void *ud, const char *name);   /* NULL: no C rule of that name */
  const char *(*action_owner)(void *ud, const char *name);
  /* 1 met, 0 not (reason filled), negative on failure (reason says why). */
  int (*rule)(void *ud, const char *name, json_t *case_, char *reason, size_t len);
  /* *changes (may stay NULL) is merged into the case's data. */
  int (*action)(void *ud, const char *name, json_t *case_, json_t *args, json_t **changes,
                kf_err *err);
} kf_lua_ext;

typedef struct kf_lua_limits {
  size_t memory;       /* bytes the state may hold; 0: 64 MiB */
  long instructions;   /* per call, in thousands of VM instructions; 0: 200000 (2e8) */
  double seconds;      /* per call, wall clock; 0: 5 s */
} kf_lua_limits;

/* st may be NULL (checking files without a database) and may be set later. */
kf_lua *kf_lua_new(kf_store *st, const kf_lua_limits *limits, kf_err *err);
void kf_lua_free(kf_lua *L);
void kf_lua_set_store(kf_lua *L, kf_store *st);
/* ext (borrowed; must outlive the state) and its ud; NULL: no C extensions. */
void kf_lua_set_ext(kf_lua *L, const kf_lua_ext *ext, void *ud);

/* Call the engine's Lua function `fn` (a KF_LUA_ name above) with the elements of args
 * (an array, taken even on failure, so callers may pass json_pack(...) directly) as
 * arguments. The function returns a value (converted to JSON), or nil, CODE, MESSAGE
 * [, DETAIL] to refuse (CODE: "invalid", "notfound", "refused", "conflict"; DETAIL: data
 * about the refusal, such as a move's unmet conditions as [{code, params, text}]). Lua
 * errors, the CPU budget and the memory cap come back as KF_ELUA with "FILE:LINE: message". */
json_t *kf_lua_call_new(kf_lua *L, const char *fn, json_t *args, kf_err *err);

/* What a transition does, as fire.lua's E.fire returns it, read member by member (no
 * object is made of the result itself). */
typedef struct kf_fired {
  json_t *to;         /* the state it ends in (a string) */
  json_t *data;       /* the case's data after it */
  json_t *more;       /* NULL, or what else it returned: outcome, ended_by, decision, timers,
                       * schedules, cancels, emits */
  int stay, final;
  int timed;          /* -1: not said; 0: the state left holds no timers; 1: it may */
} kf_fired;

/* KF_LUA_FIRE for the case as its row holds it (the data's stored text goes straight into
 * Lua), transition, role (NULL: any) and opts: 0 with *out filled (kf_fired_free it), or
 * errors as kf_lua_call_new (a refusal's detail in kf_lua_detail). */
int kf_lua_fire(kf_lua *L, const kf_case_row *c, const char *transition, const char *role,
                json_t *opts, kf_fired *out, kf_err *err);
void kf_fired_free(kf_fired *f);

/* For the tests: the case's data text pushed into Lua as fire pushes it (direct: through
 * the text reader; 0: through Jansson) and converted back. */
json_t *kf_lua_data_echo(kf_lua *L, const char *text, int direct, kf_err *err);

/* The DETAIL of the last refused call (borrowed, until the next call), or NULL. */
json_t *kf_lua_detail(kf_lua *L);

/* Bytes the state holds now, and the most it ever held. */
size_t kf_lua_memory(const kf_lua *L, size_t *peak);

#endif
