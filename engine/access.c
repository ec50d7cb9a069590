/* access.c: the policy of who sees what (access.h), in one place so that every verb applies
 * the same rule. It decides; it reads nothing and writes nothing. */
#include "access.h"

#include <string.h>

static const char *text(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

static int is(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static int has(const json_t *list, const char *s) {
  size_t i;
  json_t *x;
  json_array_foreach(list, i, x) if (is(json_string_value(x), s)) return 1;
  return 0;
}

int kf_access_holds(const json_t *user, const char *workflow, const char *role) {
  const char *urole = text(user, "role");
  if (is(urole, "admin") || is(urole, "supervisor")) return 1;
  if (!is(urole, "caseworker")) return 0;
  const json_t *roles = json_object_get(user, "roles");
  if (!json_array_size(roles)) return !role || is(role, "caseworker");
  size_t i;
  json_t *r;
  json_array_foreach(roles, i, r) {
    const char *s = json_string_value(r), *colon = s ? strchr(s, ':') : NULL;
    if (!s) continue;
    if (colon) {
      size_t n = (size_t)(colon - s);
      if (!workflow || strlen(workflow) != n || strncmp(s, workflow, n)) continue;
      s = colon + 1;
    }
    if (!role || is(s, role)) return 1;
  }
  return 0;
}

kf_access kf_access_case(const json_t *user, const json_t *c, const json_t *grants) {
  kf_access a = {KF_SEE_NONE, 0, 0, NULL, 0};
  const char *role = text(user, "role"), *login = text(user, "login");
  const char *workflow = text(c, "workflow"), *to = text(c, "allocated_to"), *team = text(c, "team");
  if (is(role, "admin")) return (kf_access){KF_SEE_FULL, 1, 0, "admin", 0};
  if (is(role, "family")) return a; /* their own case is their family page, never a case view */
  int practitioner = is(role, "supervisor") || is(role, "caseworker");
  if (!practitioner) { /* analysts and viewers: summaries and aggregates */
    a.see = is(role, "analyst") || is(role, "viewer") ? KF_SEE_SUMMARY : KF_SEE_NONE;
    return a;
  }
  if (is(to, login)) a.basis = "allocated";
  else if (team && has(json_object_get(user, "teams"), team)) a.basis = "team";
  else {
    json_int_t id = json_integer_value(json_object_get(c, "id"));
    size_t i;
    json_t *g;
    json_array_foreach(grants, i, g) {
      if (json_integer_value(json_object_get(g, "case")) == id) {
        a.basis = "glass";
        a.grant = json_integer_value(json_object_get(g, "grant"));
        break;
      }
    }
  }
  int in_programme = kf_access_holds(user, workflow, NULL);
  if (a.basis) {
    a.see = KF_SEE_FULL;
    a.sensitive = in_programme;
  } else if (in_programme) {
    a.see = KF_SEE_SUMMARY;
    a.glass = 1;
  }
  return a;
}

json_t *kf_access_summary(const json_t *c) {
  static const char *keys[] = {"id", "ref", "workflow", "state", "final", "allocated_to",
                               "team", "overdue_since", "updated_at"};
  json_t *s = json_object();
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    json_t *v = json_object_get(c, keys[i]);
    json_object_set(s, keys[i], v ? v : json_null());
  }
  json_object_set_new(s, "summary", json_true());
  return s;
}

json_t *kf_access_visible(const json_t *user, const char *now) {
  json_t *f = json_pack("{s:O?,s:O?,s:s}", "login", json_object_get(user, "login"), "teams",
                        json_object_get(user, "teams"), "now", now);
  const char *role = text(user, "role");
  if (is(role, "family")) { /* no programme's cases, and no case is allocated to them */
    json_object_set_new(f, "workflows", json_array());
    return f;
  }
  if (!is(role, "caseworker")) return f; /* admin, supervisor, analyst, viewer: every programme */
  const json_t *roles = json_object_get(user, "roles");
  if (!json_array_size(roles)) return f;
  json_t *workflows = json_array();
  size_t i;
  json_t *r;
  json_array_foreach(roles, i, r) {
    const char *s = json_string_value(r), *colon = s ? strchr(s, ':') : NULL;
    if (!s) continue;
    if (!colon) { /* a bare role holds in every programme */
      json_decref(workflows);
      return f;
    }
    json_array_append_new(workflows, json_stringn(s, (size_t)(colon - s)));
  }
  json_object_set_new(f, "workflows", workflows);
  return f;
}
