/* runtime.c: the engine's verbs. Each takes the write lock, asks the workflow's Lua half
 * what should happen, stores the result (case, timers, hash-chained events) and commits, or
 * rolls everything back. No SQL here (that is the store) and no Lua API (the Lua host).
 * Here: the engine's state, transactions and groups, events, deploys, and the verbs on a
 * case; runtime_team.c (teams, allocation, access for a time), runtime_timers.c and
 * runtime_rules.c share what runtime_int.h declares. */
#define _GNU_SOURCE
#include "runtime.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "runtime_int.h"
#include "sharing.h"

struct kf_engine {
  kf_store *st;
  kf_lua *lua;
  kf_plugins *plugins; /* the process's C plugins (one registry, counted) */
  json_t *appended;    /* events of the open transaction, for the hooks after commit */
  json_t *sensitive;   /* workflow version id -> its sensitive data and member keys */
  json_t *latest;      /* workflow name -> the definitions row of its latest version */
  json_t *defmeta;     /* workflow version id -> what a case shows of it (kf_store_def_meta) */
  /* A group (kf_group_begin): one write transaction for many pieces of work. Inside it
   * rt_tx_begin opens a savepoint; depth counts those open, mark[i] is how many events were
   * appended when savepoint i opened (a rollback to it drops the later ones); a call's
   * savepoint (kf_group_call_begin) is floor, which no verb's tx_abort rolls back. */
  int group, depth, floor;
  size_t mark[KF_GROUP_DEPTH];
};

/* What the Lua half may ask of C plugins: the registry's verbs, with it as ud. */
static int ext_load(void *ud, const char *so, const char *dir, const char *const *taken,
                    kf_err *err) {
  return kf_plugins_load(ud, so, dir, taken, err);
}
static json_t *ext_list(void *ud) { return kf_plugins_list(ud); }
static const char *ext_rule_owner(void *ud, const char *name) {
  return kf_plugins_rule_owner(ud, name);
}
static const char *ext_action_owner(void *ud, const char *name) {
  return kf_plugins_action_owner(ud, name);
}
static int ext_rule(void *ud, const char *name, json_t *c, char *reason, size_t len) {
  return kf_plugins_rule(ud, name, c, reason, len);
}
static int ext_action(void *ud, const char *name, json_t *c, json_t *args, json_t **changes,
                      kf_err *err) {
  return kf_plugins_action(ud, name, c, args, changes, err);
}
static const kf_lua_ext EXT = {ext_load, ext_list, ext_rule_owner, ext_action_owner,
                               ext_rule, ext_action};

kf_engine *kf_engine_open(const char *db, int flags, kf_err *err) {
  kf_engine *e = calloc(1, sizeof *e);
  if (!e) {
    kf_fail(err, KF_ENOMEM, "out of memory");
    return NULL;
  }
  if (db && !(e->st = kf_store_open(db, flags, err))) goto fail;
  if (!(e->lua = kf_lua_new(e->st, NULL, err))) goto fail;
  if (!(e->plugins = kf_plugins_new()) || !(e->appended = json_array()) ||
      !(e->sensitive = json_object()) || !(e->latest = json_object()) ||
      !(e->defmeta = json_object())) {
    kf_fail(err, KF_ENOMEM, "out of memory");
    goto fail;
  }
  if (e->st) kf_plugins_set_store(e->plugins, e->st);
  static const kf_plugin_sharing sharing = {kf_sharing_decide, kf_sharing_withhold};
  kf_plugins_set_sharing(&sharing); /* what plugins send follows consent */
  kf_lua_set_ext(e->lua, &EXT, e->plugins);
  /* Plugins load now, so their hooks see every event this engine commits. A plugin that
   * fails to load is left out; `kinflow plugins` and `kinflow check` say why. */
  if (db) {
    kf_err ignore = {0};
    json_decref(kf_lua_call_new(e->lua, KF_LUA_LOAD_PLUGINS, json_array(), &ignore));
  }
  return e;
fail:
  kf_engine_close(e);
  return NULL;
}

void kf_engine_close(kf_engine *e) {
  if (!e) return;
  kf_lua_free(e->lua);
  kf_plugins_free(e->plugins);
  kf_store_close(e->st);
  json_decref(e->appended);
  json_decref(e->sensitive);
  json_decref(e->latest);
  json_decref(e->defmeta);
  free(e);
}

kf_store *kf_engine_store(kf_engine *e) { return e->st; }
kf_lua *kf_engine_lua(kf_engine *e) { return e->lua; }
kf_plugins *kf_engine_plugins(kf_engine *e) { return e->plugins; }

void rt_now_iso(char buf[static 21]) { kf_iso(kf_now(), buf); }

int rt_need_store(kf_engine *e, kf_err *err) {
  return e->st ? 0 : kf_fail(err, KF_EUSAGE, "no database is open");
}


/* What was read inside a transaction and kept, forgotten when its work is undone: a
 * version deployed in a rolled-back savepoint leaves its id free for the next one. */
static void forget_cached(kf_engine *e) {
  json_object_clear(e->latest);
  json_object_clear(e->sensitive);
  json_object_clear(e->defmeta); /* a version deployed and rolled back may come again */
}

/* Whether work is open that an event can join: the transaction, or in a group a savepoint. */
static int in_tx(kf_engine *e) { return e->group ? e->depth > 0 : kf_store_in_tx(e->st); }

/* Transactions: the events appended in one go to the plugins' hooks once it commits. In a
 * group they are savepoints, and the events wait for the group's commit. */
int rt_tx_begin(kf_engine *e, kf_err *err) {
  if (!e->group) {
    json_array_clear(e->appended);
    return kf_store_begin(e->st, err);
  }
  if (e->depth == KF_GROUP_DEPTH)
    return kf_fail(err, KF_EINVAL, "internal: work nested more than %d deep", KF_GROUP_DEPTH);
  int rc = kf_store_savepoint(e->st, 0, err);
  if (!rc) e->mark[e->depth++] = json_array_size(e->appended);
  return rc;
}

/* Undo the innermost savepoint of the group and drop its events. */
static void savepoint_undo(kf_engine *e) {
  kf_err ignore = {0};
  size_t mark = e->mark[--e->depth];
  kf_store_savepoint(e->st, 2, &ignore);
  while (json_array_size(e->appended) > mark)
    json_array_remove(e->appended, json_array_size(e->appended) - 1);
  forget_cached(e);
}

void rt_tx_abort(kf_engine *e) {
  if (e->group) {
    if (e->depth > e->floor) savepoint_undo(e);
    return;
  }
  kf_store_rollback(e->st);
  json_array_clear(e->appended);
  forget_cached(e);
}

int rt_tx_commit(kf_engine *e, kf_err *err) {
  if (e->group) { /* a commit that fails undoes its work, as the store's does */
    if (e->depth <= e->floor) return 0; /* work that had no savepoint of its own */
    int rc = kf_store_savepoint(e->st, 1, err);
    if (rc) savepoint_undo(e);
    else e->depth--;
    return rc;
  }
  int rc = kf_store_commit(e->st, err);
  if (!rc && json_array_size(e->appended))
    kf_plugins_notify(e->plugins, e->st, e->appended);
  json_array_clear(e->appended);
  if (rc) forget_cached(e);
  return rc;
}

/* ---- groups: many pieces of work, one commit ---- */

