/* api.c: the engine's verbs as JSON requests (api.h lists them), for the console and any
 * plugin that serves people. It checks arguments, calls the runtime and the store, and maps
 * refusals to HTTP-like statuses. It decides nothing about who may do what: the caller
 * (the console) checks roles before it calls. No SQL and no Lua here. */
#define _GNU_SOURCE
#include "api.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "runtime.h"

struct kf_session {
  kf_engine *e;
  json_t *detail; /* the data behind the last failed call, or NULL */
};

static json_t *session_detail(kf_session *s) { return s ? s->detail : NULL; }

static const kf_plugin_verbs PLUGIN_VERBS = {kf_session_open, kf_session_close, kf_session_call,
                                             session_detail};

void kf_api_install(void) { kf_plugins_set_verbs(&PLUGIN_VERBS); }

kf_session *kf_session_open(const char *db, kf_err *err) {
  if (sodium_init() < 0) {
    kf_fail(err, KF_ESTORE, "libsodium failed to initialise");
    return NULL;
  }
  kf_session *s = calloc(1, sizeof *s);
  if (!s) {
    kf_fail(err, KF_ENOMEM, "out of memory");
    return NULL;
  }
  if (!(s->e = kf_engine_open(db, KF_STORE_NOCREATE, err))) {
    free(s);
    return NULL;
  }
  return s;
}

void kf_session_close(kf_session *s) {
  if (!s) return;
  kf_engine_close(s->e);
  json_decref(s->detail);
  free(s);
}

json_t *kf_session_detail(kf_session *s) { return session_detail(s); }

/* ---- passwords and tokens ---- */

int kf_password_hash(const char *password, char out[128], kf_err *err) {
  if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return kf_fail(err, KF_ENOMEM, "not enough memory to hash the password");
  return 0;
}

int kf_password_verify(const char *hash, const char *password) {
  return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static void random_hex(char *out, size_t bytes) {
  unsigned char buf[64];
  randombytes_buf(buf, bytes);
  sodium_bin2hex(out, bytes * 2 + 1, buf, bytes);
}

static void token_hash(const char *token, char out[65]) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
  sodium_bin2hex(out, 65, d, sizeof d);
}

/* ---- argument helpers ---- */

typedef struct call {
  kf_session *s;
  json_t *args;
  kf_err *err;
} call;

/* Arguments are checked against the verb's spec (VERBS below) before its function runs,
 * so a verb reads them without checking again: str() is text or NULL when absent. */
static const char *str(call *c, const char *key) {
  return json_string_value(json_object_get(c->args, key));
}

/* A text argument the spec marks required: present and not empty. */
static const char *need(call *c, const char *key) { return str(c, key); }

static const char *actor(call *c) {
  const char *a = str(c, "actor");
  return a && *a ? a : "console";
}

static int64_t num(call *c, const char *key, int64_t dflt) {
  json_t *v = json_object_get(c->args, key);
  return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* A case named by number or reference (checked by the spec), as text. */
static const char *case_text(json_t *v, char buf[32]) {
  if (json_is_integer(v)) {
    snprintf(buf, 32, "%lld", (long long)json_integer_value(v));
    return buf;
  }
  return json_string_value(v);
}

static const char *case_id(call *c, char buf[32]) {
  return case_text(json_object_get(c->args, "id"), buf);
}

static kf_store *st(call *c) { return kf_engine_store(c->s->e); }
static kf_lua *lua(call *c) { return kf_engine_lua(c->s->e); }

/* ---- verbs ---- */

static json_t *v_workflows_list(call *c) {
  json_t *all = kf_store_def_list(st(c), "workflow", c->err);
  if (!all) return NULL;
  json_t *out = json_array(), *last = NULL;
  size_t i;
  json_t *d;
  json_array_foreach(all, i, d) {
    const char *name = json_string_value(json_object_get(d, "name"));
    if (last && !strcmp(name, json_string_value(json_object_get(last, "name")))) {
      json_int_t cases = json_integer_value(json_object_get(last, "cases")) +
                         json_integer_value(json_object_get(d, "cases"));
      json_int_t open = json_integer_value(json_object_get(last, "open_cases")) +
                        json_integer_value(json_object_get(d, "open_cases"));
      json_object_update(last, d);
      json_object_set_new(last, "cases", json_integer(cases));
      json_object_set_new(last, "open_cases", json_integer(open));
    } else {
      last = json_copy(d);
      json_array_append_new(out, last);
    }
  }
  json_decref(all);
  return out;
}

static json_t *counts_by_state(call *c, const char *workflow) {
  json_t *rows = kf_store_case_states(st(c), workflow, c->err);
  if (!rows) return NULL;
  json_t *out = json_object();
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r)
    json_object_set(out, json_string_value(json_object_get(r, "state")), json_object_get(r, "cases"));
  json_decref(rows);
  return out;
}

