/* family.c: the verbs of family accounts (family.get, family.submit, family.fire), how staff
 * invite them (family.invite), shared decisions' verbs, and the
 * check that keeps staff from firing as a family member. What a programme lets families do
 * comes from its definition (engine/lua/family.lua); who may call what is the dispatch's
 * (api.c's table). No SQL and no policy of who sees a case here (access.c). */
#define _GNU_SOURCE
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent.h"
#include "decision.h"
#include "people.h"
#include "verbs.h"


static const char *text_of(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}



int family_role_refused(call *c, const json_t *cs, const char *role, const char *verb,
                        const char *name) {
  if (!c->user || is_family(c) || !role) return 0; /* the CLI (the owner) may, for paper records */
  json_t *info = family_info(c, cs);
  if (!info) return c->err->code;
  int family = kf_json_has_text(json_object_get(info, "roles"), role);
  json_decref(info);
  if (!family) return 0;
  return kf_fail(c->err, KF_EFORBIDDEN, "'%s' is a family member's role: only their own family "
                 "account can %s '%s'", role, verb, name);
}

/* ---- what a family account does ---- */

/* The signed-in family account's binding (borrowed) and case (new); NULL with err when the
 * caller is no family account. */
static json_t *own_case(call *c, const char *verb, json_t **binding) {
  json_t *f = c->user ? json_object_get(c->user, "family") : NULL;
  if (!is_family(c) || !f) {
    kf_fail(c->err, KF_EFORBIDDEN, "%s is for a family account: sign in as the family member", verb);
    return NULL;
  }
  *binding = f;
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(json_object_get(f, "case")));
  return kf_case_get(c->s->e, buf, c->err);
}

static const char *login_of(call *c) { return text_of(c->user, "login"); }

/* Sort an array of objects by a text key, oldest (smallest) first; stable. */
static void sort_by(json_t *a, const char *key) {
  size_t n = json_array_size(a);
  for (size_t i = 1; i < n; i++) {
    for (size_t j = i; j > 0; j--) {
      const char *x = text_of(json_array_get(a, j - 1), key), *y = text_of(json_array_get(a, j), key);
      if (!x || !y || strcmp(x, y) <= 0) break;
      json_t *t = json_incref(json_array_get(a, j));
      json_array_set(a, j, json_array_get(a, j - 1));
      json_array_set_new(a, j - 1, t);
    }
  }
}

/* Who wrote an entry, as the family page says it: a family account by its member's name and
 * role, anyone else as staff. cache: login -> by, for the call. */
static json_t *writer(call *c, const char *actor, json_t *cache, int64_t case_id) {
  json_t *hit = json_object_get(cache, actor ? actor : "");
  if (hit) return hit;
  kf_err ignore = {0};
  json_t *u = actor ? kf_store_user_get(st(c), actor, &ignore) : NULL;
  json_t *f = json_object_get(u, "family"), *by;
  if (f && json_integer_value(json_object_get(f, "case")) == case_id)
    by = json_pack("{s:O,s:O}", "name", json_object_get(f, "name"), "role", json_object_get(f, "role"));
  else
    by = json_pack("{s:s,s:s}", "name", actor ? actor : "", "role", "staff");
  json_decref(u);
  json_object_set_new(cache, actor ? actor : "", by);
  return by;
}

/* The shared forms' entries as the account may see them (sensitive fields only of its own
 * entries), and what it said in them, into said. */
static void shared_entries(call *c, json_t *shared, json_t *said, int64_t case_id) {
  const char *me = login_of(c);
  json_t *cache = json_object(), *form;
  size_t i;
  json_array_foreach(shared, i, form) {
    json_t *e;
    size_t k;
    json_array_foreach(json_object_get(form, "entries"), k, e) {
      const char *actor = text_of(e, "actor");
      int mine = actor && !strcmp(actor, me);
      json_t *fields = json_array(), *fld;
      size_t j;
      char text[2048];
      size_t used = 0;
      text[0] = 0;
      json_array_foreach(json_object_get(e, "fields"), j, fld) {
        if (json_is_true(json_object_get(fld, "sensitive")) && !mine) continue;
        json_array_append_new(fields, json_pack("{s:O,s:O,s:O}", "name", json_object_get(fld, "name"),
                                                "label", json_object_get(fld, "label"), "value",
                                                json_object_get(fld, "value")));
        if (used < sizeof text)
          used += (size_t)snprintf(text + used, sizeof text - used, "%s%s: %s", used ? "; " : "",
                                   text_of(fld, "label"), text_of(fld, "value"));
      }
      json_object_set(e, "by", writer(c, actor, cache, case_id));
      json_object_set_new(e, "fields", fields);
      json_object_del(e, "actor");
      if (mine)
        json_array_append_new(said, json_pack("{s:s,s:O,s:O,s:O,s:s}", "kind", "entry", "form",
                                              json_object_get(form, "form"), "title",
                                              json_object_get(form, "title"), "at",
                                              json_object_get(e, "at"), "text", text));
    }
  }
  json_decref(cache);
}

