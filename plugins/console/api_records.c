/* api_records.c: the handlers of practice's records: a member leaving a case, links between
 * cases, and the agency's settings. Each turns a request into one engine verb; the route's
 * permission is checked before they run (routes.c), here only the workflow roles a user
 * holds in the case's programme. Who may link what and set settings is the engine's. */
#include <errno.h>
#include <stdlib.h>

#include "console.h"

/* The whole number in the path's placeholder i (a member); 0 with 400 set. */
static int path_number(ctx *x, int i, const char *what, json_int_t *out) {
  const char *s = x->arg[i];
  char *end;
  errno = 0;
  long long n = s ? strtoll(s, &end, 10) : 0;
  if (!s || errno || *end || end == s || n <= 0 || strspn(s, "0123456789") != strlen(s)) {
    fail(x, 400, "'%s' is not a %s number", s ? s : "", what);
    return 0;
  }
  *out = (json_int_t)n;
  return 1;
}

/* POST /api/cases/{id}/members/{member}/end {"reason", "on"}: the member leaves the case. */
void case_member_end(ctx *x) {
  json_int_t member;
  const char *reason, *on;
  if (!path_number(x, 1, "member", &member) || !body(x) || !body_text(x, "reason", 1, &reason) ||
      !body_text(x, "on", 0, &on))
    return;
  json_t *args = case_change_args(x, NULL);
  if (!args) return;
  json_object_set_new(args, "member", json_integer(member));
  json_object_set_new(args, "reason", json_string(reason));
  if (on) json_object_set_new(args, "on", json_string(on));
  reply_new(x, "case.member_end", args);
}

/* GET /api/cases/{id}/links */
void case_links(ctx *x) {
  reply_new(x, "case.links", json_pack("{s:o}", "id", case_id(x->arg[0])));
}

/* POST /api/cases/{id}/links {"other", "as", "reason"}: other is a case number or ref. */
void case_link(ctx *x) {
  const char *as, *reason;
  if (!body(x) || !body_text(x, "as", 1, &as) || !body_text(x, "reason", 0, &reason)) return;
  json_t *other = json_object_get(x->body, "other");
  if (!(json_is_integer(other) && json_integer_value(other) > 0) &&
      !(json_is_string(other) && json_string_length(other) > 0)) {
    fail(x, 400, "'other' must be the other case's number or ref");
    return;
  }
  json_t *args = case_change_args(x, NULL);
  if (!args) return;
  json_object_set(args, "other", other);
  json_object_set_new(args, "as", json_string(as));
  if (reason) json_object_set_new(args, "reason", json_string(reason));
  reply_new(x, "case.link", args);
}

/* GET /api/settings */
void settings_list(ctx *x) { reply_new(x, "setting.list", json_object()); }

/* PUT /api/settings/{name} {"value"}: a value as text, or a number or true/false. */
void setting_set(ctx *x) {
  if (!body(x)) return;
  json_t *v = json_object_get(x->body, "value");
  char num[64];
  const char *value = NULL;
  if (json_is_string(v)) {
    value = json_string_value(v);
  } else if (json_is_integer(v)) {
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
    value = num;
  } else if (json_is_real(v)) {
    snprintf(num, sizeof num, "%.17g", json_real_value(v));
    value = num;
  } else if (json_is_boolean(v)) {
    value = json_is_true(v) ? "true" : "false";
  }
  if (!value) {
    fail(x, 400, "give {\"value\": ...}: text, a number, or true/false");
    return;
  }
  reply_new(x, "setting.set", json_pack("{s:o,s:s,s:s}", "name", text_value(x->arg[0]), "value",
                                        value, "actor", x->u.login));
}