static json_t *v_workflow_get(call *c) {
  const char *name = need(c, "name");
  if (!name) return NULL;
  json_t *row = kf_store_def_latest(st(c), "workflow", name, c->err);
  if (!row) return NULL;
  json_t *counts = counts_by_state(c, name);
  if (!counts) {
    json_decref(row);
    return NULL;
  }
  json_object_del(row, "source");
  json_object_set_new(row, "counts", counts);
  return row;
}

static json_t *v_dashboard(call *c) {
  json_t *wfs = v_workflows_list(c);
  if (!wfs) return NULL;
  json_t *programmes = json_array();
  size_t i;
  json_t *w;
  json_array_foreach(wfs, i, w) {
    const char *name = json_string_value(json_object_get(w, "name"));
    json_t *row = kf_store_def_latest(st(c), "workflow", name, c->err);
    json_t *counts = row ? counts_by_state(c, name) : NULL;
    if (!row || !counts) {
      json_decref(row);
      json_decref(programmes);
      json_decref(wfs);
      return NULL;
    }
    json_t *states = json_array();
    size_t k;
    json_t *sdef;
    json_array_foreach(json_object_get(json_object_get(row, "definition"), "states"), k, sdef) {
      const char *sname = json_string_value(json_object_get(sdef, "name"));
      json_t *n = json_object_get(counts, sname);
      json_array_append_new(states, json_pack("{s:s,s:O,s:O,s:I}", "name", sname, "title",
                                              json_object_get(sdef, "title"), "final",
                                              json_object_get(sdef, "final"), "count",
                                              n ? json_integer_value(n) : 0));
    }
    json_array_append_new(programmes, json_pack("{s:s,s:O,s:O,s:O,s:O,s:o}", "name", name,
                                                "title", json_object_get(w, "title"), "version",
                                                json_object_get(w, "version"), "cases",
                                                json_object_get(w, "cases"), "base_name",
                                                json_object_get(w, "base_name"), "states", states));
    json_decref(counts);
    json_decref(row);
  }
  json_decref(wfs);
  json_t *f = json_pack("{s:b,s:i}", "overdue", 1, "limit", 100);
  json_t *overdue = kf_store_case_list(st(c), f, c->err);
  json_decref(f);
  if (!overdue) {
    json_decref(programmes);
    return NULL;
  }
  return json_pack("{s:o,s:o}", "programmes", programmes, "overdue", overdue);
}

static json_t *v_case_list(call *c) {
  json_t *f = json_object();
  static const char *keys[] = {"workflow", "state", "q"};
  for (size_t i = 0; i < 3; i++) {
    const char *v = str(c, keys[i]);
    if (v && *v) json_object_set_new(f, keys[i], json_string(v));
  }
  static const char *flags[] = {"overdue", "open"};
  for (size_t i = 0; i < 2; i++) {
    json_t *v = json_object_get(c->args, flags[i]);
    if (json_is_boolean(v)) json_object_set(f, flags[i], v);
  }
  /* Counting every match would read every case: count up to a cap and say "more". */
  const int64_t cap = 10000;
  int64_t total = kf_store_case_count(st(c), f, cap + 1, c->err);
  int64_t limit = num(c, "limit", 50), offset = num(c, "offset", 0);
  if (limit < 1 || limit > 500 || offset < 0) {
    json_decref(f);
    kf_fail(c->err, KF_EINVAL, "limit must be 1 to 500 and offset 0 or more");
    return NULL;
  }
  json_object_set_new(f, "limit", json_integer(limit));
  json_object_set_new(f, "offset", json_integer(offset));
  json_t *cases = total < 0 ? NULL : kf_store_case_list(st(c), f, c->err);
  json_decref(f);
  if (!cases) return NULL;
  return json_pack("{s:o,s:I,s:b,s:I,s:I}", "cases", cases, "total",
                   (json_int_t)(total > cap ? cap : total), "total_is_more", total > cap,
                   "limit", (json_int_t)limit, "offset", (json_int_t)offset);
}

