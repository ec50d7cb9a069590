/* api_admin.c: the handlers of /api/users (list and add the people who sign in, and their
 * teams), /api/teams, /api/access (glass-breaks to review), /api/audit (the event log
 * and its check). Each is one engine verb; the route's permission is checked before they
 * run (routes.c). */
#include "console.h"

/* GET /api/users: without password hashes */
void users_list(ctx *x) { reply_new(x, "user.list", json_object()); }

/* POST /api/users {"login", "role", "password", "roles", "teams"} */
void user_add(ctx *x) {
  const char *login, *role, *password;
  if (!body(x) || !body_text(x, "login", 1, &login) || !body_text(x, "role", 1, &role) ||
      !body_text(x, "password", 1, &password))
    return;
  json_t *a = json_pack("{s:s,s:s,s:s,s:s}", "login", login, "role", role, "password", password,
                        "actor", x->u.login);
  int ok = pass(x, a, "roles", is_array, "a list of workflow roles") &&
           pass(x, a, "teams", is_array, "a list of team names");
  reply_if_new(x, ok, "user.add", a);
}

/* PUT /api/users/{login}/teams {"teams"}: replaces the user's teams */
void user_teams(ctx *x) {
  if (!body(x)) return;
  if (!json_is_array(json_object_get(x->body, "teams"))) {
    fail(x, 400, "give {\"teams\": [names]} (an empty list takes the user out of every team)");
    return;
  }
  reply_new(x, "user.set_teams", json_pack("{s:o,s:O,s:s}", "login", text_value(x->arg[0]), "teams",
                                           json_object_get(x->body, "teams"), "actor",
                                           x->u.login));
}

/* PATCH /api/users/{login} {"role", "roles", "disabled"}: disabling ends the user's
 * sessions at once */
void user_update(ctx *x) {
  if (!body(x)) return;
  json_t *a = json_pack("{s:o,s:s}", "login", text_value(x->arg[0]), "actor", x->u.login);
  int ok = pass(x, a, "role", is_string, "one of admin, supervisor, caseworker, analyst, viewer") &&
           pass(x, a, "roles", is_array, "a list of workflow roles") &&
           pass(x, a, "disabled", is_boolean, "true or false");
  reply_if_new(x, ok, "user.update", a);
}

/* POST /api/users/{login}/password {"password"}: a new password the user must change at
 * their next sign-in; their sessions end now */
void user_password(ctx *x) {
  const char *password;
  if (!body(x) || !body_text(x, "password", 1, &password)) return;
  reply_new(x, "user.reset_password", json_pack("{s:o,s:s,s:s}", "login", text_value(x->arg[0]),
                                                "password", password, "actor", x->u.login));
}

/* POST /api/session/password {"old", "password"}: the signed-in user's own password */
void session_password(ctx *x) {
  const char *old, *password;
  if (!body(x) || !body_text(x, "old", 1, &old) || !body_text(x, "password", 1, &password)) return;
  reply_new(x, "user.change_password", json_pack("{s:s,s:s,s:s,s:s}", "login", x->u.login, "old",
                                                 old, "password", password, "actor", x->u.login));
}

/* GET /api/teams: [{name, members}] */
void teams_list(ctx *x) { reply_new(x, "team.list", json_object()); }

/* POST /api/teams {"name"} */
void team_add(ctx *x) {
  const char *name;
  if (!body(x) || !body_text(x, "name", 1, &name)) return;
  reply_new(x, "team.add", json_pack("{s:s,s:s}", "name", name, "actor", x->u.login));
}

/* GET /api/access?team=&since=: glass-breaks to review (the engine keeps a supervisor to
 * their teams' cases) */
void access_list(ctx *x) {
  json_t *args = json_object();
  query_text(x, args, "team");
  query_text(x, args, "since");
  reply_new(x, "access.list", args);
}

/* GET /api/audit?case=&kind=&actor=&since=&until=&after=&before=&order=newest&limit=
 * (case: a number or a reference; since/until: times, until excluded) */
void audit_list(ctx *x) {
  json_t *args = json_object();
  const char *c = http_query(x, "case");
  if (c) json_object_set_new(args, "case", case_id(c));
  query_text(x, args, "kind");
  query_text(x, args, "actor");
  query_text(x, args, "since");
  query_text(x, args, "until");
  query_text(x, args, "order");
  reply_if_new(x, query_int(x, args, "after") && query_int(x, args, "before") &&
               query_int(x, args, "limit"), "audit.list", args);
}

/* GET /api/audit/verify: whether the hash chain is intact */
void audit_verify(ctx *x) { reply_new(x, "audit.verify", json_object()); }
