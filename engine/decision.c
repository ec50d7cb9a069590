/* decision.c: shared decisions (decision.h): a decision checked against its case and the
 * case's programme, then stored with its event in one transaction. It decides nothing about
 * who may record one (the verbs do) and speaks no SQL (the store). */
#include "decision.h"

#include <stdio.h>
#include <string.h>

#include "luahost.h"
#include "store.h"

static int blank(const char *s) { return !s || !s[strspn(s, " \t\r\n")]; }

/* The participants as stored ({member, name, role, view} or {login, name, role, view}),
 * checked against the case's members and the users; NULL with err. */
static json_t *participants_of(kf_engine *e, json_t *c, json_t *given, const json_t *roles,
                               kf_err *err) {
  kf_store *st = kf_engine_store(e);
  long long cid = (long long)json_integer_value(json_object_get(c, "id"));
  json_t *members = kf_store_members(st, cid, NULL, err);
  if (!members) return NULL;
  json_t *out = json_array();
  int family = 0;
  size_t i;
  json_t *p;
  json_array_foreach(given, i, p) {
    json_t *m = json_object_get(p, "member"), *l = json_object_get(p, "login"), *view = json_object_get(p, "view");
    if (json_is_null(view)) view = NULL;
    if (!json_is_object(p) || (json_is_integer(m) == json_is_string(l)) || (m && !json_is_integer(m)) ||
        (l && !json_is_string(l))) {
      kf_fail(err, KF_EINVAL, "participant %zu must be {\"member\": ID, \"view\": TEXT} or "
              "{\"login\": LOGIN, \"view\": TEXT}", i + 1);
      goto fail;
    }
    if (view && !json_is_string(view)) {
      kf_fail(err, KF_EINVAL, "participant %zu: view must be text", i + 1);
      goto fail;
    }
    if (m) {
      json_t *found = NULL, *x;
      size_t k;
      json_array_foreach(members, k, x)
        if (json_integer_value(json_object_get(x, "id")) == json_integer_value(m)) found = x;
      if (!found) {
        kf_fail(err, KF_EINVAL, "member %lld is not on case %lld", (long long)json_integer_value(m), cid);
        goto fail;
      }
      const char *left = json_string_value(json_object_get(found, "ended_at"));
      if (left) {
        kf_fail(err, KF_EINVAL, "member %lld (%s) left the case on %.10s: a shared decision is "
                "made with the people on it now", (long long)json_integer_value(m),
                json_string_value(json_object_get(found, "name")), left);
        goto fail;
      }
      family |= kf_json_has_text(roles, json_string_value(json_object_get(found, "role")));
      json_array_append_new(out, json_pack("{s:O,s:O,s:O,s:O?}", "member", m, "name",
                                           json_object_get(found, "name"), "role",
                                           json_object_get(found, "role"), "view", view));
    } else {
      kf_err look = {0};
      json_t *u = kf_store_user_get(st, json_string_value(l), &look);
      if (!u) {
        if (look.code == KF_ENOTFOUND) kf_fail(err, KF_EINVAL, "no user '%s' (staff take part by login)", json_string_value(l));
        else *err = look;
        goto fail;
      }
      int fam = json_object_get(u, "family") != NULL;
      json_t *urole = json_incref(json_object_get(u, "role"));
      json_decref(u);
      if (fam) {
        json_decref(urole);
        kf_fail(err, KF_EINVAL, "'%s' is a family account: name its member instead "
                "({\"member\": ID})", json_string_value(l));
        goto fail;
      }
      json_array_append_new(out, json_pack("{s:O,s:O,s:o,s:O?}", "login", l, "name", l, "role",
                                           urole, "view", view));
    }
  }
  if (!family) {
    char buf[256];
    kf_fail(err, KF_EINVAL, "a shared decision needs at least one family member taking part "
            "(a member of the case holding a family role: %s)", kf_json_join(roles, buf, sizeof buf));
    goto fail;
  }
  json_decref(members);
  return out;
fail:
  json_decref(members);
  json_decref(out);
  return NULL;
}

