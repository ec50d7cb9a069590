/* plugin.c: loads C plugins (dlopen), checks the ABI version and table size before running
 * any plugin code, keeps the registry of what each adds, and undoes a failed init. It
 * knows nothing of Lua, SQL or the engine's verbs: rules run on JSON, events come from the
 * store, and the verbs a plugin may call are handed in by the layer that has them. It never
 * calls plugin code while holding its lock, except init (which may not call back in). */
#define _GNU_SOURCE
#include "plugin.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kf_plugin.h"

typedef struct entry {
  char *name;
  char *extra; /* description, usage, or hook kind */
  int owner;   /* index into plugins */
  void *fn;
  void *ud;
} entry;

typedef struct list {
  entry *v;
  size_t n, cap;
} list;

struct kf_host {
  kf_plugins *reg;
  int index;
  char *name, *version, *path, *dir;
  void *dl;
  void (*unload)(void *);
  void *unload_ud;
};

struct kf_plugins {
  int refs;       /* engines sharing this process-wide registry */
  char *db_path;  /* the database plugins' sessions open */
  kf_host **plugins;
  size_t nplugins;
  list rules, actions, hooks, commands;
  const char *const *taken;
  char failure[300]; /* why a registration was refused, during init */
};

static const kf_api API; /* defined at the bottom */

/* One registry per process: a shared object is loaded once, however many engines (one
 * per thread) use it, so a plugin's own globals stay valid. The lock guards loading and
 * the lists; the store of the engine calling in is per thread. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kf_plugins *shared;
static const kf_plugin_verbs *verbs; /* set once by the engine's verb layer */
static const kf_plugin_sharing *sharing; /* set once by the engine */
static __thread kf_store *current;
static __thread int in_init;     /* this thread runs a plugin's init (under the lock) */
static __thread int notifying;   /* this thread runs hooks now */
static __thread json_t *pending; /* events committed by hooks' own calls, delivered next */

static void list_push(list *l, entry e) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    entry *v = realloc(l->v, cap * sizeof *v);
    if (!v) return;
    l->v = v;
    l->cap = cap;
  }
  l->v[l->n++] = e;
}

static void list_drop_owner(list *l, int owner) {
  size_t k = 0;
  for (size_t i = 0; i < l->n; i++) {
    if (l->v[i].owner == owner) {
      free(l->v[i].name);
      free(l->v[i].extra);
    } else {
      l->v[k++] = l->v[i];
    }
  }
  l->n = k;
}

static void list_free(list *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->v[i].name);
    free(l->v[i].extra);
  }
  free(l->v);
}

static entry *list_find(list *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->v[i].name, name)) return &l->v[i];
  return NULL;
}

kf_plugins *kf_plugins_new(void) {
  pthread_mutex_lock(&lock);
  if (!shared) shared = calloc(1, sizeof(kf_plugins));
  kf_plugins *reg = shared;
  if (reg) reg->refs++;
  pthread_mutex_unlock(&lock);
  return reg;
}

void kf_plugins_set_store(kf_plugins *reg, kf_store *st) {
  if (!reg || !st) return;
  pthread_mutex_lock(&lock);
  if (!reg->db_path) reg->db_path = strdup(kf_store_path(st));
  pthread_mutex_unlock(&lock);
}

void kf_plugins_set_verbs(const kf_plugin_verbs *v) {
  pthread_mutex_lock(&lock);
  verbs = v;
  pthread_mutex_unlock(&lock);
}

void kf_plugins_set_sharing(const kf_plugin_sharing *s) {
  pthread_mutex_lock(&lock);
  sharing = s;
  pthread_mutex_unlock(&lock);
}

/* close: whether to unload the shared object too. A plugin refused at init is closed; one
 * that ran stays mapped until the process ends (its callbacks may still be referenced by
 * libraries it used, and unloading at exit gains nothing). */