int kf_group_begin(kf_engine *e, kf_err *err) {
  if (rt_need_store(e, err)) return err->code;
  if (e->group) return kf_fail(err, KF_EUSAGE, "internal: a group is open already");
  json_array_clear(e->appended);
  int rc = kf_store_begin(e->st, err);
  if (rc) return rc;
  e->group = 1;
  e->depth = e->floor = 0;
  return 0;
}

static void group_end(kf_engine *e) {
  e->group = e->depth = e->floor = 0;
  json_array_clear(e->appended);
}

int kf_group_commit(kf_engine *e, kf_err *err) {
  if (!e->group) return kf_fail(err, KF_EUSAGE, "internal: no group is open");
  e->floor = 0;
  while (e->depth) savepoint_undo(e); /* work left open is work not finished */
  int rc = kf_store_commit(e->st, err); /* a commit that fails rolls back */
  e->group = 0;
  if (!rc && json_array_size(e->appended)) kf_plugins_notify(e->plugins, e->st, e->appended);
  if (rc) forget_cached(e);
  group_end(e);
  return rc;
}

void kf_group_abort(kf_engine *e) {
  if (!e->group) return;
  kf_store_rollback(e->st);
  forget_cached(e);
  group_end(e);
}

int kf_group_call_begin(kf_engine *e, kf_err *err) {
  if (!e->group || e->floor) return kf_fail(err, KF_EUSAGE, "internal: no group, or a call open");
  int rc = rt_tx_begin(e, err);
  if (!rc) e->floor = e->depth;
  return rc;
}

int kf_group_call_end(kf_engine *e, int keep, kf_err *err) {
  if (!e->group || !e->floor) return kf_fail(err, KF_EUSAGE, "internal: no call is open");
  int level = e->floor;
  e->floor = 0;
  while (e->depth > level) savepoint_undo(e); /* a verb's own work left open */
  if (!kf_store_in_tx(e->st)) { /* SQLite rolled the whole transaction back (disk full...) */
    e->depth = 0;
    return kf_fail(err, KF_ESTORE, "the transaction was rolled back");
  }
  if (keep) return rt_tx_commit(e, err);
  savepoint_undo(e);
  return 0;
}

/* Append one event (ev borrowed); data_text: its data as the store writes it, or NULL. */
static int record_text(kf_engine *e, json_t *ev, const char *data_text, kf_err *err) {
  int rc = kf_store_event_append_text(e->st, ev, data_text, err);
  if (!rc) json_array_append(e->appended, ev);
  return rc;
}

static int record(kf_engine *e, json_t *ev, kf_err *err) { return record_text(e, ev, NULL, err); }

/* Append one event; ev is taken (NULL: out of memory). */
int rt_event_new(kf_engine *e, json_t *ev, kf_err *err) {
  if (!ev) return kf_fail(err, KF_ENOMEM, "out of memory recording an event");
  int rc = record(e, ev, err);
  json_decref(ev);
  return rc;
}

/* ---- transactions and events for the layers above ---- */

int kf_tx_begin(kf_engine *e, kf_err *err) {
  if (rt_need_store(e, err)) return err->code;
  return rt_tx_begin(e, err);
}
int kf_tx_commit(kf_engine *e, kf_err *err) { return rt_tx_commit(e, err); }
void kf_tx_abort(kf_engine *e) { rt_tx_abort(e); }

int kf_event_append_new(kf_engine *e, json_t *ev, kf_err *err) {
  if (rt_need_store(e, err)) {
    json_decref(ev);
    return err->code;
  }
  if (in_tx(e)) return rt_event_new(e, ev, err);
  int rc = rt_tx_begin(e, err);
  if (rc) {
    json_decref(ev);
    return rc;
  }
  if ((rc = rt_event_new(e, ev, err)) || (rc = rt_tx_commit(e, err))) rt_tx_abort(e);
  return rc;
}

/* An event of a case (NULL: out of memory). Built member by member: json_pack reads its
 * format each time, and every transition makes one. */
static json_t *event_of(const char *kind, int64_t id, const char *actor, const char *now) {
  json_t *ev = json_object();
  if (!ev || json_object_set_new_nocheck(ev, "kind", json_string(kind)) ||
      json_object_set_new_nocheck(ev, "case", json_integer(id)) ||
      json_object_set_new_nocheck(ev, "actor", json_string(actor ? actor : "kinflow")) ||
      json_object_set_new_nocheck(ev, "at", json_string(now))) {
    json_decref(ev);
    return NULL;
  }
  return ev;
}

json_t *rt_case_event(const char *kind, json_t *c, const char *actor, const char *now) {
  return event_of(kind, json_integer_value(json_object_get(c, "id")), actor, now);
}

/* The sensitive keys of a workflow version's data and members ({data, members}; borrowed,
 * or NULL). A version's own definition declares them and never changes, so they are asked
 * of Lua once per version (its forms' sensitive fields can change; they are not kept). */
#define SENSITIVE_KEPT 256
static json_t *sensitive_keys(kf_engine *e, int64_t workflow_id) {
  char id[24];
  kf_int_text(workflow_id, id);
  json_t *keys = json_object_get(e->sensitive, id);
  if (keys) return keys;
  kf_err ignore = {0};
  json_t *all = kf_lua_call_new(e->lua, KF_LUA_SENSITIVE_KEYS, json_pack("[I]", (json_int_t)workflow_id), &ignore);
  if (!all) return NULL;
  keys = json_pack("{s:O,s:O}", "data", json_object_get(all, "data"), "members",
                   json_object_get(all, "members"));
  json_decref(all);
  if (!keys) return NULL;
  if (json_object_size(e->sensitive) >= SENSITIVE_KEPT) json_object_clear(e->sensitive);
  json_object_set_new(e->sensitive, id, keys);
  return keys;
}

/* What an event may keep of data (borrowed) of case c: the workflow's sensitive keys of
 * `which` ("data" or "members") stand as "(private)", so that a sensitive value is never
 * copied into the log (its history, its readers, the outbox). A new reference. */
static json_t *redacted_of(kf_engine *e, int64_t workflow_id, const char *which, json_t *data) {
  if (!json_is_object(data) || !json_object_size(data)) return json_incref(data);
  json_t *keys = sensitive_keys(e, workflow_id);
  json_t *out = NULL;
  size_t i;
  json_t *k;
  json_array_foreach(json_object_get(keys, which), i, k) {
    const char *name = json_string_value(k);
    if (!name || !json_object_get(data, name)) continue;
    if (!out) out = json_deep_copy(data);
    json_object_set_new(out, name, json_string("(private)"));
  }
  return out ? out : json_incref(data);
}

static json_t *redacted(kf_engine *e, json_t *c, const char *which, json_t *data) {
  return redacted_of(e, json_integer_value(json_object_get(c, "workflow_id")), which, data);
}

/* ev with data set to data (borrowed) as the log may keep it; ev may be NULL. */
static json_t *with_data_new(kf_engine *e, json_t *c, json_t *ev, json_t *data) {
  if (ev) json_object_set_new(ev, "data", redacted(e, c, "data", data));
  return ev;
}

/* Fail the transaction: roll back, release keep (taken) and hand back NULL. */
json_t *rt_abort_tx_new(kf_engine *e, json_t *keep) {
  rt_tx_abort(e);
  json_decref(keep);
  return NULL;
}

/* ---- check and deploy ---- */