json_t *kf_decision_record(kf_engine *e, const char *case_id, json_t *d, const char *actor,
                           kf_err *err) {
  kf_store *st = kf_engine_store(e);
  if (!st) {
    kf_fail(err, KF_EUSAGE, "no database is open");
    return NULL;
  }
  const char *decided = json_string_value(json_object_get(d, "decided"));
  json_t *agreed = json_object_get(d, "family_agreed"), *given = json_object_get(d, "participants");
  json_t *tfor = json_object_get(d, "for");
  if (json_is_null(tfor)) tfor = NULL;
  if (blank(decided)) {
    kf_fail(err, KF_EINVAL, "a shared decision needs what was decided");
    return NULL;
  }
  if (!json_is_boolean(agreed)) {
    kf_fail(err, KF_EINVAL, "say whether the family agreed (family_agreed: true or false)");
    return NULL;
  }
  if (!json_array_size(given)) {
    kf_fail(err, KF_EINVAL, "a shared decision needs who took part (participants: members of "
            "the case and staff, each with their view)");
    return NULL;
  }
  if (tfor && !json_is_string(tfor)) {
    kf_fail(err, KF_EINVAL, "'for' names the transition the decision is for (text)");
    return NULL;
  }
  if (kf_json_depth_ok(given, 4, "the participants", err)) return NULL;
  if (kf_tx_begin(e, err)) return NULL;
  json_t *c = kf_store_case_get(st, case_id, err), *info = NULL, *parts = NULL, *rec = NULL;
  if (!c) goto fail;
  info = kf_lua_call_new(kf_engine_lua(e), KF_LUA_FAMILY_INFO,
                         json_pack("[O]", json_object_get(c, "workflow_id")), err);
  if (!info) goto fail;
  if (tfor && !json_object_get(json_object_get(info, "transitions"), json_string_value(tfor))) {
    kf_fail(err, KF_EINVAL, "'%s' is not a transition of programme '%s' (a shared decision is "
            "for one of its moves, or for none)", json_string_value(tfor),
            json_string_value(json_object_get(c, "workflow")));
    goto fail;
  }
  if (!(parts = participants_of(e, c, given, json_object_get(info, "roles"), err))) goto fail;
  char now[21];
  kf_iso(kf_now(), now);
  rec = json_pack("{s:O,s:O?,s:s,s:O,s:O,s:s,s:s}", "case", json_object_get(c, "id"), "for", tfor,
                  "decided", decided, "family_agreed", agreed, "participants", parts,
                  "recorded_by", actor ? actor : "kinflow", "recorded_at", now);
  int64_t id = 0;
  if (!rec || kf_store_decision_add(st, rec, &id, err)) goto fail;
  json_object_set_new(rec, "id", json_integer(id));
  json_t *ev = json_pack("{s:s,s:O,s:s,s:s,s:{s:I,s:O?,s:O,s:I}}", "kind", "decision.recorded",
                         "case", json_object_get(c, "id"), "actor", actor ? actor : "kinflow",
                         "at", now, "data", "decision", (json_int_t)id, "for", tfor,
                         "family_agreed", agreed, "participants",
                         (json_int_t)json_array_size(parts));
  if (tfor) json_object_set(ev, "name", tfor);
  if (kf_event_append_new(e, ev, err) || kf_tx_commit(e, err)) goto fail;
  json_decref(c);
  json_decref(info);
  json_decref(parts);
  return rec;
fail:
  if (kf_store_in_tx(st)) kf_tx_abort(e);
  json_decref(c);
  json_decref(info);
  json_decref(parts);
  json_decref(rec);
  return NULL;
}

json_t *kf_decision_list(kf_engine *e, const char *case_id, kf_err *err) {
  kf_store *st = kf_engine_store(e);
  if (!st) {
    kf_fail(err, KF_EUSAGE, "no database is open");
    return NULL;
  }
  json_t *c = kf_store_case_get(st, case_id, err);
  if (!c) return NULL;
  json_t *out = kf_store_decisions(st, json_integer_value(json_object_get(c, "id")), err);
  json_decref(c);
  return out;
}
