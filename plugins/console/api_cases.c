/* api_cases.c: the handlers of /api/cases: list, open, read, change, moves, history, fire,
 * forms, members, reviews, allocation and breaking the glass. Each turns a request into one
 * engine verb. The route's permission is checked before they run (routes.c); here only the
 * workflow roles a user holds in the case's programme. Which cases and fields a user sees
 * is the engine's to decide (every verb names the user: engine.c). */
#include <stdlib.h>

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

/* POST /api/cases/import?batch=N: a caseload brought in (the verb case.import: a
 * transaction per batch, 500 by default). The body: a JSON array of cases, or JSON lines
 * (one case a line, blank lines skipped), each {"workflow", "data"?, "ref"?}; at most
 * IMPORT_MAX cases (the body itself at most the server's 1 MiB). Every programme named needs
 * a role of the user's in it (403, before anything is written), as opening one case does.
 * A body line that is not JSON: 422 naming it, nothing written. A case that cannot open:
 * 422 naming its line (an array: its position), its batch rolled back, those before kept:
 * {error, line, reason, imported, batches}. Otherwise {imported, batches}. */
#define IMPORT_MAX 10000
typedef struct import_body {
  json_t *cases;
  long *lines; /* the body's line of each case (1-based; an array's: its position) */
} import_body;

static int import_add(ctx *x, import_body *b, json_t *item, long line) {
  if (json_array_size(b->cases) >= IMPORT_MAX) {
    json_decref(item);
    fail(x, 413, "at most %d cases a request; send the rest in another (from line %ld)",
         IMPORT_MAX, line);
    return 0;
  }
  b->lines[json_array_size(b->cases)] = line;
  json_array_append_new(b->cases, item);
  return 1;
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static int import_parse(ctx *x, import_body *b) {
  const char *p = x->raw, *end = x->raw + x->raw_len;
  while (p < end && blank(*p)) p++;
  if (p == end) {
    fail(x, 400, "the request needs cases as its body: a JSON array, or one JSON object a line");
    return 0;
  }
  json_error_t jerr;
  if (*p == '[') {
    json_t *all = json_loadb(x->raw, x->raw_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!all) {
      fail(x, 422, "line %d: malformed JSON: %s (column %d)", jerr.line, jerr.text, jerr.column);
      return 0;
    }
    size_t i;
    json_t *item;
    int ok = 1;
    json_array_foreach(all, i, item) {
      if (!(ok = import_add(x, b, json_incref(item), (long)i + 1))) break;
    }
    json_decref(all);
    return ok;
  }
  long line = 0;
  for (const char *at = x->raw; at < end;) {
    const char *nl = memchr(at, '\n', (size_t)(end - at)), *stop = nl ? nl : end;
    line++;
    const char *q = at;
    while (q < stop && blank(*q)) q++;
    if (q < stop) {
      json_t *item = json_loadb(at, (size_t)(stop - at), JSON_REJECT_DUPLICATES, &jerr);
      if (!item) {
        fail(x, 422, "line %ld: not a JSON object: %s", line, jerr.text);
        return 0;
      }
      if (!import_add(x, b, item, line)) return 0;
    }
    at = nl ? nl + 1 : end;
  }
  return 1;
}

void case_import(ctx *x) {
  import_body b = {json_array(), malloc(sizeof(long) * IMPORT_MAX)};
  const char *batch = http_query(x, "batch");
  char *tail = NULL;
  long n = batch ? strtol(batch, &tail, 10) : 500;
  if (!b.cases || !b.lines) {
    fail(x, 500, "out of memory");
  } else if (batch && (*tail || n < 1 || n > IMPORT_MAX)) {
    fail(x, 400, "batch must be a number of cases from 1 to %d", IMPORT_MAX);
  } else if (import_parse(x, &b)) {
    size_t i;
    json_t *item;
    json_array_foreach(b.cases, i, item) { /* every programme named: the user's to open in */
      const char *wf = json_string_value(json_object_get(item, "workflow"));
      if (wf && !holds(&x->u, wf, NULL)) {
        fail(x, 403, "%s holds no role in programme '%s' (line %ld)", x->u.login, wf, b.lines[i]);
        break;
      }
    }
    if (i == json_array_size(b.cases)) {
      json_t *res = verb_new(x, "case.import", json_pack("{s:O,s:I,s:s}", "cases", b.cases,
                                                         "batch", (json_int_t)n, "actor",
                                                         x->u.login));
      if (res) {
        answer_new(x, res);
      } else if (x->status == 400 || x->status == 404 || x->status == 409) {
        char err[200];
        json_t *d = api->failure_detail ? api->failure_detail(engine_session(err, sizeof err)) : NULL;
        json_t *at = json_object_get(d, "index");
        if (json_is_integer(at) && (size_t)json_integer_value(at) < json_array_size(b.cases)) {
          long line = b.lines[json_integer_value(at)];
          const char *why = json_string_value(json_object_get(d, "reason"));
          fail(x, 422, "line %ld: %s", line, why ? why : "refused");
          json_object_set_new(x->out, "line", json_integer(line));
          json_object_set_new(x->out, "reason", text_value(why ? why : "refused"));
          json_object_set(x->out, "imported", json_object_get(d, "imported"));
          json_object_set(x->out, "batches", json_object_get(d, "batches"));
        }
        json_decref(d);
      }
    }
  }
  json_decref(b.cases);
  free(b.lines);
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
