/* records.c: members who leave a case, links between cases, and the agency's settings:
 * each verb checks its request, then stores the record and its events in one transaction.
 * No SQL here (the store), no Lua API (the Lua host), and no decision about who may ask
 * (api.c's verbs decide that). */
#define _GNU_SOURCE
#include "records.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static int64_t jint(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }


/* 1 when s holds something other than spaces. */
static int said(const char *s) {
  for (; s && *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') return 1;
  return 0;
}

/* Roll back, release keep (taken) and hand back NULL. */
static json_t *abort_new(kf_engine *e, json_t *keep) {
  kf_tx_abort(e);
  json_decref(keep);
  return NULL;
}

static json_t *case_event(const char *kind, json_t *c, const char *actor, const char *now) {
  return json_pack("{s:s,s:O,s:s,s:s}", "kind", kind, "case", json_object_get(c, "id"), "actor",
                   actor && *actor ? actor : "kinflow", "at", now);
}

/* ---- members who leave ---- */

/* Disable the family account bound to member, if there is one, with its event. */
static int disable_family_account(kf_engine *e, int64_t member, const char *actor,
                                  const char *now, kf_err *err) {
  kf_store *st = kf_engine_store(e);
  kf_err look = {0};
  char *login = kf_store_family_login(st, member, &look);
  if (!login) {
    if (look.code == KF_ENOTFOUND) return 0;
    *err = look;
    return err->code;
  }
  json_t *changes = json_pack("{s:b}", "disabled", 1);
  int rc = kf_store_user_update(st, login, changes, err);
  if (!rc) rc = kf_store_sessions_end(st, login, err);
  if (!rc)
    rc = kf_event_append_new(e, json_pack("{s:s,s:s,s:s,s:s,s:{s:b,s:I}}", "kind", "user.updated",
                                          "name", login, "actor", actor && *actor ? actor : "kinflow",
                                          "at", now, "data", "disabled", 1, "member_ended",
                                          (json_int_t)member),
                             err);
  json_decref(changes);
  free(login);
  return rc;
}

json_t *kf_case_member_end(kf_engine *e, const char *id, int64_t member, const char *reason,
                           const char *on, const char *actor, kf_err *err) {
  char day[11];
  kf_today(day);
  const char *label = id ? id : "";
  if (!said(reason)) {
    kf_fail(err, KF_EINVAL, "case %s: say why member %lld leaves the case (a reason is required)",
            label, (long long)member);
    return NULL;
  }
  if (!on || !*on) on = day;
  if (!kf_is_date(on)) {
    kf_fail(err, KF_EINVAL, "case %s: --on '%.40s' is not a date (YYYY-MM-DD)", label, on);
    return NULL;
  }
  if (strcmp(on, day) > 0) {
    kf_fail(err, KF_EINVAL, "case %s: --on %s is after today; a member leaves on a date that has "
            "happened", label, on);
    return NULL;
  }
  if (kf_tx_begin(e, err)) return NULL;
  kf_store *st = kf_engine_store(e);
  char now[21];
  kf_iso(kf_now(), now);
  json_t *c = kf_store_case_get(st, id, err), *members = NULL, *m, *found = NULL;
  if (!c) return abort_new(e, NULL);
  int64_t cid = jint(c, "id");
  if (!(members = kf_store_members(st, cid, NULL, err))) return abort_new(e, c);
  size_t i;
  json_array_foreach(members, i, m) if (jint(m, "id") == member) found = m;
  if (!found) {
    kf_fail(err, KF_EINVAL, "case %lld: member %lld is not on the case (see `kinflow case members "
            "%lld`)", (long long)cid, (long long)member, (long long)cid);
    goto fail;
  }
  if (jstr(found, "ended_at")) {
    kf_fail(err, KF_EINVAL, "case %lld: member %lld (%s) left the case on %s already", (long long)cid,
            (long long)member, jstr(found, "name"), jstr(found, "ended_at"));
    goto fail;
  }
  const char *added = jstr(found, "added_at");
  if (added && strncmp(on, added, 10) < 0) {
    kf_fail(err, KF_EINVAL, "case %lld: member %lld (%s) was added on %.10s, so cannot have left "
            "on %s", (long long)cid, (long long)member, jstr(found, "name"), added, on);
    goto fail;
  }
  json_t *ev = case_event("member.ended", c, actor, now);
  if (ev) {
    json_object_set(ev, "name", json_object_get(found, "name"));
    json_object_set(ev, "role", json_object_get(found, "role"));
    json_object_set_new(ev, "reason", json_string(reason));
    json_object_set_new(ev, "data", json_pack("{s:I,s:O,s:O,s:s,s:s}", "member", (json_int_t)member,
                                              "name", json_object_get(found, "name"), "role",
                                              json_object_get(found, "role"), "on", on, "reason",
                                              reason));
  }
  if (kf_store_member_end(st, cid, member, on, reason, err)) {
    json_decref(ev);
    goto fail;
  }
  if (kf_event_append_new(e, ev, err) || disable_family_account(e, member, actor, now, err) ||
      kf_tx_commit(e, err))
    goto fail;
  json_decref(members);
  json_decref(c);
  return kf_store_members(st, cid, NULL, err);
fail:
  json_decref(members);
  return abort_new(e, c);
}

/* ---- links between cases ---- */

json_t *kf_case_links(kf_engine *e, const char *id, kf_err *err) {
  kf_store *st = kf_engine_store(e);
  if (!st) {
    kf_fail(err, KF_EUSAGE, "no database is open");
    return NULL;
  }
  json_t *c = kf_store_case_get(st, id, err);
  if (!c) return NULL;
  json_t *out = kf_store_links(st, jint(c, "id"), err);
  json_decref(c);
  return out;
}

json_t *kf_case_link(kf_engine *e, const char *id, const char *other, const char *as,
                     const char *reason, const char *actor, kf_err *err) {
  if (!as || (strcmp(as, "sibling") && strcmp(as, "continues"))) {
    kf_fail(err, KF_EINVAL, "case link: --as is sibling or continues, not '%.40s'", as ? as : "");
    return NULL;
  }
  if (reason && !said(reason)) reason = NULL;
  if (kf_tx_begin(e, err)) return NULL;
  kf_store *st = kf_engine_store(e);
  char now[21];
  kf_iso(kf_now(), now);
  json_t *c = kf_store_case_get(st, id, err), *o = NULL, *links = NULL, *l;
  if (!c || !(o = kf_store_case_get(st, other, err))) goto fail;
  int64_t cid = jint(c, "id"), oid = jint(o, "id");
  if (cid == oid) {
    kf_fail(err, KF_EINVAL, "case %lld cannot be linked to itself", (long long)cid);
    goto fail;
  }
  if (!(links = kf_store_links(st, cid, err))) goto fail;
  size_t i;
  json_array_foreach(links, i, l) {
    if (jint(l, "case") != oid || strcmp(jstr(l, "as"), as)) continue;
    int to = !strcmp(jstr(l, "direction"), "to");
    if (to || !strcmp(as, "sibling"))
      kf_fail(err, KF_EINVAL, "case %lld is already linked to case %lld as %s", (long long)cid,
              (long long)oid, as);
    else
      kf_fail(err, KF_EINVAL, "case %lld continues case %lld already; case %lld cannot also "
              "continue it", (long long)oid, (long long)cid, (long long)cid);
    goto fail;
  }
  if (kf_store_link_add(st, cid, oid, as, now, actor && *actor ? actor : "kinflow", err)) goto fail;
  for (int side = 0; side < 2; side++) {
    json_t *ev = case_event("case.linked", side ? o : c, actor, now);
    if (ev) {
      if (reason) json_object_set_new(ev, "reason", json_string(reason));
      json_object_set_new(ev, "data", json_pack("{s:I,s:s,s:s,s:s?}", "other",
                                                (json_int_t)(side ? cid : oid), "as", as,
                                                "direction", side ? "from" : "to", "reason",
                                                reason));
    }
    if (kf_event_append_new(e, ev, err)) goto fail;
  }
  if (kf_tx_commit(e, err)) goto fail;
  json_decref(links);
  json_decref(o);
  json_decref(c);
  return kf_store_links(st, cid, err);
fail:
  json_decref(links);
  json_decref(o);
  return abort_new(e, c);
}

/* ---- the agency's settings ---- */

/* value (text) as a setting's value for a declared default: a number when it reads as
 * one, true/false for a true/false default, else the text. */
static json_t *setting_value(const char *value, json_t *dflt) {
  if (!value) return json_null();
  char *end = NULL;
  double d = strtod(value, &end);
  if (end != value && *end == 0 && isfinite(d)) {
    if (d == (double)(json_int_t)d && !strpbrk(value, ".eE")) return json_integer((json_int_t)d);
    return json_real(d);
  }
  if (json_is_boolean(dflt) && (!strcmp(value, "true") || !strcmp(value, "false")))
    return json_boolean(!strcmp(value, "true"));
  return json_string(value);
}

/* name -> {name, label, default, programmes} over the newest version of every programme. */
static json_t *declared(kf_store *st, kf_err *err) {
  json_t *defs = kf_store_def_list(st, "workflow", err), *out = json_object(), *d;
  if (!defs) {
    json_decref(out);
    return NULL;
  }
  const char *last = NULL;
  size_t i;
  json_array_foreach(defs, i, d) {
    const char *name = jstr(d, "name");
    if (!name || (last && !strcmp(last, name))) continue;
    last = name;
    json_t *row = kf_store_def_latest(st, "workflow", name, err), *s;
    if (!row) {
      json_decref(defs);
      json_decref(out);
      return NULL;
    }
    size_t k;
    json_array_foreach(json_object_get(json_object_get(row, "definition"), "settings"), k, s) {
      const char *sname = jstr(s, "name");
      if (!sname) continue;
      json_t *have = json_object_get(out, sname);
      if (!have) {
        have = json_pack("{s:s,s:O?,s:O?,s:[]}", "name", sname, "label", json_object_get(s, "label"),
                         "default", json_object_get(s, "default"), "programmes");
        json_object_set_new(out, sname, have);
      }
      json_array_append_new(json_object_get(have, "programmes"), json_string(name));
    }
    json_decref(row);
  }
  json_decref(defs);
  return out;
}

/* The list row of a declared setting (borrowed decl, may be NULL) and its stored row. */
static json_t *setting_row(const char *name, json_t *decl, json_t *stored) {
  json_t *dflt = json_object_get(decl, "default");
  return json_pack("{s:s,s:O?,s:O?,s:o,s:O?,s:O?,s:O}", "name", name, "label",
                   json_object_get(decl, "label"), "default", dflt, "value",
                   setting_value(jstr(stored, "value"), dflt), "set_at",
                   json_object_get(stored, "set_at"), "set_by", json_object_get(stored, "set_by"),
                   "programmes", decl ? json_object_get(decl, "programmes") : json_array());
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *kf_settings_list(kf_engine *e, kf_err *err) {
  kf_store *st = kf_engine_store(e);
  if (!st) {
    kf_fail(err, KF_EUSAGE, "no database is open");
    return NULL;
  }
  json_t *decl = declared(st, err), *stored = decl ? kf_store_settings(st, err) : NULL;
  if (!stored) {
    json_decref(decl);
    return NULL;
  }
  json_t *by_name = json_object(), *s, *out = json_array();
  size_t i;
  json_array_foreach(stored, i, s) json_object_set(by_name, jstr(s, "name"), s);
  /* every name, declared or stored, in order */
  json_t *names = json_array();
  const char *k;
  json_t *v;
  json_object_foreach(decl, k, v) json_array_append_new(names, json_string(k));
  json_array_foreach(stored, i, s)
    if (!json_object_get(decl, jstr(s, "name"))) json_array_append(names, json_object_get(s, "name"));
  size_t n = json_array_size(names);
  const char **sorted = calloc(n ? n : 1, sizeof *sorted);
  if (!sorted) {
    kf_fail(err, KF_ENOMEM, "out of memory");
    json_decref(out);
    out = NULL;
    goto done;
  }
  for (i = 0; i < n; i++) sorted[i] = json_string_value(json_array_get(names, i));
  qsort(sorted, n, sizeof *sorted, cmp_names);
  for (i = 0; i < n; i++)
    json_array_append_new(out, setting_row(sorted[i], json_object_get(decl, sorted[i]),
                                           json_object_get(by_name, sorted[i])));
  free(sorted);
done:
  json_decref(names);
  json_decref(by_name);
  json_decref(stored);
  json_decref(decl);
  return out;
}

json_t *kf_setting_set(kf_engine *e, const char *name, const char *value, const char *actor,
                       kf_err *err) {
  kf_store *st = kf_engine_store(e);
  if (!st) {
    kf_fail(err, KF_EUSAGE, "no database is open");
    return NULL;
  }
  if (!value || !said(value)) {
    kf_fail(err, KF_EINVAL, "setting %s: give a value", name ? name : "");
    return NULL;
  }
  if (kf_tx_begin(e, err)) return NULL;
  char now[21];
  kf_iso(kf_now(), now);
  json_t *decl = declared(st, err), *one = NULL, *old = NULL, *out = NULL;
  if (!decl) return abort_new(e, NULL);
  one = json_object_get(decl, name ? name : "");
  if (!one) {
    kf_fail(err, KF_ENOTFOUND, "no programme declares a setting '%.80s' (see `kinflow setting "
            "list`)", name ? name : "");
    return abort_new(e, decl);
  }
  json_t *dflt = json_object_get(one, "default");
  json_t *as = setting_value(value, dflt);
  int wrong = (json_is_number(dflt) && !json_is_number(as)) ||
              (json_is_boolean(dflt) && !json_is_boolean(as));
  json_decref(as);
  if (wrong) {
    char *d = json_dumps(dflt, JSON_ENCODE_ANY);
    kf_fail(err, KF_EINVAL, "setting %s: '%.80s' is not %s (its default is %s)", name, value,
            json_is_number(dflt) ? "a number" : "true or false", d ? d : "?");
    free(d);
    return abort_new(e, decl);
  }
  kf_err look = {0};
  old = kf_store_setting_get(st, name, &look);
  if (!old && look.code != KF_ENOTFOUND) {
    *err = look;
    return abort_new(e, decl);
  }
  const char *who = actor && *actor ? actor : "kinflow";
  if (kf_store_setting_put(st, name, value, now, who, err) ||
      kf_event_append_new(e, json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s?,s:s}}", "kind",
                                       "setting.changed", "name", name, "actor", who, "at", now,
                                       "data", "setting", name, "from", jstr(old, "value"), "to",
                                       value),
                          err) ||
      kf_tx_commit(e, err)) {
    json_decref(old);
    return abort_new(e, decl);
  }
  json_decref(old);
  json_t *stored = kf_store_setting_get(st, name, err);
  if (stored) out = setting_row(name, one, stored);
  json_decref(stored);
  json_decref(decl);
  return out;
}