static void host_free(kf_host *h, int close) {
  if (!h) return;
  if (h->unload) h->unload(h->unload_ud);
  if (h->dl && close) dlclose(h->dl);
  free(h->name);
  free(h->version);
  free(h->path);
  free(h->dir);
  free(h);
}

void kf_plugins_free(kf_plugins *reg) {
  if (!reg) return;
  pthread_mutex_lock(&lock);
  int last = --reg->refs == 0;
  if (last) shared = NULL;
  pthread_mutex_unlock(&lock);
  if (!last) return;
  /* plugins first: their unload callbacks may still ask for db_path */
  for (size_t i = reg->nplugins; i-- > 0;) host_free(reg->plugins[i], 0);
  free(reg->db_path);
  free(reg->plugins);
  list_free(&reg->rules);
  list_free(&reg->actions);
  list_free(&reg->hooks);
  list_free(&reg->commands);
  free(reg);
}

/* ---- the API handed to plugins ---- */

static int name_ok(kf_host *h, const char *what, const char *name) {
  if (!name || !*name || strlen(name) > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
                                                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                            "0123456789_-.") != strlen(name)) {
    snprintf(h->reg->failure, sizeof h->reg->failure, "%s name '%s' is not letters, digits, "
             "_ - . (at most 64)", what, name ? name : "(null)");
    return 0;
  }
  return 1;
}

static int taken_by(kf_host *h, list *l, const char *what, const char *name) {
  entry *e = list_find(l, name);
  if (e) {
    snprintf(h->reg->failure, sizeof h->reg->failure, "%s '%s' is added by both plugin '%s' "
             "and plugin '%s'", what, name, h->reg->plugins[e->owner]->name, h->name);
    return 1;
  }
  for (const char *const *t = h->reg->taken; t && *t; t++) {
    if (!strcmp(*t, name)) {
      snprintf(h->reg->failure, sizeof h->reg->failure, "%s '%s' is already added by a Lua "
               "plugin; plugin '%s' adds it again", what, name, h->name);
      return 1;
    }
  }
  return 0;
}

static int add(kf_host *h, list *l, const char *what, const char *name, const char *extra,
               void *fn, void *ud, int unique) {
  if (!fn) {
    snprintf(h->reg->failure, sizeof h->reg->failure, "%s '%s' has no function", what,
             name ? name : "?");
    return -1;
  }
  if (!name_ok(h, what, name) || (unique && taken_by(h, l, what, name))) return -1;
  size_t before = l->n;
  list_push(l, (entry){strdup(name), extra ? strdup(extra) : NULL, h->index, fn, ud});
  return l->n > before ? 0 : -1;
}

static int api_register_rule(kf_host *h, const char *name, const char *description,
                             kf_rule_fn fn, void *ud) {
  return add(h, &h->reg->rules, "rule", name, description, (void *)fn, ud, 1);
}

static int api_register_action(kf_host *h, const char *name, kf_action_fn fn, void *ud) {
  return add(h, &h->reg->actions, "action", name, NULL, (void *)fn, ud, 1);
}

static int api_register_hook(kf_host *h, const char *kind, kf_hook_fn fn, void *ud) {
  if (kind && !strcmp(kind, "*")) return add(h, &h->reg->hooks, "hook", "all", kind, (void *)fn, ud, 0);
  return add(h, &h->reg->hooks, "hook", kind, kind, (void *)fn, ud, 0);
}

static int api_register_command(kf_host *h, const char *name, const char *usage,
                                kf_command_fn fn, void *ud) {
  return add(h, &h->reg->commands, "command", name, usage, (void *)fn, ud, 1);
}

static int api_on_unload(kf_host *h, void (*fn)(void *), void *ud) {
  h->unload = fn;
  h->unload_ud = ud;
  return 0;
}

