/* routes.c: the JSON API's route table, {method, path, permission, handler}, and the one
 * dispatcher that enforces it: Origin, session, CSRF, 404/405, a family account's one rule,
 * then the route's permission, before any handler runs. Handlers must not check console permissions themselves. A route
 * added here is described in openapi.json too, or the HTTP suite fails. */
#define _GNU_SOURCE
#include "console.h"

typedef struct route {
  const char *method;
  const char *path;   /* segments; {name} matches any one segment (handlers get x->arg) */
  unsigned may;       /* PUBLIC, SIGNED_IN, or the MAY_ bit needed */
  const char *doing;  /* what a refused user may not do: "a viewer may not <doing>" */
  void (*fn)(ctx *x);
} route;

void case_import(ctx *x); /* api_cases.c */

/* Rows with the same path list their methods in the order a 405's Allow header gives. */
static const route ROUTES[] = {
    /* The API's description (openapi.json beside the plugin): public, as it holds no data and
     * tools read it before signing in. Every route here is in it (tests/http/validate.mjs). */
    {"GET", "/api/openapi.json", PUBLIC, "read the API's description", openapi_show},
    {"GET", "/api/session", SIGNED_IN, "see their session", session_show},
    {"POST", "/api/session", PUBLIC, "sign in", session_create},
    {"DELETE", "/api/session", SIGNED_IN, "sign out", session_end},
    {"POST", "/api/session/password", SIGNED_IN, "change their password", session_password},
    {"GET", "/api/dashboard", MAY_READ, "read the dashboard", dashboard_show},
    {"GET", "/api/workflows", MAY_READ, "read programmes", workflows_list},
    {"GET", "/api/workflows/{name}", MAY_READ, "read programmes", workflow_show},
    {"GET", "/api/workflows/{name}/versions", MAY_VERSIONS, "see a programme's versions",
     workflow_versions},
    {"POST", "/api/workflows/{name}/migration-checks", MAY_VERSIONS,
     "check a move of cases to another version", migration_check},
    {"GET", "/api/migrations", MAY_VERSIONS, "see migrations", migrations_list},
    {"POST", "/api/migrations", MAY_VERSIONS, "move cases to another version", migration_start},
    {"GET", "/api/migrations/{id}", MAY_VERSIONS, "see migrations", migration_show},
    {"POST", "/api/migrations/{id}/undo", MAY_VERSIONS, "undo migrations", migration_undo},
    {"GET", "/api/cases", MAY_READ, "read cases", cases_list},
    {"POST", "/api/cases", MAY_WORK, "open cases", case_open},
    {"POST", "/api/cases/import", MAY_WORK, "import cases", case_import},
    {"GET", "/api/cases/{id}", MAY_READ, "read cases", case_show},
    {"PATCH", "/api/cases/{id}", MAY_WORK, "change a case's data", case_set},
    {"GET", "/api/cases/{id}/moves", MAY_READ, "read cases", case_moves},
    {"GET", "/api/cases/{id}/history", MAY_READ, "read cases", case_history},
    {"POST", "/api/cases/{id}/members", MAY_WORK, "add people to cases", case_member},
    {"POST", "/api/cases/{id}/members/{member}/end", MAY_WORK, "record that people leave cases",
     case_member_end},
    {"GET", "/api/cases/{id}/links", MAY_READ, "read cases", case_links},
    {"POST", "/api/cases/{id}/links", MAY_WORK, "link cases", case_link},
    {"POST", "/api/cases/{id}/review", MAY_WORK, "record reviews", case_review},
    {"POST", "/api/cases/{id}/transitions/{transition}", MAY_WORK, "fire moves", case_fire},
    {"POST", "/api/cases/{id}/forms/{form}", MAY_WORK, "submit forms", case_form},
    {"POST", "/api/cases/{id}/allocation", MAY_WORK, "allocate cases", case_allocate},
    {"POST", "/api/cases/{id}/access", MAY_WORK, "break the glass on a case", case_access},
    {"GET", "/api/cases/{id}/consents", MAY_READ, "read cases", case_consents},
    {"POST", "/api/cases/{id}/consents", MAY_WORK, "record consents", case_consent_give},
    {"POST", "/api/cases/{id}/consents/{consent}/withdrawal", MAY_WORK, "record consents",
     case_consent_withdraw},
    {"GET", "/api/cases/{id}/decisions", MAY_READ, "read cases", case_decisions},
    {"POST", "/api/cases/{id}/decisions", MAY_WORK, "record shared decisions",
     case_decision_record},
    {"POST", "/api/cases/{id}/invitations", MAY_WORK, "invite family members", case_invite},
    {"POST", "/api/cases/{id}/flags/{flag}/clear", MAY_WORK, "clear a case's flags",
     case_flag_clear},
    /* A family account's own page: the engine keeps it to its own case and member. */
    {"GET", "/api/family", MAY_FAMILY, "see a family page", family_show},
    {"POST", "/api/family/forms/{form}", MAY_FAMILY, "fill in a family's forms", family_form},
    {"POST", "/api/family/transitions/{transition}", MAY_FAMILY, "make a family's moves",
     family_fire},
    {"POST", "/api/family/consents", MAY_FAMILY, "give a family member's consent",
     family_consent_give},
    {"POST", "/api/family/consents/{consent}/withdrawal", MAY_FAMILY,
     "withdraw a family member's consent", family_consent_withdraw},
    {"GET", "/api/access", MAY_SUPERVISE, "review glass-breaks", access_list},
    {"GET", "/api/forms/{name}", MAY_READ, "read forms", form_show},
    {"GET", "/api/reports/stages", MAY_READ, "read reports", report_stages},
    {"GET", "/api/reports/outcomes", MAY_READ, "read reports", report_outcomes},
    {"GET", "/api/rules", MAY_READ, "read rules", rules_list},
    {"POST", "/api/rules", MAY_RULES, "deploy rules", rule_deploy},
    {"POST", "/api/rules/impact", MAY_RULES, "preview rule changes", rule_impact},
    {"POST", "/api/rules/{name}/rollback", MAY_RULES, "roll rules back", rule_rollback},
    {"GET", "/api/users", MAY_USERS, "see users", users_list},
    {"POST", "/api/users", MAY_USERS, "add users", user_add},
    {"PATCH", "/api/users/{login}", MAY_USERS, "change users", user_update},
    {"POST", "/api/users/{login}/password", MAY_USERS, "reset passwords", user_password},
    {"PUT", "/api/users/{login}/teams", MAY_USERS, "change users' teams", user_teams},
    {"GET", "/api/teams", MAY_WORK, "see teams", teams_list},
    {"POST", "/api/teams", MAY_USERS, "add teams", team_add},
    {"GET", "/api/settings", MAY_READ, "read the agency's settings", settings_list},
    {"PUT", "/api/settings/{name}", MAY_USERS, "change the agency's settings", setting_set},
    {"GET", "/api/audit", MAY_AUDIT, "read the audit log", audit_list},
    {"GET", "/api/audit/verify", MAY_AUDIT, "check the audit log", audit_verify},
    /* Outside /api/ where monitoring looks for it; also on `serve --metrics-port`'s loopback
     * listener without a session (http.c). */
    {"GET", "/metrics", MAY_METRICS, "read the server's metrics", metrics_show},
};
enum { NROUTES = sizeof ROUTES / sizeof ROUTES[0], SEGMENTS = 12 };

