/* runtime.h: what a request (CLI, HTTP, timer) asks of the engine: deploy definitions,
 * open cases, fire transitions, record members and form entries, run timers. Each verb is
 * one transaction: it commits whole or changes nothing. The engine owns the Lua state and
 * the plugin registry, and every event passes through it, so hooks see them all.
 * Ownership: json_t* arguments are borrowed (a _new function takes its json_t*); returned
 * json_t* are new references. */
#ifndef KF_RUNTIME_H
#define KF_RUNTIME_H

#include <jansson.h>

#include "kf.h"
#include "luahost.h"
#include "store.h"

typedef struct kf_engine kf_engine;
typedef struct kf_plugins kf_plugins;

/* Open the database (creating and migrating it unless flags say otherwise) and a Lua
 * state over it. db may be NULL: checking only, no database. */
kf_engine *kf_engine_open(const char *db, int store_flags, kf_err *err);
void kf_engine_close(kf_engine *e);
kf_store *kf_engine_store(kf_engine *e);
kf_lua *kf_engine_lua(kf_engine *e);
kf_plugins *kf_engine_plugins(kf_engine *e);

/* A transaction for work the verbs below do not cover (users, sessions): events appended
 * in it reach the plugins' hooks after kf_tx_commit, as every event does. */
int kf_tx_begin(kf_engine *e, kf_err *err);
int kf_tx_commit(kf_engine *e, kf_err *err);
void kf_tx_abort(kf_engine *e);
/* Groups: one write transaction holding many pieces of work, committed once (group
 * commit: one fsync for all of them). While a group is open, every verb's transaction
 * above is a savepoint in it: its commit keeps its work (the events wait), its abort undoes
 * only its own work and drops only its own events. kf_group_commit commits, and only after
 * the commit hands every kept event to the plugins' hooks; if it fails, nothing of the group
 * is written (err says why: KF_EBUSY for a busy database). kf_group_abort undoes it all.
 * A call in a group (kf_group_call_begin/end, one at a time): a savepoint around one verb,
 * which the verb's own aborts never undo; end keeps (keep) or undoes its work, and fails
 * with KF_ESTORE when SQLite rolled the whole transaction back (then abort the group). */
#define KF_GROUP_DEPTH 6
int kf_group_begin(kf_engine *e, kf_err *err);
int kf_group_commit(kf_engine *e, kf_err *err);
void kf_group_abort(kf_engine *e);
int kf_group_call_begin(kf_engine *e, kf_err *err);
int kf_group_call_end(kf_engine *e, int keep, kf_err *err);
/* Append an event (kind, actor, at, case?, name?, data?...; takes ev): inside the open
 * transaction, or in one of its own. The one way an event enters the log. */
int kf_event_append_new(kf_engine *e, json_t *ev, kf_err *err);

/* Read files ({path} or {path, source}) and check them; returns {files, messages}. */
json_t *kf_check(kf_engine *e, json_t *paths, kf_err *err);
/* Check, then store every changed definition as a new version, all in one transaction.
 * Returns the check report with each file's "deployed" version, or KF_EINVAL if any file
 * has problems (the report still comes back in *report). */
int kf_deploy(kf_engine *e, json_t *paths, const char *actor, json_t **report, kf_err *err);

json_t *kf_case_open(kf_engine *e, const char *workflow, json_t *data, const char *ref,
                     const char *actor, kf_err *err);
/* Bulk open: each of cases (an array of {workflow, data?, ref?}; no other key) opens
 * exactly as kf_case_open opens it, all in one transaction whose events reach the plugins'
 * hooks once it commits. 0, or the refusal of the first case that could not open (*failed,
 * when given, is its index; the array's size when the commit itself failed): then nothing
 * of the batch is written. */
int kf_case_open_batch(kf_engine *e, json_t *cases, const char *actor, size_t *failed,
                       kf_err *err);