static void api_log(kf_host *h, int level, const char *fmt, ...) {
  static const char *names[] = {"debug", "info", "warning", "error"};
  if (level == KF_LOG_DEBUG && !getenv("KINFLOW_DEBUG")) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "kinflow: plugin %s: %s%s%s\n", h ? h->name : "?",
          level >= KF_LOG_WARN ? names[level < 4 ? level : 3] : "",
          level >= KF_LOG_WARN ? ": " : "", msg);
}

static const char *api_plugin_dir(kf_host *h) { return h->dir; }
static const char *api_db_path(kf_host *h) {
  return current ? kf_store_path(current) : h->reg->db_path;
}

static json_t *api_json_pack(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  json_t *v = json_vpack_ex(NULL, 0, fmt, ap);
  va_end(ap);
  return v;
}

static json_t *api_json_loads(const char *text, size_t flags, json_error_t *error) {
  return json_loads(text, flags, error);
}
static char *api_json_dumps(const json_t *v, size_t flags) { return json_dumps(v, flags); }
static json_t *api_json_object_get(const json_t *o, const char *k) { return json_object_get(o, k); }
static int api_json_object_set_new(json_t *o, const char *k, json_t *v) {
  return json_object_set_new(o, k, v);
}
static const char *api_json_string_value(const json_t *v) { return json_string_value(v); }
static json_int_t api_json_integer_value(const json_t *v) { return json_integer_value(v); }
static void api_json_decref(json_t *v) { json_decref(v); }

static json_t *api_events_after(kf_host *h, long long after, int limit, char *error, size_t len) {
  (void)h;
  if (!current) {
    snprintf(error, len, "no database is open here (events are read from a hook or a command)");
    return NULL;
  }
  kf_err err = {0};
  json_t *f = json_pack("{s:I,s:i}", "after", (json_int_t)after, "limit", limit > 0 ? limit : 100);
  json_t *rows = kf_store_events(current, f, &err);
  json_decref(f);
  if (!rows) snprintf(error, len, "%s", err.msg);
  return rows;
}

static const kf_plugin_verbs *verbs_now(void) {
  pthread_mutex_lock(&lock);
  const kf_plugin_verbs *v = verbs;
  pthread_mutex_unlock(&lock);
  return v;
}

static kf_session *api_session_open(kf_host *h, char *error, size_t len) {
  if (in_init) { /* init runs under the registry's lock: a session would load plugins */
    snprintf(error, len, "a plugin may not open a session in its init; open it in a "
             "command or a hook");
    return NULL;
  }
  const kf_plugin_verbs *v = verbs_now();
  const char *db = api_db_path(h);
  if (!v) {
    snprintf(error, len, "the engine's verbs are not available in this program");
    return NULL;
  }
  if (!db) {
    snprintf(error, len, "no database is open (run `kinflow init`)");
    return NULL;
  }
  kf_err err = {0};
  kf_session *s = v->open(db, &err);
  if (!s) snprintf(error, len, "%s", err.msg);
  return s;
}

static void api_session_close(kf_session *s) {
  const kf_plugin_verbs *v = verbs_now();
  if (s && v) v->close(s);
}

static json_t *api_call(kf_session *s, const char *verb, const json_t *args, int *status,
                        char *error, size_t len) {
  const kf_plugin_verbs *v = verbs_now();
  if (!s || !v || !verb) {
    *status = 400;
    snprintf(error, len, "call needs a session and a verb");
    return NULL;
  }
  kf_err err = {0};
  json_t *res = v->call(s, verb, (json_t *)args, status, &err);
  if (!res) snprintf(error, len, "%s", err.msg);
  return res;
}

static json_t *api_failure_detail(kf_session *s) {
  const kf_plugin_verbs *v = verbs_now();
  json_t *d = s && v ? v->detail(s) : NULL;
  return d ? json_incref(d) : NULL;
}

