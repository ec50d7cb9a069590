/* verbs.c: how the verbs apply who sees what (access.c decides): the caller's view of a
 * case, the full view a verb needs, and answers with private values removed, masked or
 * withheld, for every file of verbs (api.c, people.c, family.c, api_records.c). No SQL and
 * no Lua here. */
#define _GNU_SOURCE
#include "verbs.h"

#include <stdio.h>
#include <string.h>

#include "access.h"
#include "luahost.h"

/* ---- who sees what (access.h decides; these apply it) ---- */

/* The caller's view of case cs: the owner (no user) sees everything. */
kf_access access_of(call *c, const json_t *cs) {
  if (!c->user) return (kf_access){KF_SEE_FULL, 1, 0, "owner", 0};
  return kf_access_case(c->user, cs, c->grants);
}

/* 0 when the caller has the full view of cs; else KF_EFORBIDDEN saying why (and offering
 * to break the glass when the caller may). */
int need_full(call *c, const json_t *cs, kf_access *out) {
  kf_access a = access_of(c, cs);
  if (out) *out = a;
  if (a.see == KF_SEE_FULL) return 0;
  long long id = (long long)json_integer_value(json_object_get(cs, "id"));
  const char *wf = json_string_value(json_object_get(cs, "workflow"));
  if (a.glass) {
    json_decref(c->detail);
    c->detail = json_pack("{s:b,s:I}", "glass", 1, "case", (json_int_t)id);
    return kf_fail(c->err, KF_EFORBIDDEN, "case %lld is not in your caseload or your team's; "
                   "break the glass with a reason to open it", id);
  }
  if (a.see == KF_SEE_SUMMARY)
    return kf_fail(c->err, KF_EFORBIDDEN, "case %lld: a %s sees summaries only", id,
                   json_string_value(json_object_get(c->user, "role")));
  return kf_fail(c->err, KF_EFORBIDDEN, "case %lld is in programme '%s', where you hold no role",
                 id, wf ? wf : "?");
}

/* The case named by args.id, if the caller has the full view of it (verbs.h). */
json_t *case_full(call *c, kf_access *a) {
  char buf[32];
  json_t *cs = kf_case_get(c->s->e, case_id(c, buf), c->err);
  if (cs && need_full(c, cs, a)) {
    json_decref(cs);
    return NULL;
  }
  return cs;
}

/* The sensitive keys of a case's workflow version: {data, members, forms: {form: [...]}}
 * (borrowed; cached for the call). */
json_t *keys_of(call *c, const json_t *cs) {
  char k[32];
  snprintf(k, sizeof k, "%lld", (long long)json_integer_value(json_object_get(cs, "workflow_id")));
  if (!c->keys) { /* the session's, while no definition was deployed since they were read */
    char stamp[80];
    kf_err look = {0};
    if (kf_store_defs_stamp(st(c), stamp, &look) || !c->s->keys ||
        strcmp(stamp, c->s->keys_stamp)) {
      json_decref(c->s->keys);
      c->s->keys = json_object();
      snprintf(c->s->keys_stamp, sizeof c->s->keys_stamp, "%s", look.code ? "" : stamp);
    }
    c->keys = json_incref(c->s->keys);
  }
  json_t *hit = json_object_get(c->keys, k);
  if (hit) return hit;
  kf_err ignore = {0};
  json_t *keys = kf_lua_call_new(lua(c), KF_LUA_SENSITIVE_KEYS,
                                 json_pack("[O]", json_object_get(cs, "workflow_id")), &ignore);
  if (!keys) keys = json_pack("{s:[],s:[],s:{}}", "data", "members", "forms");
  json_object_set_new(c->keys, k, keys);
  return keys;
}

/* Remove the keys listed in keys[which] from obj; note the ones removed in hidden. */
void drop_keys(json_t *obj, const json_t *list, json_t *hidden, const char *prefix,
                      json_t *revealed) {
  size_t i;
  json_t *k;
  json_array_foreach(list, i, k) {
    const char *name = json_string_value(k);
    if (!name || !json_object_get(obj, name)) continue;
    json_t *label = prefix ? json_sprintf("%s.%s", prefix, name) : json_string(name);
    if (revealed) json_array_append_new(revealed, label);
    else {
      json_object_del(obj, name);
      if (hidden) json_array_append_new(hidden, label);
      else json_decref(label);
    }
  }
}

/* Set the keys of list (that obj holds) to "(private)", as the runtime stores them. */
void mask_keys(json_t *obj, const json_t *list) {
  size_t i;
  json_t *k;
  json_array_foreach(list, i, k) {
    const char *name = json_string_value(k);
    if (name && json_object_get(obj, name)) json_object_set_new(obj, name, json_string("(private)"));
  }
}

/* Event rows as the caller may read them: the case's sensitive keys as "(private)";
 * for a case the caller sees as a summary only, without data, names and free text. */
void redact_events(call *c, json_t *events) {
  if (!c->user) return;
  json_t *cases = json_object();
  size_t i;
  json_t *ev;
  json_array_foreach(events, i, ev) {
    json_t *cid = json_object_get(ev, "case");
    if (!json_is_integer(cid)) continue;
    char k[32];
    snprintf(k, sizeof k, "%lld", (long long)json_integer_value(cid));
    json_t *cs = json_object_get(cases, k);
    if (!cs) {
      kf_err ignore = {0};
      cs = kf_store_case_get(st(c), k, &ignore);
      json_object_set_new(cases, k, cs ? cs : json_null());
    }
    kf_access a = json_is_object(cs) ? access_of(c, cs) : (kf_access){KF_SEE_NONE, 0, 0, NULL, 0};
    if (a.see != KF_SEE_FULL) {
      json_object_del(ev, "data");
      json_object_del(ev, "name");
      json_object_del(ev, "reason");
      continue;
    }
    json_t *keys = keys_of(c, cs), *data = json_object_get(ev, "data");
    if (!json_is_object(data)) continue;
    mask_keys(data, json_object_get(keys, "data"));
    mask_keys(json_object_get(data, "data"), json_object_get(keys, "data"));
    const char *kind = json_string_value(json_object_get(ev, "kind"));
    if (kind && !strcmp(kind, "member.added"))
      mask_keys(json_object_get(data, "data"), json_object_get(keys, "members"));
  }
  json_decref(cases);
}

