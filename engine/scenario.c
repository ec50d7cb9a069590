/* scenario.c: runs programme scenario tests through the real runtime: each scenario gets a
 * fresh in-memory database, the workflow (and its bases) deployed, and a clock of its own.
 * It judges results; it decides nothing about workflows itself. */
#define _GNU_SOURCE
#include "scenario.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "consent.h"
#include "decision.h"
#include "records.h"
#include "runtime.h"

static const char *js(json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Test files under the given paths, sorted within each folder. */
static json_t *test_files(const char **paths, int n, kf_err *err) {
  json_t *out = json_array();
  for (int i = 0; i < n; i++) {
    struct stat sb;
    if (stat(paths[i], &sb) != 0) {
      json_decref(out);
      kf_fail(err, KF_EINVAL, "%s: no such file or folder", paths[i]);
      return NULL;
    }
    if (!S_ISDIR(sb.st_mode)) {
      json_array_append_new(out, json_string(paths[i]));
      continue;
    }
    DIR *d = opendir(paths[i]);
    if (!d) continue;
    char *names[1024];
    size_t k = 0;
    struct dirent *de;
    while ((de = readdir(d)) && k < 1024)
      if (ends_with(de->d_name, ".test.lua")) names[k++] = strdup(de->d_name);
    closedir(d);
    qsort(names, k, sizeof names[0], cmp_str);
    for (size_t j = 0; j < k; j++) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", paths[i], names[j]);
      json_array_append_new(out, json_string(path));
      free(names[j]);
    }
  }
  return out;
}

/* Does every key of want match got (recursively for objects)? */
static int subset(json_t *want, json_t *got) {
  if (json_is_object(want)) {
    if (!json_is_object(got)) return 0;
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v) if (!subset(v, json_object_get(got, k))) return 0;
    return 1;
  }
  if (json_is_number(want) && json_is_number(got))
    return json_number_value(want) == json_number_value(got);
  return json_equal(want, got);
}

static char *dump(json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
  return s ? s : strdup("?");
}

static void set_clock(int64_t t) { kf_clock_set(t); }

/* Check an expect step; on mismatch write why into msg. */
static int expect(kf_engine *e, const char *id, json_t *want, char *msg, size_t n) {
  kf_err err = {0};
  json_t *c = kf_case_get(e, id, &err);
  if (!c) {
    snprintf(msg, n, "%s", err.msg);
    return 0;
  }
  int ok = 1;
  json_t *v;
  if ((v = json_object_get(want, "state")) && !json_equal(v, json_object_get(c, "state"))) {
    snprintf(msg, n, "expected state '%s', the case is in '%s'", json_string_value(v), js(c, "state"));
    ok = 0;
  }
  if (ok && (v = json_object_get(want, "final")) &&
      json_is_true(v) != json_is_true(json_object_get(c, "final"))) {
    snprintf(msg, n, "expected the case %sto be final", json_is_true(v) ? "" : "not ");
    ok = 0;
  }
  if (ok && (v = json_object_get(want, "overdue"))) {
    int overdue = json_is_string(json_object_get(c, "overdue_since"));
    if (json_is_true(v) != overdue) {
      snprintf(msg, n, "expected the review %sto be overdue", json_is_true(v) ? "" : "not ");
      ok = 0;
    }
  }
  if (ok && (v = json_object_get(want, "data")) && !subset(v, json_object_get(c, "data"))) {
    char *w = dump(v), *g = dump(json_object_get(c, "data"));
    snprintf(msg, n, "expected data %s, the case has %s", w, g);
    free(w);
    free(g);
    ok = 0;
  }
  json_t *moves_want = json_object_get(want, "moves"), *blocked = json_object_get(want, "blocked");
  if (ok && (moves_want || blocked)) {
    const char *as = json_string_value(json_object_get(want, "as"));
    json_t *moves = kf_case_moves(e, id, as, &err);
    if (!moves) {
      snprintf(msg, n, "moves: %s", err.msg);
      ok = 0;
    }
    size_t i, j;
    json_t *m, *w;
    if (ok && moves_want) {
      json_t *avail = json_array();
      json_array_foreach(moves, i, m) if (json_is_true(json_object_get(m, "available")))
          json_array_append(avail, json_object_get(m, "name"));
      int same = json_array_size(avail) == json_array_size(moves_want);
      json_array_foreach(moves_want, i, w) {
        int found = 0;
        json_array_foreach(avail, j, m) found |= json_equal(m, w);
        same &= found;
      }
      if (!same) {
        char *a = dump(avail), *b = dump(moves_want);
        snprintf(msg, n, "expected available moves %s, got %s", b, a);
        free(a);
        free(b);
        ok = 0;
      }
      json_decref(avail);
    }
    const char *name;
    json_object_foreach(blocked, name, w) {
      if (!ok) break;
      json_t *found = NULL;
      json_array_foreach(moves, i, m) if (!strcmp(js(m, "name"), name)) found = m;
      if (!found || json_is_true(json_object_get(found, "available"))) {
        snprintf(msg, n, "expected '%s' to be blocked, it is %s", name, found ? "available" : "not a move from here");
        ok = 0;
        break;
      }
      char *reasons = dump(json_object_get(found, "reasons"));
      if (json_is_string(w) && !strstr(reasons, json_string_value(w))) {
        snprintf(msg, n, "expected '%s' blocked because of \"%s\", reasons: %s", name,
                 json_string_value(w), reasons);
        ok = 0;
      }
      free(reasons);
    }
    json_decref(moves);
  }
  json_decref(c);
  return ok;
}

