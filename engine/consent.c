/* consent.c: consent as a record (give, withdraw, list), the flags a withdrawal raises for
 * the case's worker, what was withheld, and exports under consent. Each verb is one
 * transaction with its events (kf_tx_*, kf_event_append_new). No SQL here (that is the
 * store) and no Lua API. */
#define _GNU_SOURCE
#include "consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "luahost.h"
#include "sharing.h"

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static int64_t jint(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }


static int purpose_check(const char *purpose, kf_err *err) {
  if (kf_sharing_purpose_ok(purpose)) return 0;
  return kf_fail(err, KF_EINVAL, "purpose '%.80s' is not an identifier: a lower-case letter, "
                 "then up to 63 lower-case letters, digits or _ (e.g. share_with_partners)",
                 purpose ? purpose : "");
}

/* A consent row as the contract shows it: current on `day`, on_behalf a boolean. Takes
 * row; NULL stays NULL. */
static json_t *consent_json(json_t *row, const char *day) {
  if (!row) return NULL;
  const char *from = jstr(row, "from"), *until = jstr(row, "until");
  int current = !json_is_string(json_object_get(row, "withdrawn_at")) && from &&
                strcmp(from, day) <= 0 && (!until || strcmp(until, day) >= 0);
  json_object_set_new(row, "current", json_boolean(current));
  json_object_set_new(row, "on_behalf", json_boolean(json_is_true(json_object_get(row, "on_behalf"))));
  return row;
}

/* The case by number or ref, inside or outside a transaction. */
static json_t *load_case(kf_engine *e, const char *id, kf_err *err) {
  if (!kf_engine_store(e)) {
    kf_fail(err, KF_EUSAGE, "no database is open");
    return NULL;
  }
  return kf_store_case_get(kf_engine_store(e), id, err);
}

/* Fail the transaction: roll back, release keep (taken) and hand back NULL. */
static json_t *abort_new(kf_engine *e, json_t *keep) {
  kf_tx_abort(e);
  json_decref(keep);
  return NULL;
}

static json_t *case_event(const char *kind, json_t *c, const char *actor, const char *now,
                          json_t *data) {
  json_t *ev = json_pack("{s:s,s:O,s:s,s:s}", "kind", kind, "case", json_object_get(c, "id"),
                         "actor", actor && *actor ? actor : "kinflow", "at", now);
  if (ev && data) json_object_set_new(ev, "data", data);
  else json_decref(data);
  return ev;
}

json_t *kf_consent_give(kf_engine *e, const char *case_id, int64_t member, const char *purpose,
                        const char *from, const char *until, const char *actor, kf_err *err) {
  char day[11];
  kf_today(day);
  if (!from || !*from) from = day;
  if (until && !*until) until = NULL;
  if (purpose_check(purpose, err)) return NULL;
  if (!kf_is_date(from)) {
    kf_fail(err, KF_EINVAL, "from '%.40s' is not a date (YYYY-MM-DD)", from);
    return NULL;
  }
  if (until && !kf_is_date(until)) {
    kf_fail(err, KF_EINVAL, "until '%.40s' is not a date (YYYY-MM-DD)", until);
    return NULL;
  }
  if (until && strcmp(until, from) < 0) {
    kf_fail(err, KF_EINVAL, "until %s is before from %s: a consent cannot end before it starts",
            until, from);
    return NULL;
  }
  json_t *c = load_case(e, case_id, err); /* before the transaction: "no case" says so */
  if (!c || kf_tx_begin(e, err)) {
    json_decref(c);
    return NULL;
  }
  kf_store *st = kf_engine_store(e);
  int64_t cid = jint(c, "id"), id = 0;
  json_t *members = kf_store_members(st, cid, NULL, err), *m, *found = NULL;
  if (!members) return abort_new(e, c);
  size_t i;
  json_array_foreach(members, i, m) if (jint(m, "id") == member) found = m;
  if (!found) {
    kf_fail(err, KF_EINVAL, "member %lld is not on case %lld (see `kinflow case members %lld`)",
            (long long)member, (long long)cid, (long long)cid);
    json_decref(members);
    return abort_new(e, c);
  }
  if (jstr(found, "ended_at")) {
    kf_fail(err, KF_EINVAL, "member %lld (%s) left the case on %.10s, so cannot give consent",
            (long long)member, jstr(found, "name"), jstr(found, "ended_at"));
    json_decref(members);
    return abort_new(e, c);
  }
  /* consent is the family's to give: a member holding one of the programme's family roles,
   * never a worker recorded on the case */
  json_t *info = kf_lua_call_new(kf_engine_lua(e), KF_LUA_FAMILY_INFO,
                                 json_pack("[O]", json_object_get(c, "workflow_id")), err);
  json_t *roles = json_object_get(info, "roles");
  if (!info || !kf_json_has_text(roles, jstr(found, "role"))) {
    char buf[300];
    if (info)
      kf_fail(err, KF_EINVAL, "member %lld (%s, %s) holds no family role of programme '%s', so "
              "cannot give consent (family roles: %s)", (long long)member, jstr(found, "name"),
              jstr(found, "role"), jstr(c, "workflow"), kf_json_join(roles, buf, sizeof buf));
    json_decref(info);
    json_decref(members);
    return abort_new(e, c);
  }
  json_decref(info);
  json_decref(members);
  char now[21];
  kf_iso(kf_now(), now);
  const char *who = actor && *actor ? actor : "kinflow";
  json_t *row = json_pack("{s:I,s:I,s:s,s:s,s:s?,s:s,s:s}", "case", (json_int_t)cid, "member",
                          (json_int_t)member, "purpose", purpose, "from", from, "until", until,
                          "recorded_by", who, "recorded_at", now);
  int rc = kf_store_consent_add(st, row, &id, err);
  json_decref(row);
  if (rc) return abort_new(e, c);
  json_t *ev = case_event("consent.given", c, who, now,
                          json_pack("{s:I,s:I,s:s,s:s,s:s?}", "consent", (json_int_t)id, "member",
                                    (json_int_t)member, "purpose", purpose, "from", from,
                                    "until", until));
  json_t *out = NULL;
  if (kf_event_append_new(e, ev, err) || !(out = kf_store_consent_get(st, id, err)) ||
      kf_tx_commit(e, err)) {
    json_decref(out);
    return abort_new(e, c);
  }
  json_decref(c);
  return consent_json(out, day);
}