/* Leave out sensitive fields of entries (or keep them and log the read). */
static int sensitive(call *c, json_t *cs, json_t *entries) {
  json_t *forms = json_array();
  size_t i;
  json_t *en;
  json_array_foreach(entries, i, en) json_array_append(forms, json_object_get(en, "form"));
  json_t *fields = kf_lua_call_new(lua(c), KF_LUA_SENSITIVE_FIELDS,
                               json_pack("[O,o]", json_object_get(cs, "workflow_id"), forms), c->err);
  if (!fields) return c->err->code;
  int show = json_is_true(json_object_get(c->args, "sensitive"));
  json_t *read = json_array();
  json_array_foreach(entries, i, en) {
    json_t *list = json_object_get(fields, json_string_value(json_object_get(en, "form")));
    json_t *data = json_object_get(en, "data");
    size_t k;
    json_t *name;
    json_t *hidden = json_array();
    json_array_foreach(list, k, name) {
      const char *n = json_string_value(name);
      if (!json_object_get(data, n)) continue;
      if (show) json_array_append_new(read, json_sprintf("%s.%s", json_string_value(json_object_get(en, "form")), n));
      else {
        json_object_del(data, n);
        json_array_append(hidden, name);
      }
    }
    if (json_array_size(hidden)) json_object_set(en, "hidden", hidden);
    json_decref(hidden);
  }
  json_decref(fields);
  int rc = 0;
  if (json_array_size(read)) {
    char now[21];
    kf_iso(kf_now(), now);
    rc = kf_event_append_new(c->s->e, json_pack("{s:s,s:O,s:s,s:s,s:{s:O}}", "kind",
                                                "sensitive.read", "case", json_object_get(cs, "id"),
                                                "actor", actor(c), "at", now, "data", "fields",
                                                read),
                             c->err);
  }
  json_decref(read);
  return rc;
}

static json_t *v_case_get(call *c) {
  char buf[32];
  const char *id = case_id(c, buf);
  if (!id) return NULL;
  json_t *cs = kf_case_get(c->s->e, id, c->err);
  if (!cs) return NULL;
  int64_t cid = json_integer_value(json_object_get(cs, "id"));
  json_t *members = kf_store_members(st(c), cid, NULL, c->err);
  json_t *timers = members ? kf_store_timers(st(c), cid, c->err) : NULL;
  json_t *entries = timers ? kf_store_entries(st(c), cid, NULL, 1, c->err) : NULL;
  if (!entries || sensitive(c, cs, entries)) {
    json_decref(members);
    json_decref(timers);
    json_decref(entries);
    json_decref(cs);
    return NULL;
  }
  json_object_set_new(cs, "members", members);
  json_object_set_new(cs, "timers", timers);
  json_object_set_new(cs, "entries", entries);
  return cs;
}

static json_t *v_case_open(call *c) {
  const char *wf = need(c, "workflow");
  if (!wf) return NULL;
  json_t *data = json_object_get(c->args, "data");
  return kf_case_open(c->s->e, wf, data && !json_is_null(data) ? data : NULL, str(c, "ref"),
                      actor(c), c->err);
}

