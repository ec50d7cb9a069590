/* verbs.h: what the files of the engine's verbs share (api.c: programmes, cases, rules, the
 * log, and the dispatch; people.c: users, sessions, teams, sign-ins; family.c: family
 * accounts, family acts and shared decisions): one call's record, the
 * readers of its checked arguments, and the people's verbs for api.c's table. Internal to
 * those two files; plugins see api.h.
 * Ownership: arguments are borrowed; verbs return new references. */
#ifndef KF_VERBS_H
#define KF_VERBS_H

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "kf.h"
#include "luahost.h"
#include "runtime.h"
#include "store.h"

typedef struct kf_session kf_session;
struct kf_session {
  kf_engine *e;
  json_t *detail; /* the data behind the last failed call, or NULL */
  json_t *keys;   /* workflow version id -> its sensitive keys (keys_of), while the */
  char keys_stamp[80]; /* definitions are as this stamp says (kf_store_defs_stamp) */
};

typedef struct call {
  kf_session *s;
  json_t *args;
  kf_err *err;
  json_t *user;   /* the signed-in person (args.user), or NULL: the database's owner */
  json_t *grants; /* the user's unexpired grants [{grant, case}] */
  json_t *keys;   /* sensitive keys by workflow version, for this call */
  json_t *detail; /* data for the caller about a failure (e.g. {"glass": true}) */
} call;

/* Arguments are checked against the verb's spec (VERBS below) before its function runs,
 * so a verb reads them without checking again: str() is text or NULL when absent. */
static inline const char *str(call *c, const char *key) {
  return json_string_value(json_object_get(c->args, key));
}

/* A text argument the spec marks required: present and not empty. */
static inline const char *need(call *c, const char *key) { return str(c, key); }

static inline const char *actor(call *c) {
  const char *a = str(c, "actor");
  return a && *a ? a : "console";
}

static inline int64_t num(call *c, const char *key, int64_t dflt) {
  json_t *v = json_object_get(c->args, key);
  return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* A case named by number or reference (checked by the spec), as text. */
static inline const char *case_text(json_t *v, char buf[32]) {
  if (json_is_integer(v)) {
    snprintf(buf, 32, "%lld", (long long)json_integer_value(v));
    return buf;
  }
  return json_string_value(v);
}

static inline const char *case_id(call *c, char buf[32]) {
  return case_text(json_object_get(c->args, "id"), buf);
}

static inline kf_store *st(call *c) { return kf_engine_store(c->s->e); }
static inline kf_lua *lua(call *c) { return kf_engine_lua(c->s->e); }

/* The user's console role is role. */
static inline int is_role(call *c, const char *role) {
  return c->user && !strcmp(json_string_value(json_object_get(c->user, "role")), role);
}

static inline int in_team(call *c, const char *team) {
  size_t i;
  json_t *t;
  json_array_foreach(json_object_get(c->user, "teams"), i, t)
    if (team && !strcmp(json_string_value(t), team)) return 1;
  return 0;
}

/* Users and teams are managed by admins (and the database's owner). */
static inline int need_admin(call *c, const char *what) {
  if (!c->user || is_role(c, "admin")) return 0;
  return kf_fail(c->err, KF_EFORBIDDEN, "only an admin may %s", what);
}

/* A family account: a sign-in bound to one member of one case (user.family). */
static inline int is_family(call *c) { return is_role(c, "family"); }

/* What a private refusal reads as for someone who may not see private values. */
#define WITHHELD "(withheld: it may contain private details)"

/* verbs.c: who sees what, applied (see each function there). */
kf_access access_of(call *c, const json_t *cs);
int need_full(call *c, const json_t *cs, kf_access *out);
json_t *case_full(call *c, kf_access *a);
json_t *keys_of(call *c, const json_t *cs);
void drop_keys(json_t *obj, const json_t *list, json_t *hidden, const char *prefix, json_t *revealed);
void mask_keys(json_t *obj, const json_t *list);
void redact_events(call *c, json_t *events);
int has_private(const json_t *keys);
void withhold_refusals(json_t *refusals, json_t *reasons, int all);
json_t *visible_rows(call *c, json_t *rows);
json_t *case_filter(call *c);
json_t *answer_case(call *c, json_t *cs);
json_t *answer_members(call *c, const json_t *cs, json_t *members);
/* The family roles, transitions and family forms of the programme of case cs (Lua). */
json_t *family_info(call *c, const json_t *cs);

/* api_records.c: members who leave, links between cases, the agency's settings */
json_t *v_case_member_end(call *c);
json_t *v_case_link(call *c);
json_t *v_case_links(call *c);
json_t *v_setting_list(call *c);
json_t *v_setting_set(call *c);
/* api_records.c: programme versions (migrate.h), admins only */
json_t *v_migrate_plan(call *c);
json_t *v_migrate_check(call *c);
json_t *v_migrate_run(call *c);
json_t *v_migrate_undo(call *c);
json_t *v_migrate_list(call *c);
/* api_versions.c: every deployed version of a programme, with its definition */
json_t *v_workflow_versions(call *c);
/* The links of case cid as the caller may see them (case.get's "links"). */
json_t *links_for(call *c, int64_t cid);

/* people.c */
/* Create an account in one transaction with its event user.added: role and password
 * checked; binding (a family account's {case, member, role, name}, or NULL) and must_change
 * stored with it. Answers {login, role, roles, teams[, family]}. */
json_t *user_create(call *c, const char *login, const char *role, const char *password,
                    json_t *roles, json_t *teams, json_t *binding, int must_change);
json_t *v_user_add(call *c);
json_t *v_user_list(call *c);
json_t *v_user_update(call *c);
json_t *v_user_reset_password(call *c);
json_t *v_user_change_password(call *c);
json_t *v_team_add(call *c);
json_t *v_team_list(call *c);
json_t *v_user_set_teams(call *c);
json_t *v_user_verify(call *c);
json_t *v_session_create(call *c);
json_t *v_session_get(call *c);
json_t *v_session_delete(call *c);
json_t *v_login_failed(call *c);

/* family.c */
json_t *v_family_get(call *c);
json_t *v_family_submit(call *c);
json_t *v_family_fire(call *c);
json_t *v_family_invite(call *c);
json_t *v_decision_record(call *c);
json_t *v_decision_list(call *c);
/* people.c: the member of case case_ref a family account would be bound to: {case, member, role,
 * name}; NULL with KF_EINVAL (one line) when the member is not on the case, holds no family
 * role of its programme (they are listed), or has an account already; KF_ENOTFOUND for no
 * such case. */
json_t *family_binding(call *c, const char *case_ref, int64_t member);
/* 0, or KF_EFORBIDDEN when a signed-in staff user asks to act (verb "fire" a transition,
 * "submit" a form: name) on case cs as role, a family role of its programme (only that
 * member's own account may). */
int family_role_refused(call *c, const json_t *cs, const char *role, const char *verb,
                        const char *name);

#endif