json_t *kf_consent_withdraw(kf_engine *e, const char *case_id, int64_t consent,
                            const char *reason, const char *actor, int on_behalf, kf_err *err) {
  if (reason && !*reason) reason = NULL;
  if (on_behalf && !reason) {
    kf_fail(err, KF_EINVAL, "withdrawing consent %lld on the member's behalf needs a reason "
            "(--reason TEXT)", (long long)consent);
    return NULL;
  }
  json_t *c = load_case(e, case_id, err);
  if (!c || kf_tx_begin(e, err)) {
    json_decref(c);
    return NULL;
  }
  kf_store *st = kf_engine_store(e);
  int64_t cid = jint(c, "id"), flag = 0;
  kf_err look = {0};
  json_t *k = kf_store_consent_get(st, consent, &look);
  if (!k && look.code != KF_ENOTFOUND) {
    *err = look;
    return abort_new(e, c);
  }
  if (!k || jint(k, "case") != cid) {
    kf_fail(err, KF_EINVAL, "case %lld has no consent %lld (see `kinflow consent list %lld`)",
            (long long)cid, (long long)consent, (long long)cid);
    json_decref(k);
    return abort_new(e, c);
  }
  if (json_is_string(json_object_get(k, "withdrawn_at"))) {
    kf_fail(err, KF_EINVAL, "consent %lld was already withdrawn on %.10s", (long long)consent,
            jstr(k, "withdrawn_at"));
    json_decref(k);
    return abort_new(e, c);
  }
  char now[21], day[11];
  kf_iso(kf_now(), now);
  kf_today(day);
  const char *who = actor && *actor ? actor : "kinflow";
  char text[1024];
  int n = snprintf(text, sizeof text, "%s withdrew consent to %s on %s", jstr(k, "name"),
                   jstr(k, "purpose"), day);
  if (on_behalf && n > 0 && (size_t)n < sizeof text)
    n += snprintf(text + n, sizeof text - (size_t)n, " (recorded on their behalf by %s)", who);
  if (reason && n > 0 && (size_t)n < sizeof text)
    snprintf(text + n, sizeof text - (size_t)n, ": %s", reason);
  json_t *out = NULL;
  if (kf_store_consent_withdraw(st, consent, now, who, reason, on_behalf, err) ||
      kf_store_flag_add(st, cid, "consent_withdrawn", text, now, &flag, err) ||
      kf_event_append_new(e, case_event("consent.withdrawn", c, who, now,
                                        json_pack("{s:I,s:O,s:O,s:s?,s:b}", "consent",
                                                  (json_int_t)consent, "member",
                                                  json_object_get(k, "member"), "purpose",
                                                  json_object_get(k, "purpose"), "reason",
                                                  reason, "on_behalf", on_behalf)),
                          err) ||
      kf_event_append_new(e, case_event("case.flagged", c, who, now,
                                        json_pack("{s:I,s:s,s:s}", "flag", (json_int_t)flag,
                                                  "kind", "consent_withdrawn", "text", text)),
                          err) ||
      !(out = kf_store_consent_get(st, consent, err)) || kf_tx_commit(e, err)) {
    json_decref(k);
    json_decref(out);
    return abort_new(e, c);
  }
  json_decref(k);
  json_decref(c);
  return consent_json(out, day);
}