static json_t *v_case_set(call *c) {
  char buf[32];
  const char *id = case_id(c, buf);
  if (!id) return NULL;
  return kf_case_set(c->s->e, id, json_object_get(c->args, "data"), actor(c), num(c, "revision", 0),
                     c->err);
}

static json_t *v_case_moves(call *c) {
  char buf[32];
  const char *id = case_id(c, buf);
  return id ? kf_case_moves(c->s->e, id, str(c, "as"), c->err) : NULL;
}

static json_t *v_case_fire(call *c) {
  char buf[32];
  const char *id = case_id(c, buf), *t = id ? need(c, "transition") : NULL;
  const char *as = t ? need(c, "as") : NULL;
  if (!as) return NULL;
  return kf_case_fire(c->s->e, id, t, as, actor(c), str(c, "reason"), num(c, "revision", 0), c->err);
}

static json_t *v_case_history(call *c) {
  char buf[32];
  const char *id = case_id(c, buf);
  json_t *cs = id ? kf_case_get(c->s->e, id, c->err) : NULL;
  if (!cs) return NULL;
  json_t *f = json_pack("{s:O}", "case", json_object_get(cs, "id"));
  json_t *events = kf_store_events(st(c), f, c->err);
  json_decref(f);
  json_decref(cs);
  return events;
}

static json_t *v_case_member_add(call *c) {
  char buf[32];
  const char *id = case_id(c, buf);
  if (!id) return NULL;
  json_t *data = json_object_get(c->args, "data");
  return kf_case_member_add(c->s->e, id, str(c, "role"), str(c, "name"),
                            data && !json_is_null(data) ? data : NULL, actor(c), c->err);
}

static json_t *v_case_review(call *c) {
  char buf[32];
  const char *id = case_id(c, buf);
  return id ? kf_case_review(c->s->e, id, str(c, "note"), actor(c), c->err) : NULL;
}

static json_t *v_form_get(call *c) {
  const char *name = need(c, "name");
  if (!name) return NULL;
  json_t *wf = json_null();
  if (json_object_get(c->args, "id") && !json_is_null(json_object_get(c->args, "id"))) {
    char buf[32];
    json_t *cs = kf_case_get(c->s->e, case_id(c, buf), c->err);
    if (!cs) return NULL;
    wf = json_incref(json_object_get(cs, "workflow_id"));
    json_decref(cs);
  }
  return kf_lua_call_new(lua(c), KF_LUA_FORM_SCHEMA, json_pack("[s,o]", name, wf), c->err);
}

static json_t *v_form_submit(call *c) {
  char buf[32];
  const char *id = case_id(c, buf), *form = id ? need(c, "form") : NULL;
  if (!form) return NULL;
  json_t *data = json_object_get(c->args, "data"), *empty = NULL;
  if (!data || json_is_null(data)) data = empty = json_object();
  json_t *out = kf_form_submit(c->s->e, id, form, data, actor(c), c->err);
  json_decref(empty);
  return out;
}

static json_t *v_rules_list(call *c) {
  json_t *versions = kf_store_def_list(st(c), "rule", c->err);
  if (!versions) return NULL;
  json_t *names = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(versions, i, v) json_array_append(names, json_object_get(v, "name"));
  json_t *rules = kf_lua_call_new(lua(c), KF_LUA_RULES_LIST, json_pack("[o]", names), c->err);
  if (!rules) {
    json_decref(versions);
    return NULL;
  }
  json_t *r;
  json_array_foreach(rules, i, r) {
    json_t *mine = json_array();
    size_t k;
    json_array_foreach(versions, k, v)
      if (json_equal(json_object_get(v, "name"), json_object_get(r, "name"))) json_array_append(mine, v);
    json_object_set_new(r, "versions", mine);
  }
  json_decref(versions);
  return rules;
}

static json_t *v_rule_impact(call *c) {
  const char *src = need(c, "source");
  if (!src) return NULL;
  const char *path = str(c, "path");
  return kf_rule_impact_text(c->s->e, path && *path ? path : "rule.lua", src, c->err);
}