static int api_call_group(kf_session *s, kf_call *calls, size_t n) {
  const kf_plugin_verbs *v = verbs_now();
  if (s && v && v->group) return v->group(s, calls, n);
  for (size_t i = 0; i < n; i++) {
    calls[i].result = calls[i].detail = NULL;
    calls[i].status = 400;
    snprintf(calls[i].error, sizeof calls[i].error, "call_group needs a session");
  }
  return -1;
}

static int api_session_durable(kf_session *s, int full, char *error, size_t len) {
  const kf_plugin_verbs *v = verbs_now();
  kf_err err = {0};
  if (!s || !v || !v->durable) {
    snprintf(error, len, "session_durable needs a session");
    return -1;
  }
  if (!v->durable(s, full, &err)) return 0;
  snprintf(error, len, "%s", err.msg);
  return -1;
}

static int api_may_share(kf_host *h, int64_t case_id, const char *purpose,
                         const char *destination, int64_t seq, char *why, size_t n) {
  (void)h;
  char dummy[8];
  if (!why || !n) why = dummy, n = sizeof dummy;
  pthread_mutex_lock(&lock);
  const kf_plugin_sharing *fn = sharing;
  pthread_mutex_unlock(&lock);
  if (!fn) {
    snprintf(why, n, "sharing is not decided in this program (no engine)");
    return -1;
  }
  if (!current && case_id > 0) {
    snprintf(why, n, "no database is open here (ask from a hook or a command)");
    return -1;
  }
  int may = fn->decide(current, case_id, purpose, destination, why, n);
  if (may == 0) {
    char reason[400];
    snprintf(reason, sizeof reason, "%s", why);
    if (fn->withhold(current, case_id, destination, purpose, seq, reason, why, n)) return -1;
  }
  return may;
}

/* ---- ABI 4: a reader, the plugin's own connection for a thread of its own ---- */

struct kf_reader {
  kf_store *st;
  char holder[160]; /* who holds a delivery lease: host, process and reader */
};

static kf_reader *api_reader_open(kf_host *h, char *error, size_t len) {
  if (in_init) {
    snprintf(error, len, "a plugin may not open a reader in its init; open it in a command, "
             "a hook or a thread of its own");
    return NULL;
  }
  const char *db = api_db_path(h);
  if (!db) {
    snprintf(error, len, "no database is open (run `kinflow init`)");
    return NULL;
  }
  kf_reader *r = calloc(1, sizeof *r);
  kf_err err = {0};
  if (!r || !(r->st = kf_store_open(db, KF_STORE_NOCREATE, &err))) {
    snprintf(error, len, "%s", r ? err.msg : "out of memory");
    free(r);
    return NULL;
  }
  return r;
}

static void api_reader_close(kf_reader *r) {
  if (!r) return;
  kf_store_close(r->st);
  free(r);
}

static json_t *api_reader_events_after(kf_reader *r, long long after, int limit, char *error,
                                       size_t len) {
  if (!r) {
    snprintf(error, len, "no reader");
    return NULL;
  }
  kf_err err = {0};
  json_t *f = json_pack("{s:I,s:i}", "after", (json_int_t)after, "limit", limit > 0 ? limit : 100);
  json_t *rows = kf_store_events(r->st, f, &err);
  json_decref(f);
  if (!rows) snprintf(error, len, "%s", err.msg);
  return rows;
}

/* An event's case, 0 when it is about none. */
static int64_t ev_case(const json_t *ev) {
  json_t *c = json_object_get(ev, "case");
  return json_is_integer(c) ? json_integer_value(c) : 0;
}