/* The case's decisions as the family page shows them; the account member's views into said. */
static json_t *decisions_page(call *c, int64_t case_id, int64_t member, json_t *said) {
  json_t *rows = kf_store_decisions(st(c), case_id, c->err);
  if (!rows) return NULL;
  json_t *out = json_array(), *d;
  size_t i;
  json_array_foreach(rows, i, d) {
    json_t *people = json_array(), *p;
    size_t k;
    json_array_foreach(json_object_get(d, "participants"), k, p) {
      json_array_append_new(people, json_pack("{s:O,s:O,s:O}", "name", json_object_get(p, "name"), "role",
                                              json_object_get(p, "role"), "view",
                                              json_object_get(p, "view") ? json_object_get(p, "view") : json_null()));
      if (json_integer_value(json_object_get(p, "member")) == member && json_is_string(json_object_get(p, "view")))
        json_array_append_new(said, json_pack("{s:s,s:O,s:O,s:O}", "kind", "view", "title",
                                              json_object_get(d, "decided"), "at",
                                              json_object_get(d, "recorded_at"), "text",
                                              json_object_get(p, "view")));
    }
    json_array_append_new(out, json_pack("{s:O,s:O,s:O,s:O,s:O,s:o}", "id", json_object_get(d, "id"),
                                         "decided", json_object_get(d, "decided"), "for",
                                         json_object_get(d, "for"), "family_agreed",
                                         json_object_get(d, "family_agreed"), "at",
                                         json_object_get(d, "recorded_at"), "participants", people));
  }
  json_decref(rows);
  return out;
}

/* The moves the account made itself (signing the plan...), into said. */
static int own_acts(call *c, int64_t case_id, json_t *info, json_t *said) {
  json_t *f = json_pack("{s:I,s:s}", "case", (json_int_t)case_id, "kind", "case.transition");
  json_t *rows = kf_store_events(st(c), f, c->err), *ev;
  json_decref(f);
  if (!rows) return -1;
  size_t i;
  json_array_foreach(rows, i, ev) {
    const char *name = text_of(ev, "name");
    if (!name || !text_of(ev, "actor") || strcmp(text_of(ev, "actor"), login_of(c))) continue;
    json_t *t = json_object_get(json_object_get(info, "transitions"), name);
    const char *why = text_of(ev, "reason");
    json_array_append_new(said, json_pack("{s:s,s:s,s:O,s:s}", "kind", "act", "title",
                                          t && text_of(t, "title") ? text_of(t, "title") : name,
                                          "at", json_object_get(ev, "at"), "text", why ? why : ""));
  }
  json_decref(rows);
  return 0;
}

/* The next review, when one is pending, into dates. */
static int review_date(call *c, int64_t case_id, json_t *dates) {
  json_t *timers = kf_store_timers(st(c), case_id, c->err), *t;
  if (!timers) return c->err->code;
  size_t i;
  json_array_foreach(timers, i, t) {
    const char *due = text_of(t, "due_at"), *status = text_of(t, "status"), *kind = text_of(t, "kind");
    if (due && status && kind && !strcmp(status, "pending") && !strcmp(kind, "review"))
      json_array_append_new(dates, json_pack("{s:s,s:s%}", "what", "Next review", "date", due, (size_t)10));
  }
  json_decref(timers);
  return 0;
}

/* The consents the member gave (in force or not), oldest first: theirs to see and withdraw. */
static json_t *own_consents(call *c, const json_t *cs, int64_t member) {
  char id[32];
  snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(cs, "id")));
  json_t *all = kf_consent_list(c->s->e, id, c->err);
  if (!all) return NULL;
  json_t *mine = json_array(), *k;
  size_t i;
  json_array_foreach(all, i, k)
    if (json_integer_value(json_object_get(k, "member")) == member) json_array_append(mine, k);
  json_decref(all);
  return mine;
}