static json_t *v_rule_deploy(call *c) {
  const char *src = need(c, "source");
  if (!src) return NULL;
  const char *path = str(c, "path");
  /* only rules: a plugin.lua (or workflow) source deploys the rules it declares */
  json_t *files = json_pack("[{s:s,s:s,s:s}]", "path", path && *path ? path : "rule.lua", "source",
                            src, "only", "rule");
  json_t *chk = kf_check(c->s->e, files, c->err), *report = NULL, *out = NULL;
  json_t *f = chk ? json_array_get(json_object_get(chk, "files"), 0) : NULL;
  json_t *msg = chk ? json_array_get(json_object_get(chk, "messages"), 0) : NULL;
  if (!chk) {
    /* err filled */
  } else if (msg) {
    kf_fail(c->err, KF_EINVAL, "%s:%lld: %s", json_string_value(json_object_get(msg, "path")),
            (long long)json_integer_value(json_object_get(msg, "line")),
            json_string_value(json_object_get(msg, "msg")));
  } else if (!f || strcmp(json_string_value(json_object_get(f, "kind")), "rule")) {
    kf_fail(c->err, KF_EINVAL, "that is not a rule: it should return rule { name = ..., check = ... }");
  } else if (kf_deploy(c->s->e, files, actor(c), &report, c->err) == 0) {
    json_t *all = json_array(), *d;
    size_t i;
    json_array_foreach(json_object_get(report, "files"), i, d)
      json_array_append_new(all, json_pack("{s:O,s:O,s:b}", "name", json_object_get(d, "name"),
                                           "version", json_object_get(d, "version"), "unchanged",
                                           json_is_true(json_object_get(d, "unchanged"))));
    out = json_deep_copy(json_array_get(all, 0)); /* the first rule, as before; all in "rules" */
    json_object_set_new(out, "rules", all);
  }
  json_decref(report);
  json_decref(chk);
  json_decref(files);
  return out;
}

static json_t *v_rule_rollback(call *c) {
  const char *name = need(c, "name");
  return name ? kf_rule_rollback(c->s->e, name, actor(c), c->err) : NULL;
}

static json_t *v_audit_list(call *c) {
  json_t *f = json_object();
  json_t *v;
  json_t *which = json_object_get(c->args, "case");
  if (which && !json_is_null(which)) {
    char buf[32];
    json_t *cs = kf_case_get(c->s->e, case_text(which, buf), c->err);
    if (!cs) {
      json_decref(f);
      return NULL;
    }
    json_object_set(f, "case", json_object_get(cs, "id"));
    json_decref(cs);
  }
  if ((v = json_object_get(c->args, "kind")) && json_is_string(v)) json_object_set(f, "kind", v);
  json_object_set_new(f, "after", json_integer(num(c, "after", 0)));
  int64_t limit = num(c, "limit", 200);
  json_object_set_new(f, "limit", json_integer(limit < 1 || limit > 1000 ? 200 : limit));
  json_t *events = kf_store_events(st(c), f, c->err);
  json_decref(f);
  return events;
}

static json_t *v_audit_verify(call *c) {
  json_t *sum = NULL;
  return kf_store_audit_verify(st(c), &sum, c->err) ? NULL : sum;
}

static json_t *v_timers_run(call *c) { return kf_timers_run(c->s->e, c->err); }

static const char *ROLES[] = {"admin", "supervisor", "caseworker", "analyst", "viewer", NULL};

