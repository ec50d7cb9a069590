/* api_versions.c: the verb workflow.versions: every deployed version of one programme with
 * its cases, open cases and definition, for the console's programme versions (its diagrams
 * side by side and its choice of a target). Read-only; no SQL and no Lua here (store.h). */
#include <string.h>

#include "verbs.h"

/* [{id, version, title, hash, deployed_at, deployed_by, active, base_name, base_version,
 * cases, open_cases, latest, definition}], oldest first; latest marks the version new cases
 * open on (workflow.get's). KF_ENOTFOUND when no version of the name is deployed. */
json_t *v_workflow_versions(call *c) {
  const char *name = need(c, "name");
  json_t *all = kf_store_def_list(st(c), "workflow", c->err);
  if (!all) return NULL;
  json_t *latest = kf_store_def_latest(st(c), "workflow", name, c->err);
  if (!latest) {
    json_decref(all);
    if (c->err->code == KF_ENOTFOUND)
      kf_fail(c->err, KF_ENOTFOUND, "no workflow '%s' is deployed (see `kinflow workflows`)", name);
    return NULL;
  }
  int64_t latest_id = json_integer_value(json_object_get(latest, "id"));
  json_decref(latest);
  json_t *out = json_array();
  size_t i;
  json_t *d;
  json_array_foreach(all, i, d) {
    if (strcmp(json_string_value(json_object_get(d, "name")), name)) continue;
    int64_t id = json_integer_value(json_object_get(d, "id"));
    json_t *full = kf_store_def_get(st(c), id, c->err);
    if (!full) {
      json_decref(out);
      out = NULL;
      break;
    }
    json_t *v = json_copy(d);
    json_object_del(v, "kind");
    json_object_del(v, "name");
    json_object_del(v, "path");
    json_object_del(v, "base_id");
    json_object_set_new(v, "latest", json_boolean(id == latest_id));
    json_object_set(v, "definition", json_object_get(full, "definition"));
    json_decref(full);
    json_array_append_new(out, v);
  }
  json_decref(all);
  return out;
}