/* A refusal's text computed from private details, for a caller who may not see them. */

/* Does the workflow version behind keys hold anything private at all? */
int has_private(const json_t *keys) {
  if (json_array_size(json_object_get(keys, "data")) || json_array_size(json_object_get(keys, "members")))
    return 1;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)json_object_get(keys, "forms"), k, v) if (json_array_size(v)) return 1;
  return 0;
}

/* Withhold the refusals marked private; with all, every guard's (a guard's words may be
 * built from a private value in ways no match can see: reversed, spelled out). */
void withhold_refusals(json_t *refusals, json_t *reasons, int all) {
  size_t i;
  json_t *r;
  json_array_foreach(refusals, i, r) {
    const char *code = json_string_value(json_object_get(r, "code"));
    int guard = code && !strcmp(code, "guard");
    if (!json_is_true(json_object_get(r, "private")) && !(all && guard)) continue;
    json_object_set_new(r, "text", json_string(WITHHELD));
    json_t *params = json_object_get(r, "params");
    if (json_object_get(params, "reason")) json_object_set_new(params, "reason", json_string(WITHHELD));
    if (reasons && i < json_array_size(reasons)) json_array_set_new(reasons, i, json_string(WITHHELD));
  }
}

/* A list row as the caller may see it: a summary, or the row without sensitive data keys
 * and with the names of the case's people. Returns a new row, or NULL to leave it out. */
/* A row of a list as the caller may see it (NULL: not at all); parts: its people and
 * flags (kf_store_list_parts), or NULL to read them now. */
static json_t *list_row(call *c, json_t *row, json_t *parts) {
  kf_access a = access_of(c, row);
  if (a.see == KF_SEE_NONE) return NULL;
  if (a.see == KF_SEE_SUMMARY) return kf_access_summary(row);
  json_t *out = json_copy(row);
  json_t *data = json_deep_copy(json_object_get(row, "data"));
  if (json_is_object(data)) {
    drop_keys(data, json_object_get(keys_of(c, row), "data"), NULL, NULL, NULL);
    json_object_set_new(out, "data", data);
  } else {
    json_decref(data);
  }
  json_t *mine = NULL;
  if (!parts) {
    kf_err ignore = {0};
    json_t *ids = json_pack("[O]", json_object_get(row, "id"));
    mine = kf_store_list_parts(st(c), ids, &ignore);
    json_decref(ids);
    parts = mine;
  }
  char k[32];
  snprintf(k, sizeof k, "%lld", (long long)json_integer_value(json_object_get(row, "id")));
  json_t *p = json_object_get(parts, k);
  json_t *people = json_object_get(p, "people");
  json_object_set_new(out, "people", json_is_array(people) ? json_incref(people) : json_array());
  json_object_set_new(out, "flagged", json_integer(json_integer_value(json_object_get(p, "flagged"))));
  json_decref(mine);
  return out;
}

/* The rows the caller may see, each with its people and flags, read for the page at once. */
json_t *visible_rows(call *c, json_t *rows) {
  json_t *out = json_array(), *ids = json_array();
  size_t i;
  json_t *r, *v;
  json_array_foreach(rows, i, r) json_array_append(ids, json_object_get(r, "id"));
  kf_err ignore = {0};
  json_t *parts = kf_store_list_parts(st(c), ids, &ignore);
  json_decref(ids);
  json_array_foreach(rows, i, r) if ((v = list_row(c, r, parts)))
    json_array_append_new(out, v);
  json_decref(parts);
  json_decref(rows);
  return out;
}

/* The list filter every list of cases starts from: what the caller may see at all. */
json_t *case_filter(call *c) {
  json_t *f = json_object();
  if (c->user && !is_role(c, "admin")) { /* admins list (and search) every case */
    char now[21];
    kf_iso(kf_now(), now);
    json_object_set_new(f, "visible_to", kf_access_visible(c->user, now));
  }
  return f;
}

/* A case as a writing verb answers it: what case.get would show without revealing. */
json_t *answer_case(call *c, json_t *cs) {
  if (!cs || !c->user) return cs;
  drop_keys(json_object_get(cs, "data"), json_object_get(keys_of(c, cs), "data"), NULL, NULL, NULL);
  return cs;
}

/* Members as a verb answers them: without their sensitive keys (the owner sees all). */
json_t *answer_members(call *c, const json_t *cs, json_t *members) {
  if (!members || !c->user) return members;
  json_t *keys = json_object_get(keys_of(c, cs), "members");
  size_t i;
  json_t *m;
  json_array_foreach(members, i, m) drop_keys(json_object_get(m, "data"), keys, NULL, NULL, NULL);
  return members;
}

/* The family roles, transitions and family forms of the programme of case cs. */
json_t *family_info(call *c, const json_t *cs) {
  return kf_lua_call_new(lua(c), KF_LUA_FAMILY_INFO, json_pack("[O]", json_object_get(cs, "workflow_id")),
                         c->err);
}
