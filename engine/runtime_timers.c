/* runtime_timers.c: due timers, each run in a transaction of its own: a move after a
 * time, a review coming due (the case marked overdue), a custom timer's transition. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "runtime_int.h"

/* One due timer in its own transaction. Returns what happened, or NULL with err. */
static json_t *run_timer(kf_engine *e, int64_t timer_id, kf_err *err) {
  if (rt_tx_begin(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  json_t *t = kf_store_timer_claim(kf_engine_store(e), timer_id, err), *c = NULL, *out = NULL;
  if (!t && err->code != KF_ENOTFOUND) return rt_abort_tx_new(e, NULL);
  if (!t || strcmp(json_string_value(json_object_get(t, "status")), "pending") != 0) {
    /* another runner took it between our listing and our lock (or holds it now) */
    *err = (kf_err){0};
    rt_tx_abort(e);
    json_decref(t);
    return json_pack("{s:I,s:s}", "timer", (json_int_t)timer_id, "result", "already done");
  }
  char cid[32];
  snprintf(cid, sizeof cid, "%lld", (long long)json_integer_value(json_object_get(t, "case")));
  if (!(c = kf_store_case_get(kf_engine_store(e), cid, err))) goto fail;
  const char *kind = json_string_value(json_object_get(t, "kind"));
  const char *name = json_string_value(json_object_get(t, "name"));
  const char *tstate = json_string_value(json_object_get(t, "state"));
  const char *cstate = json_string_value(json_object_get(c, "state"));
  const char *status = "fired";
  out = json_pack("{s:I,s:s,s:s,s:O,s:O}", "timer", (json_int_t)timer_id, "name", name, "kind",
                  kind, "case", json_object_get(c, "id"), "due",
                  json_object_get(t, "due_at"));
  if (tstate && strcmp(tstate, cstate) != 0) {
    status = "skipped"; /* the case left the state; cancelled timers never get here */
  } else if (!strcmp(kind, "review")) {
    json_t *ev = rt_case_event("review.overdue", c, "timer", now);
    json_object_set_new(ev, "name", json_string(name));
    json_object_set_new(ev, "data", json_pack("{s:O,s:s}", "due", json_object_get(t, "due_at"),
                                              "state", cstate));
    if (kf_store_case_set_overdue(kf_engine_store(e), json_integer_value(json_object_get(c, "id")),
                                  json_string_value(json_object_get(t, "due_at")), now, err)) {
      json_decref(ev);
      goto fail;
    }
    if (rt_event_new(e, ev, err)) goto fail;
  } else {
    int is_transition = !strcmp(kind, "after");
    if (!is_transition) {
      json_t *has = kf_lua_call_new(kf_engine_lua(e), KF_LUA_HAS_TRANSITION, json_pack("[O,s]", c, name), err);
      if (!has) goto fail;
      is_transition = json_is_true(has);
      json_decref(has);
    }
    if (is_transition) {
      json_t *opts = json_pack("{s:b}", "timer", 1), *ev = NULL;
      kf_case_row row;
      if (!kf_store_case_row(kf_engine_store(e), cid, &row, err)) {
        ev = rt_fire_in_tx(e, &row, name, NULL, "timer", opts, now, timer_id, NULL, err);
        kf_case_row_free(&row);
      }
      json_decref(opts);
      if (ev) {
        json_object_set(out, "to", json_object_get(ev, "to"));
        json_decref(ev);
      } else if (err->code == KF_EREFUSED || err->code == KF_ELUA) {
        /* A refusal is recorded, not lost; the timer is done. */
        status = "refused";
        json_t *rev = rt_case_event("timer.refused", c, "timer", now);
        const char *why = err->msg;
        size_t i;
        json_t *r;
        json_array_foreach(kf_lua_detail(kf_engine_lua(e)), i, r) /* the log keeps no private text */
          if (json_is_true(json_object_get(r, "private"))) why = "a check on private details is not met";
        json_object_set_new(rev, "name", json_string(name));
        json_object_set_new(rev, "reason", json_string(why));
        json_object_set_new(out, "reason", json_string(why));
        if (rt_event_new(e, rev, err)) goto fail;
      } else {
        goto fail;
      }
    } else {
      json_t *ev = rt_case_event("timer.fired", c, "timer", now);
      json_object_set_new(ev, "name", json_string(name));
      if (rt_event_new(e, ev, err)) goto fail;
    }
  }
  json_object_set_new(out, "result", json_string(status));
  if (kf_store_timer_finish(kf_engine_store(e), timer_id, status, now, err) || rt_tx_commit(e, err))
    goto fail;
  json_decref(t);
  json_decref(c);
  return out;
fail:
  rt_tx_abort(e);
  json_decref(t);
  json_decref(c);
  json_decref(out);
  return NULL;
}

/* A run fires each (case, timer name) at most once: a timer that would fire again at the
 * same instant (a zero delay, a loop of moves) waits for the next run, so a run ends. */
json_t *kf_timers_run(kf_engine *e, kf_err *err) {
  if (rt_need_store(e, err)) return NULL;
  char now[21];
  rt_now_iso(now);
  json_t *done = json_array(), *seen = json_object();
  for (;;) {
    json_t *due = kf_store_timers_due(kf_engine_store(e), now, 100, err);
    if (!due) {
      json_decref(done);
      json_decref(seen);
      return NULL;
    }
    size_t n = json_array_size(due), i, fired = 0;
    json_t *t;
    json_array_foreach(due, i, t) {
      char key[300];
      snprintf(key, sizeof key, "%lld %s", (long long)json_integer_value(json_object_get(t, "case")),
               json_string_value(json_object_get(t, "name")));
      if (json_object_get(seen, key)) continue;
      json_object_set_new(seen, key, json_true());
      json_t *r = run_timer(e, json_integer_value(json_object_get(t, "id")), err);
      if (!r) {
        json_decref(due);
        json_decref(done);
        json_decref(seen);
        return NULL;
      }
      if (strcmp(json_string_value(json_object_get(r, "result")), "already done")) fired++;
      json_array_append_new(done, r);
    }
    json_decref(due);
    if (n < 100 || fired == 0) break;
  }
  json_decref(seen);
  return json_pack("{s:s,s:o}", "now", now, "timers", done);
}
