/* api_family.c: the handlers of /api/family (a family account's own page, the family forms
 * it fills, the moves that are its member's, the consents it gives and withdraws) and the
 * family parts of a staff case page (consents, shared decisions, invitations, flags). Each
 * is one engine verb; whose case and member they touch is the engine's to decide (a family
 * account's binding comes from its session, never from the request). Permissions: routes.c. */
#include <errno.h>
#include <stdlib.h>

#include "console.h"

/* The whole number in the path's placeholder i (a consent, a flag); 0 with 400 set. */
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

/* A body that may be absent (or empty): parsed when given; 0 with 400 set. */
static int optional_body(ctx *x) { return !x->raw_len || body(x); }

/* ---- a family account ---- */

/* The case the account is bound to (from its session), or NULL with 403 set. */
static json_t *own_case(ctx *x) {
  json_t *c = json_object_get(x->u.family, "case");
  if (json_is_integer(c)) return json_incref(c);
  fail(x, 403, "this family account is bound to no case (ask the family's worker)");
  return NULL;
}

/* GET /api/family: the family page, in plain words */
void family_show(ctx *x) { reply_new(x, "family.get", json_object()); }

/* POST /api/family/forms/{form} {"data"}; a body without a "data" object is the data. */
void family_form(ctx *x) {
  if (!body(x)) return;
  json_t *data = json_object_get(x->body, "data");
  reply_new(x, "family.submit", json_pack("{s:o,s:O,s:s}", "form", text_value(x->arg[0]), "data",
                                          json_is_object(data) ? data : x->body, "actor",
                                          x->u.login));
}

/* POST /api/family/transitions/{transition} {"reason"} (the body is optional) */
void family_fire(ctx *x) {
  const char *reason = NULL;
  if (!optional_body(x) || (x->body && !body_text(x, "reason", 0, &reason))) return;
  json_t *args = json_pack("{s:o,s:s}", "transition", text_value(x->arg[0]), "actor", x->u.login);
  if (reason && *reason) json_object_set_new(args, "reason", json_string(reason));
  json_t *r = verb_new(x, "family.fire", args);
  if (!r) return;
  json_object_del(r, "workflow"); /* for /metrics' counts, not for the family's page */
  answer_new(x, r);
}

/* POST /api/family/consents {"purpose", "member", "until"}: the member defaults to the
 * account's own (the engine refuses any other). */
void family_consent_give(ctx *x) {
  const char *purpose;
  if (!body(x) || !body_text(x, "purpose", 1, &purpose)) return;
  json_t *id = own_case(x);
  if (!id) return;
  json_t *args = json_pack("{s:o,s:s,s:s}", "id", id, "purpose", purpose, "actor", x->u.login);
  json_t *member = json_object_get(x->u.family, "member");
  if (json_is_integer(member)) json_object_set(args, "member", member);
  int ok = pass(x, args, "member", is_integer, "a member's number") &&
           pass(x, args, "until", is_string, "a date (YYYY-MM-DD)");
  reply_if_new(x, ok, "consent.give", args);
}

/* POST /api/family/consents/{consent}/withdrawal {"reason"} (the reason is optional) */
void family_consent_withdraw(ctx *x) {
  json_int_t consent;
  const char *reason = NULL;
  if (!path_number(x, 0, "consent", &consent) || !optional_body(x) ||
      (x->body && !body_text(x, "reason", 0, &reason)))
    return;
  json_t *id = own_case(x);
  if (!id) return;
  json_t *args = json_pack("{s:o,s:I,s:s}", "id", id, "consent", consent, "actor", x->u.login);
  if (reason && *reason) json_object_set_new(args, "reason", json_string(reason));
  reply_new(x, "consent.withdraw", args);
}

/* ---- the staff's case page ---- */

/* GET /api/cases/{id}/consents */
void case_consents(ctx *x) {
  reply_new(x, "consent.list", json_pack("{s:o}", "id", case_id(x->arg[0])));
}

