/* kf_plugin.h: the one header a C plugin includes. The host hands the plugin a table of
 * function pointers (kf_api); the plugin reaches the engine through it and nothing else.
 *
 * The table is append-only: new functions are only ever added at the end, and
 * KF_PLUGIN_ABI grows when they are. A plugin exports exactly one symbol, `kf_plugin`
 * (KF_PLUGIN_DEFINE below), which names the ABI version it was built against and the size
 * of the kf_api it knows; the host refuses a plugin built for a newer ABI or a larger
 * table before running any of its code.
 *
 * Ownership: json_t values passed to callbacks are borrowed for the call; values a
 * callback returns through an out-parameter are new references the host takes.
 *
 * What each callback may call:
 * - init: the register_* functions, on_unload, log, plugin_dir, db_path, alloc and the
 *   JSON helpers. Not session_open (it fails with a message: init runs while the host is
 *   loading plugins), so not call either; open sessions in a command or a hook.
 * - a rule or an action: the JSON helpers and log. It runs inside a transaction on the
 *   caller's connection: no session_open/call (they would wait for that transaction).
 * - a hook: anything, including session_open and call. It runs after the commit, outside
 *   the host's locks. Events that its own calls commit reach the hooks after it returns
 *   (never nested inside it).
 * - a command: anything. */
#ifndef KF_PLUGIN_H
#define KF_PLUGIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define KF_PLUGIN_ABI 6

/* The longest password the engine's user verbs take (user.add, user.verify), in
 * characters: the same limit at creation and at sign-in. */
#define KF_PASSWORD_MAX 256

typedef struct kf_host kf_host;       /* the host's handle for one plugin */
typedef struct kf_session kf_session; /* a connection to the engine, for one thread */
typedef struct kf_reader kf_reader;   /* a bare connection to the database (ABI 4) */

/* One verb of a group (ABI 5's call_group): verb and args are the caller's (borrowed); the
 * rest is filled by the call: result (a new reference) and status 200, or result NULL, an
 * HTTP-like status as call's, error (one line) and detail (as failure_detail: a new
 * reference, or NULL). */
typedef struct kf_call {
  const char *verb;
  const json_t *args;
  json_t *result;
  int status;
  char error[512];
  json_t *detail;
} kf_call;

enum { KF_LOG_DEBUG = 0, KF_LOG_INFO = 1, KF_LOG_WARN = 2, KF_LOG_ERROR = 3 };

/* A rule: return 1 when met, 0 when not (write a reason in a practitioner's words into
 * reason), negative on failure (write what went wrong into reason). case_ is
 * {id, ref, workflow, state, data}. */
typedef int (*kf_rule_fn)(void *ud, const json_t *case_, char *reason, size_t reason_len);

/* An action, called from workflow code as kf.actions.NAME(case, args): return 0 and set
 * *changes to an object merged into case.data (or leave it NULL), or negative with a
 * message in error. It runs inside the transition's transaction: no effects outside the
 * database here (use an event hook for those). */
typedef int (*kf_action_fn)(void *ud, const json_t *case_, const json_t *args,
                            json_t **changes, char *error, size_t error_len);

/* An event hook, called after the transaction that appended the event committed, once
 * per event: {seq, case, at, actor, role, kind, name, from, to, reason, data, hash}. */
typedef void (*kf_hook_fn)(void *ud, const json_t *event);

/* A subcommand: `kinflow NAME ARGS...`; argv[0] is NAME. Returns the exit status. */
typedef int (*kf_command_fn)(void *ud, int argc, char **argv);

