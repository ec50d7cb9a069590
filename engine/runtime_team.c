/* runtime_team.c: who is responsible for a case: teams, allocating a case to a worker
 * and a team, and opening one case to someone outside them for a time (break the glass). */
#define _GNU_SOURCE
#include <string.h>

#include "runtime.h"
#include "runtime_int.h"

/* 1 when name is 1 to 64 of a-z, 0-9, _ and -. */
static int team_name_ok(const char *name) {
  size_t n = name ? strlen(name) : 0;
  if (n < 1 || n > 64) return 0;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
      return 0;
  return 1;
}

static int same_text(const char *a, const char *b) {
  return (!a && !b) || (a && b && !strcmp(a, b));
}

static int has_name(json_t *names, const char *name) {
  size_t i;
  json_t *v;
  json_array_foreach(names, i, v) if (same_text(json_string_value(v), name)) return 1;
  return 0;
}

int kf_team_add(kf_engine *e, const char *name, const char *actor, kf_err *err) {
  if (rt_need_store(e, err)) return err->code;
  if (!team_name_ok(name))
    return kf_fail(err, KF_EINVAL, "team name '%.80s': use 1 to 64 lower-case letters, "
                   "digits, _ or -", name ? name : "");
  int rc = rt_tx_begin(e, err);
  if (rc) return rc;
  char now[21];
  rt_now_iso(now);
  if ((rc = kf_store_team_add(kf_engine_store(e), name, now, err)) ||
      (rc = rt_event_new(e, json_pack("{s:s,s:s,s:s,s:s,s:{s:s}}", "kind", "team.added", "name",
                                   name, "actor", actor ? actor : "kinflow", "at", now, "data",
                                   "team", name), err)) ||
      (rc = rt_tx_commit(e, err)))
    rt_tx_abort(e);
  return rc;
}