static json_t *v_user_add(call *c) {
  const char *login = need(c, "login"), *role = login ? need(c, "role") : NULL;
  const char *password = role ? need(c, "password") : NULL;
  if (!password) return NULL;
  if (strlen(login) > 64 || strspn(login, "abcdefghijklmnopqrstuvwxyz0123456789._-@") != strlen(login)) {
    kf_fail(c->err, KF_EINVAL, "login '%s': use lower-case letters, digits, . _ - @ (at most 64)", login);
    return NULL;
  }
  int known = 0;
  for (const char **r = ROLES; *r; r++) known |= !strcmp(*r, role);
  if (!known) {
    kf_fail(c->err, KF_EINVAL, "role '%s' is not one of admin, supervisor, caseworker, analyst, viewer", role);
    return NULL;
  }
  if (strlen(password) < 10) {
    kf_fail(c->err, KF_EINVAL, "the password must have at least 10 characters");
    return NULL;
  }
  json_t *roles = json_object_get(c->args, "roles");
  if (json_is_null(roles)) roles = NULL;
  size_t ri;
  json_t *r;
  json_array_foreach(roles, ri, r) {
    if (!json_is_string(r)) {
      kf_fail(c->err, KF_EINVAL, "roles must be a list of workflow roles (texts)");
      return NULL;
    }
  }
  char hash[128], now[21];
  if (kf_password_hash(password, hash, c->err)) return NULL;
  kf_iso(kf_now(), now);
  json_t *u = json_pack("{s:s,s:s,s:O,s:s,s:s}", "login", login, "role", role, "roles",
                        roles ? roles : json_array(), "password_hash", hash, "created_at", now);
  if (!roles) json_decref(json_object_get(u, "roles"));
  json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:O}}", "kind", "user.added", "name", login,
                         "actor", actor(c), "at", now, "data", "role", role, "roles",
                         json_object_get(u, "roles"));
  int rc = kf_tx_begin(c->s->e, c->err);
  if (rc) json_decref(ev);
  else if ((rc = kf_store_user_add(st(c), u, c->err))) json_decref(ev);
  if (!rc && !(rc = kf_event_append_new(c->s->e, ev, c->err))) rc = kf_tx_commit(c->s->e, c->err);
  if (rc && kf_store_in_tx(st(c))) kf_tx_abort(c->s->e);
  json_t *out = rc ? NULL : json_pack("{s:s,s:s,s:O}", "login", login, "role", role, "roles",
                                      json_object_get(u, "roles"));
  json_decref(u);
  return out;
}

static json_t *v_user_list(call *c) { return kf_store_user_list(st(c), c->err); }

static char dummy[128];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy(void) {
  kf_err ignore = {0}; /* out of memory leaves an empty hash: verify then fails, as it should */
  kf_password_hash("not a real password", dummy, &ignore);
}

static json_t *v_user_verify(call *c) {
  const char *login = need(c, "login"), *password = login ? need(c, "password") : NULL;
  if (!password) return NULL;
  kf_err ignore = {0};
  json_t *u = kf_store_user_get(st(c), login, &ignore);
  /* Same work, same answer, whether or not the login exists. */
  pthread_once(&dummy_once, make_dummy);
  const char *hash = u ? json_string_value(json_object_get(u, "password_hash")) : dummy;
  int ok = kf_password_verify(hash, password) && u && !json_integer_value(json_object_get(u, "disabled"));
  if (!ok) {
    json_decref(u);
    kf_fail(c->err, KF_EAUTH, "wrong login or password");
    return NULL;
  }
  json_t *out = json_pack("{s:O,s:O,s:O}", "login", json_object_get(u, "login"), "role",
                          json_object_get(u, "role"), "roles", json_object_get(u, "roles"));
  json_decref(u);
  return out;
}

static json_t *v_session_create(call *c) {
  const char *login = need(c, "login");
  if (!login) return NULL;
  int64_t idle = num(c, "idle", 30 * 60), absolute = num(c, "absolute", 12 * 3600);
  char token[65], csrf[65], hash[65], now[21];
  random_hex(token, 32);
  random_hex(csrf, 32);
  token_hash(token, hash);
  int64_t t = kf_now();
  kf_iso(t, now);
  int rc = kf_tx_begin(c->s->e, c->err);
  if (!rc && !(rc = kf_store_session_add(st(c), hash, login, csrf, t, idle, absolute, c->err)) &&
      !(rc = kf_store_user_seen(st(c), login, now, c->err)))
    rc = kf_tx_commit(c->s->e, c->err);
  if (rc && kf_store_in_tx(st(c))) kf_tx_abort(c->s->e);
  if (rc) return NULL;
  return json_pack("{s:s,s:s,s:I}", "token", token, "csrf", csrf, "expires",
                   (json_int_t)(t + absolute));
}