json_t *kf_check(kf_engine *e, json_t *paths, kf_err *err) {
  json_t *files = json_array();
  size_t i;
  json_t *p;
  json_array_foreach(paths, i, p) {
    const char *path = json_string_value(json_object_get(p, "path"));
    json_t *src = json_object_get(p, "source");
    if (!src) {
      char *text = kf_read_file(path, NULL, err);
      if (!text) {
        json_decref(files);
        return NULL;
      }
      src = json_string(text);
      free(text);
      if (!src) {
        json_decref(files);
        kf_fail(err, KF_EINVAL, "%s:1: the file is not valid UTF-8 text", path);
        return NULL;
      }
    } else {
      json_incref(src);
    }
    /* "only": "rule" takes the rules a plugin.lua (or workflow) declares (rule deploy) */
    json_array_append_new(files, json_pack("{s:s,s:o,s:O?}", "path", path, "source", src, "only",
                                           json_object_get(p, "only")));
  }
  json_t *res = kf_lua_call_new(e->lua, KF_LUA_CHECK, json_pack("[o]", files), err);
  return res;
}

static void hash_of(const char *source, json_t *base_id, char out[65]) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_state h;
  char base[32];
  snprintf(base, sizeof base, "\n%lld", (long long)json_integer_value(base_id));
  crypto_hash_sha256_init(&h);
  crypto_hash_sha256_update(&h, (const unsigned char *)source, strlen(source));
  crypto_hash_sha256_update(&h, (const unsigned char *)base, strlen(base));
  crypto_hash_sha256_final(&h, d);
  sodium_bin2hex(out, 65, d, sizeof d);
}

/* Store f (kind, name, title, path, source, definition) as a new version unless the newest
 * active one has the same source and base; *row gets the version in force (with
 * "unchanged": true when nothing was stored). Inside an open transaction. */
static int store_version(kf_engine *e, json_t *f, json_t *base_id, const char *actor,
                         const char *now, json_t **row, kf_err *err) {
  const char *kind = json_string_value(json_object_get(f, "kind"));
  const char *name = json_string_value(json_object_get(f, "name"));
  const char *source = json_string_value(json_object_get(f, "source"));
  char hash[65];
  hash_of(source, base_id, hash);
  kf_err look = {0};
  json_t *latest = kf_store_def_latest(e->st, kind, name, &look);
  if (!latest && look.code != KF_ENOTFOUND) {
    *err = look;
    return err->code;
  }
  const char *old = latest ? json_string_value(json_object_get(latest, "hash")) : NULL;
  if (old && !strcmp(old, hash)) {
    json_object_set_new(latest, "unchanged", json_true());
    *row = latest;
    return 0;
  }
  json_decref(latest);
  json_t *r = json_pack("{s:s,s:s,s:O?,s:O,s:s,s:O?,s:O,s:s,s:s,s:s}", "kind", kind, "name",
                        name, "title", json_object_get(f, "title"), "path",
                        json_object_get(f, "path"), "source", source, "base_id", base_id,
                        "definition", json_object_get(f, "definition"), "hash", hash,
                        "deployed_at", now, "deployed_by", actor);
  int rc;
  if (!r) return kf_fail(err, KF_EINVAL, "%s %s: its definition is incomplete", kind, name);
  if ((rc = kf_store_def_put(e->st, r, err))) {
    json_decref(r);
    return rc;
  }
  char evkind[32];
  snprintf(evkind, sizeof evkind, "%s.deployed", kind);
  rc = rt_event_new(e, json_pack("{s:s,s:s,s:s,s:s,s:{s:O,s:s,s:s}}", "kind", evkind, "name", name,
                          "actor", actor, "at", now, "data", "version",
                          json_object_get(r, "version"), "path",
                          json_string_value(json_object_get(r, "path")), "hash", hash),
             err);
  if (rc) {
    json_decref(r);
    return rc;
  }
  *row = r;
  return 0;
}

int kf_deploy(kf_engine *e, json_t *paths, const char *actor, json_t **report, kf_err *err) {
  *report = NULL;
  if (rt_need_store(e, err)) return err->code;
  int rc = rt_tx_begin(e, err);
  if (rc) return rc;
  /* Check inside the transaction, so bases seen in the database are the ones pinned. */
  json_t *res = kf_check(e, paths, err);
  if (!res) {
    rt_tx_abort(e);
    return err->code;
  }
  *report = res;
  if (json_array_size(json_object_get(res, "messages")) > 0) {
    rt_tx_abort(e);
    return kf_fail(err, KF_EINVAL, "nothing deployed: fix the problems above first");
  }
  char now[21];
  rt_now_iso(now);
  size_t i;
  json_t *f;
  json_array_foreach(json_object_get(res, "files"), i, f) {
    const char *kind = json_string_value(json_object_get(f, "kind"));
    if (strcmp(kind, "workflow") && strcmp(kind, "rule") && strcmp(kind, "form")) continue;
    const char *base = json_string_value(json_object_get(f, "base"));
    json_t *base_id = NULL;
    if (base) { /* pin the base's newest version, deployed earlier in this transaction or before */
      json_t *row = kf_store_def_latest(e->st, "workflow", base, err);
      if (!row) {
        rt_tx_abort(e);
        return err->code;
      }
      base_id = json_incref(json_object_get(row, "id"));
      json_object_set(f, "base_version", json_object_get(row, "version"));
      json_decref(row);
    }
    json_t *row = NULL;
    rc = store_version(e, f, base_id, actor, now, &row, err);
    json_decref(base_id);
    if (rc) {
      rt_tx_abort(e);
      return rc;
    }
    json_object_set(f, "version", json_object_get(row, "version"));
    json_object_set(f, "id", json_object_get(row, "id"));
    if (json_is_true(json_object_get(row, "unchanged"))) json_object_set_new(f, "unchanged", json_true());
    json_decref(row);
  }
  return rt_tx_commit(e, err);
}

/* ---- cases ---- */

json_t *kf_case_get(kf_engine *e, const char *id, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  return kf_store_case_get(e->st, id, err);
}

/* Store what Lua decided (timers to add and cancel, events to emit) for case c. */
static int apply_effects_of(kf_engine *e, int64_t id, json_t *res, const char *actor,
                            const char *now, kf_err *err) {
  size_t i;
  json_t *x;
  int rc;
  json_array_foreach(json_object_get(res, "timers"), i, x) {
    if ((rc = kf_store_timer_add(e->st, id, json_string_value(json_object_get(x, "name")),
                                 json_string_value(json_object_get(x, "kind")),
                                 json_string_value(json_object_get(x, "state")),
                                 json_string_value(json_object_get(x, "due")), err)))
      return rc;
  }
  json_array_foreach(json_object_get(res, "cancels"), i, x) {
    if ((rc = kf_store_timers_cancel(e->st, id, NULL, json_string_value(x), now, 0, err))) return rc;
  }
  json_array_foreach(json_object_get(res, "schedules"), i, x) {
    const char *name = json_string_value(json_object_get(x, "name"));
    if ((rc = kf_store_timers_cancel(e->st, id, NULL, name, now, 0, err)) ||
        (rc = kf_store_timer_add(e->st, id, name, "custom", NULL,
                                 json_string_value(json_object_get(x, "due")), err)))
      return rc;
  }
  json_array_foreach(json_object_get(res, "emits"), i, x) {
    json_t *ev = event_of(json_string_value(json_object_get(x, "kind")), id, actor, now);
    json_object_set(ev, "data", json_object_get(x, "data"));
    if ((rc = rt_event_new(e, ev, err))) return rc;
  }
  return 0;
}