json_t *v_family_get(call *c) {
  json_t *f = NULL, *cs = own_case(c, "family.get", &f);
  if (!cs) return NULL;
  int64_t cid = json_integer_value(json_object_get(cs, "id"));
  json_t *parts = kf_lua_call_new(lua(c), KF_LUA_FAMILY_PAGE,
                                  json_pack("[O,O]", cs, json_object_get(f, "role")), c->err);
  json_t *said = json_array(), *out = NULL, *decisions = NULL, *consents = NULL;
  if (!parts) goto done;
  json_t *dates = json_object_get(parts, "dates");
  if (review_date(c, cid, dates)) goto done;
  sort_by(dates, "date");
  shared_entries(c, json_object_get(parts, "shared"), said, cid);
  if (!(decisions = decisions_page(c, cid, json_integer_value(json_object_get(f, "member")), said))) goto done;
  json_t *info = family_info(c, cs);
  int acts = info ? own_acts(c, cid, info, said) : -1;
  json_decref(info);
  if (acts) goto done;
  sort_by(said, "at");
  if (!(consents = own_consents(c, cs, json_integer_value(json_object_get(f, "member"))))) goto done;
  json_t *worker = json_object_get(cs, "allocated_to");
  out = json_pack("{s:{s:s,s:O,s:O,s:O},s:{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:O},s:O,s:O,s:O,s:O,s:O,s:O,s:O}",
                  "you", "login", login_of(c), "member", json_object_get(f, "member"), "name",
                  json_object_get(f, "name"), "role", json_object_get(f, "role"),
                  "case", "id", json_object_get(cs, "id"), "ref", json_object_get(cs, "ref"),
                  "programme", json_object_get(parts, "programme"), "stage", json_object_get(parts, "stage"),
                  "stage_title", json_object_get(parts, "stage_title"), "stage_description",
                  json_object_get(parts, "stage_description") ? json_object_get(parts, "stage_description") : json_null(),
                  "final", json_object_get(parts, "final"), "outcome",
                  json_object_get(parts, "outcome") ? json_object_get(parts, "outcome") : json_null(),
                  "worker", json_is_string(worker) ? worker : json_null(),
                  "next", json_object_get(parts, "next"), "dates", dates,
                  "shared", json_object_get(parts, "shared"), "forms", json_object_get(parts, "forms"),
                  "decisions", decisions, "said", said);
  if (out) json_object_set(out, "consents", consents);
  else kf_fail(c->err, KF_ENOMEM, "family.get: out of memory");
done:
  json_decref(consents);
  json_decref(decisions);
  json_decref(said);
  json_decref(parts);
  json_decref(cs);
  return out;
}

json_t *v_family_submit(call *c) {
  json_t *f = NULL, *cs = own_case(c, "family.submit", &f);
  if (!cs) return NULL;
  const char *form = need(c, "form"), *role = text_of(f, "role");
  json_t *info = family_info(c, cs), *out = NULL;
  json_t *spec = json_object_get(json_object_get(info, "forms"), form);
  if (!info) goto done;
  if (!json_is_true(json_object_get(spec, "family"))) {
    kf_fail(c->err, KF_EFORBIDDEN, "form '%s' is not one the family fills (a family account "
            "fills only forms marked family = true)", form);
    goto done;
  }
  if (!kf_json_has_text(json_object_get(spec, "by"), role)) {
    char buf[256];
    kf_fail(c->err, KF_EFORBIDDEN, "form '%s' is filled by %s, not by a '%s'", form,
            kf_json_join(json_object_get(spec, "by"), buf, sizeof buf), role);
    goto done;
  }
  char id[32];
  snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(cs, "id")));
  out = kf_form_submit(c->s->e, id, form, json_object_get(c->args, "data"), role, login_of(c),
                       c->err);
done:
  json_decref(info);
  json_decref(cs);
  return out;
}

/* A refused move's conditions as the family may read them: private guard texts withheld,
 * and the message said again from what is left. */
static void family_refusals(call *c, const char *transition) {
  json_t *refusals = kf_lua_detail(lua(c));
  if (!json_is_array(refusals)) return;
  json_t *copy = json_deep_copy(refusals), *r;
  char msg[sizeof c->err->msg];
  int n = snprintf(msg, sizeof msg, "cannot fire '%s': ", transition);
  size_t i;
  withhold_refusals(copy, NULL, 0);
  json_array_foreach(copy, i, r) {
    if (n > 0 && (size_t)n < sizeof msg)
      n += snprintf(msg + n, sizeof msg - (size_t)n, "%s%s", i ? "; " : "", text_of(r, "text"));
  }
  kf_fail(c->err, KF_EREFUSED, "%s", msg);
  json_decref(c->detail);
  c->detail = json_pack("{s:o}", "refusals", copy);
}