static json_t *v_session_get(call *c) {
  const char *token = need(c, "token");
  if (!token) return NULL;
  char hash[65];
  token_hash(token, hash);
  kf_err ignore = {0};
  json_t *s = kf_store_session_get(st(c), hash, kf_now(), &ignore);
  if (!s) kf_fail(c->err, KF_EAUTH, "not signed in (or the session has ended)");
  return s;
}

static json_t *v_session_delete(call *c) {
  const char *token = need(c, "token");
  if (!token) return NULL;
  char hash[65];
  token_hash(token, hash);
  return kf_store_session_delete(st(c), hash, kf_now(), c->err) ? NULL : json_object();
}

/* Events the console records itself: only its own kinds, never a case's moves. */
static json_t *v_event_log(call *c) {
  const char *kind = need(c, "kind");
  if (!kind) return NULL;
  if (strncmp(kind, "sensitive.", 10) && strncmp(kind, "login.", 6) && strncmp(kind, "console.", 8)) {
    kf_fail(c->err, KF_EINVAL, "event.log records sensitive.*, login.* and console.* events only");
    return NULL;
  }
  char now[21];
  kf_iso(kf_now(), now);
  json_t *ev = json_pack("{s:s,s:s,s:s}", "kind", kind, "actor", actor(c), "at", now);
  json_t *data = json_object_get(c->args, "data");
  if (json_is_object(data)) json_object_set(ev, "data", data);
  if (json_is_integer(json_object_get(c->args, "case")))
    json_object_set(ev, "case", json_object_get(c->args, "case"));
  if (str(c, "name")) json_object_set_new(ev, "name", json_string(str(c, "name")));
  int rc = kf_event_append_new(c->s->e, json_incref(ev), c->err);
  json_t *out = rc ? NULL : json_pack("{s:O}", "seq", json_object_get(ev, "seq"));
  json_decref(ev);
  return out;
}

/* Each verb's arguments: "key:T" with T one of s (text), c (a case: number or reference),
 * i (whole number), b (true/false), o (object), a (list); "!" marks a required one (text:
 * not empty). null counts as absent. Unknown keys are left alone. */
static const struct {
  const char *name;
  json_t *(*fn)(call *c);
  const char *args;
} VERBS[] = {
    {"workflows.list", v_workflows_list, ""},
    {"workflow.get", v_workflow_get, "name:s!"},
    {"dashboard", v_dashboard, ""},
    {"case.list", v_case_list, "workflow:s state:s q:s overdue:b open:b limit:i offset:i"},
    {"case.get", v_case_get, "id:c! sensitive:b actor:s"},
    {"case.open", v_case_open, "workflow:s! data:o ref:s actor:s"},
    {"case.set", v_case_set, "id:c! data:o! actor:s revision:i"},
    {"case.moves", v_case_moves, "id:c! as:s"},
    {"case.fire", v_case_fire, "id:c! transition:s! as:s! actor:s reason:s revision:i"},
    {"case.history", v_case_history, "id:c!"},
    {"case.member_add", v_case_member_add, "id:c! role:s! name:s! data:o actor:s"},
    {"case.review", v_case_review, "id:c! note:s actor:s"},
    {"form.get", v_form_get, "name:s! id:c"},
    {"form.submit", v_form_submit, "id:c! form:s! data:o actor:s"},
    {"rules.list", v_rules_list, ""},
    {"rule.impact", v_rule_impact, "source:s! path:s"},
    {"rule.deploy", v_rule_deploy, "source:s! path:s actor:s"},
    {"rule.rollback", v_rule_rollback, "name:s! actor:s"},
    {"audit.list", v_audit_list, "case:c kind:s after:i limit:i"},
    {"audit.verify", v_audit_verify, ""},
    {"timers.run", v_timers_run, ""},
    {"user.add", v_user_add, "login:s! role:s! password:s! roles:a actor:s"},
    {"user.list", v_user_list, ""},
    {"user.verify", v_user_verify, "login:s! password:s!"},
    {"session.create", v_session_create, "login:s! idle:i absolute:i"},
    {"session.get", v_session_get, "token:s!"},
    {"session.delete", v_session_delete, "token:s!"},
    {"event.log", v_event_log, "kind:s! actor:s data:o case:i name:s"},
};