json_t *kf_case_allocate(kf_engine *e, const char *id, const char *to, const char *team,
                         const char *reason, const char *actor, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (!reason || !*reason) {
    kf_fail(err, KF_EINVAL, "case %s: say why it is allocated (a reason is required)",
            id ? id : "");
    return NULL;
  }
  if (!to && team) {
    kf_fail(err, KF_EINVAL, "case %s: a team needs a worker: allocate it to someone in team "
            "'%s'", id ? id : "", team);
    return NULL;
  }
  if (rt_tx_begin(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  json_t *c = rt_load_case(e, id, 0, err), *u = NULL, *all = NULL;
  if (!c) return rt_abort_tx_new(e, NULL);
  long long cid = (long long)json_integer_value(json_object_get(c, "id"));
  const char *to_team = NULL;
  if (to) {
    if (!(u = kf_store_user_get(kf_engine_store(e), to, err))) {
      if (err->code == KF_ENOTFOUND) kf_fail(err, KF_ENOTFOUND, "no user '%s'", to);
      goto fail;
    }
    const char *urole = json_string_value(json_object_get(u, "role"));
    if (urole && !strcmp(urole, "family")) {
      kf_fail(err, KF_EINVAL, "case %lld: '%s' is a family account: a case is allocated to a "
              "worker", cid, to);
      goto fail;
    }
    json_t *teams = json_object_get(u, "teams");
    if (team && !has_name(teams, team)) {
      if (!(all = kf_store_team_list(kf_engine_store(e), err))) goto fail;
      size_t i;
      json_t *t;
      int known = 0;
      json_array_foreach(all, i, t) known |= same_text(json_string_value(json_object_get(t, "name")), team);
      if (known) kf_fail(err, KF_EINVAL, "case %lld: '%s' is not a member of team '%s'", cid, to, team);
      else kf_fail(err, KF_ENOTFOUND, "no team '%s' (see `kinflow team list`)", team);
      goto fail;
    }
    /* the team given, else the worker's first (alphabetical), else none */
    to_team = team ? team : json_string_value(json_array_get(teams, 0));
  }
  const char *from = json_string_value(json_object_get(c, "allocated_to"));
  const char *from_team = json_string_value(json_object_get(c, "team"));
  if (same_text(from, to) && same_text(from_team, to_team)) {
    if (to && to_team)
      kf_fail(err, KF_EINVAL, "case %lld is already allocated to %s (team %s)", cid, to, to_team);
    else if (to) kf_fail(err, KF_EINVAL, "case %lld is already allocated to %s (no team)", cid, to);
    else kf_fail(err, KF_EINVAL, "case %lld is not allocated to anyone", cid);
    goto fail;
  }
  json_t *ev = rt_case_event("case.allocated", c, actor, now);
  if (ev) {
    json_object_set_new(ev, "reason", json_string(reason));
    json_object_set_new(ev, "data", json_pack("{s:s?,s:s?,s:s?,s:s?}", "from", from, "to", to,
                                              "team", to_team, "from_team", from_team));
  }
  /* the event's data copies the names it needs before the case row changes */
  if (kf_store_case_allocate(kf_engine_store(e), cid, to, to_team, now, err)) {
    json_decref(ev);
    goto fail;
  }
  if (rt_event_new(e, ev, err) || rt_tx_commit(e, err)) goto fail;
  json_decref(u);
  json_decref(all);
  return rt_reload(e, c, err);
fail:
  json_decref(u);
  json_decref(all);
  return rt_abort_tx_new(e, c);
}

json_t *kf_case_access_grant(kf_engine *e, const char *id, const char *login,
                             const char *reason, int64_t seconds, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (!login || !*login) {
    kf_fail(err, KF_EINVAL, "case %s: whose access? (no login given)", id ? id : "");
    return NULL;
  }
  if (!reason || !*reason) {
    kf_fail(err, KF_EINVAL, "case %s: say why you need access to it (a reason is required)",
            id ? id : "");
    return NULL;
  }
  if (seconds <= 0 || seconds > KF_GRANT_MAX_SECONDS) {
    kf_fail(err, KF_EINVAL, "access to a case lasts from a second to %d hours, not %lld "
            "seconds", KF_GRANT_MAX_SECONDS / 3600, (long long)seconds);
    return NULL;
  }
  if (rt_tx_begin(e, err)) return NULL;
  int64_t t = kf_now();
  char now[21], expires[21];
  kf_iso(t, now);
  kf_iso(t + seconds, expires);
  json_t *c = rt_load_case(e, id, 0, err), *u = NULL, *out = NULL;
  if (!c) return rt_abort_tx_new(e, NULL);
  if (!(u = kf_store_user_get(kf_engine_store(e), login, err))) {
    if (err->code == KF_ENOTFOUND) kf_fail(err, KF_ENOTFOUND, "no user '%s'", login);
    return rt_abort_tx_new(e, c);
  }
  json_decref(u);
  int64_t grant = 0;
  if (kf_store_grant_add(kf_engine_store(e), json_integer_value(json_object_get(c, "id")), login, reason, now,
                         expires, &grant, err))
    return rt_abort_tx_new(e, c);
  json_t *ev = rt_case_event("case.access_granted", c, login, now);
  if (ev) {
    json_object_set_new(ev, "reason", json_string(reason));
    json_object_set_new(ev, "data", json_pack("{s:I,s:s}", "grant", (json_int_t)grant,
                                              "expires_at", expires));
  }
  if (rt_event_new(e, ev, err) || rt_tx_commit(e, err)) return rt_abort_tx_new(e, c);
  out = json_pack("{s:I,s:O,s:s,s:s,s:s,s:s}", "grant", (json_int_t)grant, "case",
                  json_object_get(c, "id"), "login", login, "reason", reason, "granted_at", now,
                  "expires_at", expires);
  json_decref(c);
  if (!out) kf_fail(err, KF_ENOMEM, "out of memory (access was granted: grant %lld)",
                    (long long)grant);
  return out;
}