static json_t *api_reader_may_share(kf_reader *r, const json_t *events, const char *purpose,
                                    const char *destination, char *error, size_t len) {
  pthread_mutex_lock(&lock);
  const kf_plugin_sharing *fn = sharing;
  pthread_mutex_unlock(&lock);
  if (!r || !fn || !json_is_array(events)) {
    snprintf(error, len, "%s", !r ? "no reader" : !fn ? "sharing is not decided in this "
             "program (no engine)" : "reader_may_share takes an array of {seq, case}");
    return NULL;
  }
  /* First every decision, in one read (no lock held); then what is withheld, in one write
   * that holds the database's lock only for as long as its rows take: the process's own
   * firing thread waits on that lock. */
  kf_err err = {0};
  if (kf_store_begin_read(r->st, &err)) {
    snprintf(error, len, "%s", err.msg);
    return NULL;
  }
  json_t *out = json_array(), *reasons = json_array();
  size_t i, withheld = 0;
  json_t *ev;
  json_array_foreach(events, i, ev) {
    char why[400];
    int may = fn->decide(r->st, ev_case(ev), purpose, destination, why, sizeof why);
    if (may < 0) {
      snprintf(error, len, "%s", why);
      kf_store_rollback(r->st);
      goto fail;
    }
    json_array_append_new(out, json_integer(may));
    json_array_append_new(reasons, may ? json_null() : json_string_nocheck(why));
    withheld += !may;
  }
  kf_store_rollback(r->st); /* it only read */
  if (!withheld) {
    json_decref(reasons);
    return out;
  }
  if (kf_store_begin(r->st, &err)) {
    snprintf(error, len, "%s", err.msg);
    goto fail;
  }
  json_array_foreach(events, i, ev) {
    const char *why = json_string_value(json_array_get(reasons, i));
    if (why && fn->withhold(r->st, ev_case(ev), destination, purpose,
                            json_integer_value(json_object_get(ev, "seq")), why, error, len)) {
      kf_store_rollback(r->st);
      goto fail;
    }
  }
  if (kf_store_commit(r->st, &err)) {
    snprintf(error, len, "%s", err.msg);
    goto fail;
  }
  json_decref(reasons);
  return out;
fail:
  json_decref(reasons);
  json_decref(out);
  return NULL;
}

static int api_reader_delivery_claim(kf_reader *r, const char *destination, int seconds,
                                     long long *seq, char *error, size_t len) {
  if (!r || !destination || !*destination) {
    snprintf(error, len, "%s", !r ? "no reader" : "a delivery needs a destination's name");
    return -1;
  }
  if (!r->holder[0]) {
    char host[64] = "?";
    gethostname(host, sizeof host - 1);
    snprintf(r->holder, sizeof r->holder, "%s:%ld:%p", host, (long)getpid(), (void *)r);
  }
  kf_err err = {0};
  /* A lease measures time passing between processes: the system's clock, never the
   * engine's (which KINFLOW_NOW may fix at another time in each process). */
  int64_t at = (int64_t)time(NULL), cursor = 0;
  int got = kf_store_delivery_claim(r->st, destination, r->holder, at,
                                    at + (seconds > 0 ? seconds : 30), &cursor, &err);
  if (got < 0) snprintf(error, len, "%s", err.msg);
  if (got == 1) *seq = cursor;
  return got;
}

static int api_reader_delivery_advance(kf_reader *r, const char *destination, long long seq,
                                       char *error, size_t len) {
  if (!r) {
    snprintf(error, len, "no reader");
    return -1;
  }
  char now[21];
  kf_iso(kf_now(), now);
  kf_err err = {0};
  if (kf_store_delivery_advance(r->st, destination, r->holder, seq, now, &err)) {
    snprintf(error, len, "%s", err.msg);
    return -1;
  }
  return 0;
}

static void api_reader_delivery_release(kf_reader *r, const char *destination) {
  kf_err err = {0};
  if (r && r->holder[0]) kf_store_delivery_release(r->st, destination, r->holder, &err);
}

static long long api_reader_delivery_cursor(kf_reader *r, const char *destination, char *error,
                                            size_t len) {
  kf_err err = {0};
  int64_t seq = r ? kf_store_delivery_cursor(r->st, destination, &err) : -1;
  if (seq < 0) snprintf(error, len, "%s", r ? err.msg : "no reader");
  return seq;
}

