/* api.c: the engine's verbs as JSON requests (api.h lists them), for the console and any
 * plugin that serves people: the table of verbs and their argument specs, the dispatch, and
 * the verbs on programmes, cases, rules and the log, each applying who sees what (access.c)
 * for the user named in the call. The people's verbs (users, sessions, teams, sign-ins,
 * passwords) are people.c's. No SQL and no Lua here. */
#define _GNU_SOURCE
#include "api.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "consent.h"
#include "verbs.h"
#include "kf_plugin.h"
#include "plugin.h"
#include "report.h"
#include "runtime.h"


static json_t *session_detail(kf_session *s) { return s ? s->detail : NULL; }

static const kf_plugin_verbs PLUGIN_VERBS = {kf_session_open, kf_session_close, kf_session_call,
                                             session_detail, kf_session_call_group,
                                             kf_session_durable};

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
  json_decref(s->keys);
  free(s);
}

json_t *kf_session_detail(kf_session *s) { return session_detail(s); }

int kf_session_durable(kf_session *s, int full, kf_err *err) {
  return kf_store_set_durability(kf_engine_store(s->e), full, err);
}

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
  json_t *f = case_filter(c);
  json_object_set_new(f, "overdue", json_true());
  json_object_set_new(f, "limit", json_integer(100));
  json_t *overdue = kf_store_case_list(st(c), f, c->err);
  json_decref(f);
  if (!overdue) {
    json_decref(programmes);
    return NULL;
  }
  overdue = visible_rows(c, overdue);
  return json_pack("{s:o,s:o}", "programmes", programmes, "overdue", overdue);
}

/* Does text hold needle, ignoring ASCII case? */
static int holds_text(const char *text, const char *needle) {
  size_t n = strlen(needle);
  for (; text && *text; text++)
    if (!strncasecmp(text, needle, n)) return 1;
  return 0;
}

/* Would q find row without its private values? (The store matches a user's own cases on
 * their data and people; someone without the sensitive right must not learn from a match
 * that a private value is there.) */
static int found_openly(call *c, json_t *row, const char *q) {
  char id[32];
  snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(row, "id")));
  if (!strcmp(id, q) || holds_text(json_string_value(json_object_get(row, "ref")), q)) return 1;
  json_t *keys = keys_of(c, row);
  json_t *data = json_deep_copy(json_object_get(row, "data"));
  if (json_is_object(data)) drop_keys(data, json_object_get(keys, "data"), NULL, NULL, NULL);
  char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
  int found = holds_text(text, q);
  free(text);
  json_decref(data);
  kf_err ignore = {0};
  json_t *members = found ? NULL : kf_store_members(st(c), json_integer_value(json_object_get(row, "id")), NULL, &ignore);
  size_t i;
  json_t *m;
  json_array_foreach(members, i, m) {
    json_t *dob = json_object_get(json_object_get(m, "data"), "dob");
    int dob_private = 0;
    size_t k;
    json_t *key;
    json_array_foreach(json_object_get(keys, "members"), k, key) dob_private |= !strcmp(json_string_value(key), "dob");
    if (holds_text(json_string_value(json_object_get(m, "name")), q) ||
        (!dob_private && json_is_string(dob) && !strcmp(json_string_value(dob), q)))
      found = 1;
  }
  json_decref(members);
  return found;
}

/* A search by a user: the matches they may learn of, paged here (at most 500 matches). */
static json_t *search(call *c, json_t *f, int64_t limit, int64_t offset) {
  json_object_set_new(f, "limit", json_integer(500));
  json_object_set_new(f, "offset", json_integer(0));
  const char *q = json_string_value(json_object_get(f, "q"));
  json_t *rows = kf_store_case_list(st(c), f, c->err), *kept = json_array();
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    kf_access a = access_of(c, r);
    if (a.see == KF_SEE_FULL && !a.sensitive && !found_openly(c, r, q)) continue;
    json_array_append(kept, r);
  }
  json_decref(f);
  if (!rows) {
    json_decref(kept);
    return NULL;
  }
  json_decref(rows);
  size_t total = json_array_size(kept);
  json_t *page = json_array();
  for (size_t k = (size_t)offset; k < total && k < (size_t)(offset + limit); k++)
    json_array_append(page, json_array_get(kept, k));
  json_decref(kept);
  return json_pack("{s:o,s:I,s:b,s:I,s:I}", "cases", visible_rows(c, page), "total",
                   (json_int_t)total, "total_is_more", total >= 500, "limit", (json_int_t)limit,
                   "offset", (json_int_t)offset);
}

/* 0, or KF_EFORBIDDEN when a signed-in user asks for cases in the order of a data key some
 * programme keeps private: the order alone would tell them how its values compare. */
static int sort_private(call *c, const char *sort) {
  if (!c->user || !sort || !*sort) return 0;
  const char *key = sort[0] == '-' ? sort + 1 : sort;
  json_t *defs = kf_store_def_list(st(c), "workflow", c->err), *d;
  if (!defs) return c->err->code;
  size_t i;
  int rc = 0;
  json_array_foreach(defs, i, d) {
    json_t *version = json_pack("{s:O}", "workflow_id", json_object_get(d, "id"));
    json_t *keys = keys_of(c, version);
    json_decref(version);
    if (kf_json_has_text(json_object_get(keys, "data"), key)) {
      rc = kf_fail(c->err, KF_EFORBIDDEN, "case.list: cannot sort by '%s': programme '%s' keeps it "
                   "private", key, json_string_value(json_object_get(d, "name")));
      break;
    }
  }
  json_decref(defs);
  return rc;
}