json_t *v_family_fire(call *c) {
  json_t *f = NULL, *cs = own_case(c, "family.fire", &f);
  if (!cs) return NULL;
  const char *t = need(c, "transition"), *role = text_of(f, "role");
  json_t *info = family_info(c, cs), *out = NULL;
  if (!info) goto done;
  json_t *tr = json_object_get(json_object_get(info, "transitions"), t);
  if (!tr) {
    kf_fail(c->err, KF_ENOTFOUND, "there is no move '%s' in this programme", t);
    goto done;
  }
  if (!kf_json_has_text(json_object_get(tr, "by"), role)) {
    kf_fail(c->err, KF_EFORBIDDEN, "'%s' is not a move for a '%s': only moves that name '%s' "
            "in by are yours", t, role, role);
    goto done;
  }
  char id[32];
  snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(cs, "id")));
  json_t *res = kf_case_fire(c->s->e, id, t, role, login_of(c), str(c, "reason"), 0, c->err);
  if (!res) {
    if (c->err->code == KF_EREFUSED) family_refusals(c, t);
    goto done;
  }
  out = json_pack("{s:O,s:O,s:s,s:O,s:O}", "id", json_object_get(res, "id"), "ref",
                  json_object_get(res, "ref"), "transition", t, "stage", json_object_get(res, "state"),
                  "final", json_object_get(res, "final"));
  json_decref(res);
done:
  json_decref(info);
  json_decref(cs);
  return out;
}

/* ---- staff: invitations and shared decisions ---- */

/* A login from a member's name: "Robin Testwood" -> "robin.testwood" (letters and digits
 * kept, lower-cased, anything else one '.'); "family" when nothing is left. */
static void login_from_name(const char *name, char *out, size_t n) {
  size_t used = 0;
  for (const char *p = name; *p && used + 1 < n && used < 48; p++) {
    char ch = *p;
    if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) out[used++] = ch;
    else if (used && out[used - 1] != '.') out[used++] = '.';
  }
  while (used && out[used - 1] == '.') used--;
  out[used] = 0;
  if (!used) snprintf(out, n, "family");
}

/* A one-time password: four groups of four letters and digits that cannot be mistaken for
 * one another, from libsodium's generator; one that passes the password check. */
static int one_time_password(call *c, const char *login, char out[32]) {
  static const char A[] = "abcdefghjkmnpqrstuvwxyz23456789";
  for (int tries = 0; tries < 16; tries++) {
    size_t k = 0;
    for (int i = 0; i < 19; i++)
      out[k++] = i % 5 == 4 ? '-' : A[randombytes_uniform((uint32_t)(sizeof A - 1))];
    out[k] = 0;
    kf_err ignore = {0};
    if (!kf_password_check(login, out, &ignore)) return 0;
  }
  return kf_fail(c->err, KF_ESTORE, "could not make a one-time password");
}

json_t *v_family_invite(call *c) {
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  char idbuf[32];
  snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(json_object_get(cs, "id")));
  json_decref(cs);
  json_t *binding = family_binding(c, idbuf, num(c, "member", 0));
  if (!binding) return NULL;
  char login[80], password[32];
  const char *given = str(c, "login");
  if (given && *given) snprintf(login, sizeof login, "%s", given);
  else { /* from the member's name, numbered when taken */
    char base[64];
    login_from_name(text_of(binding, "name"), base, sizeof base);
    snprintf(login, sizeof login, "%s", base);
    for (int n = 2; n < 100; n++) {
      kf_err look = {0};
      json_t *u = kf_store_user_get(st(c), login, &look);
      json_decref(u);
      if (!u) break;
      snprintf(login, sizeof login, "%s%d", base, n);
    }
  }
  json_t *out = NULL;
  if (!one_time_password(c, login, password)) {
    json_t *made = user_create(c, login, "family", password, NULL, NULL, binding, 1);
    if (made) out = json_pack("{s:O,s:s,s:O}", "login", json_object_get(made, "login"), "password",
                              password, "family", binding);
    json_decref(made);
  }
  sodium_memzero(password, sizeof password);
  json_decref(binding);
  return out;
}

json_t *v_decision_record(call *c) {
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  char idbuf[32];
  snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(json_object_get(cs, "id")));
  json_decref(cs);
  json_t *d = json_pack("{s:O?,s:O,s:O,s:O}", "for", json_object_get(c->args, "for"), "decided",
                        json_object_get(c->args, "decided"), "family_agreed",
                        json_object_get(c->args, "family_agreed"), "participants",
                        json_object_get(c->args, "participants"));
  json_t *out = kf_decision_record(c->s->e, idbuf, d, actor(c), c->err);
  json_decref(d);
  return out;
}

json_t *v_decision_list(call *c) {
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  char idbuf[32];
  snprintf(idbuf, sizeof idbuf, "%lld", (long long)json_integer_value(json_object_get(cs, "id")));
  json_decref(cs);
  return kf_decision_list(c->s->e, idbuf, c->err);
}
