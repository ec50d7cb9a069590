/* report.c: history from the event log: how long cases stay in each state, the outcomes
 * they reach, and where one case stood at a past moment. It reads through the store only
 * (one walk over the state entries) and prints nothing: the CLI and the API present it. */
#define _GNU_SOURCE
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400.0

/* ---- groups of durations ---- */

typedef struct group {
  char *a, *b, *c; /* stages: workflow, state; outcomes: programme, workflow, outcome */
  char *title;
  long order, now, count;
  int final;
  double *days;
  size_t n, cap;
} group;

typedef struct groups {
  group *g;
  size_t n, cap;
  json_t *index; /* key -> position in g */
} groups;

static void groups_free(groups *gs) {
  for (size_t i = 0; i < gs->n; i++) {
    free(gs->g[i].a);
    free(gs->g[i].b);
    free(gs->g[i].c);
    free(gs->g[i].title);
    free(gs->g[i].days);
  }
  free(gs->g);
  json_decref(gs->index);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* The group (a, b, c), made with order when new; NULL when out of memory. */
static group *group_get(groups *gs, const char *a, const char *b, const char *c, long order) {
  char key[768];
  snprintf(key, sizeof key, "%s\x1f%s\x1f%s", a ? a : "", b ? b : "\x1e", c ? c : "");
  if (!gs->index && !(gs->index = json_object())) return NULL;
  json_t *at = json_object_get(gs->index, key);
  if (at) return &gs->g[json_integer_value(at)];
  if (gs->n == gs->cap) {
    size_t cap = gs->cap ? gs->cap * 2 : 32;
    group *g = realloc(gs->g, cap * sizeof *g);
    if (!g) return NULL;
    gs->g = g;
    gs->cap = cap;
  }
  group *g = &gs->g[gs->n];
  memset(g, 0, sizeof *g);
  g->a = dup_or_null(a);
  g->b = dup_or_null(b);
  g->c = dup_or_null(c);
  g->order = order;
  if (json_object_set_new(gs->index, key, json_integer((json_int_t)gs->n))) return NULL;
  gs->n++;
  return g;
}

static int group_add(group *g, double days) {
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 16;
    double *d = realloc(g->days, cap * sizeof *d);
    if (!d) return -1;
    g->days = d;
    g->cap = cap;
  }
  g->days[g->n++] = days;
  return 0;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* The p-th quantile (0..1) of g's days, interpolating between ranks; null when none. */
static json_t *quantile(group *g, double p) {
  if (!g->n) return json_null();
  qsort(g->days, g->n, sizeof g->days[0], cmp_double);
  double h = (double)(g->n - 1) * p;
  size_t lo = (size_t)floor(h);
  double v = g->days[lo];
  if (lo + 1 < g->n) v += (h - (double)lo) * (g->days[lo + 1] - g->days[lo]);
  return json_real(round(v * 10) / 10);
}

static double round1(double d) { return round(d * 10) / 10; }

/* ---- walking the event log ---- */

/* Stays of cases in their states. Entries come by case, oldest first; a stay ends when
 * the case enters another state (a transition back into the same state continues it); a
 * stay still open ends at `end` (now, or --at); a stay in a final state has no length. */
typedef struct walk {
  int64_t end;
  groups *stages, *outcomes;
  json_t *stays; /* report case: every stay of the one case */
  int64_t id, opened, entered;
  int active, final, failed;
  int by_ended; /* outcomes grouped by who ended the work, not by outcome */
  char *workflow, *programme, *current, *state, *outcome, *ended_by;
} walk;

static void walk_clear(walk *w) {
  free(w->workflow);
  free(w->programme);
  free(w->current);
  free(w->state);
  free(w->outcome);
  free(w->ended_by);
  w->workflow = w->programme = w->current = w->state = w->outcome = w->ended_by = NULL;
  w->active = 0;
}

/* The case's stay in w->state ends at `left` (still open when open_stay). */
static int close_stay(walk *w, int64_t left, int open_stay) {
  int final_stay = open_stay && w->final && w->current && !strcmp(w->state, w->current);
  double days = (double)(left - w->entered) / DAY;
  if (w->stages) {
    group *g = group_get(w->stages, w->workflow, w->state, NULL, 1L << 30);
    if (!g) return -1;
    g->count++;
    if (!final_stay && group_add(g, days)) return -1;
  }
  if (w->stays) {
    char in[21], out[21];
    kf_iso(w->entered, in);
    kf_iso(left, out);
    json_t *s = json_pack("{s:s,s:s,s:s?,s:o,s:b}", "state", w->state, "entered", in, "left",
                          open_stay ? NULL : out, "days",
                          final_stay ? json_null() : json_real(round1(days)), "final",
                          final_stay);
    if (!s || json_array_append_new(w->stays, s)) return -1;
  }
  return 0;
}

/* The case is done: close its last stay, count where it is and how it ended. */
static int walk_finish(walk *w) {
  if (!w->active) return 0;
  int rc = 0;
  if (w->state && close_stay(w, w->end, 1)) rc = -1;
  if (!rc && w->stages && w->current) {
    group *g = group_get(w->stages, w->workflow, w->current, NULL, 1L << 30);
    if (!g) rc = -1;
    else g->now++;
  }
  if (!rc && w->outcomes && w->final && w->state) {
    const char *outcome = w->by_ended ? w->ended_by : w->outcome ? w->outcome : w->state;
    double days = (double)(w->entered - w->opened) / DAY;
    int base = w->programme && !strcmp(w->programme, w->workflow);
    group *g = group_get(w->outcomes, w->programme, w->workflow, outcome, base ? 0 : 1);
    group *all = group_get(w->outcomes, w->programme, NULL, outcome, 2);
    if (!g || !all || group_add(g, days) || group_add(all, days)) rc = -1;
    else g->count++, all->count++;
  }
  walk_clear(w);
  return rc;
}

static int on_entry(json_t *row, void *ud) {
  walk *w = ud;
  int64_t id = json_integer_value(json_object_get(row, "case")), at;
  const char *state = json_string_value(json_object_get(row, "state"));
  const char *when = json_string_value(json_object_get(row, "at"));
  if (!state || !when || kf_parse_time(when, &at)) return 0; /* not an entry into a state */
  if (!w->active || w->id != id) {
    if (walk_finish(w)) goto oom;
    w->active = 1;
    w->id = id;
    w->opened = at;
    w->final = json_is_true(json_object_get(row, "final"));
    w->workflow = dup_or_null(json_string_value(json_object_get(row, "workflow")));
    const char *prog = json_string_value(json_object_get(row, "programme"));
    w->programme = dup_or_null(prog ? prog : w->workflow ? w->workflow : "?");
    w->current = dup_or_null(json_string_value(json_object_get(row, "current")));
    if (!w->workflow) w->workflow = strdup("?");
  }
  if (at > w->end) return 0; /* after the moment asked about */
  const char *outcome = json_string_value(json_object_get(row, "outcome"));
  free(w->outcome);
  w->outcome = dup_or_null(outcome);
  free(w->ended_by);
  w->ended_by = dup_or_null(json_string_value(json_object_get(row, "ended_by")));
  if (w->state && !strcmp(w->state, state)) return 0; /* back into the same state */
  if (w->state && close_stay(w, at, 0)) goto oom;
  free(w->state);
  w->state = strdup(state);
  w->entered = at;
  if (!w->state) goto oom;
  return 0;
oom:
  w->failed = 1;
  return 1;
}

static int walk_run(kf_store *st, json_t *filter, walk *w, kf_err *err) {
  int rc = kf_store_state_entries(st, filter, on_entry, w, err);
  if (rc == 0 && walk_finish(w)) w->failed = 1;
  walk_clear(w);
  if (w->failed) return kf_fail(err, KF_ENOMEM, "out of memory while reading the event log");
  return rc < 0 ? rc : 0;
}


/* ---- report stages ---- */

static int cmp_stage(const void *x, const void *y) {
  const group *a = x, *b = y;
  int c = strcmp(a->a ? a->a : "", b->a ? b->a : "");
  if (c) return c;
  return (a->order > b->order) - (a->order < b->order);
}

/* Seed the groups with every deployed workflow's states (latest version), in order. */
static int seed_states(kf_store *st, const char *only, groups *gs, kf_err *err) {
  json_t *defs = NULL, *def = NULL;
  long order = 0;
  int rc = 0;
  if (only) {
    if (!(def = kf_store_def_latest(st, "workflow", only, err))) return err->code;
    defs = json_pack("[{s:s}]", "name", only);
    json_decref(def);
    def = NULL;
  } else if (!(defs = kf_store_def_list(st, "workflow", err))) {
    return err->code;
  }
  size_t i;
  json_t *d;
  const char *last = NULL;
  json_array_foreach(defs, i, d) {
    const char *name = json_string_value(json_object_get(d, "name"));
    if (!name || (last && !strcmp(last, name))) continue;
    last = name;
    if (!(def = kf_store_def_latest(st, "workflow", name, err))) {
      rc = err->code;
      break;
    }
    size_t k;
    json_t *s;
    json_array_foreach(json_object_get(json_object_get(def, "definition"), "states"), k, s) {
      group *g = group_get(gs, name, json_string_value(json_object_get(s, "name")), NULL, order++);
      if (!g) {
        rc = kf_fail(err, KF_ENOMEM, "out of memory");
        break;
      }
      free(g->title);
      g->title = dup_or_null(json_string_value(json_object_get(s, "title")));
      g->final = json_is_true(json_object_get(s, "final"));
    }
    json_decref(def);
    def = NULL;
    if (rc) break;
  }
  json_decref(defs);
  return rc;
}

/* ---- report outcomes ---- */

static int cmp_outcome(const void *x, const void *y) {
  const group *a = x, *b = y;
  int c = strcmp(a->a ? a->a : "", b->a ? b->a : "");
  if (c) return c;
  if (a->order != b->order) return (a->order > b->order) - (a->order < b->order);
  if ((c = strcmp(a->b ? a->b : "", b->b ? b->b : ""))) return c;
  return strcmp(a->c ? a->c : "", b->c ? b->c : "");
}


json_t *kf_report_stages(kf_store *st, const char *workflow, int64_t end, kf_err *err) {
  groups gs = {0};
  json_t *rows = NULL;
  walk w = {.end = end, .stages = &gs};
  json_t *filter = json_pack("{s:s?}", "workflow", workflow);
  if (!seed_states(st, workflow, &gs, err) && !walk_run(st, filter, &w, err)) {
    if (gs.n) qsort(gs.g, gs.n, sizeof gs.g[0], cmp_stage);
    rows = json_array();
    for (size_t i = 0; i < gs.n; i++) {
      group *g = &gs.g[i];
      json_array_append_new(rows, json_pack("{s:s,s:s,s:s?,s:b,s:I,s:I,s:o,s:o}", "workflow", g->a,
                                            "state", g->b, "title", g->title, "final", g->final,
                                            "cases_now", (json_int_t)g->now, "stays",
                                            (json_int_t)g->count, "median_days", quantile(g, 0.5),
                                            "p90_days", quantile(g, 0.9)));
    }
  }
  json_decref(filter);
  groups_free(&gs);
  return rows;
}

json_t *kf_report_outcomes(kf_store *st, const char *workflow, int64_t end, kf_err *err) {
  return kf_report_outcomes_by(st, workflow, 0, end, err);
}

json_t *kf_report_outcomes_by(kf_store *st, const char *workflow, int by_ended, int64_t end,
                              kf_err *err) {
  groups gs = {0};
  json_t *rows = NULL;
  walk w = {.end = end, .outcomes = &gs, .by_ended = by_ended};
  json_t *filter = json_pack("{s:s?}", "workflow", workflow);
  json_t *def = workflow ? kf_store_def_latest(st, "workflow", workflow, err) : NULL;
  if ((!workflow || def) && !walk_run(st, filter, &w, err)) {
    if (gs.n) qsort(gs.g, gs.n, sizeof gs.g[0], cmp_outcome);
    rows = json_array();
    for (size_t i = 0; i < gs.n; i++) {
      group *g = &gs.g[i];
      if (!g->b && workflow) continue; /* one workflow asked for: no programme totals */
      json_array_append_new(rows, json_pack("{s:s,s:s?,s:s?,s:I,s:o}", "programme", g->a,
                                            "workflow", g->b, by_ended ? "ended_by" : "outcome",
                                            g->c, "cases", (json_int_t)g->count, "median_days",
                                            quantile(g, 0.5)));
    }
  }
  json_decref(def);
  json_decref(filter);
  groups_free(&gs);
  return rows;
}

json_t *kf_report_stays(kf_store *st, int64_t case_id, int64_t end, kf_err *err) {
  walk w = {.end = end, .stays = json_array()};
  json_t *filter = json_pack("{s:I}", "case", (json_int_t)case_id);
  int rc = walk_run(st, filter, &w, err);
  json_decref(filter);
  if (rc) {
    json_decref(w.stays);
    return NULL;
  }
  return w.stays;
}
