/* api_cases.c: the handlers of /api/cases: list, open, read, change, moves, history, fire,
 * forms, members, reviews, allocation and breaking the glass. Each turns a request into one
 * engine verb. The route's permission is checked before they run (routes.c); here only the
 * workflow roles a user holds in the case's programme. Which cases and fields a user sees
 * is the engine's to decide (every verb names the user: engine.c). */
#include "console.h"

json_t *case_change_args(ctx *x, const char *as) {
  json_t *c = verb_new(x, "case.get", json_pack("{s:o}", "id", case_id(x->arg[0])));
  if (!c) return NULL;
  const char *wf = json_string_value(json_object_get(c, "workflow"));
  json_t *args = NULL;
  if (holds(&x->u, wf, as))
    args = json_pack("{s:O,s:s}", "id", json_object_get(c, "id"), "actor", x->u.login);
  else if (as)
    fail(x, 403, "%s may not act as %s in programme '%s' (their workflow roles do not include "
         "it)", x->u.login, as, wf ? wf : "?");
  else
    fail(x, 403, "%s holds no role in programme '%s' (ask an admin to add one)", x->u.login,
         wf ? wf : "?");
  json_decref(c);
  return args;
}

/* GET /api/cases?workflow=&state=&q=&overdue=&open=&mine=&team=&unallocated=&limit=&offset=
 * &sort= (a data key; -KEY descending) */
void cases_list(ctx *x) {
  json_t *args = json_object();
  query_text(x, args, "sort");
  query_text(x, args, "workflow");
  query_text(x, args, "state");
  query_text(x, args, "q");
  query_text(x, args, "team");
  int ok = query_bool(x, args, "overdue") && query_bool(x, args, "open") &&
           query_bool(x, args, "mine") && query_bool(x, args, "unallocated") &&
           query_int(x, args, "limit") && query_int(x, args, "offset");
  reply_if_new(x, ok, "case.list", args);
}

/* POST /api/cases {"workflow", "ref", "data", "allocate_to"}: allocated to the opener unless
 * allocate_to names another worker. */
void case_open(ctx *x) {
  const char *wf;
  if (!body(x) || !body_text(x, "workflow", 1, &wf)) return;
  if (!holds(&x->u, wf, NULL)) {
    fail(x, 403, "%s holds no role in programme '%s'", x->u.login, wf);
    return;
  }
  json_t *args = json_pack("{s:s,s:s}", "workflow", wf, "actor", x->u.login);
  int ok = pass(x, args, "data", is_object, "an object") &&
           pass(x, args, "ref", is_string, "a string") &&
           pass(x, args, "allocate_to", is_string, "a login");
  reply_if_new(x, ok, "case.open", args);
}

/* GET /api/cases/{id}?sensitive=0: sensitive fields are asked for when the user's role may
 * see them, unless sensitive=0 (a page that shows none); the engine decides whether they
 * are revealed, and records each reveal. */
void case_show(ctx *x) {
  json_t *q = json_object();
  int asked = query_bool(x, q, "sensitive");
  int sensitive = asked && !json_is_false(json_object_get(q, "sensitive")) &&
                  (x->u.may & MAY_SENSITIVE);
  json_decref(q);
  if (!asked) return;
  reply_new(x, "case.get", json_pack("{s:o,s:b,s:s}", "id", case_id(x->arg[0]), "sensitive",
                                     sensitive, "actor", x->u.login));
}

/* PATCH /api/cases/{id} {"data", "revision"} */
void case_set(ctx *x) {
  json_t *args = case_change_args(x, NULL);
  int ok = args && body(x);
  if (ok && !json_is_object(json_object_get(x->body, "data"))) {
    fail(x, 400, "give {\"data\": {...}} (keys to merge; null deletes a key)");
    ok = 0;
  }
  ok = ok && pass(x, args, "data", is_object, "an object") &&
       pass(x, args, "revision", is_integer, "a whole number");
  reply_if_new(x, ok, "case.set", args);
}

