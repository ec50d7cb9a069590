/* api_programmes.c: the handlers that read the programme library: the dashboard, the
 * programmes and their definitions, and a form's fields. Read-only: each is one engine
 * verb; the route's permission is checked before they run (routes.c). */
#include "console.h"

/* GET /api/dashboard: cases per programme and stage, overdue reviews */
void dashboard_show(ctx *x) { reply_new(x, "dashboard", json_object()); }

/* GET /api/workflows */
void workflows_list(ctx *x) { reply_new(x, "workflows.list", json_object()); }

/* GET /api/workflows/{name}: one programme's definition and cases per state */
void workflow_show(ctx *x) {
  reply_new(x, "workflow.get", json_pack("{s:o}", "name", text_value(x->arg[0])));
}

/* GET /api/reports/stages?workflow= and /api/reports/outcomes?workflow=: time in stage and
 * outcomes per programme (the figures of `kinflow report`) */
void report_stages(ctx *x) {
  json_t *args = json_object();
  query_text(x, args, "workflow");
  reply_new(x, "report.stages", args);
}

void report_outcomes(ctx *x) {
  json_t *args = json_object();
  query_text(x, args, "workflow");
  query_text(x, args, "by");
  reply_new(x, "report.outcomes", args);
}

/* GET /api/forms/{name}?case=ID: a form's fields, as the case's programme sees it */
void form_show(ctx *x) {
  json_t *args = json_pack("{s:o}", "name", text_value(x->arg[0]));
  const char *c = http_query(x, "case");
  if (c) json_object_set_new(args, "id", case_id(c));
  reply_new(x, "form.get", args);
}
