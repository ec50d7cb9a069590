/* runtime_int.h: what the runtime's files share (runtime.c, runtime_team.c,
 * runtime_timers.c, runtime_rules.c): the transactions, events and case loading every verb
 * is made of (runtime.c holds them, and the engine's state). Nothing outside the runtime
 * includes it. */
#ifndef KF_RUNTIME_INT_H
#define KF_RUNTIME_INT_H

#include <stdint.h>

#include <jansson.h>

#include "kf.h"
#include "store.h"

typedef struct kf_engine kf_engine; /* runtime.h, which this does not include */

/* The engine's clock as an ISO text (KINFLOW_NOW when set). */
void rt_now_iso(char buf[static 21]);
/* 0, or KF_E... with err when the engine was opened without a database. */
int rt_need_store(kf_engine *e, kf_err *err);
/* A verb's transaction: the write lock (inside a group, a savepoint); commit runs the hooks
 * on its events after the database commit; abort drops them. */
int rt_tx_begin(kf_engine *e, kf_err *err);
int rt_tx_commit(kf_engine *e, kf_err *err);
void rt_tx_abort(kf_engine *e);
/* Append ev (taken) to the log, hash-chained, in the open transaction. */
int rt_event_new(kf_engine *e, json_t *ev, kf_err *err);
/* A new event of kind about case c (its id), by actor at now. */
json_t *rt_case_event(const char *kind, json_t *c, const char *actor, const char *now);
/* Abort the transaction; returns NULL after dropping keep (for `return rt_abort_tx_new(e, x)`). */
json_t *rt_abort_tx_new(kf_engine *e, json_t *keep);
/* The case id as stored, inside the transaction; with expect (a revision, 0: any) a
 * conflict when it moved on. NULL or KF_E... with err. */
json_t *rt_load_case(kf_engine *e, const char *id, int64_t expect, kf_err *err);
int rt_load_row(kf_engine *e, const char *id, int64_t expect, kf_case_row *r, kf_err *err);
/* c (taken) read again as stored. */
json_t *rt_reload(kf_engine *e, json_t *c, kf_err *err);
/* Fire inside an open transaction on the case of row c (runtime.c says more). */
json_t *rt_fire_in_tx(kf_engine *e, const kf_case_row *c, const char *transition,
                      const char *role, const char *actor, json_t *opts, const char *now,
                      int64_t timer, json_t **fired, kf_err *err);

#endif