static json_t *v_case_list(call *c) {
  if (sort_private(c, str(c, "sort"))) return NULL;
  json_t *f = case_filter(c);
  static const char *keys[] = {"workflow", "state", "q", "team", "sort"};
  for (size_t i = 0; i < 5; i++) {
    const char *v = str(c, keys[i]);
    if (v && *v) json_object_set_new(f, keys[i], json_string(v));
  }
  static const char *flags[] = {"overdue", "open", "unallocated"};
  for (size_t i = 0; i < 3; i++) {
    json_t *v = json_object_get(c->args, flags[i]);
    if (json_is_boolean(v)) json_object_set(f, flags[i], v);
  }
  if (json_is_true(json_object_get(c->args, "mine"))) {
    const char *me = c->user ? json_string_value(json_object_get(c->user, "login")) : str(c, "actor");
    if (!me) {
      json_decref(f);
      kf_fail(c->err, KF_EINVAL, "case.list: 'mine' needs a user");
      return NULL;
    }
    json_object_set_new(f, "allocated_to", json_string(me));
  }
  int64_t limit = num(c, "limit", 50), offset = num(c, "offset", 0);
  if (limit < 1 || limit > 500 || offset < 0) {
    json_decref(f);
    kf_fail(c->err, KF_EINVAL, "limit must be 1 to 500 and offset 0 or more");
    return NULL;
  }
  if (json_object_get(f, "q") && json_object_get(f, "visible_to")) return search(c, f, limit, offset);
  json_object_set_new(f, "limit", json_integer(limit));
  json_object_set_new(f, "offset", json_integer(offset));
  json_t *cases = kf_store_case_list(st(c), f, c->err);
  /* A page that is not full holds the last matches: their number is known. Otherwise
   * counting every match would read every case: count up to a cap and say "more". */
  const int64_t cap = 10000;
  size_t n = json_array_size(cases);
  int64_t total = !cases ? -1
                  : n < (size_t)limit && (n || !offset) ? offset + (int64_t)n
                  : kf_store_case_count(st(c), f, cap + 1, c->err);
  json_decref(f);
  if (total < 0) {
    json_decref(cases);
    return NULL;
  }
  cases = visible_rows(c, cases);
  return json_pack("{s:o,s:I,s:b,s:I,s:I}", "cases", cases, "total",
                   (json_int_t)(total > cap ? cap : total), "total_is_more", total > cap,
                   "limit", (json_int_t)limit, "offset", (json_int_t)offset);
}

/* Leave out the case's sensitive values (data keys, members' keys, sensitive fields of
 * entries), listing what was left out in "hidden"; or, when the caller asked for them and
 * may see them, keep them and record the reveal (who, which fields, and on what basis). */
static int sensitive(call *c, json_t *cs, json_t *members, json_t *entries, const kf_access *a) {
  json_t *keys = keys_of(c, cs);
  int show = json_is_true(json_object_get(c->args, "sensitive")) && a->sensitive;
  json_t *read = show ? json_array() : NULL, *hidden = json_array();
  drop_keys(json_object_get(cs, "data"), json_object_get(keys, "data"), hidden, "data", read);
  size_t i;
  json_t *x;
  json_array_foreach(members, i, x) {
    json_t *mh = json_array();
    char who[64];
    snprintf(who, sizeof who, "member %lld", (long long)json_integer_value(json_object_get(x, "id")));
    drop_keys(json_object_get(x, "data"), json_object_get(keys, "members"), mh, who, read);
    if (json_array_size(mh)) json_object_set(x, "hidden", mh);
    json_array_extend(hidden, mh);
    json_decref(mh);
  }
  json_array_foreach(entries, i, x) {
    const char *form = json_string_value(json_object_get(x, "form"));
    json_t *list = json_object_get(json_object_get(keys, "forms"), form ? form : "");
    if (!list) { /* a form the workflow does not name (a plugin's, used directly) */
      kf_err ignore = {0};
      json_t *f = kf_lua_call_new(lua(c), KF_LUA_SENSITIVE_FIELDS,
                                  json_pack("[O,[s]]", json_object_get(cs, "workflow_id"), form ? form : ""),
                                  &ignore);
      if (f) json_object_set(json_object_get(keys, "forms"), form ? form : "", json_object_get(f, form ? form : ""));
      json_decref(f);
      list = json_object_get(json_object_get(keys, "forms"), form ? form : "");
    }
    json_t *eh = json_array();
    drop_keys(json_object_get(x, "data"), list, eh, form, read);
    /* an entry lists its hidden fields by name (as the page expects) */
    json_t *names = json_array();
    size_t k;
    json_t *h;
    json_array_foreach(eh, k, h) {
      const char *dot = strchr(json_string_value(h), '.');
      json_array_append_new(names, json_string(dot ? dot + 1 : json_string_value(h)));
    }
    if (json_array_size(names)) json_object_set(x, "hidden", names);
    json_array_extend(hidden, eh);
    json_decref(names);
    json_decref(eh);
  }
  if (json_array_size(hidden)) json_object_set(cs, "hidden", hidden);
  json_decref(hidden);
  int rc = 0;
  if (read && json_array_size(read)) {
    char now[21];
    kf_iso(kf_now(), now);
    json_t *data = json_pack("{s:O,s:s}", "fields", read, "basis", a->basis ? a->basis : "owner");
    if (a->grant) json_object_set_new(data, "grant", json_integer(a->grant));
    rc = kf_event_append_new(c->s->e, json_pack("{s:s,s:O,s:s,s:s,s:o}", "kind", "sensitive.read",
                                                "case", json_object_get(cs, "id"), "actor",
                                                actor(c), "at", now, "data", data),
                             c->err);
  }
  json_decref(read);
  return rc;
}

static json_t *v_case_get(call *c) {
  char buf[32];
  json_t *cs = kf_case_get(c->s->e, case_id(c, buf), c->err);
  if (!cs) return NULL;
  kf_access a = access_of(c, cs);
  if (a.see == KF_SEE_SUMMARY && !a.glass) { /* analysts and viewers */
    json_t *sum = kf_access_summary(cs);
    json_decref(cs);
    return sum;
  }
  if (need_full(c, cs, &a)) {
    json_decref(cs);
    return NULL;
  }
  int64_t cid = json_integer_value(json_object_get(cs, "id"));
  json_t *members = kf_store_members(st(c), cid, NULL, c->err);
  json_t *timers = members ? kf_store_timers(st(c), cid, c->err) : NULL;
  json_t *entries = timers ? kf_store_entries(st(c), cid, NULL, 1, c->err) : NULL;
  if (!entries || sensitive(c, cs, members, entries, &a)) {
    json_decref(members);
    json_decref(timers);
    json_decref(entries);
    json_decref(cs);
    return NULL;
  }
  json_object_set_new(cs, "members", members);
  json_object_set_new(cs, "timers", timers);
  json_object_set_new(cs, "entries", entries);
  json_object_set_new(cs, "access", json_pack("{s:s,s:b,s:I}", "basis", a.basis ? a.basis : "owner",
                                              "sensitive", a.sensitive, "grant", (json_int_t)a.grant));
  /* the case as found (args.id may be its ref): not read again for its parts */
  json_t *flags = kf_case_flags_of(c->s->e, cid, c->err);
  json_t *sharing = flags ? kf_case_sharing_of(c->s->e, cid, c->err) : NULL;
  if (!sharing) {
    json_decref(flags);
    json_decref(cs);
    return NULL;
  }
  json_object_set_new(cs, "flags", flags);
  json_object_set_new(cs, "sharing", sharing);
  json_t *links = links_for(c, cid);
  if (!links) {
    json_decref(cs);
    return NULL;
  }
  json_object_set_new(cs, "links", links);
  return cs;
}

