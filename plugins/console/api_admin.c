/* api_admin.c: the handlers of /api/users (list and add the people who sign in) and
 * /api/audit (the event log and its check). Each is one engine verb; the route's
 * permission is checked before they run (routes.c). */
#include "console.h"

/* GET /api/users: without password hashes */
void users_list(ctx *x) { reply_new(x, "user.list", json_object()); }

/* POST /api/users {"login", "role", "password", "roles"} */
void user_add(ctx *x) {
  const char *login, *role, *password;
  if (!body(x) || !body_text(x, "login", 1, &login) || !body_text(x, "role", 1, &role) ||
      !body_text(x, "password", 1, &password))
    return;
  json_t *a = json_pack("{s:s,s:s,s:s,s:s}", "login", login, "role", role, "password", password,
                        "actor", x->u.login);
  reply_if_new(x, pass(x, a, "roles", is_array, "a list of workflow roles"), "user.add", a);
}

/* GET /api/audit?case=&kind=&after=&limit= */
void audit_list(ctx *x) {
  json_t *args = json_object();
  const char *c = http_query(x, "case");
  if (c) json_object_set_new(args, "case", case_id(c));
  query_text(x, args, "kind");
  reply_if_new(x, query_int(x, args, "after") && query_int(x, args, "limit"), "audit.list", args);
}

/* GET /api/audit/verify: whether the hash chain is intact */
void audit_verify(ctx *x) { reply_new(x, "audit.verify", json_object()); }
