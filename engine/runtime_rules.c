/* runtime_rules.c: a rule's impact before it goes live, and its rollback to the
 * version before. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "runtime_int.h"

json_t *kf_rule_impact_text(kf_engine *e, const char *path, const char *source, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  json_t *src = json_string(source);
  if (!src) {
    kf_fail(err, KF_EINVAL, "%s: the rule is not valid UTF-8 text", path);
    return NULL;
  }
  /* Judge every open case against both rules; nothing is written. */
  json_t *filter = json_pack("{s:b}", "open", 1);
  json_t *cases = kf_store_case_list(kf_engine_store(e), filter, err);
  json_decref(filter);
  if (!cases) {
    json_decref(src);
    return NULL;
  }
  return kf_lua_call_new(kf_engine_lua(e), KF_LUA_RULE_IMPACT, json_pack("[s,o,o]", path, src, cases), err);
}

json_t *kf_rule_impact(kf_engine *e, const char *path, kf_err *err) {
  char *text = kf_read_file(path, NULL, err);
  if (!text) return NULL;
  json_t *res = kf_rule_impact_text(e, path, text, err);
  free(text);
  return res;
}

json_t *kf_rule_rollback(kf_engine *e, const char *name, const char *actor, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  if (rt_tx_begin(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  json_t *row = kf_store_def_latest(kf_engine_store(e), "rule", name, err), *out = NULL;
  if (!row) {
    if (err->code == KF_ENOTFOUND)
      kf_fail(err, KF_ENOTFOUND, "rule '%s' has no deployed version to roll back "
              "(see `kinflow rule history %s`)", name, name);
    return rt_abort_tx_new(e, NULL);
  }
  if (kf_store_def_deactivate(kf_engine_store(e), json_integer_value(json_object_get(row, "id")), err))
    return rt_abort_tx_new(e, row);
  json_t *now_in_force = kf_lua_call_new(kf_engine_lua(e), KF_LUA_RULE_SOURCE, json_pack("[s]", name), err);
  if (!now_in_force) return rt_abort_tx_new(e, row);
  json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:{s:O,s:O}}", "kind", "rule.rolled_back", "name",
                         name, "actor", actor, "at", now, "data", "version",
                         json_object_get(row, "version"), "now", now_in_force);
  out = json_pack("{s:s,s:O,s:O}", "rule", name, "rolled_back", json_object_get(row, "version"),
                  "now", now_in_force);
  json_decref(now_in_force);
  json_decref(row);
  if (rt_event_new(e, ev, err) || rt_tx_commit(e, err)) return rt_abort_tx_new(e, out);
  return out;
}