/* GET /api/cases/{id}/moves?as=ROLE */
void case_moves(ctx *x) {
  json_t *args = json_pack("{s:o}", "id", case_id(x->arg[0]));
  query_text(x, args, "as");
  reply_new(x, "case.moves", args);
}

/* GET /api/cases/{id}/history */
void case_history(ctx *x) {
  reply_new(x, "case.history", json_pack("{s:o}", "id", case_id(x->arg[0])));
}

/* POST /api/cases/{id}/transitions/{transition} {"as", "reason", "revision"} */
void case_fire(ctx *x) {
  const char *as, *reason;
  if (!body(x) || !body_text(x, "as", 1, &as) || !body_text(x, "reason", 0, &reason)) return;
  json_t *args = case_change_args(x, as);
  int ok = args && pass(x, args, "revision", is_integer, "a whole number");
  if (ok) {
    json_object_set_new(args, "transition", text_value(x->arg[1]));
    json_object_set_new(args, "as", json_string(as));
    if (reason) json_object_set_new(args, "reason", json_string(reason));
  }
  reply_if_new(x, ok, "case.fire", args);
}

/* POST /api/cases/{id}/forms/{form} {"data", "as"}; a body without a "data" object is the
 * data. "as": the role the entry is given in (attested fields need it), one the user holds. */
void case_form(ctx *x) {
  const char *as = NULL;
  json_t *data = NULL;
  if (!body(x)) return;
  data = json_object_get(x->body, "data");
  if (json_is_object(data) && !body_text(x, "as", 0, &as)) return;
  json_t *args = case_change_args(x, as);
  int ok = args != NULL;
  if (ok) {
    if (as) json_object_set_new(args, "as", json_string(as));
    json_object_set(args, "data", json_is_object(data) ? data : x->body);
    json_object_set_new(args, "form", text_value(x->arg[1]));
  }
  reply_if_new(x, ok, "form.submit", args);
}

/* POST /api/cases/{id}/members {"role", "name", "data"} */
void case_member(ctx *x) {
  json_t *args = case_change_args(x, NULL);
  const char *role, *name;
  int ok = args && body(x) && body_text(x, "role", 1, &role) && body_text(x, "name", 1, &name) &&
           pass(x, args, "data", is_object, "an object");
  if (ok) {
    json_object_set_new(args, "role", json_string(role));
    json_object_set_new(args, "name", json_string(name));
  }
  reply_if_new(x, ok, "case.member_add", args);
}

/* POST /api/cases/{id}/review {"note"} (the body is optional) */
void case_review(ctx *x) {
  json_t *args = case_change_args(x, NULL);
  const char *note = NULL;
  int ok = args && (!x->raw_len || (body(x) && body_text(x, "note", 0, &note)));
  if (ok && note) json_object_set_new(args, "note", json_string(note));
  reply_if_new(x, ok, "case.review", args);
}

/* POST /api/cases/{id}/allocation {"to", "reason", "team"}: who may allocate what is the
 * engine's rule (a supervisor their team's cases and unallocated ones; a caseworker an
 * unallocated case to themselves). */
void case_allocate(ctx *x) {
  const char *to, *reason;
  if (!body(x) || !body_text(x, "to", 1, &to) || !body_text(x, "reason", 1, &reason)) return;
  json_t *args = json_pack("{s:o,s:s,s:s,s:s}", "id", case_id(x->arg[0]), "to", to, "reason",
                           reason, "actor", x->u.login);
  reply_if_new(x, pass(x, args, "team", is_string, "a team's name"), "case.allocate", args);
}

/* POST /api/cases/{id}/access {"reason", "hours"}: break the glass on one case, for a time. */
void case_access(ctx *x) {
  const char *reason;
  if (!body(x) || !body_text(x, "reason", 1, &reason)) return;
  json_t *args = json_pack("{s:o,s:s,s:s}", "id", case_id(x->arg[0]), "reason", reason, "actor",
                           x->u.login);
  reply_if_new(x, pass(x, args, "hours", is_integer, "a whole number of hours"), "case.access",
               args);
}
