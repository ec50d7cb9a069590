/* api_cases.c: the handlers of /api/cases: list, open, read, change, moves, history, fire,
 * forms, members and reviews. Each turns a request into one engine verb. The route's
 * permission is checked before they run (routes.c); here only the workflow roles a user
 * holds in the case's programme, and which fields they see. */
#include "console.h"

/* The case in the path, for a change: the user must hold some role (or `as`, when given) in
 * its programme. The case (without sensitive fields; the caller decrefs), or NULL with the
 * answer set. */
static json_t *case_to_change(ctx *x, const char *as) {
  json_t *c = verb(x, "case.get", json_pack("{s:o}", "id", case_id(x->arg[0])));
  if (!c) return NULL;
  const char *wf = json_string_value(json_object_get(c, "workflow"));
  if (holds(&x->u, wf, as)) return c;
  if (as)
    fail(x, 403, "%s may not act as %s in programme '%s' (their workflow roles do not include "
         "it)", x->u.login, as, wf ? wf : "?");
  else
    fail(x, 403, "%s holds no role in programme '%s' (ask an admin to add one)", x->u.login,
         wf ? wf : "?");
  json_decref(c);
  return NULL;
}

/* GET /api/cases?workflow=&state=&q=&overdue=&open=&limit=&offset= */
void cases_list(ctx *x) {
  json_t *args = json_object();
  query_text(x, args, "workflow");
  query_text(x, args, "state");
  query_text(x, args, "q");
  if (!query_bool(x, args, "overdue") || !query_bool(x, args, "open") ||
      !query_int(x, args, "limit") || !query_int(x, args, "offset")) {
    json_decref(args);
    return;
  }
  reply(x, "case.list", args);
}

/* POST /api/cases {"workflow", "ref", "data"} */
void case_open(ctx *x) {
  const char *wf;
  if (!body(x) || !body_text(x, "workflow", 1, &wf)) return;
  if (!holds(&x->u, wf, NULL)) {
    fail(x, 403, "%s holds no role in programme '%s'", x->u.login, wf);
    return;
  }
  json_t *args = json_pack("{s:s,s:s}", "workflow", wf, "actor", x->u.login);
  if (!pass(x, args, "data", is_object, "an object") ||
      !pass(x, args, "ref", is_string, "a string")) {
    json_decref(args);
    return;
  }
  reply(x, "case.open", args);
}

/* GET /api/cases/{id}: sensitive fields only for those who may see them (the engine logs
 * each such read). */
void case_show(ctx *x) {
  int sensitive = !!(x->u.may & MAY_SENSITIVE);
  reply(x, "case.get", json_pack("{s:o,s:b,s:s}", "id", case_id(x->arg[0]), "sensitive",
                                 sensitive, "actor", x->u.login));
}

/* PATCH /api/cases/{id} {"data", "revision"} */
void case_set(ctx *x) {
  json_t *c = case_to_change(x, NULL);
  if (!c || !body(x)) {
    json_decref(c);
    return;
  }
  json_t *data = json_object_get(x->body, "data");
  json_t *args = json_pack("{s:O,s:s}", "id", json_object_get(c, "id"), "actor", x->u.login);
  json_decref(c);
  if (!json_is_object(data)) {
    fail(x, 400, "give {\"data\": {...}} (keys to merge; null deletes a key)");
  } else {
    json_object_set(args, "data", data);
    if (pass(x, args, "revision", is_integer, "a whole number")) {
      reply(x, "case.set", args);
      args = NULL;
    }
  }
  json_decref(args);
}

/* GET /api/cases/{id}/moves?as=ROLE */
void case_moves(ctx *x) {
  json_t *args = json_pack("{s:o}", "id", case_id(x->arg[0]));
  query_text(x, args, "as");
  reply(x, "case.moves", args);
}

/* GET /api/cases/{id}/history */
void case_history(ctx *x) {
  reply(x, "case.history", json_pack("{s:o}", "id", case_id(x->arg[0])));
}

/* POST /api/cases/{id}/transitions/{transition} {"as", "reason", "revision"} */
void case_fire(ctx *x) {
  const char *as, *reason;
  if (!body(x) || !body_text(x, "as", 1, &as) || !body_text(x, "reason", 0, &reason)) return;
  json_t *c = case_to_change(x, as);
  if (!c) return;
  json_t *args = json_pack("{s:O,s:s,s:s,s:s}", "id", json_object_get(c, "id"), "transition",
                           x->arg[1], "as", as, "actor", x->u.login);
  json_decref(c);
  if (reason) json_object_set_new(args, "reason", json_string(reason));
  if (!pass(x, args, "revision", is_integer, "a whole number")) {
    json_decref(args);
    return;
  }
  reply(x, "case.fire", args);
}

/* POST /api/cases/{id}/forms/{form} {"data"}; a body without a "data" object is the data. */
void case_form(ctx *x) {
  json_t *c = case_to_change(x, NULL);
  if (!c || !body(x)) {
    json_decref(c);
    return;
  }
  json_t *data = json_object_get(x->body, "data");
  if (!json_is_object(data)) data = x->body;
  json_t *args = json_pack("{s:O,s:s,s:O,s:s}", "id", json_object_get(c, "id"), "form",
                           x->arg[1], "data", data, "actor", x->u.login);
  json_decref(c);
  reply(x, "form.submit", args);
}

/* POST /api/cases/{id}/members {"role", "name", "data"} */
void case_member(ctx *x) {
  json_t *c = case_to_change(x, NULL);
  const char *role, *name;
  if (!c || !body(x) || !body_text(x, "role", 1, &role) || !body_text(x, "name", 1, &name)) {
    json_decref(c);
    return;
  }
  json_t *args = json_pack("{s:O,s:s,s:s,s:s}", "id", json_object_get(c, "id"), "role", role,
                           "name", name, "actor", x->u.login);
  json_decref(c);
  if (!pass(x, args, "data", is_object, "an object")) {
    json_decref(args);
    return;
  }
  reply(x, "case.member_add", args);
}

/* POST /api/cases/{id}/review {"note"} (the body is optional) */
void case_review(ctx *x) {
  json_t *c = case_to_change(x, NULL);
  const char *note = NULL;
  if (!c || (x->raw_len && (!body(x) || !body_text(x, "note", 0, &note)))) {
    json_decref(c);
    return;
  }
  json_t *args = json_pack("{s:O,s:s}", "id", json_object_get(c, "id"), "actor", x->u.login);
  json_decref(c);
  if (note) json_object_set_new(args, "note", json_string(note));
  reply(x, "case.review", args);
}