static int apply_effects(kf_engine *e, json_t *c, json_t *res, const char *actor,
                         const char *now, kf_err *err) {
  return apply_effects_of(e, json_integer_value(json_object_get(c, "id")), res, actor, now, err);
}

/* 0, or KF_EINVAL naming the first key of data (borrowed) that the workflow version behind
 * def (a definitions row) controls: only its forms and actions set those. who: "case 4". */
static int controlled_refused(json_t *def, json_t *data, const char *who, kf_err *err) {
  size_t i;
  json_t *k;
  json_array_foreach(json_object_get(json_object_get(def, "definition"), "controlled"), i, k) {
    const char *key = json_string_value(k);
    if (key && json_object_get(data, key))
      return kf_fail(err, KF_EINVAL, "%s: '%s' is the programme's to set (its forms and actions), "
                     "not by hand", who, key);
  }
  return 0;
}

/* The definitions row of workflow's latest version (a new reference), read again only when
 * a newer version was deployed: a version's row never changes, and parsing it was most of
 * what opening a case cost. */
#define LATEST_KEPT 64
static json_t *latest_workflow(kf_engine *e, const char *workflow, kf_err *err) {
  int64_t id = kf_store_def_latest_id(e->st, "workflow", workflow, err);
  if (!id) return NULL;
  json_t *row = json_object_get(e->latest, workflow);
  if (row && json_integer_value(json_object_get(row, "id")) == id) return json_incref(row);
  if (!(row = kf_store_def_get(e->st, id, err))) return NULL;
  if (json_object_size(e->latest) >= LATEST_KEPT) json_object_clear(e->latest);
  json_object_set(e->latest, workflow, row);
  return row;
}

/* What opening a case of version wf (its definitions row) does, asked of Lua once and kept
 * in the row (a version never changes): {state, final, enter, timers, fixed} (fire.lua's
 * E.initial); borrowed, or NULL with err. */
static json_t *open_plan(kf_engine *e, json_t *wf, kf_err *err) {
  json_t *plan = json_object_get(wf, "open_plan");
  if (plan) return plan;
  plan = kf_lua_call_new(e->lua, KF_LUA_INITIAL, json_pack("[O]", json_object_get(wf, "id")), err);
  if (!plan) return NULL;
  json_object_set_new(wf, "open_plan", plan);
  return plan;
}

/* o[k] = v (taken; NULL: null), k a plain ASCII key. */
static void put(json_t *o, const char *k, json_t *v) {
  json_object_set_new_nocheck(o, k, v ? v : json_null());
}

/* What Lua's `open` gives for a version whose plan is fixed (no on_enter action): its
 * initial state and its timers, each due its secs after now (the engine's clock, in
 * seconds). A new reference, or NULL. */
static json_t *fixed_open(json_t *plan, int64_t now) {
  json_t *res = json_object(), *timers = json_object_get(plan, "timers"), *t;
  size_t i;
  if (!res) return NULL;
  put(res, "state", json_incref(json_object_get(plan, "state")));
  if (!json_array_size(timers)) return res;
  json_t *list = json_array();
  json_object_set_new(res, "timers", list);
  json_array_foreach(timers, i, t) {
    char due[21];
    kf_iso(now + json_integer_value(json_object_get(t, "secs")), due);
    json_t *one = json_object();
    if (!one) break;
    put(one, "name", json_incref(json_object_get(t, "name")));
    put(one, "kind", json_incref(json_object_get(t, "kind")));
    put(one, "state", json_incref(json_object_get(t, "state")));
    put(one, "due", json_string(due));
    json_array_append_new(list, one);
  }
  return res;
}

/* Whether v holds a null anywhere (Lua's tables leave nulls out of a case's data). */
static int has_null(json_t *v) {
  const char *k;
  json_t *x;
  size_t i;
  if (json_is_null(v)) return 1;
  if (json_is_object(v)) {
    json_object_foreach(v, k, x) {
      if (has_null(x)) return 1;
    }
  } else if (json_is_array(v)) {
    json_array_foreach(v, i, x) {
      if (has_null(x)) return 1;
    }
  }
  return 0;
}

/* A new case as kf_store_case_get reads it back, its keys in that order: number id, ref
 * (NULL: none), in version wf's initial state with data (NULL: {}), opened at now (a new
 * case is at revision 2: opening is its first change). full 0: only what the store and
 * the event need (id, ref, workflow, workflow_id, state, final, data, revision, created_at),
 * for a case nobody is handed. A new reference, or NULL. */
static json_t *opened_case(json_t *wf, int64_t id, json_t *ref, json_t *state, json_t *data,
                           const char *now, int full) {
  json_t *c = json_object(), *at = json_string(now);
  if (!c || !at) {
    json_decref(c);
    json_decref(at);
    return NULL;
  }
  put(c, "id", json_integer(id));
  put(c, "ref", json_incref(ref));
  put(c, "workflow", json_incref(json_object_get(wf, "name")));
  if (full) put(c, "version", json_incref(json_object_get(wf, "version")));
  put(c, "workflow_id", json_incref(json_object_get(wf, "id")));
  put(c, "state", json_incref(state));
  put(c, "final", json_false());
  /* handed back: its data's keys in the order a read gives them (the store sorts them) */
  put(c, "data", !data ? json_object() : full ? kf_store_data_sorted(data) : json_incref(data));
  put(c, "revision", json_integer(2));
  if (!full) {
    put(c, "created_at", at);
    return c;
  }
  put(c, "overdue_since", json_null());
  put(c, "created_at", json_incref(at));
  put(c, "updated_at", json_incref(at));
  put(c, "entered_at", at);
  put(c, "allocated_to", json_null());
  put(c, "team", json_null());
  put(c, "workflow_title", json_incref(json_object_get(wf, "title")));
  put(c, "base_name", json_incref(json_object_get(wf, "base_name")));
  put(c, "base_version", json_incref(json_object_get(wf, "base_version")));
  return c;
}

/* Case c's case.opened event (as case_event makes one), its data as the log may keep it. */
static json_t *opened_event(kf_engine *e, json_t *wf, json_t *c, const char *actor) {
  json_t *ev = json_object(), *d = json_object();
  if (!ev || !d) {
    json_decref(ev);
    json_decref(d);
    return NULL;
  }
  put(ev, "kind", json_string("case.opened"));
  put(ev, "case", json_incref(json_object_get(c, "id")));
  put(ev, "actor", json_string(actor ? actor : "kinflow"));
  put(ev, "at", json_incref(json_object_get(c, "created_at")));
  put(ev, "to", json_incref(json_object_get(c, "state")));
  /* in key order, as the log writes them (so they need no sorting there) */
  put(d, "data", redacted(e, c, "data", json_object_get(c, "data")));
  if (!json_is_null(json_object_get(c, "ref"))) put(d, "ref", json_incref(json_object_get(c, "ref")));
  put(d, "version", json_incref(json_object_get(wf, "version")));
  put(d, "workflow", json_incref(json_object_get(wf, "name")));
  put(ev, "data", d);
  return ev;
}