/* Whether the path's segments fit the pattern; its {placeholders} go to arg. */
static int fits(const char *pattern, char **seg, int n, const char **arg) {
  int i = 0, a = 0;
  for (const char *p = pattern; *p == '/'; i++) {
    size_t len = strcspn(++p, "/");
    if (i == n) return 0;
    if (*p == '{') {
      if (a < ROUTE_ARGS) arg[a++] = seg[i];
    } else if (strlen(seg[i]) != len || strncmp(seg[i], p, len)) {
      return 0;
    }
    p += len;
  }
  return i == n;
}

/* The route for the method and path, or NULL. allow lists the methods the path has (empty:
 * no such path); *public_path says whether the path has a public route. */
static const route *find(const char *method, char **seg, int n, const char **arg, char *allow,
                         size_t len, int *public_path) {
  const route *found = NULL;
  const char *a[ROUTE_ARGS];
  allow[0] = 0;
  *public_path = 0;
  for (size_t i = 0; i < NROUTES; i++) {
    const route *r = &ROUTES[i];
    memset(a, 0, sizeof a);
    if (!fits(r->path, seg, n, a)) continue;
    size_t used = strlen(allow);
    snprintf(allow + used, len - used, "%s%s", used ? ", " : "", r->method);
    if (r->may == PUBLIC) *public_path = 1;
    if (!found && is(r->method, method)) {
      found = r;
      memcpy(arg, a, sizeof a);
    }
  }
  return found;
}

