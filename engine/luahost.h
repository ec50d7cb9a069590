/* luahost.h: a sandboxed Lua state and the bridge to the engine's Lua half
 * (engine/lua/). One kf_lua per thread, never shared.
 * Ownership: json_t* arguments are borrowed; results are new references. */
#ifndef KF_LUAHOST_H
#define KF_LUAHOST_H

#include <jansson.h>

#include "kf.h"
#include "store.h"

typedef struct kf_lua kf_lua;

typedef struct kf_lua_limits {
  size_t memory;       /* bytes the state may hold; 0: 64 MiB */
  long instructions;   /* per call, in thousands of VM instructions; 0: 200000 (2e8) */
  double seconds;      /* per call, wall clock; 0: 5 s */
} kf_lua_limits;

/* st may be NULL (checking files without a database) and may be set later. */
kf_lua *kf_lua_new(kf_store *st, const kf_lua_limits *limits, kf_err *err);
void kf_lua_free(kf_lua *L);
void kf_lua_set_store(kf_lua *L, kf_store *st);

/* Call the engine's Lua function `fn` with the elements of args (an array, taken: the
 * call owns it, so callers may pass json_pack(...) directly) as arguments.
 * The function returns a value (converted to JSON), or nil, CODE, MESSAGE to refuse
 * (CODE: "invalid", "notfound", "refused", "conflict"). Lua errors, the CPU budget and
 * the memory cap come back as KF_ELUA with "FILE:LINE: message". */
json_t *kf_lua_call(kf_lua *L, const char *fn, json_t *args, kf_err *err);

/* The registry of C plugins this state loaded (see plugin.h). */
struct kf_plugins *kf_lua_plugins(kf_lua *L);

/* Bytes the state holds now, and the most it ever held. */
size_t kf_lua_memory(const kf_lua *L, size_t *peak);

#endif