static const kf_api API = {
    .abi = KF_PLUGIN_ABI,
    .size = sizeof(kf_api),
    .register_rule = api_register_rule,
    .register_action = api_register_action,
    .register_hook = api_register_hook,
    .register_command = api_register_command,
    .on_unload = api_on_unload,
    .alloc = malloc,
    .realloc = realloc,
    .free = free,
    .log = api_log,
    .plugin_dir = api_plugin_dir,
    .db_path = api_db_path,
    .json_loads = api_json_loads,
    .json_dumps = api_json_dumps,
    .json_pack = api_json_pack,
    .json_object_get = api_json_object_get,
    .json_object_set_new = api_json_object_set_new,
    .json_string_value = api_json_string_value,
    .json_integer_value = api_json_integer_value,
    .json_decref = api_json_decref,
    .events_after = api_events_after,
    .session_open = api_session_open,
    .session_close = api_session_close,
    .call = api_call,
    .failure_detail = api_failure_detail,
    .may_share = api_may_share,
    .reader_open = api_reader_open,
    .reader_close = api_reader_close,
    .reader_events_after = api_reader_events_after,
    .reader_may_share = api_reader_may_share,
    .call_group = api_call_group,
    .session_durable = api_session_durable,
    .reader_delivery_claim = api_reader_delivery_claim,
    .reader_delivery_advance = api_reader_delivery_advance,
    .reader_delivery_release = api_reader_delivery_release,
    .reader_delivery_cursor = api_reader_delivery_cursor,
};

/* ---- loading ---- */

static int load(kf_plugins *reg, const char *so_path, const char *dir,
                const char *const *taken, kf_err *err);

int kf_plugins_load(kf_plugins *reg, const char *so_path, const char *dir,
                    const char *const *taken, kf_err *err) {
  pthread_mutex_lock(&lock);
  int rc = load(reg, so_path, dir, taken, err);
  pthread_mutex_unlock(&lock);
  return rc;
}

static int load(kf_plugins *reg, const char *so_path, const char *dir,
                const char *const *taken, kf_err *err) {
  for (size_t i = 0; i < reg->nplugins; i++)
    if (!strcmp(reg->plugins[i]->path, so_path)) return 0; /* already loaded */
  void *dl = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
  if (!dl) return kf_fail(err, KF_EINVAL, "%s: cannot load: %s", so_path, dlerror());
  const kf_plugin_module *mod = dlsym(dl, "kf_plugin");
  if (!mod) {
    dlclose(dl);
    return kf_fail(err, KF_EINVAL, "%s: not a kinflow plugin (it exports no `kf_plugin`; "
                   "use KF_PLUGIN_DEFINE)", so_path);
  }
  if (mod->abi > KF_PLUGIN_ABI || mod->api_size > sizeof(kf_api) || mod->abi == 0) {
    int rc = kf_fail(err, KF_EINVAL, "%s: built for plugin ABI %u (table of %zu bytes); this "
                     "kinflow has ABI %u (%zu bytes): rebuild the plugin", so_path, mod->abi,
                     mod->api_size, KF_PLUGIN_ABI, sizeof(kf_api));
    dlclose(dl);
    return rc;
  }
  if (!mod->init || !mod->name) {
    dlclose(dl);
    return kf_fail(err, KF_EINVAL, "%s: kf_plugin has no name or no init", so_path);
  }
  for (size_t i = 0; i < reg->nplugins; i++) {
    if (!strcmp(reg->plugins[i]->name, mod->name)) {
      int rc = kf_fail(err, KF_EINVAL, "%s: a plugin named '%s' is already loaded from %s",
                       so_path, mod->name, reg->plugins[i]->path);
      dlclose(dl);
      return rc;
    }
  }
  kf_host *h = calloc(1, sizeof *h);
  kf_host **grown = realloc(reg->plugins, (reg->nplugins + 1) * sizeof *grown);
  if (!h || !grown) {
    free(h);
    if (grown) reg->plugins = grown;
    dlclose(dl);
    return kf_fail(err, KF_ENOMEM, "out of memory loading %s", so_path);
  }
  reg->plugins = grown;
  h->reg = reg;
  h->index = (int)reg->nplugins;
  h->name = strdup(mod->name);
  h->version = strdup(mod->version ? mod->version : "");
  h->path = strdup(so_path);
  h->dir = strdup(dir);
  h->dl = dl;
  reg->plugins[reg->nplugins++] = h;
  reg->taken = taken;
  reg->failure[0] = 0;
  in_init = 1;
  int rc = mod->init(&API, h);
  in_init = 0;
  reg->taken = NULL;
  if (rc != 0 || reg->failure[0]) {
    char why[300], name[128];
    snprintf(why, sizeof why, "%s", reg->failure[0] ? reg->failure : "its init failed");
    snprintf(name, sizeof name, "%s", h->name); /* mod lives in the library we close */
    list_drop_owner(&reg->rules, h->index);
    list_drop_owner(&reg->actions, h->index);
    list_drop_owner(&reg->hooks, h->index);
    list_drop_owner(&reg->commands, h->index);
    reg->nplugins--;
    host_free(h, 1);
    return kf_fail(err, KF_EINVAL, "%s: plugin '%s' refused: %s; nothing it registered "
                   "remains", so_path, name, why);
  }
  return 0;
}