typedef struct kf_api {
  unsigned abi;  /* KF_PLUGIN_ABI of the host */
  size_t size;   /* sizeof(kf_api) in the host */

  /* ABI 1 */
  int (*register_rule)(kf_host *h, const char *name, const char *description, kf_rule_fn fn,
                       void *ud);
  int (*register_action)(kf_host *h, const char *name, kf_action_fn fn, void *ud);
  /* kind: an event kind ("case.transition"), a prefix ending in '.' ("case."), or "*". */
  int (*register_hook)(kf_host *h, const char *kind, kf_hook_fn fn, void *ud);
  int (*register_command)(kf_host *h, const char *name, const char *usage, kf_command_fn fn,
                          void *ud);
  /* Called when the host unloads the plugin (also after a failed init). */
  int (*on_unload)(kf_host *h, void (*fn)(void *ud), void *ud);

  void *(*alloc)(size_t size);
  void *(*realloc)(void *ptr, size_t size);
  void (*free)(void *ptr);

  void (*log)(kf_host *h, int level, const char *fmt, ...)
      __attribute__((format(printf, 3, 4)));
  const char *(*plugin_dir)(kf_host *h); /* the plugin's folder */
  const char *(*db_path)(kf_host *h);    /* the database the command works on */

  /* JSON, through the host's Jansson */
  json_t *(*json_loads)(const char *text, size_t flags, json_error_t *error);
  char *(*json_dumps)(const json_t *value, size_t flags);
  json_t *(*json_pack)(const char *fmt, ...);
  json_t *(*json_object_get)(const json_t *object, const char *key);
  int (*json_object_set_new)(json_t *object, const char *key, json_t *value);
  const char *(*json_string_value)(const json_t *value);
  json_int_t (*json_integer_value)(const json_t *value);
  void (*json_decref)(json_t *value);

  /* Read the event log: events with seq > after, oldest first, at most limit; a new
   * reference to an array, or NULL with error filled. For delivering events reliably. */
  json_t *(*events_after)(kf_host *h, long long after, int limit, char *error, size_t len);

  /* The engine's verbs, for plugins that serve requests (the console): open one session
   * per thread (its own database connection and Lua state), then call verbs with JSON
   * arguments; engine/api.h lists them. call returns a new reference, or NULL with an
   * HTTP-like *status (400 bad input, 401 not signed in, 404 not found, 409 refused move
   * or conflict, 503 database busy, 500) and a one-line error. */
  kf_session *(*session_open)(kf_host *h, char *error, size_t len);
  void (*session_close)(kf_session *s);
  json_t *(*call)(kf_session *s, const char *verb, const json_t *args, int *status,
                  char *error, size_t len);

  /* ABI 2 */
  /* The data behind the session's last failed call, as a new reference, or NULL. For a
   * refused move: {"refusals": [{code, params, text}, ...]} (engine/api.h lists codes); a
   * move tried and failed also says {"transition": {programme, outcome}} (engine/api.h). */
  json_t *(*failure_detail)(kf_session *s);

  /* ABI 3 */
  /* Sharing follows consent. May the records of case case_id go to destination (a name
   * for what the plugin sends to, e.g. "outbox") for purpose (e.g. share_with_partners)
   * now? 1: a current consent for purpose covers the case; 0: no, and the engine has
   * recorded event seq as withheld from destination (why, of n bytes, says why: "no
   * current consent to share_with_partners (withdrawn 2026-05-01)"); -1: an error (why
   * says it). Events with no case always go (1). From a hook or a command. */
  int (*may_share)(kf_host *h, int64_t case_id, const char *purpose,
                   const char *destination, int64_t seq, char *why, size_t n);

  /* ABI 4 */
  /* Work off the hook's thread (delivering events in the background). A reader is a
   * connection of the plugin's own to the database, without Lua or plugins, opened in a
   * moment, for one thread at a time; from a hook, a command or a thread of the plugin's
   * own (not from init). reader_open: NULL with error filled. */
  kf_reader *(*reader_open)(kf_host *h, char *error, size_t len);
  void (*reader_close)(kf_reader *r);
  /* events_after, on the reader's connection. */
  json_t *(*reader_events_after)(kf_reader *r, long long after, int limit, char *error,
                                 size_t len);
  /* may_share for many events at once: all decided in one read, what is withheld recorded
   * in one short write (the write lock is never held while deciding): events is an array of
   * {seq, case} (case absent or null: an event of no case, which always goes). Returns a
   * new array of integers in the same order, 1 (may go) or 0 (no: recorded as withheld
   * from destination, as may_share records it), or NULL with error filled when it could
   * not decide (then nothing was recorded, and the events stay undecided). */
  json_t *(*reader_may_share)(kf_reader *r, const json_t *events, const char *purpose,
                              const char *destination, char *error, size_t len);

  /* ABI 5 */
  /* Group commit: run n verbs on the session in one write transaction, each in a savepoint
   * of its own (a verb that fails undoes only its own work and gets its own status), and
   * commit once: one fsync for all of them. No call's result exists before that commit.
   * Returns 0 when the group committed (each call says how it went), or -1 when it did not
   * (then every call that had succeeded fails: 503 "the database is busy; try again" or
   * 500 with the store's error; nothing of the group is written). Hooks see the group's
   * events after the commit. From a command, a hook or a thread of the plugin's own. */
  int (*call_group)(kf_session *s, kf_call *calls, size_t n);
  /* full 1: the session's commits survive a power loss (SQLite's synchronous=FULL: an fsync
   * a commit, which a group pays once); 0: the default (NORMAL: they survive a crash of
   * the program). 0, or -1 with error filled. */
  int (*session_durable)(kf_session *s, int full, char *error, size_t len);

  /* ABI 6 */
  /* Delivering once per destination however many servers run: the destination's cursor
   * (the last event delivered) lives in the database, with a lease on delivering to it,
   * so that one process at a time delivers and the next goes on from the cursor. claim: 1
   * with *seq the cursor when this reader holds the lease now, for `seconds` (taken,
   * renewed, or taken over from a holder whose lease ran out), 0 when another process
   * holds it, -1 with error filled. advance: the cursor to seq (forward only); -1 with
   * error when the lease was lost meanwhile (the taker resends from the cursor: at least
   * once). release: the lease let go (at the end of a delivery). On the reader's own
   * connection, outside any transaction of its own. */
  int (*reader_delivery_claim)(kf_reader *r, const char *destination, int seconds,
                               long long *seq, char *error, size_t len);
  int (*reader_delivery_advance)(kf_reader *r, const char *destination, long long seq,
                                 char *error, size_t len);
  void (*reader_delivery_release)(kf_reader *r, const char *destination);
  /* The destination's cursor as it stands, lease or not (0: nothing delivered yet), or -1
   * with error filled. */
  long long (*reader_delivery_cursor)(kf_reader *r, const char *destination, char *error,
                                      size_t len);
} kf_api;

/* What a plugin exports. */
typedef struct kf_plugin_module {
  unsigned abi;      /* KF_PLUGIN_ABI the plugin was built against */
  size_t api_size;   /* sizeof(kf_api) the plugin was built against */
  const char *name;
  const char *version;
  /* Register what the plugin adds; return 0, or non-zero (after api->log of why) to be
   * unloaded with everything it registered undone. */
  int (*init)(const kf_api *api, kf_host *host);
} kf_plugin_module;

#define KF_PLUGIN_DEFINE(NAME, VERSION, INIT)                                              \
  __attribute__((visibility("default"))) const kf_plugin_module kf_plugin = {             \
      KF_PLUGIN_ABI, sizeof(kf_api), NAME, VERSION, INIT}

#endif