void api_dispatch(ctx *x) {
  char split[sizeof x->path], *seg[SEGMENTS], *save = NULL;
  int n = 0;
  snprintf(split, sizeof split, "%s", x->path);
  for (char *t = strtok_r(split, "/", &save); t && n < SEGMENTS; t = strtok_r(NULL, "/", &save))
    seg[n++] = t;
  if (n >= SEGMENTS) {
    fail(x, 404, "no such resource: %s", x->path);
    return;
  }
  int changing = !is(x->method, "GET");
  if (changing && !origin_ok(x)) return;
  char allow[sizeof x->allow];
  int public_path;
  const route *r = find(x->method, seg, n, x->arg, allow, sizeof allow, &public_path);
  if (r) x->route = (int)(r - ROUTES);
  /* A path nobody may use without a session answers 401 before it says 404 or 405. */
  int needs_session = r ? r->may != PUBLIC : !public_path;
  if (needs_session && (!authenticate(x) || (changing && !csrf_ok(x)))) return;
  if (!r && allow[0]) {
    snprintf(x->allow, sizeof x->allow, "%s", allow);
    fail(x, 405, "%s is not allowed here (allowed: %s)", x->method, allow);
    return;
  }
  if (!r) {
    fail(x, 404, "no such resource: %s", x->path);
    return;
  }
  /* A family account has its family page, its session and its password: nothing else. */
  if (is(x->u.role, "family") && r->may != PUBLIC && r->may != SIGNED_IN && r->may != MAY_FAMILY) {
    fail(x, 403, "a family account can use only its own family page");
    return;
  }
  if (r->may != PUBLIC && (x->u.may & r->may) != r->may) {
    fail(x, 403, "a %s may not %s", x->u.role, r->doing);
    return;
  }
  /* A reset password is changed before anything else (seeing the session, signing out). */
  if (r->may != PUBLIC && x->u.must_change && r->fn != session_password && r->fn != session_show &&
      r->fn != session_end) {
    fail(x, 403, "your password was reset: change it first (POST /api/session/password)");
    return;
  }
  r->fn(x);
}

int routes_count(void) { return (int)NROUTES; }

const char *route_path(int i) { return i >= 0 && i < (int)NROUTES ? ROUTES[i].path : "other"; }

int route_of(const char *method, const char *path) {
  for (size_t i = 0; i < NROUTES; i++)
    if (is(ROUTES[i].method, method) && is(ROUTES[i].path, path)) return (int)i;
  return ROUTE_OTHER;
}

void routes_print(FILE *f) {
  for (size_t i = 0; i < NROUTES; i++)
    fprintf(f, "%-6s %-42s %s\n", ROUTES[i].method, ROUTES[i].path, may_name(ROUTES[i].may));
}