/* What Lua's `open` gives for case {id, ref, workflow, workflow_id, data} of version wf, or
 * (no action to run) what it would give: {state, data?, timers?, schedules?, cancels?,
 * emits?}. A new reference, or NULL with err. */
static json_t *open_result(kf_engine *e, json_t *wf, int64_t id, json_t *ref, json_t *data,
                           int64_t now, kf_err *err) {
  json_t *plan = open_plan(e, wf, err);
  if (!plan) return NULL;
  int nulls = data && has_null(data); /* Lua leaves them out: as an action would see it */
  if (json_is_true(json_object_get(plan, "fixed")) && !nulls) return fixed_open(plan, now);
  json_t *arg = json_object(), *args = json_array();
  if (!arg || !args) {
    json_decref(arg);
    json_decref(args);
    kf_fail(err, KF_ENOMEM, "out of memory opening a case");
    return NULL;
  }
  put(arg, "id", json_integer(id));
  if (ref) put(arg, "ref", json_incref(ref));
  put(arg, "workflow_id", json_incref(json_object_get(wf, "id")));
  put(arg, "workflow", json_incref(json_object_get(wf, "name")));
  if (data) put(arg, "data", json_incref(data));
  if (nulls) put(arg, "nulls", json_true());
  json_array_append_new(args, arg);
  return kf_lua_call_new(e->lua, KF_LUA_OPEN, args, err);
}

/* Open one case of workflow version wf (a definitions row, borrowed) inside the open
 * transaction: its number taken first (*next, when not 0: the number after the
 * transaction's previous case; set to the one after this case's), what opening does (Lua's
 * `open`, when the initial state has an on_enter action), the case's row written once as opening leaves it, the
 * case.opened event in the chain and what opening did; last: the transaction's last case,
 * whose row then records the log's head. *opened (optional) gets the case as
 * kf_store_case_get reads it back. who names the case in refusals ("case new (referral)").
 * On failure the caller rolls the transaction back. */
static int open_in_tx(kf_engine *e, json_t *wf, json_t *data, const char *ref,
                      const char *actor, const char *who, int64_t *next, int last,
                      json_t **opened, kf_err *err) {
  char now[21];
  int64_t clock = kf_now();
  kf_iso(clock, now);
  json_t *c = NULL, *res = NULL, *ev = NULL, *refv = ref ? json_string(ref) : NULL;
  int64_t id = *next;
  if ((ref && !refv) || (data && controlled_refused(wf, data, who, err)) ||
      (!id && kf_store_case_reserve(e->st, &id, err)) ||
      !(res = open_result(e, wf, id, refv, data, clock, err)))
    goto fail;
  json_t *fresh = json_object_get(res, "data"); /* NULL: no on_enter action, data as given */
  if (!(c = opened_case(wf, id, refv, json_object_get(res, "state"), fresh ? fresh : data, now,
                        opened != NULL)) ||
      !(ev = opened_event(e, wf, c, actor))) {
    kf_fail(err, KF_ENOMEM, "%s: out of memory opening the case", who);
    goto fail;
  }
  /* the case's row, written once as opening leaves it, then its events (and for the last
   * case the log's head in its row, so that commit writes no other) */
  int events = last ? 1 + (int)json_array_size(json_object_get(res, "emits")) : 0;
  if (kf_store_case_insert_as(e->st, c, id, events, now, err)) goto fail;
  int rc = rt_event_new(e, ev, err); /* takes ev */
  ev = NULL;
  if (rc || apply_effects(e, c, res, actor, now, err) ||
      (last && kf_store_case_note_head(e->st, id, err)))
    goto fail;
  *next = id < INT64_MAX ? id + 1 : 0; /* the transaction's next case, if any */
  json_decref(res);
  json_decref(refv);
  if (opened) *opened = c;
  else json_decref(c);
  return 0;
fail:
  json_decref(ev);
  json_decref(res);
  json_decref(c);
  json_decref(refv);
  if (!err->code) kf_fail(err, KF_ENOMEM, "%s: out of memory opening the case", who);
  return err->code;
}

/* workflow's latest version for opening a case (a new reference), or NULL with err. */
static json_t *open_workflow(kf_engine *e, const char *workflow, kf_err *err) {
  json_t *wf = latest_workflow(e, workflow, err);
  if (!wf && err->code == KF_ENOTFOUND)
    kf_fail(err, KF_ENOTFOUND, "no workflow '%s' is deployed (see `kinflow workflows`)", workflow);
  return wf;
}

json_t *kf_case_open(kf_engine *e, const char *workflow, json_t *data, const char *ref,
                     const char *actor, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (data && !json_is_object(data)) {
    kf_fail(err, KF_EINVAL, "--data must be a JSON object, e.g. '{\"child\": \"Ava\"}'");
    return NULL;
  }
  if (kf_json_depth_ok(data, KF_JSON_DEPTH, "the case's data", err)) return NULL;
  if (rt_tx_begin(e, err)) return NULL;
  char who[200];
  snprintf(who, sizeof who, "case new (%.100s)", workflow);
  json_t *c = NULL, *wf = open_workflow(e, workflow, err);
  int64_t next = 0;
  int rc = !wf || open_in_tx(e, wf, data, ref, actor, who, &next, 1, &c, err);
  json_decref(wf);
  if (rc) return rt_abort_tx_new(e, NULL);
  if (rt_tx_commit(e, err)) { /* commit rolls back what it could not write */
    json_decref(c);
    return NULL;
  }
  return c;
}

/* One case of a batch ({workflow, data?, ref?}, borrowed): 0 with its parts, or KF_EINVAL
 * saying what is wrong with it. */
static int batch_item(json_t *item, const char **workflow, json_t **data, const char **ref,
                      kf_err *err) {
  if (!json_is_object(item))
    return kf_fail(err, KF_EINVAL, "a case must be a JSON object {\"workflow\": ..., \"data\": {...}}");
  const char *key;
  json_t *v;
  json_object_foreach(item, key, v) {
    if (strcmp(key, "workflow") && strcmp(key, "data") && strcmp(key, "ref"))
      return kf_fail(err, KF_EINVAL, "unknown key '%.100s' (a case has workflow, data and ref)", key);
  }
  *workflow = json_string_value(json_object_get(item, "workflow"));
  if (!*workflow || !**workflow)
    return kf_fail(err, KF_EINVAL, "'workflow' must be a programme's name (a non-empty string)");
  *data = json_object_get(item, "data");
  if (*data && !json_is_object(*data))
    return kf_fail(err, KF_EINVAL, "'data' must be a JSON object, e.g. {\"child\": \"Ava\"}");
  v = json_object_get(item, "ref");
  if (v && !json_is_string(v)) return kf_fail(err, KF_EINVAL, "'ref' must be a string");
  *ref = json_string_value(v);
  return kf_json_depth_ok(*data, KF_JSON_DEPTH, "the case's data", err);
}