/* The id of the member of case id named name, or 0 with err filled. One who is on the case
 * now comes before one of the same name who left (a member who changes role is ended and
 * added again); a name only the history holds gives the member who left. */
static int64_t member_named(kf_engine *e, const char *id, const char *name, kf_err *err) {
  json_t *c = kf_case_get(e, id, err), *members = NULL, *m;
  int64_t found = 0, left = 0;
  if (c) members = kf_store_members(kf_engine_store(e), json_integer_value(json_object_get(c, "id")),
                                    NULL, err);
  size_t i;
  json_array_foreach(members, i, m) {
    if (strcmp(js(m, "name"), name)) continue;
    json_t *ended = json_object_get(m, "ended_at");
    if (!found && (!ended || json_is_null(ended))) found = json_integer_value(json_object_get(m, "id"));
    if (!left && ended && !json_is_null(ended)) left = json_integer_value(json_object_get(m, "id"));
  }
  if (!found) found = left;
  if (members && !found) kf_fail(err, KF_EINVAL, "no member named '%s' on the case", name);
  json_decref(members);
  json_decref(c);
  return found;
}

/* { consent = PURPOSE, by = NAME, from?, until? (or ends?) }: that member gives consent. */
static json_t *consent_step(kf_engine *e, const char *id, json_t *s, const char *actor,
                            kf_err *err) {
  int64_t member = member_named(e, id, js(s, "by"), err);
  if (!member) return NULL;
  return kf_consent_give(e, id, member, js(s, "consent"),
                         json_string_value(json_object_get(s, "from")),
                         json_string_value(json_object_get(s, json_object_get(s, "ends") ? "ends" : "until")),
                         actor, err);
}

/* { withdraw = PURPOSE, by = NAME, reason? }: that member withdraws their consent in force
 * to PURPOSE (the newest). */
static json_t *withdraw_step(kf_engine *e, const char *id, json_t *s, const char *actor,
                             kf_err *err) {
  int64_t member = member_named(e, id, js(s, "by"), err), consent = 0;
  if (!member) return NULL;
  json_t *all = kf_consent_list(e, id, err), *k;
  if (!all) return NULL;
  size_t i;
  json_array_foreach(all, i, k)
    if (json_integer_value(json_object_get(k, "member")) == member &&
        !strcmp(js(k, "purpose"), js(s, "withdraw")) && !json_is_string(json_object_get(k, "withdrawn_at")))
      consent = json_integer_value(json_object_get(k, "id"));
  json_decref(all);
  if (!consent) {
    kf_fail(err, KF_EINVAL, "%s has no consent to %s in force to withdraw", js(s, "by"),
            js(s, "withdraw"));
    return NULL;
  }
  return kf_consent_withdraw(e, id, consent, json_string_value(json_object_get(s, "reason")),
                             actor, 0, err);
}

/* { member_end = NAME, reason = TEXT, on = DATE? }: that member leaves the case. */
static json_t *member_end_step(kf_engine *e, const char *id, json_t *s, const char *actor,
                               kf_err *err) {
  int64_t member = member_named(e, id, js(s, "member_end"), err);
  if (!member) return NULL;
  return kf_case_member_end(e, id, member, json_string_value(json_object_get(s, "reason")),
                            json_string_value(json_object_get(s, "on")), actor, err);
}

/* { setting = NAME, value = V }: the agency sets a setting (a number or true/false as text). */
static json_t *setting_step(kf_engine *e, json_t *s, const char *actor, kf_err *err) {
  json_t *v = json_object_get(s, "value");
  char text[64];
  const char *value = json_string_value(v);
  if (json_is_integer(v)) snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v)) snprintf(text, sizeof text, "%.17g", json_real_value(v));
  else if (json_is_boolean(v)) snprintf(text, sizeof text, "%s", json_is_true(v) ? "true" : "false");
  if (!value) value = text;
  return kf_setting_set(e, js(s, "setting"), value, actor, err);
}

