/* roles.c: what each console role may do (MAY_ bits), the names of route permissions, and
 * whether a user holds a workflow role in a programme. Pure functions: no requests, no
 * engine calls; the route table (routes.c) decides where each permission is needed. */
#include "console.h"

static const struct {
  const char *name;
  unsigned may;
} ROLES[] = {
    {"admin", MAY_READ | MAY_WORK | MAY_RULES | MAY_AUDIT | MAY_USERS | MAY_ANY_ROLE |
                  MAY_SENSITIVE | MAY_SUPERVISE | MAY_VERSIONS | MAY_METRICS},
    {"supervisor", MAY_READ | MAY_WORK | MAY_AUDIT | MAY_ANY_ROLE | MAY_SENSITIVE |
                       MAY_SUPERVISE},
    {"caseworker", MAY_READ | MAY_WORK | MAY_SENSITIVE},
    {"analyst", MAY_READ | MAY_RULES | MAY_AUDIT},
    {"viewer", MAY_READ},
    {"family", MAY_FAMILY}, /* a parent, carer or young person: their own family page only */
};

unsigned role_may(const char *role) {
  for (size_t i = 0; role && i < sizeof ROLES / sizeof ROLES[0]; i++)
    if (!strcmp(ROLES[i].name, role)) return ROLES[i].may;
  return 0;
}

const char *may_name(unsigned may) {
  switch (may) {
  case PUBLIC: return "public";
  case SIGNED_IN: return "signed-in";
  case MAY_READ: return "read";
  case MAY_WORK: return "work";
  case MAY_RULES: return "rules";
  case MAY_AUDIT: return "audit";
  case MAY_USERS: return "users";
  case MAY_ANY_ROLE: return "any_role";
  case MAY_SENSITIVE: return "sensitive";
  case MAY_SUPERVISE: return "supervise";
  case MAY_FAMILY: return "family";
  case MAY_VERSIONS: return "versions";
  case MAY_METRICS: return "metrics";
  default: return "?";
  }
}

/* Admins and supervisors may act as any role; others as the roles on their account
 * ("family_link" in any programme, "coparenthood:family_link" in one), and a caseworker
 * with no list as "caseworker". */
int holds(const user *u, const char *workflow, const char *role) {
  if (u->may & MAY_ANY_ROLE) return 1;
  if (!(u->may & MAY_WORK)) return 0;
  if (!json_array_size(u->roles)) return !role || is(role, "caseworker");
  size_t i;
  json_t *r;
  json_array_foreach(u->roles, i, r) {
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

json_t *can_json(unsigned m) {
  return json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:b}", "work", !!(m & MAY_WORK), "rules",
                   !!(m & MAY_RULES), "audit", !!(m & MAY_AUDIT), "users", !!(m & MAY_USERS),
                   "any_role", !!(m & MAY_ANY_ROLE), "sensitive", !!(m & MAY_SENSITIVE),
                   "supervise", !!(m & MAY_SUPERVISE), "versions", !!(m & MAY_VERSIONS));
}