int kf_case_open_batch(kf_engine *e, json_t *cases, const char *actor, size_t *failed,
                       kf_err *err) {
  if (failed) *failed = 0;
  if (rt_need_store(e, err)) return err->code;
  if (!json_is_array(cases)) return kf_fail(err, KF_EINVAL, "internal: cases must be an array");
  size_t i;
  json_t *item;
  json_array_foreach(cases, i, item) { /* refuse a malformed case before writing anything */
    const char *workflow, *ref;
    json_t *data;
    if (batch_item(item, &workflow, &data, &ref, err)) {
      if (failed) *failed = i;
      return err->code;
    }
  }
  if (!json_array_size(cases)) return 0;
  if (rt_tx_begin(e, err)) return err->code;
  json_t *wf = NULL; /* the previous case's workflow version: nothing deploys in here */
  int64_t next = 0;  /* the next case's number */
  json_array_foreach(cases, i, item) {
    const char *workflow = NULL, *ref = NULL;
    json_t *data = NULL;
    char who[200];
    batch_item(item, &workflow, &data, &ref, err);
    snprintf(who, sizeof who, "workflow '%.100s'", workflow);
    if (!wf || strcmp(json_string_value(json_object_get(wf, "name")), workflow)) {
      json_decref(wf);
      wf = open_workflow(e, workflow, err);
    }
    if (!wf || open_in_tx(e, wf, data, ref, actor, who, &next,
                             i + 1 == json_array_size(cases), NULL, err)) {
      json_decref(wf);
      if (failed) *failed = i;
      rt_tx_abort(e);
      return err->code;
    }
  }
  json_decref(wf);
  if (rt_tx_commit(e, err)) {
    if (failed) *failed = json_array_size(cases);
    return err->code;
  }
  return 0;
}

/* Load a case inside the current transaction, checking an expected revision. */
json_t *rt_load_case(kf_engine *e, const char *id, int64_t expect, kf_err *err) {
  json_t *c = kf_store_case_get(e->st, id, err);
  if (!c) return NULL;
  int64_t rev = json_integer_value(json_object_get(c, "revision"));
  if (expect && rev != expect) {
    kf_fail(err, KF_ECONFLICT, "case %s changed: it is at revision %lld, not %lld (someone "
            "else updated it first); reload and try again", id, (long long)rev, (long long)expect);
    json_decref(c);
    return NULL;
  }
  return c;
}

/* Load a case's row inside the current transaction, checking an expected revision. */
int rt_load_row(kf_engine *e, const char *id, int64_t expect, kf_case_row *r, kf_err *err) {
  if (kf_store_case_row(e->st, id, r, err)) return err->code;
  if (expect && r->revision != expect) {
    kf_fail(err, KF_ECONFLICT, "case %s changed: it is at revision %lld, not %lld (someone "
            "else updated it first); reload and try again", id, (long long)r->revision,
            (long long)expect);
    kf_case_row_free(r);
    return KF_ECONFLICT;
  }
  return 0;
}

/* What a case shows of its workflow version (borrowed; kept: a version's row never
 * changes), or NULL with err. */
#define DEFMETA_KEPT 256
static json_t *def_meta(kf_engine *e, int64_t workflow_id, kf_err *err) {
  char id[24];
  kf_int_text(workflow_id, id);
  json_t *m = json_object_get(e->defmeta, id);
  if (m) return m;
  if (!(m = kf_store_def_meta(e->st, workflow_id, err))) return NULL;
  if (json_object_size(e->defmeta) >= DEFMETA_KEPT) json_object_clear(e->defmeta);
  json_object_set_new(e->defmeta, id, m);
  return m;
}

static json_t *text_or_null(const char *t) { return t ? json_string(t) : json_null(); }

/* The case of row r as kf_store_case_get returns it (the same members, in the same order),
 * its data being data (borrowed), which came from Lua: its objects' keys in the order a
 * read gives them (luahost.c's to_json puts them in sorted). state and at (borrowed, or
 * NULL): r's state, and the time of its update and entry, as JSON made already (a move's
 * event holds them). NULL with err. */
static json_t *row_case(kf_engine *e, const kf_case_row *r, json_t *data, json_t *state,
                        json_t *at, kf_err *err) {
  json_t *m = def_meta(e, r->workflow_id, err);
  if (!m) return NULL;
  json_t *c = json_object();
  json_object_set_new_nocheck(c, "id", json_integer(r->id));
  json_object_set_new_nocheck(c, "ref", text_or_null(r->ref));
  json_object_set_new_nocheck(c, "workflow", text_or_null(r->workflow));
  json_object_set_nocheck(c, "version", json_object_get(m, "version"));
  json_object_set_new_nocheck(c, "workflow_id", json_integer(r->workflow_id));
  json_object_set_new_nocheck(c, "state", state ? json_incref(state) : text_or_null(r->state));
  json_object_set_new_nocheck(c, "final", json_boolean(r->final));
  json_object_set_new_nocheck(c, "data", data ? json_incref(data) : json_object());
  json_object_set_new_nocheck(c, "revision", json_integer(r->revision));
  json_object_set_new_nocheck(c, "overdue_since", text_or_null(r->overdue_since));
  json_object_set_new_nocheck(c, "created_at", text_or_null(r->created_at));
  json_object_set_new_nocheck(c, "updated_at", at ? json_incref(at) : text_or_null(r->updated_at));
  json_object_set_new_nocheck(c, "entered_at", at && r->entered_at == r->updated_at
                                                   ? json_incref(at)
                                                   : text_or_null(r->entered_at));
  json_object_set_new_nocheck(c, "allocated_to", text_or_null(r->allocated_to));
  json_object_set_new_nocheck(c, "team", text_or_null(r->team));
  json_object_set_nocheck(c, "workflow_title", json_object_get(m, "workflow_title"));
  json_object_set_nocheck(c, "base_name", json_object_get(m, "base_name"));
  json_object_set_nocheck(c, "base_version", json_object_get(m, "base_version"));
  return c;
}

json_t *rt_reload(kf_engine *e, json_t *c, kf_err *err) {
  char idtext[32];
  snprintf(idtext, sizeof idtext, "%lld", (long long)json_integer_value(json_object_get(c, "id")));
  json_decref(c);
  return kf_store_case_get(e->st, idtext, err);
}

/* Fire inside an open transaction on the case of row c. opts: {reason, timer}. Returns the
 * event or NULL; with fired, also the case as it now is (as kf_store_case_get would read
 * it after the commit). */