json_t *kf_consent_list(kf_engine *e, const char *case_id, kf_err *err) {
  json_t *c = load_case(e, case_id, err);
  if (!c) return NULL;
  json_t *rows = kf_store_consents(kf_engine_store(e), jint(c, "id"), err);
  json_decref(c);
  char day[11];
  kf_today(day);
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) consent_json(r, day);
  return rows;
}

/* ---- flags ---- */

static json_t *without_case(json_t *rows) {
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) json_object_del(r, "case");
  return rows;
}

json_t *kf_case_flags_of(kf_engine *e, int64_t id, kf_err *err) {
  return without_case(kf_store_flags_open(kf_engine_store(e), id, err));
}

json_t *kf_case_flags(kf_engine *e, const char *case_id, kf_err *err) {
  json_t *c = load_case(e, case_id, err);
  if (!c) return NULL;
  json_t *rows = kf_case_flags_of(e, jint(c, "id"), err);
  json_decref(c);
  return rows;
}

json_t *kf_case_flag_clear(kf_engine *e, const char *case_id, int64_t flag, const char *actor,
                           kf_err *err) {
  json_t *c = load_case(e, case_id, err);
  if (!c || kf_tx_begin(e, err)) {
    json_decref(c);
    return NULL;
  }
  kf_store *st = kf_engine_store(e);
  int64_t cid = jint(c, "id");
  json_t *open = kf_store_flags_open(st, cid, err), *f, *found = NULL;
  if (!open) return abort_new(e, c);
  size_t i;
  json_array_foreach(open, i, f) if (jint(f, "id") == flag) found = f;
  if (!found) {
    kf_fail(err, KF_ENOTFOUND, "case %lld has no open flag %lld (see `kinflow case flags %lld`)",
            (long long)cid, (long long)flag, (long long)cid);
    json_decref(open);
    return abort_new(e, c);
  }
  char now[21];
  kf_iso(kf_now(), now);
  const char *who = actor && *actor ? actor : "kinflow";
  int rc = kf_store_flag_clear(st, cid, flag, now, who, err);
  if (!rc)
    rc = kf_event_append_new(e, case_event("case.flag_cleared", c, who, now,
                                           json_pack("{s:I,s:O,s:O}", "flag", (json_int_t)flag,
                                                     "kind", json_object_get(found, "kind"),
                                                     "text", json_object_get(found, "text"))),
                             err);
  json_decref(open);
  json_t *still = NULL;
  if (rc || !(still = kf_store_flags_open(st, cid, err)) || kf_tx_commit(e, err)) {
    json_decref(still);
    return abort_new(e, c);
  }
  json_decref(c);
  return without_case(still);
}

/* ---- sharing ---- */

json_t *kf_case_sharing_of(kf_engine *e, int64_t id, kf_err *err) {
  return without_case(kf_store_withheld(kf_engine_store(e), id, NULL, err));
}

json_t *kf_case_sharing(kf_engine *e, const char *case_id, kf_err *err) {
  json_t *c = load_case(e, case_id, err);
  if (!c) return NULL;
  json_t *rows = kf_case_sharing_of(e, jint(c, "id"), err);
  json_decref(c);
  return rows;
}

/* ---- exports ---- */

/* Set the keys of list (those obj holds) to "(private)". */
static void mask(json_t *obj, json_t *list) {
  size_t i;
  json_t *k;
  if (!json_is_object(obj)) return;
  json_array_foreach(list, i, k) {
    const char *name = json_string_value(k);
    if (name && json_object_get(obj, name)) json_object_set_new(obj, name, json_string("(private)"));
  }
}