/* Check args against spec; 0 or KF_EINVAL naming the verb, the key and what it must be. */
static int check_args(const char *verb, const char *spec, json_t *args, kf_err *err) {
  for (const char *p = spec; *p;) {
    char key[32];
    size_t n = strcspn(p, ":");
    if (n >= sizeof key || !p[n]) break; /* a malformed spec is a bug: assert below */
    memcpy(key, p, n);
    key[n] = 0;
    char type = p[n + 1];
    int required = p[n + 2] == '!';
    p += n + 2 + required;
    p += strspn(p, " ");
    json_t *v = json_object_get(args, key);
    if (!v || json_is_null(v)) {
      if (required) return kf_fail(err, KF_EINVAL, "%s: '%s' is missing", verb, key);
      continue;
    }
    const char *want = NULL;
    switch (type) {
    case 's':
      if (!json_is_string(v)) want = "text";
      else if (required && !json_string_length(v)) return kf_fail(err, KF_EINVAL, "%s: '%s' is empty", verb, key);
      break;
    case 'c':
      if (!(json_is_integer(v) && json_integer_value(v) > 0) &&
          !(json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= 200))
        want = "a case number or reference";
      break;
    case 'i': if (!json_is_integer(v)) want = "a whole number"; break;
    case 'b': if (!json_is_boolean(v)) want = "true or false"; break;
    case 'o': if (!json_is_object(v)) want = "a JSON object"; break;
    case 'a': if (!json_is_array(v)) want = "a list"; break;
    default: want = "?";
    }
    if (want) return kf_fail(err, KF_EINVAL, "%s: '%s' must be %s", verb, key, want);
  }
  return 0;
}

static int status_of(int code) {
  switch (code) {
  case KF_EAUTH: return 401;
  case KF_EINVAL:
  case KF_EUSAGE: return 400;
  case KF_ENOTFOUND: return 404;
  case KF_EREFUSED:
  case KF_ECONFLICT: return 409;
  case KF_EBUSY: return 503;
  default: return 500;
  }
}

json_t *kf_session_call(kf_session *s, const char *verb, json_t *args, int *status,
                        kf_err *err) {
  kf_err local = {0};
  int ignored;
  if (!err) err = &local;
  if (!status) status = &ignored;
  err->code = 0;
  err->msg[0] = 0;
  if (s) {
    json_decref(s->detail);
    s->detail = NULL;
  }
  if (!s || !verb) {
    *status = 400;
    kf_fail(err, KF_EINVAL, "a call needs a session and a verb");
    return NULL;
  }
  json_t *empty = NULL;
  if (!args) args = empty = json_object();
  if (!json_is_object(args)) {
    *status = 400;
    kf_fail(err, KF_EINVAL, "%s: the arguments must be a JSON object", verb);
    return NULL;
  }
  json_t *res = NULL;
  size_t i;
  for (i = 0; i < sizeof VERBS / sizeof VERBS[0]; i++) {
    if (strcmp(VERBS[i].name, verb)) continue;
    call c = {s, args, err};
    if (!check_args(verb, VERBS[i].args, args, err)) res = VERBS[i].fn(&c);
    break;
  }
  if (i == sizeof VERBS / sizeof VERBS[0]) kf_fail(err, KF_ENOTFOUND, "no verb '%s'", verb);
  json_decref(empty);
  if (res) {
    *status = 200;
    return res;
  }
  if (!err->msg[0]) kf_fail(err, KF_ESTORE, "%s failed", verb);
  *status = status_of(err->code);
  json_t *d = err->code == KF_EREFUSED ? kf_lua_detail(kf_engine_lua(s->e)) : NULL;
  if (json_is_array(d)) s->detail = json_pack("{s:O}", "refusals", d);
  return NULL;
}