json_t *rt_fire_in_tx(kf_engine *e, const kf_case_row *c, const char *transition,
                          const char *role, const char *actor, json_t *opts, const char *now,
                          int64_t timer, json_t **fired, kf_err *err) {
  kf_fired res;
  if (kf_lua_fire(e->lua, c, transition, role, opts, &res, err)) {
    if (err->code == KF_ELUA) {
      char inner[sizeof err->msg];
      snprintf(inner, sizeof inner, "%s", err->msg);
      kf_fail(err, KF_ELUA, "case %lld: '%s' failed, nothing changed: %s", (long long)c->id,
              transition, inner);
    }
    return NULL;
  }
  const char *to = json_string_value(res.to);
  json_t *data = res.data;
  int final = res.final;
  /* a transition with stay = true records an act: the case keeps its state, its entry time
   * and the state's timers */
  int stay = res.stay;
  json_t *ev = event_of("case.transition", c->id, actor, now);
  json_object_set_new(ev, "name", json_string(transition));
  json_object_set_new(ev, "from", json_string(c->state));
  json_object_set(ev, "to", res.to);
  if (role) json_object_set_new(ev, "role", json_string(role));
  json_t *reason = json_object_get(opts, "reason");
  if (json_is_string(reason)) json_object_set(ev, "reason", reason);
  json_t *evdata = json_object();
  if (final) {
    json_object_set(evdata, "outcome", json_object_get(res.more, "outcome"));
    if (json_is_string(json_object_get(res.more, "ended_by"))) /* who ended the work */
      json_object_set(evdata, "ended_by", json_object_get(res.more, "ended_by"));
  }
  char *text = kf_store_data_text(data); /* written once: compared, then stored */
  if (!text) {
    kf_fail(err, KF_ENOMEM, "case %lld: out of memory writing its data", (long long)c->id);
    json_decref(evdata);
    json_decref(ev);
    kf_fired_free(&res);
    return NULL;
  }
  if (strcmp(text, c->data ? c->data : "{}"))
    json_object_set_new(evdata, "data", redacted_of(e, c->workflow_id, "data", data));
  if (json_is_integer(json_object_get(res.more, "decision"))) /* the shared decision it needed */
    json_object_set(evdata, "decision", json_object_get(res.more, "decision"));
  json_object_set_new(ev, "data", evdata);
  /* The event's data is {"data": the new data} when nothing of it is private and the move
   * closes nothing: its text is then the case's text, already written. */
  char *evtext = NULL;
  if (json_object_size(evdata) == 1 && json_object_get(evdata, "data") == data) {
    size_t n = strlen(text);
    if ((evtext = malloc(n + 10))) {
      memcpy(evtext, "{\"data\":", 8);
      memcpy(evtext + 8, text, n);
      memcpy(evtext + 8 + n, "}", 2);
    }
  }
  /* the state's timers go (unless Lua says the state can have none: timed is false); the
   * events first, then the case's row, which then records the log's head */
  int failed = (!stay && res.timed != 0 &&
                kf_store_timers_cancel(e->st, c->id, c->state, NULL, now, timer, err)) ||
               record_text(e, ev, evtext, err);
  free(evtext);
  if (failed || apply_effects_of(e, c->id, res.more, actor, now, err) ||
      kf_store_case_update_text(e->st, c->id, c->revision, to, final, !stay, text, now, err))
    goto fail;
  free(text);
  text = NULL;
  if (fired) { /* the case as now stored, so callers need not read it again */
    kf_case_row r = *c;
    r.state = to;
    r.final = r.final || final;
    r.revision++;
    r.updated_at = now;
    if (!stay) {
      r.entered_at = now;
      r.overdue_since = NULL;
    }
    if (!(*fired = row_case(e, &r, data, res.to, json_object_get(ev, "at"), err)))
      goto fail;
  }
  kf_fired_free(&res);
  return ev;
fail:
  free(text);
  json_decref(ev);
  kf_fired_free(&res);
  return NULL;
}