/* The export of case c (its records, sensitive values as "(private)"), or NULL. */
static json_t *records(kf_engine *e, json_t *c, kf_err *err) {
  kf_store *st = kf_engine_store(e);
  int64_t cid = jint(c, "id");
  json_t *keys = kf_lua_call_new(kf_engine_lua(e), KF_LUA_SENSITIVE_KEYS,
                                 json_pack("[O]", json_object_get(c, "workflow_id")), err);
  json_t *members = keys ? kf_store_members(st, cid, NULL, err) : NULL;
  json_t *entries = members ? kf_store_entries(st, cid, NULL, 1, err) : NULL;
  json_t *f = json_pack("{s:I}", "case", (json_int_t)cid);
  json_t *events = entries ? kf_store_events(st, f, err) : NULL, *fields = NULL, *out = NULL;
  json_decref(f);
  if (!events) goto done;
  json_t *forms = json_array(), *x;
  size_t i;
  json_array_foreach(entries, i, x) json_array_append(forms, json_object_get(x, "form"));
  fields = kf_lua_call_new(kf_engine_lua(e), KF_LUA_SENSITIVE_FIELDS,
                           json_pack("[O,o]", json_object_get(c, "workflow_id"), forms), err);
  if (!fields) goto done;
  json_t *cs = json_deep_copy(c);
  mask(json_object_get(cs, "data"), json_object_get(keys, "data"));
  json_array_foreach(members, i, x) mask(json_object_get(x, "data"), json_object_get(keys, "members"));
  json_array_foreach(entries, i, x)
    mask(json_object_get(x, "data"), json_object_get(fields, jstr(x, "form") ? jstr(x, "form") : ""));
  json_array_foreach(events, i, x) { /* the log keeps none; a key marked since is masked too */
    json_t *d = json_object_get(x, "data");
    mask(d, json_object_get(keys, "data"));
    mask(json_object_get(d, "data"), json_object_get(keys, "data"));
    if (jstr(x, "kind") && !strcmp(jstr(x, "kind"), "member.added"))
      mask(json_object_get(d, "data"), json_object_get(keys, "members"));
  }
  out = json_pack("{s:o,s:O,s:O,s:O}", "case", cs, "members", members, "entries", entries,
                  "events", events);
  if (!out) kf_fail(err, KF_ENOMEM, "out of memory exporting case %lld", (long long)cid);
done:
  json_decref(keys);
  json_decref(members);
  json_decref(entries);
  json_decref(events);
  json_decref(fields);
  return out;
}

json_t *kf_case_export(kf_engine *e, const char *case_id, const char *purpose,
                       const char *destination, const char *actor, kf_err *err) {
  if (!destination || !*destination) destination = "export";
  if (purpose_check(purpose, err)) return NULL;
  if (strlen(destination) > 200) {
    kf_fail(err, KF_EINVAL, "destination '%.40s...' is longer than 200 characters", destination);
    return NULL;
  }
  json_t *c = load_case(e, case_id, err);
  if (!c || kf_tx_begin(e, err)) { /* one snapshot: the consent, the records, the event */
    json_decref(c);
    return NULL;
  }
  kf_store *st = kf_engine_store(e);
  int64_t cid = jint(c, "id");
  char day[11], now[21], why[400];
  kf_today(day);
  kf_iso(kf_now(), now);
  kf_err look = {0};
  json_t *cur = kf_store_consent_current(st, cid, purpose, day, &look), *out = NULL;
  if (!cur && look.code != KF_ENOTFOUND) {
    *err = look;
    return abort_new(e, c);
  }
  if (!cur) { /* refused: recorded in withheld, at the case's last event */
    json_t *f = json_pack("{s:I,s:b,s:i}", "case", (json_int_t)cid, "newest", 1, "limit", 1);
    json_t *last = kf_store_events(st, f, err);
    json_decref(f);
    int64_t seq = jint(json_array_get(last, 0), "seq");
    json_decref(last);
    if (!last || kf_sharing_why_not(st, cid, purpose, day, why, sizeof why, err) ||
        kf_store_withheld_add(st, cid, destination, purpose, seq, why, now, err) ||
        kf_tx_commit(e, err))
      return abort_new(e, c);
    kf_fail(err, KF_EREFUSED, "case %lld: not exported to %s: %s", (long long)cid, destination,
            why);
    json_decref(c);
    return NULL;
  }
  if (!(out = records(e, c, err))) goto fail;
  json_object_set_new(out, "exported_at", json_string(now));
  json_object_set_new(out, "purpose", json_string(purpose));
  json_object_set_new(out, "destination", json_string(destination));
  json_object_set(out, "consent", json_object_get(cur, "id"));
  if (kf_event_append_new(e, case_event("case.exported", c, actor, now,
                                        json_pack("{s:s,s:s}", "purpose", purpose,
                                                  "destination", destination)),
                          err) ||
      kf_tx_commit(e, err))
    goto fail;
  json_decref(cur);
  json_decref(c);
  return out;
fail:
  json_decref(out);
  json_decref(cur);
  return abort_new(e, c);
}
