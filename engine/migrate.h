/* migrate.h: programme versions: move a workflow's open cases to another of its versions.
 * A plan (states by name, or as a plan file says, and a data function), a dry run that
 * writes nothing, a run (each case in its own transaction, an event per case) and an undo.
 * Ownership: json_t* arguments are borrowed; returned json_t* are new references.
 * plan_path may be NULL (the default plan); plan_source NULL: read from plan_path. */
#ifndef KF_MIGRATE_H
#define KF_MIGRATE_H

#include <jansson.h>

#include "kf.h"
#include "runtime.h"

/* A running migration records its counts so far ({cases, done, moved, left}) and a
 * heartbeat time in its migrations row every KF_MIGRATE_BEAT cases (and at least every
 * KF_MIGRATE_STALE / 6 seconds); one whose heartbeat is older than KF_MIGRATE_STALE
 * seconds is taken for interrupted, on any host. */
#define KF_MIGRATE_BEAT 100
#define KF_MIGRATE_STALE 60

/* Called during a run: once with done 0 as soon as the migrations row exists (its id is
 * then in kf_migrate_list, state "running"), then every 100 cases: done so far, of total. */
typedef void (*kf_migrate_progress)(int64_t done, int64_t total, void *ud);

/* {workflow, to_version, plan_hash, data (a data function?), to_states, from: [{version,
 * states: [{state, to (absent: unmapped), by ("name"|"plan"), cases, final}]}], unmapped:
 * [{version, state, cases}]}: every version with open cases other than the target. */
json_t *kf_migrate_plan(kf_engine *e, const char *workflow, int64_t to_version,
                        const char *plan_path, const char *plan_source, kf_err *err);
/* Writes nothing. {workflow, to_version, plan_hash, cases: [{case, ref, from_version, from,
 * to, outcome ("move"|"cannot"), reasons: [{code, text}], roles_gone: [role] (absent: none),
 * closes: {state, outcome} (mapped into a final state), changes: {timers: [{timer, change
 * ("added"|"moved"|"cancelled"), due, was, due_now}], moves: [{move, change ("available"|
 * "blocked"), to, reasons}]}}], totals: {cases, move, cannot, due_now, blocked, roles_gone,
 * closing}}. */
json_t *kf_migrate_check(kf_engine *e, const char *workflow, int64_t to_version,
                         const char *plan_path, const char *plan_source, kf_err *err);
/* Move every open case that can move, each in its own transaction with a case.migrated
 * event (its data's outcome: the final state's, when the case closes by the move); cases
 * that cannot stay and are listed, cases changed meanwhile too. Returns
 * {migration, workflow, to_version, plan_hash, moved: [{case, from, to}], left: [{case, from,
 * reasons, roles_gone?}], counts: {cases, done, moved, left}}. KF_EINVAL / KF_ENOTFOUND:
 * refused, nothing moved; KF_ECONFLICT: a migration of the workflow is already running
 * (nothing moved), or this one was marked interrupted by another process while it ran
 * (it stopped; the cases it moved stay moved, and it can be undone). */
json_t *kf_migrate_run(kf_engine *e, const char *workflow, int64_t to_version,
                       const char *plan_path, const char *plan_source, const char *actor,
                       kf_migrate_progress progress, void *ud, kf_err *err);
/* Put back every case of migration id that nothing happened to since its case.migrated
 * event (version, state, data, entry time, overdue, timers), each with a
 * case.migration_undone event; the others are left and listed. {migration, undone: [{case,
 * to}], left: [{case, reason}], counts}. KF_EINVAL when it was undone already,
 * KF_ECONFLICT while it is still running. */
json_t *kf_migrate_undo(kf_engine *e, int64_t id, const char *actor, kf_err *err);
/* Every migration (store.h's rows, heartbeat_at among them), oldest first. It,
 * kf_migrate_run and kf_migrate_undo first mark each "running" migration as "interrupted"
 * whose heartbeat is older than KF_MIGRATE_STALE seconds, or (on this host) whose process
 * is gone, with a migration.interrupted event {migration, counts, pid, host, heartbeat_at,
 * reason}; such a migration can be undone. */
json_t *kf_migrate_list(kf_engine *e, kf_err *err);

#endif