/* A decision step: { decision = "transition", decided = "...", family_agreed = true,
 * members = { "a member's name", ... } } recorded through the runtime (members by name). */
static json_t *decision_step(kf_engine *e, const char *id, json_t *s, const char *actor,
                             kf_err *err) {
  json_t *parts = json_array(), *name;
  size_t i;
  json_array_foreach(json_object_get(s, "members"), i, name) {
    int64_t member = member_named(e, id, json_string_value(name), err);
    if (!member) {
      json_decref(parts);
      return NULL;
    }
    json_array_append_new(parts, json_pack("{s:I}", "member", (json_int_t)member));
  }
  json_t *d = json_pack("{s:O,s:O,s:O,s:o}", "for", json_object_get(s, "decision"), "decided",
                        json_object_get(s, "decided"), "family_agreed",
                        json_object_get(s, "family_agreed"), "participants", parts);
  json_t *res = kf_decision_record(e, id, d, actor, err);
  json_decref(d);
  return res;
}

/* Run one step. Returns 1 when it behaved as the scenario says. */
static int step(kf_engine *e, const char *id, json_t *s, int64_t *clock, char *msg, size_t n) {
  kf_err err = {0};
  json_t *res = NULL, *v;
  const char *actor = json_string_value(json_object_get(s, "actor"));
  if (!actor) actor = "scenario";
  if ((v = json_object_get(s, "expect"))) return expect(e, id, v, msg, n);
  if ((v = json_object_get(s, "advance"))) {
    int64_t d;
    if (kf_parse_duration(json_string_value(v), &d)) {
      snprintf(msg, n, "advance: '%s' is not a duration", json_string_value(v));
      return 0;
    }
    *clock += d;
    set_clock(*clock);
    res = kf_timers_run(e, &err);
  } else if ((v = json_object_get(s, "fire"))) {
    res = kf_case_fire(e, id, json_string_value(v), json_string_value(json_object_get(s, "as")),
                       actor, json_string_value(json_object_get(s, "reason")), 0, &err);
  } else if ((v = json_object_get(s, "submit"))) {
    json_t *data = json_object_get(s, "data"), *empty = data ? NULL : json_object();
    res = kf_form_submit(e, id, json_string_value(v), data ? data : empty,
                         json_string_value(json_object_get(s, "as")), actor, &err);
    json_decref(empty);
  } else if ((v = json_object_get(s, "member"))) {
    res = kf_case_member_add(e, id, json_string_value(v), js(s, "name"),
                             json_object_get(s, "data"), actor, &err);
  } else if ((v = json_object_get(s, "set"))) {
    res = kf_case_set(e, id, v, actor, 0, &err);
  } else if ((v = json_object_get(s, "review"))) {
    res = kf_case_review(e, id, json_string_value(json_object_get(s, "note")), actor, &err);
  } else if (json_object_get(s, "consent")) {
    res = consent_step(e, id, s, actor, &err);
  } else if (json_object_get(s, "withdraw")) {
    res = withdraw_step(e, id, s, actor, &err);
  } else if (json_object_get(s, "decision")) {
    res = decision_step(e, id, s, actor, &err);
  } else if (json_object_get(s, "member_end")) {
    res = member_end_step(e, id, s, actor, &err);
  } else if (json_object_get(s, "setting")) {
    res = setting_step(e, s, actor, &err);
  } else {
    snprintf(msg, n, "unknown step");
    return 0;
  }
  json_t *refused = json_object_get(s, "refused");
  int ok;
  if (refused && !json_is_false(refused)) {
    if (res) {
      snprintf(msg, n, "expected a refusal, it succeeded");
      ok = 0;
    } else if (json_is_string(refused) && !strstr(err.msg, json_string_value(refused))) {
      snprintf(msg, n, "expected a refusal mentioning \"%s\", got: %s", json_string_value(refused), err.msg);
      ok = 0;
    } else ok = 1;
  } else {
    ok = res != NULL;
    if (!ok) snprintf(msg, n, "%s", err.msg);
  }
  json_decref(res);
  return ok;
}

static void describe(json_t *s, char *buf, size_t n) {
  static const char *kinds[] = {"fire", "submit", "member", "set", "advance", "review", "expect",
                                "consent", "withdraw", "decision", "member_end", "setting"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    json_t *v = json_object_get(s, kinds[i]);
    if (!v) continue;
    if (json_is_string(v)) snprintf(buf, n, "%s %s", kinds[i], json_string_value(v));
    else snprintf(buf, n, "%s", kinds[i]);
    if (json_is_string(json_object_get(s, "as")) && strcmp(kinds[i], "expect"))
      snprintf(buf + strlen(buf), n - strlen(buf), " as %s", js(s, "as"));
    return;
  }
  snprintf(buf, n, "step");
}