json_t *kf_case_fire(kf_engine *e, const char *id, const char *transition, const char *role,
                     const char *actor, const char *reason, int64_t expect, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (!role) {
    kf_fail(err, KF_EUSAGE, "case %s: say which role fires '%s' (--as ROLE)", id, transition);
    return NULL;
  }
  if (rt_tx_begin(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  kf_case_row row;
  if (rt_load_row(e, id, expect, &row, err)) return rt_abort_tx_new(e, NULL);
  json_t *opts = reason ? json_pack("{s:s}", "reason", reason) : NULL;
  json_t *c = NULL;
  json_t *ev = rt_fire_in_tx(e, &row, transition, role, actor, opts, now, 0, &c, err);
  json_decref(opts);
  kf_case_row_free(&row);
  if (!ev) return rt_abort_tx_new(e, c);
  json_decref(ev);
  if (rt_tx_commit(e, err)) {
    json_decref(c);
    return NULL;
  }
  return c;
}

json_t *kf_case_moves(kf_engine *e, const char *id, const char *role, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  json_t *c = kf_store_case_get(e->st, id, err);
  if (!c) return NULL;
  json_t *moves = kf_lua_call_new(e->lua, KF_LUA_MOVES, json_pack("[O,s?]", c, role), err);
  json_decref(c);
  return moves;
}

json_t *kf_case_set(kf_engine *e, const char *id, json_t *patch, const char *actor,
                    int64_t expect, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (!json_is_object(patch)) {
    kf_fail(err, KF_EINVAL, "--data must be a JSON object to merge into the case's data");
    return NULL;
  }
  if (kf_json_depth_ok(patch, KF_JSON_DEPTH, "the case's data", err)) return NULL;
  if (rt_tx_begin(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  json_t *c = rt_load_case(e, id, expect, err);
  if (!c) return rt_abort_tx_new(e, NULL);
  json_t *def = kf_store_def_get(e->st, json_integer_value(json_object_get(c, "workflow_id")), err);
  char who[48];
  snprintf(who, sizeof who, "case %lld", (long long)json_integer_value(json_object_get(c, "id")));
  int refused = !def || controlled_refused(def, patch, who, err);
  json_decref(def);
  if (refused) return rt_abort_tx_new(e, c);
  json_t *data = json_deep_copy(json_object_get(c, "data"));
  if (!json_is_object(data)) {
    json_decref(data);
    data = json_object();
  }
  const char *k;
  json_t *v;
  json_object_foreach(patch, k, v) {
    if (json_is_null(v)) json_object_del(data, k); /* null removes a key */
    else json_object_set(data, k, v);
  }
  int rc = rt_event_new(e, with_data_new(e, c, rt_case_event("case.data", c, actor, now), patch), err);
  if (!rc) rc = kf_store_case_update(e->st, json_integer_value(json_object_get(c, "id")),
                                     json_integer_value(json_object_get(c, "revision")),
                                     json_string_value(json_object_get(c, "state")),
                                     json_is_true(json_object_get(c, "final")), 0, data, now, err);
  json_decref(data);
  if (rc || rt_tx_commit(e, err)) return rt_abort_tx_new(e, c);
  return rt_reload(e, c, err);
}

json_t *kf_case_member_add(kf_engine *e, const char *id, const char *role, const char *name,
                           json_t *data, const char *actor, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (!role || !*role || !name || !*name) {
    kf_fail(err, KF_EUSAGE, "a member needs --role ROLE and --name NAME");
    return NULL;
  }
  if (data && !json_is_object(data)) {
    kf_fail(err, KF_EINVAL, "--data must be a JSON object, e.g. '{\"dob\": \"2019-03-02\"}'");
    return NULL;
  }
  if (kf_json_depth_ok(data, KF_JSON_DEPTH, "the member's data", err)) return NULL;
  if (rt_tx_begin(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  json_t *c = rt_load_case(e, id, 0, err);
  if (!c) return rt_abort_tx_new(e, NULL);
  int64_t cid = json_integer_value(json_object_get(c, "id"));
  json_t *ev = rt_case_event("member.added", c, actor, now);
  json_object_set_new(ev, "name", json_string(name));
  json_object_set_new(ev, "role", json_string(role));
  json_object_set_new(ev, "data", json_pack("{s:s,s:s,s:o}", "role", role, "name", name, "data",
                                            data ? redacted(e, c, "members", data) : json_null()));
  if (kf_store_member_add(e->st, cid, role, name, data, now, err)) {
    json_decref(ev);
    return rt_abort_tx_new(e, c);
  }
  if (rt_event_new(e, ev, err) || rt_tx_commit(e, err)) return rt_abort_tx_new(e, c);
  json_decref(c);
  return kf_store_members(e->st, cid, NULL, err);
}

static int review_in_tx(kf_engine *e, json_t *c, const char *note, const char *actor,
                        const char *now, kf_err *err);

json_t *kf_form_submit(kf_engine *e, const char *id, const char *form, json_t *data,
                       const char *role, const char *actor, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (!json_is_object(data)) {
    kf_fail(err, KF_EINVAL, "form '%s': --data must be a JSON object of fields", form);
    return NULL;
  }
  if (kf_json_depth_ok(data, KF_JSON_DEPTH, "the form's entry", err)) return NULL;
  if (rt_tx_begin(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  json_t *c = rt_load_case(e, id, 0, err);
  if (!c) return rt_abort_tx_new(e, NULL);
  json_t *chk = kf_lua_call_new(e->lua, KF_LUA_SUBMIT, json_pack("[O,s,O,s?]", c, form, data, role),
                                err);
  if (!chk) return rt_abort_tx_new(e, c);
  json_t *version_of = json_object_get(chk, "version_of");
  if (version_of) {
    json_t *row = NULL;
    if (store_version(e, version_of, NULL, actor, now, &row, err)) {
      json_decref(chk);
      return rt_abort_tx_new(e, c);
    }
    json_object_set(chk, "form_id", json_object_get(row, "id"));
    json_object_set(chk, "form_version", json_object_get(row, "version"));
    json_decref(row);
  }
  int64_t entry_id = 0;
  json_t *entry = json_pack("{s:O,s:s,s:O?,s:O,s:b,s:s,s:s?}", "case", json_object_get(c, "id"),
                            "form", form, "form_id", json_object_get(chk, "form_id"), "data",
                            data, "valid", 1, "actor", actor, "role", role);
  int rc = kf_store_entry_add(e->st, entry, now, &entry_id, err);
  json_decref(entry);
  json_t *ev = rt_case_event("form.submitted", c, actor, now);
  if (role) json_object_set_new(ev, "role", json_string(role));
  json_object_set_new(ev, "name", json_string(form));
  json_object_set_new(ev, "data", json_pack("{s:I,s:O?,s:O}", "entry", (json_int_t)entry_id,
                                            "form_version", json_object_get(chk, "form_version"),
                                            "checked", json_object_get(chk, "checked")));
  if (rc) json_decref(ev);
  if (rc || rt_event_new(e, ev, err)) {
    json_decref(chk);
    return rt_abort_tx_new(e, c);
  }
  json_t *out = json_pack("{s:I,s:O,s:s,s:O,s:O?,s:s}", "entry", (json_int_t)entry_id, "case",
                          json_object_get(c, "id"), "form", form, "checked",
                          json_object_get(chk, "checked"), "form_version",
                          json_object_get(chk, "form_version"), "at", now);
  json_decref(chk);
  /* A review form records the state's review too, where the state has reviews. */
  if (!strcmp(form, "review")) {
    json_t *has = kf_lua_call_new(e->lua, KF_LUA_HAS_REVIEW, json_pack("[O]", c), err);
    int rc2 = has ? 0 : err->code;
    if (json_is_true(has)) rc2 = review_in_tx(e, c, "review form", actor, now, err);
    json_decref(has);
    if (rc2) {
      json_decref(out);
      return rt_abort_tx_new(e, c);
    }
  }
  json_decref(c);
  if (rt_tx_commit(e, err)) {
    json_decref(out);
    return NULL;
  }
  return out;
}

/* Record a review inside the open transaction: clear overdue, schedule the next one. */
static int review_in_tx(kf_engine *e, json_t *c, const char *note, const char *actor,
                        const char *now, kf_err *err) {
  int64_t cid = json_integer_value(json_object_get(c, "id"));
  json_t *next = kf_lua_call_new(e->lua, KF_LUA_REVIEW_TIMER, json_pack("[O]", c), err);
  if (!next) return err->code;
  json_t *ev = rt_case_event("review.recorded", c, actor, now);
  json_object_set_new(ev, "data", json_pack("{s:s?,s:O,s:O}", "note", note, "overdue_since",
                                            json_object_get(c, "overdue_since"), "next_due",
                                            json_object_get(next, "due")));
  int rc = kf_store_case_set_overdue(e->st, cid, NULL, now, err);
  if (!rc) rc = kf_store_timers_cancel(e->st, cid, NULL, "review", now, 0, err);
  if (!rc)
    rc = kf_store_timer_add(e->st, cid, "review", "review",
                            json_string_value(json_object_get(next, "state")),
                            json_string_value(json_object_get(next, "due")), err);
  json_decref(next);
  if (!rc) rc = rt_event_new(e, ev, err);
  else json_decref(ev);
  return rc;
}

json_t *kf_case_review(kf_engine *e, const char *id, const char *note, const char *actor,
                       kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (rt_tx_begin(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  json_t *c = rt_load_case(e, id, 0, err);
  if (!c) return rt_abort_tx_new(e, NULL);
  if (review_in_tx(e, c, note, actor, now, err) || rt_tx_commit(e, err))
    return rt_abort_tx_new(e, c);
  return rt_reload(e, c, err);
}

/* ---- group commit ---- */

json_t *kf_case_fire_many(kf_engine *e, json_t *requests, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (!json_is_array(requests)) {
    kf_fail(err, KF_EINVAL, "internal: requests must be an array");
    return NULL;
  }
  int own = !e->group; /* inside a caller's group, its commit is the one that counts */
  if (own && kf_group_begin(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  json_t *results = json_array();
  size_t i;
  json_t *r;
  json_array_foreach(requests, i, r) {
    kf_err one = {0};
    const char *id = json_string_value(json_object_get(r, "id"));
    const char *t = json_string_value(json_object_get(r, "transition"));
    const char *role = json_string_value(json_object_get(r, "as"));
    const char *actor = json_string_value(json_object_get(r, "actor"));
    json_t *ev = NULL;
    if (!id || !t || !role) {
      kf_fail(&one, KF_EUSAGE, "each request needs id, transition and as");
    } else if (rt_tx_begin(e, &one) == 0) {
      kf_case_row row;
      json_t *opts = json_pack("{s:O?}", "reason", json_object_get(r, "reason"));
      if (!rt_load_row(e, id, json_integer_value(json_object_get(r, "revision")), &row, &one)) {
        ev = rt_fire_in_tx(e, &row, t, role, actor ? actor : "kinflow", opts, now, 0, NULL, &one);
        kf_case_row_free(&row);
      }
      json_decref(opts);
      if (!ev) rt_tx_abort(e);
      else if (rt_tx_commit(e, &one)) json_decref(ev), ev = NULL;
    }
    if (ev) json_array_append_new(results, json_pack("{s:b,s:O,s:O}", "ok", 1, "to",
                                                     json_object_get(ev, "to"), "seq",
                                                     json_object_get(ev, "seq")));
    else json_array_append_new(results, json_pack("{s:b,s:s,s:i}", "ok", 0, "error", one.msg,
                                                  "code", one.code));
    json_decref(ev);
    if (!kf_store_in_tx(e->st) || one.code == KF_ESTORE || one.code == KF_EBUSY) {
      *err = one; /* the transaction itself failed */
      if (!err->code) kf_fail(err, KF_ESTORE, "the transaction was rolled back");
      json_decref(results);
      if (own) kf_group_abort(e);
      return NULL;
    }
  }
  if (own && kf_group_commit(e, err)) {
    json_decref(results);
    return NULL;
  }
  return results;
}