json_t *kf_plugins_list(kf_plugins *reg) {
  pthread_mutex_lock(&lock);
  json_t *out = json_array();
  for (size_t i = 0; i < reg->nplugins; i++) {
    kf_host *h = reg->plugins[i];
    json_t *adds = json_array();
    const struct {
      list *l;
      const char *what;
    } kinds[] = {{&reg->rules, "rule"}, {&reg->actions, "action"}, {&reg->hooks, "hook"},
                 {&reg->commands, "command"}};
    for (size_t k = 0; k < 4; k++)
      for (size_t j = 0; j < kinds[k].l->n; j++)
        if (kinds[k].l->v[j].owner == (int)i) {
          char s[128];
          snprintf(s, sizeof s, "%s %s", kinds[k].what, kinds[k].l->v[j].name);
          json_array_append_new(adds, json_string(s));
        }
    json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:o}", "name", h->name, "version",
                                         h->version, "path", h->dir, "library", h->path, "adds",
                                         adds));
  }
  pthread_mutex_unlock(&lock);
  return out;
}

const char *kf_plugins_rule_owner(kf_plugins *reg, const char *name) {
  pthread_mutex_lock(&lock);
  entry *e = list_find(&reg->rules, name);
  const char *owner = e ? reg->plugins[e->owner]->name : NULL;
  pthread_mutex_unlock(&lock);
  return owner; /* plugins stay loaded while any engine lives */
}

const char *kf_plugins_action_owner(kf_plugins *reg, const char *name) {
  pthread_mutex_lock(&lock);
  entry *e = list_find(&reg->actions, name);
  const char *owner = e ? reg->plugins[e->owner]->name : NULL;
  pthread_mutex_unlock(&lock);
  return owner;
}

int kf_plugins_rule(kf_plugins *reg, const char *name, json_t *case_, char *reason, size_t len) {
  pthread_mutex_lock(&lock);
  entry *e = list_find(&reg->rules, name);
  kf_rule_fn fn = e ? (kf_rule_fn)e->fn : NULL;
  void *ud = e ? e->ud : NULL;
  pthread_mutex_unlock(&lock);
  reason[0] = 0;
  if (!fn) {
    snprintf(reason, len, "no C rule '%s'", name);
    return -1;
  }
  int rc = fn(ud, case_, reason, len);
  reason[len - 1] = 0;
  return rc > 0 ? 1 : rc;
}