/* POST /api/cases/{id}/consents {"member", "purpose", "from", "until"}: recorded as given
 * by that member of the case */
void case_consent_give(ctx *x) {
  const char *purpose;
  if (!body(x) || !body_text(x, "purpose", 1, &purpose)) return;
  if (!json_is_integer(json_object_get(x->body, "member"))) {
    fail(x, 400, "'member' must be the number of a person on the case");
    return;
  }
  json_t *args = case_change_args(x, NULL);
  if (!args) return;
  json_object_set_new(args, "purpose", json_string(purpose));
  int ok = pass(x, args, "member", is_integer, "a member's number") &&
           pass(x, args, "from", is_string, "a date (YYYY-MM-DD)") &&
           pass(x, args, "until", is_string, "a date (YYYY-MM-DD)");
  reply_if_new(x, ok, "consent.give", args);
}

/* POST /api/cases/{id}/consents/{consent}/withdrawal {"reason"}: on the member's behalf,
 * so the reason is needed */
void case_consent_withdraw(ctx *x) {
  json_int_t consent;
  const char *reason;
  if (!path_number(x, 1, "consent", &consent) || !body(x) || !body_text(x, "reason", 1, &reason))
    return;
  if (!*reason) {
    fail(x, 400, "say why the consent is withdrawn on the person's behalf ('reason' is empty)");
    return;
  }
  json_t *args = case_change_args(x, NULL);
  if (!args) return;
  json_object_set_new(args, "consent", json_integer(consent));
  json_object_set_new(args, "reason", json_string(reason));
  reply_new(x, "consent.withdraw", args);
}

/* GET /api/cases/{id}/decisions */
void case_decisions(ctx *x) {
  reply_new(x, "decision.list", json_pack("{s:o}", "id", case_id(x->arg[0])));
}

/* POST /api/cases/{id}/decisions {"for", "decided", "family_agreed", "participants"} */
void case_decision_record(ctx *x) {
  const char *decided, *for_;
  if (!body(x) || !body_text(x, "decided", 1, &decided) || !body_text(x, "for", 0, &for_)) return;
  if (!json_is_boolean(json_object_get(x->body, "family_agreed"))) {
    fail(x, 400, "'family_agreed' must be true or false (whether the family agreed)");
    return;
  }
  if (!json_is_array(json_object_get(x->body, "participants"))) {
    fail(x, 400, "'participants' must be a list of {\"member\": ID, \"view\": TEXT} or "
         "{\"login\": LOGIN, \"view\": TEXT}");
    return;
  }
  json_t *args = case_change_args(x, NULL);
  if (!args) return;
  json_object_set_new(args, "decided", json_string(decided));
  if (for_ && *for_) json_object_set_new(args, "for", json_string(for_));
  json_object_set(args, "family_agreed", json_object_get(x->body, "family_agreed"));
  json_object_set(args, "participants", json_object_get(x->body, "participants"));
  reply_new(x, "decision.record", args);
}

/* POST /api/cases/{id}/invitations {"member", "login"}: a family account for a member of
 * the case; the answer carries its one-time password, shown once */
void case_invite(ctx *x) {
  if (!body(x)) return;
  if (!json_is_integer(json_object_get(x->body, "member"))) {
    fail(x, 400, "'member' must be the number of a person on the case");
    return;
  }
  json_t *args = case_change_args(x, NULL);
  if (!args) return;
  int ok = pass(x, args, "member", is_integer, "a member's number") &&
           pass(x, args, "login", is_string, "a login");
  reply_if_new(x, ok, "family.invite", args);
}

/* POST /api/cases/{id}/flags/{flag}/clear */
void case_flag_clear(ctx *x) {
  json_int_t flag;
  if (!path_number(x, 1, "flag", &flag)) return;
  json_t *args = case_change_args(x, NULL);
  if (!args) return;
  json_object_set_new(args, "flag", json_integer(flag));
  reply_new(x, "case.flag_clear", args);
}
