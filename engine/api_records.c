/* api_records.c: the verbs on practice's records (records.h) for people who use the
 * console: a member leaving a case, links between cases, the agency's settings. Each
 * applies who may do and see what (access.c) and leaves the work to records.c; no SQL and
 * no Lua here. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "migrate.h"
#include "records.h"
#include "verbs.h"

/* The caller's view of case cs (the owner, with no user, sees it whole). */
static kf_access view_of(call *c, const json_t *cs) {
  if (!c->user) return (kf_access){KF_SEE_FULL, 1, 0, "owner", 0};
  return kf_access_case(c->user, cs, c->grants);
}

json_t *v_case_member_end(call *c) {
  char buf[32];
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  json_t *members = kf_case_member_end(c->s->e, case_id(c, buf), num(c, "member", 0),
                                       str(c, "reason"), str(c, "on"), actor(c), c->err);
  json_t *out = members ? answer_members(c, cs, members) : NULL;
  json_decref(cs);
  return out;
}

/* The links of case cid as the caller may see them: a linked case seen in full as its
 * row; one seen as a summary by its summary fields; one not seen at all by its number. */
json_t *links_for(call *c, int64_t cid) {
  json_t *rows = kf_store_links(st(c), cid, c->err); /* the case is found already */
  if (!rows || !c->user) return rows;
  json_t *out = json_array(), *l;
  size_t i;
  json_array_foreach(rows, i, l) {
    char k[32];
    kf_err ignore = {0};
    json_t *other = kf_store_case_get(st(c), case_text(json_object_get(l, "case"), k), &ignore);
    kf_access a = other ? view_of(c, other) : (kf_access){KF_SEE_NONE, 0, 0, NULL, 0};
    json_decref(other);
    if (a.see == KF_SEE_FULL) {
      json_array_append(out, l);
      continue;
    }
    json_t *row = json_pack("{s:O,s:O,s:O,s:O,s:b}", "link", json_object_get(l, "link"), "case",
                            json_object_get(l, "case"), "as", json_object_get(l, "as"),
                            "direction", json_object_get(l, "direction"), "summary", 1);
    if (a.see == KF_SEE_SUMMARY) {
      static const char *keys[] = {"ref", "workflow", "state", "final"};
      for (size_t k2 = 0; k2 < 4; k2++) json_object_set(row, keys[k2], json_object_get(l, keys[k2]));
    }
    json_array_append_new(out, row);
  }
  json_decref(rows);
  return out;
}

json_t *v_case_links(call *c) {
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  json_t *out = links_for(c, json_integer_value(json_object_get(cs, "id")));
  json_decref(cs);
  return out;
}

json_t *v_case_link(call *c) {
  char buf[32], obuf[32];
  json_t *cs = case_full(c, NULL);
  if (!cs) return NULL;
  /* the other case: one the caller may at least know of (a summary) */
  const char *other = case_text(json_object_get(c->args, "other"), obuf);
  json_t *os = kf_case_get(c->s->e, other, c->err);
  if (!os) {
    json_decref(cs);
    return NULL;
  }
  kf_access a = view_of(c, os);
  json_decref(os);
  if (a.see == KF_SEE_NONE) {
    json_decref(cs);
    kf_fail(c->err, KF_EFORBIDDEN, "case %s is in a programme where you hold no role: ask someone "
            "who works in it to link the cases", other);
    return NULL;
  }
  json_t *links = kf_case_link(c->s->e, case_id(c, buf), other, str(c, "as"), str(c, "reason"),
                               actor(c), c->err);
  json_t *out = NULL;
  if (links) {
    json_decref(links);
    out = links_for(c, json_integer_value(json_object_get(cs, "id")));
  }
  json_decref(cs);
  return out;
}

json_t *v_setting_list(call *c) { return kf_settings_list(c->s->e, c->err); }

json_t *v_setting_set(call *c) {
  if (need_admin(c, "change the agency's settings")) return NULL;
  return kf_setting_set(c->s->e, need(c, "name"), need(c, "value"), actor(c), c->err);
}

/* ---- programme versions (migrate.h): admins only ---- */

/* The plan file's name for messages (plan_path, else "plan.lua" when a text is given). */
static const char *plan_path(call *c) {
  if (str(c, "plan_path")) return str(c, "plan_path");
  return str(c, "plan") ? "plan.lua" : NULL;
}

json_t *v_migrate_plan(call *c) {
  if (need_admin(c, "plan a migration")) return NULL;
  return kf_migrate_plan(c->s->e, need(c, "workflow"), num(c, "to", 0), plan_path(c),
                         str(c, "plan"), c->err);
}

json_t *v_migrate_check(call *c) {
  if (need_admin(c, "check a migration")) return NULL;
  return kf_migrate_check(c->s->e, need(c, "workflow"), num(c, "to", 0), plan_path(c),
                          str(c, "plan"), c->err);
}

json_t *v_migrate_run(call *c) {
  if (need_admin(c, "run a migration")) return NULL;
  return kf_migrate_run(c->s->e, need(c, "workflow"), num(c, "to", 0), plan_path(c),
                        str(c, "plan"), actor(c), NULL, NULL, c->err);
}

json_t *v_migrate_undo(call *c) {
  if (need_admin(c, "undo a migration")) return NULL;
  return kf_migrate_undo(c->s->e, num(c, "id", 0), actor(c), c->err);
}

json_t *v_migrate_list(call *c) {
  if (need_admin(c, "see migrations")) return NULL;
  return kf_migrate_list(c->s->e, c->err);
}