int kf_plugins_action(kf_plugins *reg, const char *name, json_t *case_, json_t *args,
                      json_t **changes, kf_err *err) {
  pthread_mutex_lock(&lock);
  entry *e = list_find(&reg->actions, name);
  kf_action_fn fn = e ? (kf_action_fn)e->fn : NULL;
  void *ud = e ? e->ud : NULL;
  const char *owner = e ? reg->plugins[e->owner]->name : NULL;
  pthread_mutex_unlock(&lock);
  *changes = NULL;
  if (!fn) return kf_fail(err, KF_ENOTFOUND, "no action '%s' (see `kinflow plugins`)", name);
  char msg[300] = "";
  int rc = fn(ud, case_, args, changes, msg, sizeof msg);
  msg[sizeof msg - 1] = 0;
  if (rc < 0) {
    json_decref(*changes);
    *changes = NULL;
    return kf_fail(err, KF_EINVAL, "action '%s' (plugin %s) failed: %s", name, owner,
                   msg[0] ? msg : "no reason given");
  }
  if (*changes && !json_is_object(*changes)) {
    json_decref(*changes);
    *changes = NULL;
    return kf_fail(err, KF_EINVAL, "action '%s' returned changes that are not an object", name);
  }
  return 0;
}

static int wants(const entry *e, const char *kind) {
  const char *k = e->extra;
  if (!strcmp(k, "*")) return 1;
  size_t n = strlen(k);
  if (n && k[n - 1] == '.') return !strncmp(kind, k, n);
  return !strcmp(kind, k);
}

/* Hooks run outside the lock (a hook may open a session, which loads plugins). Events
 * that a hook's own calls commit are queued and delivered after the current round, so
 * hooks never nest; a chain of rounds stops after MAX_ROUNDS, with a warning. */
#define MAX_ROUNDS 1000

void kf_plugins_notify(kf_plugins *reg, kf_store *st, json_t *events) {
  if (!reg || !json_array_size(events)) return;
  if (notifying) {
    if (!pending) pending = json_array();
    json_array_extend(pending, events);
    return;
  }
  pthread_mutex_lock(&lock);
  size_t n = reg->hooks.n;
  entry *hooks = n ? malloc(n * sizeof *hooks) : NULL;
  if (hooks) memcpy(hooks, reg->hooks.v, n * sizeof *hooks);
  pthread_mutex_unlock(&lock);
  if (!hooks) return;
  notifying = 1;
  kf_store *was = current;
  current = st;
  json_t *batch = json_incref(events);
  for (int round = 0; batch; round++) {
    size_t i;
    json_t *ev;
    json_array_foreach(batch, i, ev) {
      const char *kind = json_string_value(json_object_get(ev, "kind"));
      for (size_t j = 0; kind && j < n; j++)
        if (wants(&hooks[j], kind)) ((kf_hook_fn)hooks[j].fn)(hooks[j].ud, ev);
    }
    json_decref(batch);
    batch = pending;
    pending = NULL;
    if (batch && round + 1 >= MAX_ROUNDS) {
      fprintf(stderr, "kinflow: warning: plugin hooks kept causing events for %d rounds; "
              "%zu later events were not handed to hooks (they are in the event log)\n",
              MAX_ROUNDS, json_array_size(batch));
      json_decref(batch);
      batch = NULL;
    }
  }
  current = was;
  notifying = 0;
  free(hooks);
}

int kf_plugins_command(kf_plugins *reg, kf_store *st, int argc, char **argv, int *found) {
  pthread_mutex_lock(&lock);
  entry *e = argc > 0 ? list_find(&reg->commands, argv[0]) : NULL;
  kf_command_fn fn = e ? (kf_command_fn)e->fn : NULL;
  void *ud = e ? e->ud : NULL;
  pthread_mutex_unlock(&lock); /* a command may run for long (serve): not under the lock */
  *found = fn != NULL;
  if (!fn) return 2;
  current = st;
  int rc = fn(ud, argc, argv);
  current = NULL;
  return rc;
}
