/* api_rules.c: the handlers of /api/rules: list, preview a change (impact), deploy and roll
 * back. Each is one engine verb; the route's permission is checked before they run
 * (routes.c), and the engine checks the rule's source. */
#include "console.h"

/* Rule source from the body: {"path", "source"}; NULL with the answer set. */
static json_t *rule_args(ctx *x) {
  const char *path, *source;
  if (!body(x) || !body_text(x, "source", 1, &source) || !body_text(x, "path", 0, &path))
    return NULL;
  json_t *a = json_pack("{s:s,s:s}", "source", source, "actor", x->u.login);
  if (path) json_object_set_new(a, "path", json_string(path));
  return a;
}

/* GET /api/rules: each rule with the text of the version in force */
void rules_list(ctx *x) { reply_new(x, "rules.list", json_object()); }

/* POST /api/rules {"path", "source"} */
void rule_deploy(ctx *x) {
  json_t *a = rule_args(x);
  if (a) reply_new(x, "rule.deploy", a);
}

/* POST /api/rules/impact {"path", "source"}: what the change would change; writes nothing */
void rule_impact(ctx *x) {
  json_t *a = rule_args(x);
  if (!a) return;
  json_object_del(a, "actor");
  reply_new(x, "rule.impact", a);
}

/* POST /api/rules/{name}/rollback */
void rule_rollback(ctx *x) {
  reply_new(x, "rule.rollback", json_pack("{s:o,s:s}", "name", text_value(x->arg[0]), "actor",
                                          x->u.login));
}