static json_t *v_case_open(call *c) {
  const char *wf = need(c, "workflow");
  if (!wf) return NULL;
  json_t *data = json_object_get(c->args, "data");
  /* Opened by a person: allocated to them, or to the worker they chose. */
  const char *to = str(c, "allocate_to");
  if (!to && c->user) to = json_string_value(json_object_get(c->user, "login"));
  if (to) {
    kf_err look = {0};
    json_t *u = kf_store_user_get(st(c), to, &look);
    if (!u) {
      kf_fail(c->err, look.code == KF_ENOTFOUND ? KF_EINVAL : look.code,
              look.code == KF_ENOTFOUND ? "case.open: cannot allocate to '%s': no such user" : "%s",
              look.code == KF_ENOTFOUND ? to : look.msg);
      return NULL;
    }
    json_decref(u);
  }
  json_t *cs = kf_case_open(c->s->e, wf, data && !json_is_null(data) ? data : NULL, str(c, "ref"),
                            actor(c), c->err);
  if (cs && to) {
    char buf[32];
    json_t *done = kf_case_allocate(c->s->e, case_text(json_object_get(cs, "id"), buf), to, NULL,
                                    "opened the case", actor(c), c->err);
    json_decref(cs);
    cs = done;
  }
  return answer_case(c, cs);
}

/* case.import: a caseload brought in, a transaction per batch of cases (kf_case_open_batch,
 * as `kinflow case import` runs it: each case opened as case.open opens it, its event
 * chained; not allocated). The first case that cannot open stops it: its batch is rolled
 * back, those before stay, and the failure's detail says {index, imported, batches}. Who
 * may open cases in the programmes named is the caller's to decide, as for case.open. */
#define IMPORT_BATCH 500
#define IMPORT_MAX 10000
static json_t *v_case_import(call *c) {
  json_t *cases = json_object_get(c->args, "cases");
  json_int_t batch = num(c, "batch", IMPORT_BATCH);
  size_t n = json_array_size(cases), done = 0, batches = 0;
  if (batch < 1 || batch > IMPORT_MAX) {
    kf_fail(c->err, KF_EINVAL, "case.import: 'batch' must be 1 to %d cases", IMPORT_MAX);
    return NULL;
  }
  if (n > IMPORT_MAX) {
    kf_fail(c->err, KF_EINVAL, "case.import: at most %d cases a call (got %zu); send the rest "
            "in another", IMPORT_MAX, n);
    return NULL;
  }
  while (done < n) {
    size_t k = n - done < (size_t)batch ? n - done : (size_t)batch, failed = 0;
    json_t *part = json_array();
    for (size_t i = 0; part && i < k; i++) json_array_append(part, json_array_get(cases, done + i));
    int rc = part ? kf_case_open_batch(c->s->e, part, actor(c), &failed, c->err)
                  : kf_fail(c->err, KF_ENOMEM, "case.import: out of memory");
    json_decref(part);
    if (rc) {
      size_t at = done + (failed < k ? failed : k - 1);
      char why[sizeof c->err->msg];
      snprintf(why, sizeof why, "%s", c->err->msg);
      kf_fail(c->err, c->err->code, "case %zu: %s", at + 1, why);
      json_decref(c->detail);
      c->detail = json_pack("{s:I,s:s,s:I,s:I}", "index", (json_int_t)at, "reason", why,
                            "imported", (json_int_t)done, "batches", (json_int_t)batches);
      return NULL;
    }
    done += k;
    batches++;
  }
  return json_pack("{s:I,s:I}", "imported", (json_int_t)n, "batches", (json_int_t)batches);
}

static json_t *v_case_set(call *c) {
  char buf[32];
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  json_decref(cs);
  return answer_case(c, kf_case_set(c->s->e, case_id(c, buf), json_object_get(c->args, "data"),
                                    actor(c), num(c, "revision", 0), c->err));
}

static json_t *v_case_moves(call *c) {
  char buf[32];
  kf_access a;
  json_t *cs = case_full(c, &a);
  if (!cs) return NULL;
  int all = !a.sensitive && has_private(keys_of(c, cs));
  json_decref(cs);
  json_t *moves = kf_case_moves(c->s->e, case_id(c, buf), str(c, "as"), c->err);
  size_t i;
  json_t *m;
  if (!a.sensitive)
    json_array_foreach(moves, i, m)
      withhold_refusals(json_object_get(m, "refusals"), json_object_get(m, "reasons"), all);
  return moves;
}

/* For a server's counts of moves (the console's /metrics): a move that was tried and failed
 * says in its failure's detail which programme it was in and how it ended, as
 * {"transition": {"programme", "outcome": "refused" | "conflict" | "error"}}. A failure
 * before any move was tried (bad input, not permitted, no such move) notes nothing. */
static const char *move_outcome(int code) {
  switch (code) {
  case KF_EREFUSED: return "refused";
  case KF_ECONFLICT: return "conflict";
  case KF_EINVAL:
  case KF_EUSAGE:
  case KF_ENOTFOUND:
  case KF_EAUTH:
  case KF_EFORBIDDEN: return NULL;
  default: return "error";
  }
}

static void note_move(call *c, const char *programme) {
  const char *outcome = move_outcome(c->err->code);
  if (!outcome || !programme) return;
  if (!c->detail) c->detail = json_object();
  json_object_set_new(c->detail, "transition",
                      json_pack("{s:s,s:s}", "programme", programme, "outcome", outcome));
}