json_t *kf_case_get(kf_engine *e, const char *id, kf_err *err);
/* expect_revision: 0 for any; otherwise KF_ECONFLICT if the case moved on. */
json_t *kf_case_fire(kf_engine *e, const char *id, const char *transition, const char *role,
                     const char *actor, const char *reason, int64_t expect_revision,
                     kf_err *err);
json_t *kf_case_moves(kf_engine *e, const char *id, const char *role, kf_err *err);
json_t *kf_case_set(kf_engine *e, const char *id, json_t *patch, const char *actor,
                    int64_t expect_revision, kf_err *err);
json_t *kf_case_member_add(kf_engine *e, const char *id, const char *role, const char *name,
                           json_t *data, const char *actor, kf_err *err);
/* role (may be NULL): the role the entry is given in; attested fields (by = {...}) need it. */
json_t *kf_form_submit(kf_engine *e, const char *id, const char *form, json_t *data,
                       const char *role, const char *actor, kf_err *err);
/* Record that a case's review took place: clears overdue, schedules the next one. */
json_t *kf_case_review(kf_engine *e, const char *id, const char *note, const char *actor,
                       kf_err *err);
/* Responsibility. Allocate case id to worker `to` (NULL: unallocate) and team: `team` when
 * given (`to` must belong to it: KF_EINVAL, or KF_ENOTFOUND when there is no such team),
 * else `to`'s first team by name, else none. A reason is required (KF_EINVAL); `to` must
 * be a user (KF_ENOTFOUND "no user 'x'"); the same worker and team again is KF_EINVAL
 * ("already allocated to ..."). Event case.allocated {case, actor, reason, data: {from, to,
 * team, from_team}}. Returns the case as stored. */
json_t *kf_case_allocate(kf_engine *e, const char *id, const char *to, const char *team,
                         const char *reason, const char *actor, kf_err *err);
/* A team: name of 1 to 64 lower-case letters, digits, _ and - (else KF_EINVAL); taken:
 * KF_ECONFLICT. Event team.added {name, data: {team}}. */
int kf_team_add(kf_engine *e, const char *name, const char *actor, kf_err *err);
/* Break the glass: login (a user) may open case id for seconds (1 to KF_GRANT_MAX_SECONDS)
 * from now, for reason (required). Who may ask is the caller's to decide. Event
 * case.access_granted {case, actor: login, reason, data: {grant, expires_at}}. Returns
 * {grant, case, login, reason, granted_at, expires_at}. */
#define KF_GRANT_MAX_SECONDS (12 * 3600)
json_t *kf_case_access_grant(kf_engine *e, const char *id, const char *login,
                             const char *reason, int64_t seconds, kf_err *err);

/* Fire every timer due by now, each in its own transaction; a timer that would fire again
 * at the same instant waits for the next run. Returns {now, timers: [...]}. */
json_t *kf_timers_run(kf_engine *e, kf_err *err);

/* Group commit: fire several requests ({id, transition, as, actor, reason?, revision?})
 * in one transaction, each in its own savepoint so a refusal undoes only itself. Returns
 * one result per request ({ok, to, seq} or {ok: false, error, code}) after the commit: no
 * request is acknowledged before everything is durable. Inside an open group it adds its
 * work to the group and leaves the commit to the group's owner. */
json_t *kf_case_fire_many(kf_engine *e, json_t *requests, kf_err *err);

/* Rules as analysts change them. impact: every open case where the rule in FILE would
 * decide differently from the rule in force ({rule, evaluated, changed:[...]}); writes
 * nothing. rollback: the newest deployed version stops applying (an event records who). */
json_t *kf_rule_impact(kf_engine *e, const char *path, kf_err *err);
json_t *kf_rule_impact_text(kf_engine *e, const char *path, const char *source, kf_err *err);
json_t *kf_rule_rollback(kf_engine *e, const char *name, const char *actor, kf_err *err);

#endif