/* One scenario on a fresh database. Returns 1 passed, 0 failed. */
static int scenario(json_t *file, json_t *sc, const char *scratch, char *msg, size_t n) {
  kf_err err = {0};
  int64_t clock;
  const char *now = json_string_value(json_object_get(sc, "now"));
  if (kf_parse_time(now ? now : "2026-01-05T09:00:00Z", &clock)) {
    snprintf(msg, n, "now: '%s' is not a date and time", now);
    return 0;
  }
  set_clock(clock);
  if (scratch && kf_store_scratch(scratch, &err)) {
    snprintf(msg, n, "%s", err.msg);
    return 0;
  }
  kf_engine *e = kf_engine_open(scratch ? scratch : ":memory:", 0, &err);
  if (!e) {
    snprintf(msg, n, "%s", err.msg);
    return 0;
  }
  json_t *report = NULL, *c = NULL;
  int ok = 0;
  if (kf_deploy(e, json_object_get(file, "deploy"), "scenario", &report, &err)) {
    json_t *m = json_array_get(json_object_get(report, "messages"), 0);
    if (m) snprintf(msg, n, "deploy: %s:%lld: %s", js(m, "path"),
                    (long long)json_integer_value(json_object_get(m, "line")), js(m, "msg"));
    else snprintf(msg, n, "deploy: %s", err.msg);
    goto out;
  }
  c = kf_case_open(e, js(file, "workflow"), json_object_get(sc, "data"),
                   json_string_value(json_object_get(sc, "ref")), "scenario", &err);
  if (!c) {
    snprintf(msg, n, "opening the case: %s", err.msg);
    goto out;
  }
  char id[32];
  snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(c, "id")));
  size_t i;
  json_t *s;
  ok = 1;
  json_array_foreach(json_object_get(sc, "steps"), i, s) {
    char why[600] = "", what[120];
    if (!step(e, id, s, &clock, why, sizeof why)) {
      describe(s, what, sizeof what);
      snprintf(msg, n, "step %zu (%s): %s", i + 1, what, why);
      ok = 0;
      break;
    }
  }
out:
  json_decref(report);
  json_decref(c);
  kf_engine_close(e);
  return ok;
}

/* One result: printed as a line, or kept as {file, line, scenario, ok, message}. */
static void report(json_t *results, const char *file, json_int_t line, const char *name,
                   int ok, const char *msg) {
  if (results) {
    json_array_append_new(results, json_pack("{s:s,s:I,s:s?,s:b,s:s?}", "file", file, "line",
                                             line, "scenario", name, "ok", ok, "message",
                                             ok ? NULL : msg));
  } else if (ok) {
    printf("ok   %s: %s\n", file, name);
  } else if (name) {
    printf("FAIL %s:%lld: %s: %s\n", file, (long long)line, name, msg);
  } else {
    printf("FAIL %s: %s\n", file, msg);
  }
}

int kf_scenarios_run(const char **paths, int npaths, json_t *results, int *passed, int *failed,
                     const char *scratch, kf_err *err) {
  if (scratch && kf_store_scratch(scratch, err)) return err->code; /* may it be emptied? */
  json_t *files = test_files(paths, npaths, err);
  if (!files) return err->code;
  int64_t saved_at; /* scenarios move the clock; the caller's comes back after */
  int was_fixed = kf_clock_fixed(&saved_at);
  kf_engine *reader = kf_engine_open(NULL, 0, err);
  if (!reader) {
    json_decref(files);
    return err->code;
  }
  size_t i;
  json_t *path;
  json_array_foreach(files, i, path) {
    kf_err lerr = {0};
    json_t *file = kf_lua_call_new(kf_engine_lua(reader), KF_LUA_SCENARIO_FILE,
                               json_pack("[O]", path), &lerr);
    if (!file) {
      report(results, json_string_value(path), 0, NULL, 0, lerr.msg);
      (*failed)++;
      continue;
    }
    size_t k;
    json_t *sc;
    json_array_foreach(json_object_get(file, "scenarios"), k, sc) {
      char msg[1024] = "";
      int ok = scenario(file, sc, scratch, msg, sizeof msg);
      report(results, json_string_value(path), json_integer_value(json_object_get(sc, "line")),
             js(sc, "name"), ok, msg);
      if (ok) (*passed)++;
      else (*failed)++;
    }
    json_decref(file);
  }
  kf_engine_close(reader);
  json_decref(files);
  if (was_fixed) kf_clock_set(saved_at);
  else kf_clock_clear();
  return 0;
}
