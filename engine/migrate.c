/* migrate.c: moving a workflow's open cases to another of its versions: the plan, the dry
 * run (writes nothing), the run (one transaction and one case.migrated event a case) and the
 * undo. The Lua half (migrate.lua) decides what each case becomes; no SQL here (the store). */
#define _GNU_SOURCE
#include "migrate.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

#define PAGE 500

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static int64_t jint(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

/* A programme the migration covers: the workflow itself (lines[0]), or an adaptation of it,
 * whose cases go to the adaptation's version in force re-applied on the target version. */
typedef struct line {
  char *name;
  int64_t to_id;      /* the version its cases go to; negative: not deployed yet (provisional) */
  int64_t to_version;
  int64_t from_version; /* an adaptation: its version in force, whose source is re-applied */
  char *path, *source;  /* an adaptation to deploy (re-applied on the target): its source */
  char *problem;        /* why this adaptation cannot be re-applied there (its cases cannot move) */
  int deployed;         /* this run deployed it */
} line;

/* What a migration works from: the target version, the plan's text and hash. */
typedef struct target {
  const char *workflow;
  int64_t version, id;
  const char *path;
  char *source; /* the plan's text (malloc'd), or NULL: the default plan */
  char hash[65];
  line *lines;
  size_t nlines;
} target;

static void target_free(target *t) {
  free(t->source);
  for (size_t i = 0; i < t->nlines; i++) {
    free(t->lines[i].name);
    free(t->lines[i].path);
    free(t->lines[i].source);
    free(t->lines[i].problem);
  }
  free(t->lines);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static char *problem_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *problem_new(const char *fmt, ...) {
  char buf[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return strdup(buf);
}

/* The adaptations of t's workflow (each name once, in the order listed), as lines after
 * lines[0]: the version in force of each, and where its cases go. newest: the workflow's
 * newest version (an adaptation is re-applied by deploying it, which pins the newest). */
static int adaptations(kf_engine *e, target *t, json_t *defs, int64_t newest, kf_err *err) {
  size_t i, n = 1;
  json_t *d;
  json_array_foreach(defs, i, d) n++;
  if (!(t->lines = calloc(n, sizeof *t->lines)) || !(t->lines[0].name = strdup(t->workflow)))
    return kf_fail(err, KF_ENOMEM, "out of memory");
  t->nlines = 1;
  t->lines[0].to_id = t->id;
  t->lines[0].to_version = t->version;
  json_array_foreach(defs, i, d) {
    const char *name = jstr(d, "name"), *base = jstr(d, "base_name");
    if (!name || !base || strcmp(base, t->workflow)) continue;
    int seen = 0;
    for (size_t k = 1; k < t->nlines; k++) seen |= !strcmp(t->lines[k].name, name);
    if (seen) continue;
    json_t *cur = kf_store_def_latest(kf_engine_store(e), "workflow", name, err);
    if (!cur) return err->code;
    line *l = &t->lines[t->nlines++];
    l->name = strdup(name);
    l->from_version = jint(cur, "version");
    if (jint(cur, "base_id") == t->id) { /* deployed on the target already */
      l->to_id = jint(cur, "id");
      l->to_version = l->from_version;
    } else if (!jstr(cur, "base_name") || strcmp(jstr(cur, "base_name"), t->workflow)) {
      l->problem = problem_new("%s v%lld no longer adapts %s", name, (long long)l->from_version, t->workflow);
    } else {
      l->to_id = -jint(cur, "id");
      l->to_version = l->from_version + 1;
      l->path = dup_or_null(jstr(cur, "path"));
      l->source = dup_or_null(jstr(cur, "source"));
      if (t->version != newest)
        l->problem = problem_new("adaptation %s is re-applied on %s's newest version (v%lld), not v%lld: "
                                 "move %s to v%lld", name, t->workflow, (long long)newest,
                                 (long long)t->version, t->workflow, (long long)newest);
    }
    json_decref(cur);
    if (!l->name) return kf_fail(err, KF_ENOMEM, "out of memory");
  }
  return 0;
}

/* Resolve workflow and version to a definition id, read the plan, find the adaptations.
 * 0 or KF_E... */
static int resolve(kf_engine *e, target *t, const char *workflow, int64_t version,
                   const char *path, const char *source, kf_err *err) {
  memset(t, 0, sizeof *t);
  t->workflow = workflow;
  t->version = version;
  t->path = path;
  if (!kf_engine_store(e)) return kf_fail(err, KF_EUSAGE, "no database is open");
  json_t *defs = kf_store_def_list(kf_engine_store(e), "workflow", err);
  if (!defs) return err->code;
  char versions[200] = "";
  size_t i, used = 0;
  int64_t newest = 0;
  json_t *d;
  json_array_foreach(defs, i, d) {
    if (strcmp(jstr(d, "name") ? jstr(d, "name") : "", workflow)) continue;
    if (jint(d, "version") == version) t->id = jint(d, "id");
    if (jint(d, "version") > newest) newest = jint(d, "version");
    if (used < sizeof versions - 24)
      used += (size_t)snprintf(versions + used, sizeof versions - used, "%s%lld", used ? ", " : "",
                               (long long)jint(d, "version"));
  }
  int rc = 0;
  if (!used) rc = kf_fail(err, KF_ENOTFOUND, "no workflow '%s' is deployed (see `kinflow workflows`)", workflow);
  else if (!t->id)
    rc = kf_fail(err, KF_ENOTFOUND, "workflow '%s' has no version %lld (versions: %s)", workflow,
                 (long long)version, versions);
  else rc = adaptations(e, t, defs, newest, err);
  json_decref(defs);
  if (rc) return rc;
  const char *text = source;
  if (path && !source) {
    if (!(t->source = kf_read_file(path, NULL, err))) return err->code;
    text = t->source;
  } else if (source && !(t->source = strdup(source))) {
    return kf_fail(err, KF_ENOMEM, "out of memory");
  }
  unsigned char h[crypto_hash_sha256_BYTES];
  const char *what = text ? text : "kinflow default plan: states mapped by name";
  crypto_hash_sha256(h, (const unsigned char *)what, strlen(what));
  sodium_bin2hex(t->hash, sizeof t->hash, h, sizeof h);
  return 0;
}

/* Re-apply (in the Lua state only) each adaptation not deployed on the target yet; one
 * that cannot be gets its problem. */
static int reapply(kf_engine *e, target *t, kf_err *err) {
  for (size_t k = 1; k < t->nlines; k++) {
    line *l = &t->lines[k];
    if (l->to_id >= 0 || l->problem) continue;
    json_t *res = kf_lua_call_new(kf_engine_lua(e), "migrate_adapted",
                                  json_pack("[I,s,s,I]", (json_int_t)l->to_id, l->path ? l->path : "?",
                                            l->source ? l->source : "", (json_int_t)t->id), err);
    if (!res) return err->code;
    if (jstr(res, "problem"))
      l->problem = problem_new("adaptation %s cannot be re-applied on %s v%lld: %s", l->name, t->workflow,
                               (long long)t->version, jstr(res, "problem"));
    json_decref(res);
  }
  return 0;
}

/* Open cases of each programme t covers on a version other than its target, in pages;
 * fn per case (borrowed) with its line; a non-zero return stops the walk and is returned. */
static int each_case(kf_engine *e, const target *t, int (*fn)(json_t *c, const line *l, void *ud),
                     void *ud, kf_err *err) {
  for (size_t k = 0; k < t->nlines; k++) {
    const line *l = &t->lines[k];
    int64_t after = 0;
    for (;;) {
      json_t *f = json_pack("{s:s,s:b}", "workflow", l->name, "open", 1);
      json_t *page = kf_store_cases_after(kf_engine_store(e), f, after, PAGE, err);
      json_decref(f);
      if (!page) return err->code;
      size_t i, n = json_array_size(page);
      json_t *c;
      json_array_foreach(page, i, c) {
        after = jint(c, "id");
        if (jint(c, "workflow_id") == l->to_id) continue;
        int rc = fn(c, l, ud);
        if (rc) {
          json_decref(page);
          return rc;
        }
      }
      json_decref(page);
      if (n < PAGE) break;
    }
  }
  return 0;
}

/* The plan as the Lua half reads it; also checks the plan file. */
struct counts_ud {
  json_t *froms; /* [{workflow_id, version, states: {state: n}, workflow?, to_id?, to_version?, problem?}] */
};

static int count_case(json_t *c, const line *l, void *ud) {
  struct counts_ud *u = ud;
  json_t *from = NULL, *x;
  size_t i;
  json_array_foreach(u->froms, i, x) if (jint(x, "workflow_id") == jint(c, "workflow_id")) from = x;
  if (!from) {
    from = json_pack("{s:O,s:O,s:{}}", "workflow_id", json_object_get(c, "workflow_id"), "version",
                     json_object_get(c, "version"), "states");
    if (l->from_version) { /* an adaptation's cases */
      json_object_set_new(from, "workflow", json_string(l->name));
      json_object_set_new(from, "to_version", json_integer(l->to_version));
      if (l->problem) json_object_set_new(from, "problem", json_string(l->problem));
      else json_object_set_new(from, "to_id", json_integer(l->to_id));
    }
    json_array_append_new(u->froms, from);
  }
  json_t *states = json_object_get(from, "states");
  const char *s = jstr(c, "state");
  json_object_set_new(states, s, json_integer(jint(states, s) + 1));
  return 0;
}

/* [{workflow, from_version, to_version, deploys, problem?}]: the adaptations t covers. */
static json_t *adaptations_json(const target *t) {
  json_t *out = json_array();
  for (size_t k = 1; k < t->nlines; k++) {
    const line *l = &t->lines[k];
    json_t *a = json_pack("{s:s,s:I,s:I,s:b}", "workflow", l->name, "from_version", (json_int_t)l->from_version,
                          "to_version", (json_int_t)l->to_version, "deploys", l->to_id < 0 || l->deployed);
    if (l->problem) json_object_set_new(a, "problem", json_string(l->problem));
    json_array_append_new(out, a);
  }
  return out;
}

static json_t *plan_of(kf_engine *e, target *t, kf_err *err) {
  if (reapply(e, t, err)) return NULL;
  struct counts_ud u = {json_array()};
  if (each_case(e, t, count_case, &u, err)) {
    json_decref(u.froms);
    return NULL;
  }
  json_t *args = json_pack("[s,I,I,o,s?,s?]", t->workflow, (json_int_t)t->version,
                           (json_int_t)t->id, u.froms, t->path, t->source);
  json_t *plan = kf_lua_call_new(kf_engine_lua(e), KF_LUA_MIGRATE_PLAN, args, err);
  if (!plan) return NULL;
  json_object_set_new(plan, "workflow", json_string(t->workflow));
  json_object_set_new(plan, "to_version", json_integer(t->version));
  json_object_set_new(plan, "plan_hash", json_string(t->hash));
  json_object_set_new(plan, "adaptations", adaptations_json(t));
  return plan;
}

json_t *kf_migrate_plan(kf_engine *e, const char *workflow, int64_t to_version,
                        const char *plan_path, const char *plan_source, kf_err *err) {
  target t;
  json_t *plan = NULL;
  if (!resolve(e, &t, workflow, to_version, plan_path, plan_source, err)) plan = plan_of(e, &t, err);
  target_free(&t);
  return plan;
}

/* What moving case c (of line l) would do (the Lua half's answer, with workflow,
 * from_version and to_version); a Lua failure of this case alone (its data function ran
 * out of time) or an adaptation that cannot be re-applied comes back as "cannot". */
static json_t *case_outcome(kf_engine *e, const target *t, const line *l, json_t *c, kf_err *err) {
  json_t *res = NULL;
  if (l->problem) {
    res = json_pack("{s:O,s:O,s:s,s:[{s:s,s:s}],s:{s:[],s:[]}}", "case", json_object_get(c, "id"),
                    "from", json_object_get(c, "state"), "outcome", "cannot", "reasons", "code",
                    "adaptation", "text", l->problem, "changes", "timers", "moves");
  } else {
    json_t *timers = kf_store_timers(kf_engine_store(e), jint(c, "id"), err);
    if (!timers) return NULL;
    json_t *args = json_pack("[O,o,s,I,I,s?,s?]", c, timers, t->workflow, (json_int_t)t->version,
                             (json_int_t)t->id, t->path, t->source);
    if (l->from_version)
      json_array_append_new(args, json_pack("{s:I,s:s,s:I}", "id", (json_int_t)l->to_id, "name", l->name,
                                            "version", (json_int_t)l->to_version));
    kf_err lerr = {0};
    res = kf_lua_call_new(kf_engine_lua(e), KF_LUA_MIGRATE_CASE, args, &lerr);
    if (!res) {
      if (lerr.code != KF_ELUA) {
        *err = lerr;
        return NULL;
      }
      char text[sizeof lerr.msg + 40];
      snprintf(text, sizeof text, "case %lld: %s", (long long)jint(c, "id"), lerr.msg);
      res = json_pack("{s:O,s:O,s:s,s:[{s:s,s:s}],s:{s:[],s:[]}}", "case", json_object_get(c, "id"),
                      "from", json_object_get(c, "state"), "outcome", "cannot", "reasons", "code",
                      "data_function", "text", text, "changes", "timers", "moves");
    }
  }
  json_object_set_new(res, "workflow", json_string(l->name));
  json_object_set(res, "from_version", json_object_get(c, "version"));
  json_object_set_new(res, "to_version", json_integer(l->to_version));
  if (l->from_version)
    json_object_set_new(res, "adapts", json_pack("{s:s,s:I,s:b}", "workflow", t->workflow, "version",
                                                 (json_int_t)t->version, "deploys", l->to_id < 0));
  if (json_is_string(json_object_get(c, "ref"))) json_object_set(res, "ref", json_object_get(c, "ref"));
  return res;
}

struct check_ud {
  kf_engine *e;
  const target *t;
  json_t *cases, *totals;
  kf_err *err;
};

static void bump(json_t *totals, const char *key) {
  json_object_set_new(totals, key, json_integer(jint(totals, key) + 1));
}

static int check_case(json_t *c, const line *l, void *ud) {
  struct check_ud *u = ud;
  json_t *res = case_outcome(u->e, u->t, l, c, u->err);
  if (!res) return u->err->code;
  json_object_del(res, "data");
  json_object_del(res, "timers");
  bump(u->totals, "cases");
  bump(u->totals, jstr(res, "outcome"));
  size_t i;
  json_t *x;
  int due = 0, blocked = 0;
  json_t *ch = json_object_get(res, "changes");
  json_array_foreach(json_object_get(ch, "timers"), i, x) due |= json_is_true(json_object_get(x, "due_now"));
  json_array_foreach(json_object_get(ch, "moves"), i, x) blocked |= !strcmp(jstr(x, "change"), "blocked");
  if (due) bump(u->totals, "due_now");
  if (json_array_size(json_object_get(res, "roles_gone"))) bump(u->totals, "roles_gone");
  if (!strcmp(jstr(res, "outcome"), "move") && json_object_get(res, "closes")) bump(u->totals, "closing");
  if (blocked) bump(u->totals, "blocked");
  if (l->from_version) bump(u->totals, "adapted");
  json_array_append_new(u->cases, res);
  return 0;
}

json_t *kf_migrate_check(kf_engine *e, const char *workflow, int64_t to_version,
                         const char *plan_path, const char *plan_source, kf_err *err) {
  target t;
  json_t *plan = NULL, *out = NULL;
  if (resolve(e, &t, workflow, to_version, plan_path, plan_source, err)) goto out;
  if (!(plan = plan_of(e, &t, err))) goto out; /* a bad plan is refused before any case */
  struct check_ud u = {e, &t, json_array(),
                       json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "cases", 0, "move", 0, "cannot",
                                 0, "due_now", 0, "blocked", 0, "roles_gone", 0, "closing", 0,
                                 "adapted", 0), err};
  /* one snapshot for every case: the report is of one moment, and its many reads do not
   * each take and drop the database's lock */
  int rc = kf_store_begin_read(kf_engine_store(e), err);
  if (!rc) {
    rc = each_case(e, &t, check_case, &u, err);
    kf_store_rollback(kf_engine_store(e));
  }
  if (rc) {
    json_decref(u.cases);
    json_decref(u.totals);
    goto out;
  }
  out = json_pack("{s:s,s:I,s:s,s:o,s:o,s:O}", "workflow", workflow, "to_version",
                  (json_int_t)to_version, "plan_hash", t.hash, "cases", u.cases, "totals", u.totals,
                  "adaptations", json_object_get(plan, "adaptations"));
out:
  json_decref(plan);
  target_free(&t);
  return out;
}

/* ---- the run ---- */

/* Deploy each adaptation re-applied on the target (a version of its own, pinned to the
 * target, with its workflow.deployed event); one that fails gets its problem and its
 * cases stay. 0, or KF_E... when the database failed. */
static int deploy_adaptations(kf_engine *e, target *t, const char *actor, kf_err *err) {
  for (size_t k = 1; k < t->nlines; k++) {
    line *l = &t->lines[k];
    if (l->to_id >= 0 || l->problem) continue;
    json_t *paths = json_pack("[{s:s,s:s}]", "path", l->path ? l->path : "?", "source", l->source ? l->source : "");
    json_t *report = NULL;
    kf_err derr = {0};
    int rc = kf_deploy(e, paths, actor && *actor ? actor : "kinflow", &report, &derr);
    json_decref(paths);
    size_t i;
    json_t *f;
    if (!rc) {
      json_array_foreach(json_object_get(report, "files"), i, f) {
        if (jstr(f, "name") && !strcmp(jstr(f, "name"), l->name) && json_is_integer(json_object_get(f, "id"))) {
          l->to_id = jint(f, "id");
          l->to_version = jint(f, "version");
          l->deployed = 1;
        }
      }
      if (l->to_id < 0) l->problem = problem_new("adaptation %s: deploying it again stored no version", l->name);
    } else if (derr.code == KF_ESTORE || derr.code == KF_EBUSY || derr.code == KF_ENOMEM) {
      json_decref(report);
      *err = derr;
      return rc;
    } else {
      json_t *m = json_array_get(json_object_get(report, "messages"), 0);
      if (m) l->problem = problem_new("adaptation %s cannot be re-applied on %s v%lld: %s:%lld: %s", l->name,
                                      t->workflow, (long long)t->version, jstr(m, "path") ? jstr(m, "path") : "?",
                                      (long long)jint(m, "line"), jstr(m, "msg") ? jstr(m, "msg") : "");
      else l->problem = problem_new("adaptation %s cannot be re-applied on %s v%lld: %s", l->name, t->workflow,
                                    (long long)t->version, derr.msg);
    }
    json_decref(report);
  }
  return 0;
}

struct collect_ud {
  json_t *ids; /* [{id, revision, line}] */
  const line *lines;
};

static int collect(json_t *c, const line *l, void *ud) {
  struct collect_ud *u = ud;
  return json_array_append_new(u->ids, json_pack("{s:O,s:O,s:I}", "id", json_object_get(c, "id"), "revision",
                                                 json_object_get(c, "revision"), "line",
                                                 (json_int_t)(l - u->lines)));
}

static json_t *event_new(const char *kind, json_t *case_id, const char *actor, const char *now) {
  json_t *ev = json_pack("{s:s,s:s,s:s}", "kind", kind, "actor", actor && *actor ? actor : "kinflow",
                         "at", now);
  if (case_id) json_object_set(ev, "case", case_id);
  return ev;
}

/* Move one case (listed at revision rev) inside its own transaction. 0 moved; 1 left (its
 * row appended to left); negative on failure. */
static int move_one(kf_engine *e, const target *t, const line *l, int64_t mig, int64_t id,
                    int64_t rev, const char *actor, json_t *moved, json_t *left, kf_err *err) {
  kf_store *st = kf_engine_store(e);
  char now[21], idt[32];
  kf_iso(kf_now(), now);
  snprintf(idt, sizeof idt, "%lld", (long long)id);
  json_t *c = NULL, *res = NULL, *ev = NULL;
  int rc = kf_tx_begin(e, err);
  if (rc) return rc;
  if (!(c = kf_store_case_get(st, idt, err))) goto fail;
  if (jint(c, "workflow_id") == l->to_id || json_is_true(json_object_get(c, "final"))) {
    int closed = json_is_true(json_object_get(c, "final")); /* since the list was read */
    json_array_append_new(left, json_pack("{s:I,s:O,s:[{s:s,s:s}]}", "case", (json_int_t)id, "from",
                                          json_object_get(c, "state"), "reasons", "code",
                                          closed ? "closed" : "moved_already", "text",
                                          closed ? "the case closed while the migration ran"
                                                 : "the case was on the target version already"));
    kf_tx_abort(e);
    json_decref(c);
    return 1;
  }
  if (jint(c, "revision") != rev) {
    json_array_append_new(left, json_pack("{s:I,s:O,s:[{s:s,s:s}]}", "case", (json_int_t)id, "from",
                                          json_object_get(c, "state"), "reasons", "code", "conflict",
                                          "text", "the case changed while the migration ran (it was "
                                          "not overwritten): run the migration again to move it"));
    kf_tx_abort(e);
    json_decref(c);
    return 1;
  }
  if (!(res = case_outcome(e, t, l, c, err))) goto fail;
  if (strcmp(jstr(res, "outcome"), "move")) {
    json_t *row = json_pack("{s:I,s:O,s:O}", "case", (json_int_t)id, "from", json_object_get(c, "state"),
                            "reasons", json_object_get(res, "reasons"));
    if (json_object_get(res, "roles_gone")) json_object_set(row, "roles_gone", json_object_get(res, "roles_gone"));
    json_array_append_new(left, row);
    kf_tx_abort(e);
    json_decref(c);
    json_decref(res);
    return 1;
  }
  json_t *timers = kf_store_timers(st, id, err), *pending = json_array(), *x;
  if (!timers) {
    json_decref(pending);
    goto fail;
  }
  size_t i;
  json_array_foreach(timers, i, x) if (!strcmp(jstr(x, "status"), "pending")) json_array_append(pending, x);
  json_decref(timers);
  json_t *to = json_pack("{s:I,s:O,s:b,s:O,s:O,s:O?}", "workflow_id", (json_int_t)l->to_id, "state",
                         json_object_get(res, "to"), "final",
                         json_is_true(json_object_get(res, "final")), "data",
                         json_object_get(res, "data"), "entered_at", json_object_get(c, "entered_at"),
                         "overdue_since", json_object_get(res, "overdue_since"));
  rc = kf_store_case_put_version(st, id, rev, to, now, err);
  json_decref(to);
  if (!rc) rc = kf_store_timers_cancel(st, id, NULL, NULL, now, 0, err);
  json_array_foreach(json_object_get(res, "timers"), i, x) {
    if (rc) break;
    rc = kf_store_timer_add(st, id, jstr(x, "name"), jstr(x, "kind"), jstr(x, "state"), jstr(x, "due"), err);
  }
  if (rc) {
    json_decref(pending);
    goto fail;
  }
  ev = event_new("case.migrated", json_object_get(c, "id"), actor, now);
  json_object_set_new(ev, "name", json_string(l->name));
  json_object_set(ev, "from", json_object_get(c, "state"));
  json_object_set(ev, "to", json_object_get(res, "to"));
  json_object_set_new(ev, "data", json_pack("{s:I,s:s,s:O,s:I,s:s,s:b}", "migration", (json_int_t)mig,
                                            "workflow", t->workflow, "from_version",
                                            json_object_get(c, "version"), "to_version",
                                            (json_int_t)l->to_version, "plan_hash", t->hash,
                                            "data_changed",
                                            !json_equal(json_object_get(c, "data"),
                                                        json_object_get(res, "data"))));
  json_t *closes = json_object_get(res, "closes");
  if (closes) json_object_set(json_object_get(ev, "data"), "outcome", json_object_get(closes, "outcome"));
  if (l->from_version) { /* an adaptation's case: its programme, on the workflow's version */
    json_object_set_new(json_object_get(ev, "data"), "programme", json_string(l->name));
    json_object_set_new(json_object_get(ev, "data"), "base_version", json_integer(t->version));
  }
  if ((rc = kf_event_append_new(e, json_incref(ev), err))) {
    json_decref(pending);
    goto fail;
  }
  json_t *row = json_pack("{s:I,s:I,s:O,s:O,s:O,s:O,s:o,s:O,s:O?,s:O,s:I,s:O}", "migration",
                          (json_int_t)mig, "case", (json_int_t)id, "from_workflow_id",
                          json_object_get(c, "workflow_id"), "from_state", json_object_get(c, "state"),
                          "from_final", json_object_get(c, "final"), "from_data",
                          json_object_get(c, "data"), "from_timers", pending, "from_entered_at",
                          json_object_get(c, "entered_at"), "from_overdue_since",
                          json_object_get(c, "overdue_since"), "to_state", json_object_get(res, "to"),
                          "revision", (json_int_t)(rev + 1), "seq", json_object_get(ev, "seq"));
  json_object_set_new(row, "to_workflow_id", json_integer(l->to_id));
  rc = kf_store_migrated_add(st, row, err);
  json_decref(row);
  if (rc || (rc = kf_tx_commit(e, err))) goto fail;
  json_t *done = json_pack("{s:I,s:O,s:O}", "case", (json_int_t)id, "from", json_object_get(c, "state"),
                           "to", json_object_get(res, "to"));
  if (l->from_version) {
    json_object_set_new(done, "workflow", json_string(l->name));
    json_object_set_new(done, "to_version", json_integer(l->to_version));
  }
  json_array_append_new(moved, done);
  json_decref(ev);
  json_decref(c);
  json_decref(res);
  return 0;
fail:
  kf_tx_abort(e);
  json_decref(ev);
  json_decref(c);
  json_decref(res);
  return err->code ? err->code : KF_ESTORE;
}

/* Record the migration's end (state, counts) with its event, in one transaction. */
static int finish(kf_engine *e, int64_t mig, const char *from, const char *state, const char *kind,
                  json_t *counts, const char *actor, kf_err *err) {
  char now[21];
  kf_iso(kf_now(), now);
  int rc = kf_tx_begin(e, err);
  if (rc) return rc;
  json_t *ev = event_new(kind, NULL, actor, now);
  json_object_set_new(ev, "data", json_pack("{s:I,s:O}", "migration", (json_int_t)mig, "counts", counts));
  if ((rc = kf_store_migration_finish(kf_engine_store(e), mig, from, state, counts, now, err)) ||
      (rc = kf_event_append_new(e, ev, err)) || (rc = kf_tx_commit(e, err)))
    kf_tx_abort(e);
  return rc;
}

static void host_name(char *buf, size_t n) {
  if (gethostname(buf, n - 1)) snprintf(buf, n, "?");
  buf[n - 1] = 0;
}

/* Why running migration m is taken for interrupted, in buf, or NULL while it may live: its
 * heartbeat is older than KF_MIGRATE_STALE seconds (on any host: pid reuse cannot fool
 * it), or on this host its process is gone. */
static const char *dead_why(json_t *m, const char *host, int64_t now, char *buf, size_t n) {
  const char *beat = jstr(m, "heartbeat_at") ? jstr(m, "heartbeat_at") : jstr(m, "started_at");
  int64_t at = 0;
  if (beat && !kf_parse_time(beat, &at) && now - at > KF_MIGRATE_STALE) {
    snprintf(buf, n, "no heartbeat since %s (over %d s)", beat, KF_MIGRATE_STALE);
    return buf;
  }
  pid_t pid = (pid_t)jint(m, "pid");
  if (!jstr(m, "host") || strcmp(jstr(m, "host"), host) || pid <= 0 || pid == getpid()) return NULL;
  if (kill(pid, 0) == 0 || errno != ESRCH) return NULL;
  snprintf(buf, n, "its process (%lld on %s) is gone", (long long)pid, host);
  return buf;
}

/* Mark each migration still "running" that is dead (dead_why) as "interrupted", with a
 * migration.interrupted event saying why; its counts keep the progress it reported, moved
 * being the cases it did move. */
static int sweep_interrupted(kf_engine *e, kf_err *err) {
  kf_store *st = kf_engine_store(e);
  json_t *rows = kf_store_migrations(st, err);
  if (!rows) return err->code;
  char host[256], why[400];
  host_name(host, sizeof host);
  size_t i;
  json_t *m;
  int rc = 0;
  json_array_foreach(rows, i, m) {
    if (strcmp(jstr(m, "state"), "running") || !dead_why(m, host, kf_now(), why, sizeof why)) continue;
    char now[21];
    kf_iso(kf_now(), now);
    if ((rc = kf_tx_begin(e, err))) break;
    json_t *cur = kf_store_migration_get(st, jint(m, "id"), err);
    /* another process marked it, or it beat, meanwhile */
    if (!cur || strcmp(jstr(cur, "state"), "running") || !dead_why(cur, host, kf_now(), why, sizeof why)) {
      kf_tx_abort(e);
      json_decref(cur);
      if (err->code) {
        rc = err->code;
        break;
      }
      continue;
    }
    json_t *counts = json_deep_copy(json_object_get(cur, "counts"));
    if (!json_is_object(counts)) {
      json_decref(counts);
      counts = json_object();
    }
    json_object_set(counts, "moved", json_object_get(cur, "migrated"));
    json_t *ev = event_new("migration.interrupted", NULL, "kinflow", now);
    json_object_set_new(ev, "name", json_string(jstr(cur, "workflow")));
    json_object_set_new(ev, "data", json_pack("{s:O,s:O,s:O,s:O,s:O?,s:s}", "migration",
                                              json_object_get(cur, "id"), "counts", counts, "pid",
                                              json_object_get(cur, "pid"), "host",
                                              json_object_get(cur, "host"), "heartbeat_at",
                                              json_object_get(cur, "heartbeat_at"), "reason", why));
    if ((rc = kf_store_migration_finish(st, jint(cur, "id"), "running", "interrupted", counts, now, err)) ||
        (rc = kf_event_append_new(e, ev, err)) || (rc = kf_tx_commit(e, err)))
      kf_tx_abort(e);
    json_decref(counts);
    json_decref(cur);
    if (rc) break;
  }
  json_decref(rows);
  return rc;
}

/* The running migration of workflow, or NULL (and err->code 0) when there is none. */
static json_t *running_of(kf_engine *e, const char *workflow, kf_err *err) {
  *err = (kf_err){0};
  json_t *rows = kf_store_migrations(kf_engine_store(e), err), *m, *hit = NULL;
  size_t i;
  json_array_foreach(rows, i, m) {
    if (!strcmp(jstr(m, "state"), "running") && !strcmp(jstr(m, "workflow"), workflow)) hit = json_incref(m);
    if (hit) break;
  }
  json_decref(rows);
  return hit;
}

/* Refuse a run while migration busy (consumed) of workflow runs. KF_ECONFLICT. */
static int busy_fail(json_t *busy, const char *workflow, kf_err *err) {
  kf_fail(err, KF_ECONFLICT, "migration %lld of %s is already running (started %s by %s; "
          "process %lld on %s): wait for it to finish (see `kinflow migrate list`)",
          (long long)jint(busy, "id"), workflow, jstr(busy, "started_at"), jstr(busy, "by"),
          (long long)jint(busy, "pid"), jstr(busy, "host") ? jstr(busy, "host") : "?");
  json_decref(busy);
  return err->code;
}

/* Counts so far, for the heartbeat and the end. */
static json_t *counts_new(size_t total, size_t done, json_t *moved, json_t *left) {
  return json_pack("{s:I,s:I,s:I,s:I}", "cases", (json_int_t)total, "done", (json_int_t)done,
                   "moved", (json_int_t)json_array_size(moved), "left", (json_int_t)json_array_size(left));
}

/* The heartbeat: counts so far and the time, in a transaction of its own. */
static int beat(kf_engine *e, int64_t mig, json_t *counts, kf_err *err) {
  char now[21];
  kf_iso(kf_now(), now);
  int rc = kf_tx_begin(e, err);
  if (rc) return rc;
  if ((rc = kf_store_migration_beat(kf_engine_store(e), mig, counts, now, err)) || (rc = kf_tx_commit(e, err)))
    kf_tx_abort(e);
  return rc;
}

json_t *kf_migrate_run(kf_engine *e, const char *workflow, int64_t to_version,
                       const char *plan_path, const char *plan_source, const char *actor,
                       kf_migrate_progress progress, void *ud, kf_err *err) {
  target t;
  json_t *plan = NULL, *ids = json_array(), *moved = json_array(), *left = json_array(), *out = NULL;
  if (resolve(e, &t, workflow, to_version, plan_path, plan_source, err)) goto out;
  if (sweep_interrupted(e, err)) goto out;
  if (!(plan = plan_of(e, &t, err))) goto out;
  int rc = 0;
  json_t *busy = running_of(e, workflow, err); /* before deploying anything; again below */
  if (err->code || (busy && (rc = busy_fail(busy, workflow, err)))) goto out;
  if (deploy_adaptations(e, &t, actor, err)) goto out;
  struct collect_ud cu = {ids, t.lines};
  if (each_case(e, &t, collect, &cu, err)) goto out;
  char now[21], host[256];
  kf_iso(kf_now(), now);
  host_name(host, sizeof host);
  int64_t mig = 0;
  json_t *m = json_pack("{s:s,s:I,s:I,s:s,s:s?,s:s,s:s,s:I,s:s}", "workflow", workflow, "to_version",
                        (json_int_t)to_version, "to_id", (json_int_t)t.id, "plan_hash", t.hash,
                        "plan", t.source, "by", actor && *actor ? actor : "kinflow", "started_at", now,
                        "pid", (json_int_t)getpid(), "host", host);
  json_object_set_new(m, "counts", counts_new(json_array_size(ids), 0, moved, left));
  rc = kf_tx_begin(e, err);
  busy = rc ? NULL : running_of(e, workflow, err); /* inside the transaction: one at a time */
  if (!rc && (rc = err->code)) kf_tx_abort(e);
  else if (busy) rc = busy_fail(busy, workflow, err);
  if (!rc && !(rc = kf_store_migration_add(kf_engine_store(e), m, &mig, err))) {
    json_t *ev = event_new("migration.started", NULL, actor, now);
    json_object_set_new(ev, "name", json_string(workflow));
    json_object_set_new(ev, "data", json_pack("{s:I,s:s,s:I,s:s,s:I,s:o}", "migration", (json_int_t)mig,
                                              "workflow", workflow, "to_version", (json_int_t)to_version,
                                              "plan_hash", t.hash, "cases",
                                              (json_int_t)json_array_size(ids), "adaptations",
                                              adaptations_json(&t)));
    if (!(rc = kf_event_append_new(e, ev, err))) rc = kf_tx_commit(e, err);
  }
  json_decref(m);
  if (rc) {
    kf_tx_abort(e);
    goto out;
  }
  size_t i, total = json_array_size(ids);
  if (progress) progress(0, (int64_t)total, ud); /* the migrations row exists */
  int64_t last_beat = kf_now();
  json_t *x;
  json_array_foreach(ids, i, x) {
    rc = move_one(e, &t, &t.lines[jint(x, "line")], mig, jint(x, "id"), jint(x, "revision"), actor,
                  moved, left, err);
    if (rc < 0) { /* this case failed: it stays as it was, and the others go on */
      json_array_append_new(left, json_pack("{s:O,s:[{s:s,s:s}]}", "case", json_object_get(x, "id"),
                                            "reasons", "code", "failed", "text", err->msg));
      *err = (kf_err){0};
    }
    if ((i + 1) % KF_MIGRATE_BEAT == 0 || kf_now() - last_beat >= KF_MIGRATE_STALE / 6) {
      json_t *so_far = counts_new(total, i + 1, moved, left);
      rc = beat(e, mig, so_far, err);
      json_decref(so_far);
      if (rc) goto out; /* marked interrupted by another process: stop; what moved stays */
      last_beat = kf_now();
    }
    if (progress && ((i + 1) % 100 == 0 || i + 1 == total)) progress((int64_t)i + 1, (int64_t)total, ud);
  }
  json_t *counts = counts_new(total, total, moved, left);
  if (finish(e, mig, "running", "done", "migration.finished", counts, actor, err)) {
    json_decref(counts);
    goto out;
  }
  out = json_pack("{s:I,s:s,s:I,s:s,s:O,s:O,s:o,s:o}", "migration", (json_int_t)mig, "workflow", workflow,
                  "to_version", (json_int_t)to_version, "plan_hash", t.hash, "moved", moved, "left",
                  left, "counts", counts, "adaptations", adaptations_json(&t));
out:
  json_decref(plan);
  json_decref(ids);
  json_decref(moved);
  json_decref(left);
  target_free(&t);
  return out;
}

/* ---- undo ---- */

/* Why case c (now) cannot be put back as row says, or NULL when it can; text in buf. */
static const char *moved_on(kf_engine *e, json_t *m, json_t *row, json_t *c, char *buf, size_t n,
                            kf_err *err) {
  int64_t to = json_is_integer(json_object_get(row, "to_workflow_id")) ? jint(row, "to_workflow_id") : jint(m, "to_id");
  if (jint(c, "workflow_id") != to) {
    snprintf(buf, n, "it is no longer on the version the migration moved it to (%s v%lld)",
             jstr(c, "workflow") ? jstr(c, "workflow") : "?", (long long)jint(c, "version"));
    return buf;
  }
  json_t *f = json_pack("{s:O,s:O,s:i}", "case", json_object_get(c, "id"), "after",
                        json_object_get(row, "seq"), "limit", 100);
  json_t *evs = kf_store_events(kf_engine_store(e), f, err);
  json_decref(f);
  if (!evs) return NULL;
  size_t i;
  json_t *ev;
  const char *why = NULL;
  json_array_foreach(evs, i, ev) {
    const char *kind = jstr(ev, "kind");
    if (!kind || !strncmp(kind, "sensitive.", 10) || !strcmp(kind, "case.access_granted")) continue;
    snprintf(buf, n, "it moved on after the migration (%s at %s)", kind, jstr(ev, "at") ? jstr(ev, "at") : "?");
    why = buf;
    break;
  }
  json_decref(evs);
  if (!why && jint(c, "revision") != jint(row, "revision")) {
    snprintf(buf, n, "it changed after the migration (revision %lld, not %lld)",
             (long long)jint(c, "revision"), (long long)jint(row, "revision"));
    why = buf;
  }
  return why;
}

/* Put one case back in its own transaction. 0 undone, 1 left (appended to left). */
static int undo_one(kf_engine *e, json_t *m, json_t *row, const char *actor, json_t *undone,
                    json_t *left, kf_err *err) {
  kf_store *st = kf_engine_store(e);
  char now[21], idt[32], why[300];
  kf_iso(kf_now(), now);
  int64_t id = jint(row, "case");
  snprintf(idt, sizeof idt, "%lld", (long long)id);
  int rc = kf_tx_begin(e, err);
  if (rc) return rc;
  json_t *c = kf_store_case_get(st, idt, err);
  if (!c) goto fail;
  const char *reason = moved_on(e, m, row, c, why, sizeof why, err);
  if (err->code) goto fail;
  if (reason) {
    json_array_append_new(left, json_pack("{s:I,s:O,s:s}", "case", (json_int_t)id, "state",
                                          json_object_get(c, "state"), "reason", reason));
    kf_tx_abort(e);
    json_decref(c);
    return 1;
  }
  json_t *to = json_pack("{s:O,s:O,s:O,s:O,s:O,s:O?}", "workflow_id", json_object_get(row, "from_workflow_id"),
                         "state", json_object_get(row, "from_state"), "final",
                         json_object_get(row, "from_final"), "data", json_object_get(row, "from_data"),
                         "entered_at", json_object_get(row, "from_entered_at"), "overdue_since",
                         json_object_get(row, "from_overdue_since"));
  rc = kf_store_case_put_version(st, id, jint(c, "revision"), to, now, err);
  json_decref(to);
  json_t *ids = json_array(), *x;
  size_t i;
  json_array_foreach(json_object_get(row, "from_timers"), i, x) json_array_append(ids, json_object_get(x, "id"));
  if (!rc) rc = kf_store_timers_cancel(st, id, NULL, NULL, now, 0, err);
  if (!rc) rc = kf_store_timers_reopen(st, id, ids, err);
  json_decref(ids);
  if (rc) goto fail;
  json_t *ev = event_new("case.migration_undone", json_object_get(c, "id"), actor, now);
  json_object_set_new(ev, "name", json_string(jstr(m, "workflow")));
  json_object_set(ev, "from", json_object_get(c, "state"));
  json_object_set(ev, "to", json_object_get(row, "from_state"));
  json_object_set_new(ev, "data", json_pack("{s:O,s:O,s:O}", "migration", json_object_get(m, "id"),
                                            "from_version", json_object_get(c, "version"),
                                            "migrated_seq", json_object_get(row, "seq")));
  if ((rc = kf_event_append_new(e, ev, err)) ||
      (rc = kf_store_migrated_undone(st, jint(m, "id"), id, err)) || (rc = kf_tx_commit(e, err)))
    goto fail;
  json_array_append_new(undone, json_pack("{s:I,s:O}", "case", (json_int_t)id, "to",
                                          json_object_get(row, "from_state")));
  json_decref(c);
  return 0;
fail:
  kf_tx_abort(e);
  json_decref(c);
  return err->code ? err->code : KF_ESTORE;
}

json_t *kf_migrate_undo(kf_engine *e, int64_t id, const char *actor, kf_err *err) {
  if (!kf_engine_store(e)) {
    kf_fail(err, KF_EUSAGE, "no database is open");
    return NULL;
  }
  kf_store *st = kf_engine_store(e);
  if (sweep_interrupted(e, err)) return NULL;
  json_t *m = kf_store_migration_get(st, id, err);
  if (!m) return NULL;
  if (!strcmp(jstr(m, "state"), "undone")) {
    kf_fail(err, KF_EINVAL, "migration %lld was undone already", (long long)id);
    json_decref(m);
    return NULL;
  }
  if (!strcmp(jstr(m, "state"), "running")) {
    kf_fail(err, KF_ECONFLICT, "migration %lld is still running (process %lld on %s, heartbeat "
            "%s): undo it when it has finished", (long long)id, (long long)jint(m, "pid"),
            jstr(m, "host") ? jstr(m, "host") : "?", jstr(m, "heartbeat_at") ? jstr(m, "heartbeat_at") : "?");
    json_decref(m);
    return NULL;
  }
  json_t *rows = kf_store_migrated_cases(st, id, err);
  if (!rows) {
    json_decref(m);
    return NULL;
  }
  json_t *undone = json_array(), *left = json_array(), *row, *out = NULL;
  size_t i;
  json_array_foreach(rows, i, row) {
    if (json_is_true(json_object_get(row, "undone"))) continue;
    int rc = undo_one(e, m, row, actor, undone, left, err);
    if (rc < 0) {
      json_array_append_new(left, json_pack("{s:O,s:s}", "case", json_object_get(row, "case"),
                                            "reason", err->msg));
      *err = (kf_err){0};
    }
  }
  json_t *counts = json_deep_copy(json_object_get(m, "counts"));
  if (!json_is_object(counts)) {
    json_decref(counts);
    counts = json_object();
  }
  json_object_set_new(counts, "undone", json_integer((json_int_t)json_array_size(undone)));
  json_object_set_new(counts, "not_undone", json_integer((json_int_t)json_array_size(left)));
  if (!finish(e, id, NULL, "undone", "migration.undone", counts, actor, err))
    out = json_pack("{s:I,s:O,s:O,s:O}", "migration", (json_int_t)id, "undone", undone, "left", left,
                    "counts", counts);
  json_decref(counts);
  json_decref(undone);
  json_decref(left);
  json_decref(rows);
  json_decref(m);
  return out;
}

json_t *kf_migrate_list(kf_engine *e, kf_err *err) {
  if (!kf_engine_store(e)) {
    kf_fail(err, KF_EUSAGE, "no database is open");
    return NULL;
  }
  if (sweep_interrupted(e, err)) return NULL;
  json_t *rows = kf_store_migrations(kf_engine_store(e), err);
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) json_object_del(r, "plan"); /* its hash says which */
  return rows;
}
