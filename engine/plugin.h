/* plugin.h: the host side of C plugins: loading shared objects, checking their ABI, and
 * the registry of what they add (rules, actions, event hooks, subcommands). The runtime
 * owns the registry; the engine's verbs reach plugins through kf_plugins_set_verbs, so
 * this layer depends on nothing above the store.
 * Ownership: json_t* arguments are borrowed; returned json_t* are new references. */
#ifndef KF_PLUGIN_HOST_H
#define KF_PLUGIN_HOST_H

#include <jansson.h>

#include "kf.h"
#include "store.h"

typedef struct kf_plugins kf_plugins;
typedef struct kf_session kf_session;

/* The engine's verbs as plugins reach them (kf_api's session_open, session_close, call,
 * failure_detail), handed in once per process by the layer that implements them. detail:
 * the data of the session's last failure (borrowed), or NULL. */
struct kf_call; /* kf_plugin.h */
typedef struct kf_plugin_verbs {
  kf_session *(*open)(const char *db, kf_err *err);
  void (*close)(kf_session *s);
  json_t *(*call)(kf_session *s, const char *verb, json_t *args, int *status, kf_err *err);
  json_t *(*detail)(kf_session *s);
  int (*group)(kf_session *s, struct kf_call *calls, size_t n); /* call_group (ABI 5) */
  int (*durable)(kf_session *s, int full, kf_err *err);           /* session_durable (ABI 5) */
} kf_plugin_verbs;
void kf_plugins_set_verbs(const kf_plugin_verbs *verbs);

/* Whether a case's records may leave for a destination (kf_api's may_share), handed in
 * once per process by the layer that knows consent: decide answers 1 yes, 0 no (why says
 * why), -1 error, and writes nothing; withhold records an event as withheld, with decide's
 * reason: 0, or -1 (error says why). Without them, may_share answers -1. */
typedef struct kf_plugin_sharing {
  int (*decide)(kf_store *st, int64_t case_id, const char *purpose, const char *destination,
                char *why, size_t n);
  int (*withhold)(kf_store *st, int64_t case_id, const char *destination, const char *purpose,
                  int64_t seq, const char *reason, char *error, size_t n);
} kf_plugin_sharing;
void kf_plugins_set_sharing(const kf_plugin_sharing *s);

/* The process's registry (shared by every engine, one per thread; counted): a plugin's
 * shared object is loaded once per process. */
kf_plugins *kf_plugins_new(void);
/* Drops one engine's hold; the last one unloads every plugin (on_unload first). */
void kf_plugins_free(kf_plugins *reg);
/* Remember the database plugins' sessions open (the first one set wins). */
void kf_plugins_set_store(kf_plugins *reg, kf_store *st);

/* Load dir/NAME.so. taken: rule and action names already added elsewhere (NULL-ended),
 * refused if a plugin adds them again. On any failure nothing it registered remains. */
int kf_plugins_load(kf_plugins *reg, const char *so_path, const char *dir,
                    const char *const *taken, kf_err *err);

/* [{name, version, path, adds: ["rule x", ...]}] */
json_t *kf_plugins_list(kf_plugins *reg);
/* Which plugin adds rule/action `name` (NULL: none). */
const char *kf_plugins_rule_owner(kf_plugins *reg, const char *name);
const char *kf_plugins_action_owner(kf_plugins *reg, const char *name);

/* Run a C rule: 1 met, 0 not (reason filled), negative on failure (reason says why). */
int kf_plugins_rule(kf_plugins *reg, const char *name, json_t *case_, char *reason, size_t len);
/* Run a C action; *changes (may stay NULL) is merged into the case's data. */
int kf_plugins_action(kf_plugins *reg, const char *name, json_t *case_, json_t *args,
                      json_t **changes, kf_err *err);
/* After a commit on st: hand each event to the hooks that want its kind, outside the
 * registry's lock. Events committed by a hook's own calls are delivered after it returns. */
void kf_plugins_notify(kf_plugins *reg, kf_store *st, json_t *events);
/* Run `kinflow NAME ...` if a plugin adds NAME; *found says whether one did. */
int kf_plugins_command(kf_plugins *reg, kf_store *st, int argc, char **argv, int *found);

#endif