static json_t *v_case_fire(call *c) {
  char buf[32], programme[128];
  kf_access a;
  json_t *cs = case_full(c, &a);
  if (!cs) return NULL;
  int all = !a.sensitive && has_private(keys_of(c, cs));
  const char *t = need(c, "transition");
  int refused = family_role_refused(c, cs, need(c, "as"), "fire", t);
  const char *w = json_string_value(json_object_get(cs, "workflow"));
  snprintf(programme, sizeof programme, "%s", w ? w : "");
  json_decref(cs);
  if (refused) return NULL;
  json_t *res = kf_case_fire(c->s->e, case_id(c, buf), t, need(c, "as"), actor(c),
                             str(c, "reason"), num(c, "revision", 0), c->err);
  json_t *refusals = res || c->err->code != KF_EREFUSED ? NULL : kf_lua_detail(lua(c));
  if (json_is_array(refusals)) {
    json_t *copy = json_deep_copy(refusals);
    if (!a.sensitive) {
      withhold_refusals(copy, NULL, all);
      /* the message lists the refusals' texts: say it again from the withheld ones */
      char msg[sizeof c->err->msg];
      int n = snprintf(msg, sizeof msg, "case %s: cannot fire '%s': ", case_id(c, buf), t);
      size_t i;
      json_t *r;
      json_array_foreach(copy, i, r)
        if (n > 0 && (size_t)n < sizeof msg)
          n += snprintf(msg + n, sizeof msg - (size_t)n, "%s%s", i ? "; " : "",
                        json_string_value(json_object_get(r, "text")));
      kf_fail(c->err, KF_EREFUSED, "%s", msg);
    }
    json_decref(c->detail);
    c->detail = json_pack("{s:o}", "refusals", copy);
  }
  if (!res) note_move(c, programme);
  return answer_case(c, res);
}

/* The programme of case id (a number), or NULL (then err says why). */
static json_t *programme_of(call *c, json_int_t id, kf_err *err) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)id);
  json_t *cs = kf_store_case_get(st(c), buf, err);
  json_t *w = cs ? json_incref(json_object_get(cs, "workflow")) : NULL;
  json_decref(cs);
  return w;
}

/* family.fire (family.c), and for the console's counts its programme: "workflow" in the
 * answer (the console keeps it from the family's page), or note_move's detail. */
static json_t *v_family_fire_noted(call *c) {
  json_t *res = v_family_fire(c);
  json_t *f = c->user ? json_object_get(c->user, "family") : NULL;
  json_t *id = json_object_get(f, "case");
  if (!json_is_integer(id) || (!res && !move_outcome(c->err->code))) return res;
  kf_err look = {0};
  json_t *w = programme_of(c, json_integer_value(id), &look);
  if (res && w) json_object_set(res, "workflow", w);
  else if (!res) note_move(c, json_string_value(w));
  json_decref(w);
  return res;
}

static json_t *v_case_history(call *c) {
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  json_t *f = json_pack("{s:O}", "case", json_object_get(cs, "id"));
  json_t *events = kf_store_events(st(c), f, c->err);
  json_decref(f);
  json_decref(cs);
  redact_events(c, events);
  return events;
}

static json_t *v_case_member_add(call *c) {
  char buf[32];
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  json_t *data = json_object_get(c->args, "data");
  json_t *out = answer_members(c, cs, kf_case_member_add(c->s->e, case_id(c, buf), str(c, "role"),
                                                         str(c, "name"),
                                                         data && !json_is_null(data) ? data : NULL,
                                                         actor(c), c->err));
  json_decref(cs);
  return out;
}

static json_t *v_case_review(call *c) {
  char buf[32];
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  json_decref(cs);
  return answer_case(c, kf_case_review(c->s->e, case_id(c, buf), str(c, "note"), actor(c), c->err));
}

static json_t *v_form_get(call *c) {
  const char *name = need(c, "name");
  if (!name) return NULL;
  json_t *wf = json_null();
  if (json_object_get(c->args, "id") && !json_is_null(json_object_get(c->args, "id"))) {
    json_t *cs = case_full(c, NULL); /* a form for a case: only for those who may open it */
    if (!cs) return NULL;
    wf = json_incref(json_object_get(cs, "workflow_id"));
    json_decref(cs);
  }
  return kf_lua_call_new(lua(c), KF_LUA_FORM_SCHEMA, json_pack("[s,o]", name, wf), c->err);
}

static json_t *v_form_submit(call *c) {
  char buf[32];
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  const char *id = case_id(c, buf), *form = need(c, "form"), *as = str(c, "as");
  int refused = family_role_refused(c, cs, as, "submit", form);
  json_decref(cs);
  if (refused) return NULL;
  json_t *data = json_object_get(c->args, "data"), *empty = NULL;
  if (!data || json_is_null(data)) data = empty = json_object();
  json_t *out = kf_form_submit(c->s->e, id, form, data, as, actor(c), c->err);
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

/* A rule preview's reasons, for a caller who may not see a case's private details: the
 * reasons computed from them are withheld; for a case the caller may not open, every
 * reason is. */
static void withhold_impact(call *c, json_t *changed) {
  size_t i;
  json_t *item;
  json_array_foreach(changed, i, item) {
    char k[32];
    snprintf(k, sizeof k, "%lld", (long long)json_integer_value(json_object_get(item, "case")));
    kf_err ignore = {0};
    json_t *cs = kf_store_case_get(st(c), k, &ignore);
    kf_access a = cs ? access_of(c, cs) : (kf_access){KF_SEE_NONE, 0, 0, NULL, 0};
    int all = a.see != KF_SEE_FULL || (cs && has_private(keys_of(c, cs)));
    json_decref(cs);
    if (a.sensitive) continue;
    static const char *sides[] = {"before", "after"};
    for (int s = 0; s < 2; s++) {
      json_t *side = json_object_get(item, sides[s]);
      if (!json_is_object(side) || !json_object_get(side, "reason")) continue;
      if (all || json_is_true(json_object_get(side, "private"))) {
        json_object_set_new(side, "reason", json_string(WITHHELD));
        json_object_set_new(item, "withheld", json_true());
      }
    }
  }
}

/* The engine's check of a rule's source (as `kinflow check` does): NULL, with err filled
 * ("path:line: message", or "that is not a rule"), unless the source is one rule that
 * compiles and passes; else the check's report. files: [{path, source, only: "rule"}]. */
static json_t *rule_checked(call *c, json_t *files) {
  if (!files) {
    kf_fail(c->err, KF_EINVAL, "the rule is not valid UTF-8 text");
    return NULL;
  }
  json_t *chk = kf_check(c->s->e, files, c->err);
  json_t *f = chk ? json_array_get(json_object_get(chk, "files"), 0) : NULL;
  json_t *msg = chk ? json_array_get(json_object_get(chk, "messages"), 0) : NULL;
  if (!chk) return NULL;
  if (msg) {
    kf_fail(c->err, KF_EINVAL, "%s:%lld: %s", json_string_value(json_object_get(msg, "path")),
            (long long)json_integer_value(json_object_get(msg, "line")),
            json_string_value(json_object_get(msg, "msg")));
  } else if (!f || strcmp(json_string_value(json_object_get(f, "kind")), "rule")) {
    kf_fail(c->err, KF_EINVAL, "that is not a rule: it should return rule { name = ..., check = ... }");
  } else {
    return chk;
  }
  json_decref(chk);
  return NULL;
}

static json_t *rule_files(const char *path, const char *src) {
  return json_pack("[{s:s,s:s,s:s}]", "path", path && *path ? path : "rule.lua", "source", src,
                   "only", "rule");
}

/* The preview checks the source first, as deploying would, then judges every open case. */
static json_t *v_rule_impact(call *c) {
  const char *src = need(c, "source");
  if (!src) return NULL;
  const char *path = str(c, "path");
  json_t *files = rule_files(path, src), *chk = rule_checked(c, files);
  json_decref(files);
  if (!chk) return NULL;
  json_decref(chk);
  json_t *res = kf_rule_impact_text(c->s->e, path && *path ? path : "rule.lua", src, c->err);
  if (res && c->user) { /* the preview still counts every case; its words follow the rules */
    withhold_impact(c, json_object_get(res, "changed"));
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(res, "rules"), i, r) withhold_impact(c, json_object_get(r, "changed"));
  }
  return res;
}

static json_t *v_rule_deploy(call *c) {
  const char *src = need(c, "source");
  if (!src) return NULL;
  /* only rules: a plugin.lua (or workflow) source deploys the rules it declares */
  json_t *files = rule_files(str(c, "path"), src);
  json_t *chk = rule_checked(c, files), *report = NULL, *out = NULL;
  if (chk && kf_deploy(c->s->e, files, actor(c), &report, c->err) == 0) {
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
  static const char *const texts[] = {"actor", "since", "until"};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
    if ((v = json_object_get(c->args, texts[i])) && json_is_string(v)) json_object_set(f, texts[i], v);
  if (json_is_integer(json_object_get(c->args, "before")))
    json_object_set(f, "before", json_object_get(c->args, "before"));
  const char *order = str(c, "order");
  if (order && strcmp(order, "newest") && strcmp(order, "oldest")) {
    json_decref(f);
    kf_fail(c->err, KF_EINVAL, "audit: order is \"newest\" or \"oldest\", not \"%s\"", order);
    return NULL;
  }
  if (order && !strcmp(order, "newest")) json_object_set_new(f, "newest", json_true());
  json_object_set_new(f, "after", json_integer(num(c, "after", 0)));
  int64_t limit = num(c, "limit", 200);
  json_object_set_new(f, "limit", json_integer(limit < 1 || limit > 1000 ? 200 : limit));
  json_t *events = kf_store_events(st(c), f, c->err);
  json_decref(f);
  redact_events(c, events);
  return events;
}

/* Reports: counts and durations over every case (aggregates: nobody's details). */
static json_t *v_report_stages(call *c) {
  return kf_report_stages(st(c), str(c, "workflow"), kf_now(), c->err);
}

static json_t *v_report_outcomes(call *c) {
  const char *by = str(c, "by");
  if (by && strcmp(by, "outcome") && strcmp(by, "ended_by")) {
    kf_fail(c->err, KF_EINVAL, "report.outcomes: by is \"outcome\" or \"ended_by\", not \"%.40s\"", by);
    return NULL;
  }
  return kf_report_outcomes_by(st(c), str(c, "workflow"), by && !strcmp(by, "ended_by"), kf_now(),
                               c->err);
}

static json_t *v_audit_verify(call *c) {
  json_t *sum = NULL;
  return kf_store_audit_verify(st(c), &sum, c->err) ? NULL : sum;
}

/* Each timer that fired a move, or was refused one, names its case's programme
 * ("workflow"), for the console's counts of moves. */
static json_t *v_timers_run(call *c) {
  json_t *res = kf_timers_run(c->s->e, c->err);
  size_t i;
  json_t *t;
  json_array_foreach(json_object_get(res, "timers"), i, t) {
    const char *result = json_string_value(json_object_get(t, "result"));
    if (!json_object_get(t, "to") && !(result && !strcmp(result, "refused"))) continue;
    kf_err look = {0};
    json_t *w = programme_of(c, json_integer_value(json_object_get(t, "case")), &look);
    if (w) json_object_set_new(t, "workflow", w);
  }
  return res;
}

/* For monitoring (the console's /metrics): {timers_due, cases_overdue, database_bytes}. */
static json_t *v_metrics_read(call *c) {
  if (need_admin(c, "read the server's metrics")) return NULL;
  char now[21];
  kf_iso(kf_now(), now);
  return kf_store_gauges(st(c), now, c->err);
}

static json_t *v_case_allocate(call *c) {
  char buf[32];
  json_t *cs = kf_case_get(c->s->e, case_id(c, buf), c->err);
  if (!cs) return NULL;
  const char *to = str(c, "to"), *team = json_string_value(json_object_get(cs, "team"));
  int unallocated = !json_is_string(json_object_get(cs, "allocated_to"));
  const char *me = c->user ? json_string_value(json_object_get(c->user, "login")) : NULL;
  int may = !c->user || is_role(c, "admin") ||
            (is_role(c, "supervisor") && (unallocated || in_team(c, team))) ||
            (is_role(c, "caseworker") && unallocated && to && me && !strcmp(to, me) &&
             kf_access_holds(c->user, json_string_value(json_object_get(cs, "workflow")), NULL));
  json_decref(cs);
  if (!may) {
    kf_fail(c->err, KF_EFORBIDDEN, "case %s: only an admin, or a supervisor of its team, may "
            "allocate it (a caseworker may take an unallocated case of their programme)", buf);
    return NULL;
  }
  return answer_case(c, kf_case_allocate(c->s->e, case_id(c, buf), to, str(c, "team"),
                                         str(c, "reason"), actor(c), c->err));
}

static json_t *v_case_access(call *c) {
  char buf[32];
  json_t *cs = kf_case_get(c->s->e, case_id(c, buf), c->err);
  if (!cs) return NULL;
  kf_access a = access_of(c, cs);
  json_decref(cs);
  if (a.see == KF_SEE_FULL) {
    kf_fail(c->err, KF_EINVAL, "case %s is already open to you (%s): there is no glass to break",
            buf, a.basis ? a.basis : "owner");
    return NULL;
  }
  if (!a.glass) {
    kf_fail(c->err, KF_EFORBIDDEN, "case %s: breaking the glass needs a role in its programme", buf);
    return NULL;
  }
  /* KINFLOW_GLASS_HOURS sets how long a glass-break lasts when the request does not say */
  const char *env = getenv("KINFLOW_GLASS_HOURS");
  int64_t dflt = env && *env ? strtoll(env, NULL, 10) : 4;
  int64_t hours = num(c, "hours", dflt >= 1 && dflt <= 12 ? dflt : 4);
  if (hours < 1 || hours > 12) {
    kf_fail(c->err, KF_EINVAL, "case.access: hours must be 1 to 12");
    return NULL;
  }
  return kf_case_access_grant(c->s->e, case_id(c, buf), json_string_value(json_object_get(c->user, "login")),
                              str(c, "reason"), hours * 3600, c->err);
}

/* Glass-breaks to review: a supervisor sees those on their teams' cases, an admin all. */
static json_t *v_access_list(call *c) {
  json_t *f = json_object();
  if (c->user && !is_role(c, "admin")) {
    if (!is_role(c, "supervisor")) {
      json_decref(f);
      kf_fail(c->err, KF_EFORBIDDEN, "only supervisors and admins review glass-breaks");
      return NULL;
    }
    json_object_set(f, "teams", json_object_get(c->user, "teams"));
  }
  if (str(c, "team")) json_object_set_new(f, "teams", json_pack("[s]", str(c, "team")));
  json_t *rows = kf_store_grants(st(c), f, c->err);
  json_decref(f);
  return rows;
}


/* ---- consent and sharing ---- */

/* A family account's binding {case, member, ...}, or NULL for staff and the owner. */
static json_t *family_of(call *c) {
  return is_role(c, "family") ? json_object_get(c->user, "family") : NULL;
}

#define FAMILY_ONLY_OWN "a family account can use only its own family page"

/* The case of a consent verb: a family account's own case only; staff need its full view. */
static json_t *consent_case(call *c) {
  if (!is_role(c, "family")) return case_full(c, NULL);
  json_t *fam = family_of(c);
  char buf[32];
  json_t *cs = kf_case_get(c->s->e, case_id(c, buf), c->err);
  if (cs && (!json_is_integer(json_object_get(fam, "case")) ||
             !json_equal(json_object_get(fam, "case"), json_object_get(cs, "id")))) {
    json_decref(cs);
    kf_fail(c->err, KF_EFORBIDDEN, FAMILY_ONLY_OWN);
    return NULL;
  }
  return cs;
}

/* Who a consent verb records: a family account as itself, staff as the call says. */
static const char *consent_actor(call *c) {
  return family_of(c) ? json_string_value(json_object_get(c->user, "login")) : actor(c);
}

/* A family account acts only for its own member. */
static int own_member(call *c, int64_t member) {
  json_t *fam = family_of(c);
  if (!is_role(c, "family") || (fam && json_integer_value(json_object_get(fam, "member")) == member))
    return 0;
  return kf_fail(c->err, KF_EFORBIDDEN, "a family account gives and withdraws only its own "
                 "consents (member %lld is someone else)", (long long)member);
}

static json_t *v_consent_give(call *c) {
  char buf[32];
  json_t *cs = consent_case(c);
  if (!cs) return NULL;
  json_decref(cs);
  int64_t member = num(c, "member", 0);
  if (own_member(c, member)) return NULL;
  return kf_consent_give(c->s->e, case_id(c, buf), member, need(c, "purpose"), str(c, "from"),
                         str(c, "until"), consent_actor(c), c->err);
}

static json_t *v_consent_withdraw(call *c) {
  char buf[32];
  json_t *cs = consent_case(c);
  if (!cs) return NULL;
  int64_t id = num(c, "consent", 0);
  if (is_role(c, "family")) { /* their own consent only; the withdrawal is theirs */
    kf_err look = {0};
    json_t *k = kf_store_consent_get(st(c), id, &look);
    int64_t member = k ? json_integer_value(json_object_get(k, "member")) : 0;
    int same_case = k && json_equal(json_object_get(k, "case"), json_object_get(cs, "id"));
    json_decref(k);
    if (!k && look.code != KF_ENOTFOUND) {
      *c->err = look;
      json_decref(cs);
      return NULL;
    }
    if (k && same_case && own_member(c, member)) {
      json_decref(cs);
      return NULL;
    }
  }
  json_decref(cs);
  return kf_consent_withdraw(c->s->e, case_id(c, buf), id, str(c, "reason"), consent_actor(c),
                             !is_role(c, "family"), c->err);
}

static json_t *v_consent_list(call *c) {
  char buf[32];
  json_t *cs = consent_case(c);
  if (!cs) return NULL;
  json_decref(cs);
  json_t *all = kf_consent_list(c->s->e, case_id(c, buf), c->err);
  json_t *fam = family_of(c);
  if (!all || !is_role(c, "family")) return all;
  json_t *mine = json_array(), *k; /* a family account sees only its own consents */
  size_t i;
  json_array_foreach(all, i, k)
    if (json_equal(json_object_get(k, "member"), json_object_get(fam, "member")))
      json_array_append(mine, k);
  json_decref(all);
  return mine;
}

static json_t *v_case_flag_clear(call *c) {
  char buf[32];
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  json_decref(cs);
  return kf_case_flag_clear(c->s->e, case_id(c, buf), num(c, "flag", 0), actor(c), c->err);
}

static json_t *v_case_export(call *c) {
  char buf[32];
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  json_decref(cs);
  return kf_case_export(c->s->e, case_id(c, buf), need(c, "purpose"), str(c, "destination"),
                        actor(c), c->err);
}

/* What was withheld: of one case (for those with its full view), or of every case (for an
 * admin and the owner), from one destination or all. */
static json_t *v_sharing_withheld(call *c) {
  int64_t cid = 0;
  json_t *which = json_object_get(c->args, "id");
  if (which && !json_is_null(which)) {
    json_t *cs = case_full(c, NULL);
    if (!cs) return NULL;
    cid = json_integer_value(json_object_get(cs, "id"));
    json_decref(cs);
  } else if (c->user && !is_role(c, "admin")) {
    kf_fail(c->err, KF_EFORBIDDEN, "only an admin sees what was withheld from every case; "
            "give a case (id)");
    return NULL;
  }
  return kf_store_withheld(st(c), cid, str(c, "destination"), c->err);
}

/* Events the console records itself: only its own kinds, never a case's moves. */
static json_t *v_event_log(call *c) {
  const char *kind = need(c, "kind");
  if (!kind) return NULL;
  if (strncmp(kind, "sensitive.", 10) && strncmp(kind, "login.", 6) && strncmp(kind, "console.", 8)) {
    kf_fail(c->err, KF_EINVAL, "event.log records sensitive.*, login.* and console.* events only");
    return NULL;
  }
  if (!strcmp(kind, "login.failed")) {
    kf_fail(c->err, KF_EINVAL, "event.log: record failed sign-ins with the login.failed verb "
            "(it hashes unknown logins and limits how many are kept)");
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
 * not empty). null counts as absent. Unknown keys are left alone.
 * FAMILY marks the verbs a family account may call; every other verb refuses it in the
 * dispatch (kf_session_call), in one place. They are: family.get, family.submit,
 * family.fire, consent.give, consent.withdraw, consent.list (each on the account's own
 * case, as the verb checks), user.change_password (its own), session.create, session.get,
 * session.delete. */
enum { STAFF = 0, FAMILY = 1 };
static const struct {
  const char *name;
  json_t *(*fn)(call *c);
  const char *args;
  int who; /* FAMILY: a family account may call it too */
} VERBS[] = {
    {"workflows.list", v_workflows_list, "", STAFF},
    {"workflow.get", v_workflow_get, "name:s!", STAFF},
    {"workflow.versions", v_workflow_versions, "name:s!", STAFF}, /* api_versions.c */
    {"dashboard", v_dashboard, "", STAFF},
    {"report.stages", v_report_stages, "workflow:s", STAFF},
    {"report.outcomes", v_report_outcomes, "workflow:s by:s", STAFF},
    {"case.list", v_case_list,
     "workflow:s state:s q:s overdue:b open:b limit:i offset:i mine:b team:s unallocated:b actor:s "
     "sort:s", STAFF},
    {"case.get", v_case_get, "id:c! sensitive:b actor:s", STAFF},
    {"case.open", v_case_open, "workflow:s! data:o ref:s actor:s allocate_to:s", STAFF},
    {"case.import", v_case_import, "cases:a! batch:i actor:s", STAFF},
    {"case.allocate", v_case_allocate, "id:c! to:s! reason:s! team:s actor:s", STAFF},
    {"case.access", v_case_access, "id:c! reason:s! hours:i", STAFF},
    {"access.list", v_access_list, "team:s", STAFF},
    {"team.add", v_team_add, "name:s! actor:s", STAFF},
    {"team.list", v_team_list, "", STAFF},
    {"user.set_teams", v_user_set_teams, "login:s! teams:a! actor:s", STAFF},
    {"user.update", v_user_update, "login:s! role:s roles:a disabled:b actor:s", STAFF},
    {"user.reset_password", v_user_reset_password, "login:s! password:s! actor:s", STAFF},
    {"user.change_password", v_user_change_password, "login:s! old:s! password:s! actor:s", FAMILY},
    {"case.set", v_case_set, "id:c! data:o! actor:s revision:i", STAFF},
    {"case.moves", v_case_moves, "id:c! as:s", STAFF},
    {"case.fire", v_case_fire, "id:c! transition:s! as:s! actor:s reason:s revision:i", STAFF},
    {"case.history", v_case_history, "id:c!", STAFF},
    {"case.member_add", v_case_member_add, "id:c! role:s! name:s! data:o actor:s", STAFF},
    {"case.review", v_case_review, "id:c! note:s actor:s", STAFF},
    {"form.get", v_form_get, "name:s! id:c", STAFF},
    {"form.submit", v_form_submit, "id:c! form:s! data:o as:s actor:s", STAFF},
    {"rules.list", v_rules_list, "", STAFF},
    {"rule.impact", v_rule_impact, "source:s! path:s", STAFF},
    {"rule.deploy", v_rule_deploy, "source:s! path:s actor:s", STAFF},
    {"rule.rollback", v_rule_rollback, "name:s! actor:s", STAFF},
    {"audit.list", v_audit_list,
     "case:c kind:s actor:s since:s until:s after:i before:i order:s limit:i", STAFF},
    {"audit.verify", v_audit_verify, "", STAFF},
    {"timers.run", v_timers_run, "", STAFF},
    {"metrics.read", v_metrics_read, "", STAFF},
    {"user.add", v_user_add,
     "login:s! role:s! password:s! roles:a teams:a family_case:c family_member:i actor:s", STAFF},
    {"user.list", v_user_list, "", STAFF},
    {"user.verify", v_user_verify, "login:s! password:s!", STAFF},
    {"session.create", v_session_create, "login:s! idle:i absolute:i", FAMILY},
    {"session.get", v_session_get, "token:s!", FAMILY},
    {"session.delete", v_session_delete, "token:s!", FAMILY},
    {"event.log", v_event_log, "kind:s! actor:s data:o case:i name:s", STAFF},
    {"login.failed", v_login_failed, "login:s! address:s", STAFF},
    {"family.get", v_family_get, "", FAMILY},
    {"family.submit", v_family_submit, "form:s! data:o!", FAMILY},
    {"family.fire", v_family_fire_noted, "transition:s! reason:s", FAMILY},
    {"family.invite", v_family_invite, "id:c! member:i! login:s actor:s", STAFF},
    {"decision.record", v_decision_record,
     "id:c! for:s decided:s! family_agreed:b! participants:a! actor:s", STAFF},
    {"decision.list", v_decision_list, "id:c!", STAFF},
    {"consent.give", v_consent_give, "id:c! member:i! purpose:s! from:s until:s actor:s", FAMILY},
    {"consent.withdraw", v_consent_withdraw, "id:c! consent:i! reason:s actor:s", FAMILY},
    {"consent.list", v_consent_list, "id:c!", FAMILY},
    {"case.flag_clear", v_case_flag_clear, "id:c! flag:i! actor:s", STAFF},
    {"case.export", v_case_export, "id:c! purpose:s! destination:s actor:s", STAFF},
    {"sharing.withheld", v_sharing_withheld, "id:c destination:s", STAFF},
    /* practice's records (api_records.c) */
    {"case.member_end", v_case_member_end, "id:c! member:i! reason:s! on:s actor:s", STAFF},
    {"case.link", v_case_link, "id:c! other:c! as:s! reason:s actor:s", STAFF},
    {"case.links", v_case_links, "id:c!", STAFF},
    {"setting.list", v_setting_list, "", STAFF},
    {"setting.set", v_setting_set, "name:s! value:s! actor:s", STAFF},
    /* programme versions (api_records.c, migrate.h): admins only */
    {"migrate.plan", v_migrate_plan, "workflow:s! to:i! plan:s plan_path:s", STAFF},
    {"migrate.check", v_migrate_check, "workflow:s! to:i! plan:s plan_path:s", STAFF},
    {"migrate.run", v_migrate_run, "workflow:s! to:i! plan:s plan_path:s actor:s", STAFF},
    {"migrate.undo", v_migrate_undo, "id:i! actor:s", STAFF},
    {"migrate.list", v_migrate_list, "", STAFF},
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

/* The person the call acts for (args.user): their role, programme roles and teams, and
 * the grants they hold now. Without args.user the caller is the database's owner. */
static int as_user(call *c) {
  const char *login = str(c, "user");
  if (!login) return 0;
  kf_err look = {0};
  c->user = kf_store_user_get(st(c), login, &look);
  if (!c->user) {
    if (look.code != KF_ENOTFOUND) {
      *c->err = look;
      return c->err->code;
    }
    return kf_fail(c->err, KF_EAUTH, "no user '%s'", login);
  }
  /* Grants open cases to practitioners only (kf_access_case): nobody else's are read. */
  const char *role = json_string_value(json_object_get(c->user, "role"));
  if (!role || (strcmp(role, "caseworker") && strcmp(role, "supervisor"))) {
    c->grants = json_array();
    return 0;
  }
  char now[21];
  kf_iso(kf_now(), now);
  json_t *f = json_pack("{s:s,s:s,s:b}", "login", login, "active_at", now, "unordered", 1);
  c->grants = kf_store_grants(st(c), f, c->err);
  json_decref(f);
  return c->grants ? 0 : c->err->code;
}

static int status_of(int code) {
  switch (code) {
  case KF_EAUTH: return 401;
  case KF_EFORBIDDEN: return 403;
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
    call c = {s, args, err, NULL, NULL, NULL, NULL};
    if (!check_args(verb, VERBS[i].args, args, err) && !check_args(verb, "user:s", args, err) &&
        !as_user(&c)) {
      if (is_family(&c) && VERBS[i].who != FAMILY)
        kf_fail(err, KF_EFORBIDDEN, "a family account can use only its own family page");
      else
        res = VERBS[i].fn(&c);
    }
    s->detail = c.detail;
    json_decref(c.user);
    json_decref(c.grants);
    json_decref(c.keys);
    break;
  }
  if (i == sizeof VERBS / sizeof VERBS[0]) kf_fail(err, KF_ENOTFOUND, "no verb '%s'", verb);
  json_decref(empty);
  if (res) {
    json_decref(s->detail);
    s->detail = NULL;
    *status = 200;
    return res;
  }
  if (!err->msg[0]) kf_fail(err, KF_ESTORE, "%s failed", verb);
  *status = status_of(err->code);
  json_t *d = !s->detail && err->code == KF_EREFUSED ? kf_lua_detail(kf_engine_lua(s->e)) : NULL;
  if (json_is_array(d)) s->detail = json_pack("{s:O}", "refusals", d);
  return NULL;
}

/* ---- group commit ---- */

/* Every call that had succeeded fails with the group's failure. */
static void group_failed(kf_call *calls, size_t n, const kf_err *why) {
  int status = why->code == KF_EBUSY ? 503 : 500;
  for (size_t i = 0; i < n; i++) {
    if (!calls[i].result && calls[i].status != 200) continue; /* failed on its own */
    json_decref(calls[i].result);
    calls[i].result = NULL;
    calls[i].status = status;
    snprintf(calls[i].error, sizeof calls[i].error, "%s", why->msg[0] ? why->msg : "the group failed");
  }
}

int kf_session_call_group(kf_session *s, kf_call *calls, size_t n) {
  for (size_t i = 0; i < n; i++) {
    calls[i].result = calls[i].detail = NULL;
    calls[i].status = 200; /* until it fails */
    calls[i].error[0] = 0;
  }
  kf_err gerr = {0};
  if (!s) {
    kf_fail(&gerr, KF_EINVAL, "call_group needs a session");
    group_failed(calls, n, &gerr);
    for (size_t i = 0; i < n; i++) calls[i].status = 400;
    return -1;
  }
  if (kf_group_begin(s->e, &gerr)) {
    group_failed(calls, n, &gerr);
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    kf_call *k = &calls[i];
    kf_err err = {0};
    if (kf_group_call_begin(s->e, &err)) {
      k->status = status_of(err.code);
      snprintf(k->error, sizeof k->error, "%s", err.msg);
    } else {
      k->result = kf_session_call(s, k->verb, (json_t *)k->args, &k->status, &err);
      if (!k->result) {
        snprintf(k->error, sizeof k->error, "%s", err.msg);
        k->detail = s->detail ? json_incref(s->detail) : NULL;
      }
      kf_err end = {0};
      if (kf_group_call_end(s->e, k->result != NULL, &end) && k->result) {
        json_decref(k->result);
        k->result = NULL;
        k->status = status_of(end.code);
        snprintf(k->error, sizeof k->error, "%s", end.msg);
      }
    }
    if (!kf_store_in_tx(kf_engine_store(s->e))) { /* SQLite rolled it all back */
      if (!err.code || (err.code != KF_EBUSY && err.code != KF_ESTORE))
        kf_fail(&err, KF_ESTORE, "the database rolled the transaction back");
      kf_group_abort(s->e);
      group_failed(calls, n, &err); /* the calls not run yet too */
      return -1;
    }
  }
  if (kf_group_commit(s->e, &gerr)) {
    group_failed(calls, n, &gerr);
    return -1;
  }
  return 0;
}
