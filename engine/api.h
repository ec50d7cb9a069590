/* api.h: the engine's verbs as JSON requests, for plugins that serve people (the console)
 * through kf_api->call. One kf_session per thread: its own database connection and Lua
 * state. Every verb checks its arguments against its spec (api.c's VERBS: a wrong type
 * or a missing argument is a 400 naming the verb and the key) and answers with a new JSON
 * value, or NULL with an HTTP-like status and a one-line message.
 *
 * Verbs (args -> result):
 *   workflows.list   {}                                  -> [{name, version, title, base_name, base_version, cases, open_cases}]
 *   workflow.get     {name}                              -> {definition, version, counts: {state: n}, base_name, base_version}
 *   workflow.versions {name}                             -> [{id, version, title, hash, deployed_at, deployed_by, active,
 *                    base_name, base_version, cases, open_cases, latest, definition}] (oldest first)
 *   dashboard        {}                                  -> {programmes: [{name, title, states: [{name, title, count}]}], overdue: [case...]}
 *   case.list        {workflow?, state?, overdue?, open?, q?, limit?, offset?, sort?} -> {cases: [...], total}
 *                    (sort: a data key, numbers by value, cases without it last, then by id;
 *                    "-KEY" descending)
 *   case.get         {id, sensitive?}                    -> case + {members, timers, entries} (sensitive fields of
 *                                                          entries left out unless sensitive = true; reads logged)
 *   case.open        {workflow, data?, ref?, actor}      -> case
 *   case.import      {cases: [{workflow, data?, ref?}], batch?, actor} -> {imported, batches}
 *                    (a transaction per batch, 500 by default, at most 10,000 cases a call;
 *                    the first case that cannot open: 400 "case N: why", its batch rolled
 *                    back, detail {index, reason, imported, batches})
 *   case.set         {id, data, actor, revision?}        -> case
 *   case.moves       {id, as?}                           -> [{name, title, to, to_title, by, available, reasons, reason_required}]
 *   case.fire        {id, transition, as, actor, reason?, revision?} -> case
 *   case.history     {id}                                -> [event...]
 *   case.member_add  {id, role, name, data?, actor}      -> [member...]
 *   case.review      {id, note?, actor}                  -> case
 *   form.get         {name, id?}                         -> {name, title, fields, version}
 *   form.submit      {id, form, data, as?, actor}        -> {entry, form_version, ...}
 *   rules.list       {}                                  -> [{name, description, in_force: {...}, versions: [...]}]
 *   rule.impact      {path, source}                      -> {rule, evaluated, changed: [...]}
 *   rule.deploy      {path, source, actor}               -> {name, version, unchanged, rules: [{name, version, unchanged}]}
 *                    (source: a rule file, or a plugin.lua/workflow: each rule it declares)
 *   rule.rollback    {name, actor}                       -> {rule, rolled_back, now}
 *   audit.list       {case?, kind?, after?, limit?}      -> [event...]
 *   audit.verify     {}                                  -> {events, head}
 *   report.stages    {workflow?}                         -> [{workflow, state, title, final, cases_now, stays, median_days, p90_days}]
 *   report.outcomes  {workflow?, by?}                    -> [{programme, workflow (null: all), outcome, cases, median_days}]
 *                    (by "ended_by": rows carry ended_by, who ended the work, instead of outcome)
 *   timers.run       {}                                  -> {now, timers} (a timer that fired a move or
 *                                                          was refused one names its case's workflow)
 *   metrics.read     {}                                  -> {timers_due, cases_overdue, database_bytes}
 *                                                          (admins only: for the console's /metrics)
 *   A move tried and failed (case.fire, family.fire) says in its failure's detail which
 *                    programme and how: {"transition": {programme, outcome: refused | conflict |
 *                    error}}; a successful family.fire answers with its case's "workflow" too.
 *   user.add         {login, role, password, actor}      -> {login, role}   (argon2id); role "family"
 *                    with family_case and family_member: a family account (-> ... family)
 *   user.list        {}                                  -> [{login, role, created_at, last_login}]
 *   user.verify      {login, password}                   -> {login, role} (401 when wrong)
 *   session.create   {login, idle, absolute}             -> {token, csrf, expires}   (token: 256 random bits, stored hashed)
 *   session.get      {token}                             -> {login, role, csrf} (401 when unknown or expired; touches idle)
 *   session.delete   {token}                             -> {}
 *   case.get answers also carry flags [{id, kind, text, raised_at}] (open ones) and sharing
 *                    [{destination, purpose, events, first_seq, last_seq, reason, updated_at}];
 *                    full case.list rows carry flagged (how many open flags)
 *   consent.give     {id, member, purpose, from?, until?, actor} -> consent (consent.h's JSON)
 *   consent.withdraw {id, consent, reason?, actor}        -> consent (staff: on the member's
 *                                                          behalf, a reason required)
 *   consent.list     {id}                                -> [consent...] (a family account: its own)
 *   case.flag_clear  {id, flag, actor}                   -> [flag...] still open
 *   case.export      {id, purpose, destination?, actor}  -> {case, members, entries, events, ...}
 *                                                          (409 without a current consent)
 *   sharing.withheld {id?, destination?}                 -> [{case, destination, purpose, events, ...}]
 *   event.log        {kind, actor, data, case?}          -> {seq}  (e.g. "sensitive.read"; not "login.failed")
 *   login.failed     {login, address?}                   -> {recorded, seq?}  a failed sign-in: the
 *                                                          login by name when it is a user's, else
 *                                                          data.login_hash (keyed BLAKE2b, 16 bytes
 *                                                          hex); at most one a minute per login, and
 *                                                          20 a minute for all unknown logins
 *   family.invite    {id, member, login?, actor}         -> {login, password, family} (a one-time password;
 *                                                          must_change; staff with the case in full)
 *   decision.record  {id, for?, decided, family_agreed, participants, actor} -> decision
 *   decision.list    {id}                                -> [decision]
 *   case.member_end  {id, member, reason, on?, actor}    -> [member...] (those who left too: ended_at,
 *                                                          ended_reason); their family account disabled
 *   case.link        {id, other, as, reason?, actor}     -> [link...] (as "sibling" or "continues")
 *   case.links       {id}                                -> [{link, case, ref, workflow, state, final, as,
 *                                                          direction, linked_at, linked_by}] (a case the
 *                                                          user cannot see in full: summary fields only)
 *   setting.list     {}                                  -> [{name, label, default, value, set_at, set_by,
 *                                                          programmes}]
 *   setting.set      {name, value, actor}                -> setting (admins only)
 *   case.get answers also carry links (as case.links)
 *   migrate.plan     {workflow, to, plan?, plan_path?}   -> migrate.h's plan (admins only; plan: a plan file's text)
 *   migrate.check    {workflow, to, plan?, plan_path?}   -> {workflow, to_version, plan_hash, cases, totals} (writes nothing)
 *   migrate.run      {workflow, to, plan?, plan_path?, actor} -> {migration, moved, left, counts}
 *   migrate.undo     {id, actor}                         -> {migration, undone, left, counts}
 *   migrate.list     {}                                  -> [{id, workflow, to_version, state, counts, ...}]
 * A family account (user.role "family", bound to one member of one case: the user JSON's
 * "family": {case, member, role, name}) may call only family.get {}, family.submit {form,
 * data}, family.fire {transition, reason?}, consent.*, user.change_password and session.*:
 * every other verb answers 403 "a family account can use only its own family page" (api.c's
 * table marks them). Staff may not fire as a family role (403).
 * A refused move (case.fire, 409) leaves its unmet conditions in kf_session_detail:
 *   {"refusals": [{code, params, text}]}, code one of by_time {transition, after},
 *   role {role, transition, by}, form_missing {form}, reason_required {transition},
 *   decision_missing {transition},
 *   guard {transition, rule?, where?, reason}; case.moves gives the same list per move.
 * Ownership: args borrowed; results new references. */
#ifndef KF_API_H
#define KF_API_H

#include <jansson.h>

#include "kf.h"
#include "people.h"

typedef struct kf_session kf_session;

/* db: the database path. Returns NULL with err filled. */
kf_session *kf_session_open(const char *db, kf_err *err);
void kf_session_close(kf_session *s);

/* Run one verb. On failure *status is 400 (bad input: arguments, a form's fields, too-deep
 * JSON), 401 (not signed in, wrong password), 404 (no such case, workflow, verb), 409
 * (a refused move, or a conflict), 503 (database busy) or 500. */
json_t *kf_session_call(kf_session *s, const char *verb, json_t *args, int *status,
                        kf_err *err);
/* The data behind the last failed call (borrowed, until the next call), or NULL. */
json_t *kf_session_detail(kf_session *s);

/* Group commit: the n calls (kf_call, kf_plugin.h: verb and args in; result, status, error,
 * detail out) in one write transaction, each in its own savepoint, committed once; each call
 * acts for its own args.user. 0: committed, each call says how it went; -1: nothing was
 * written, and every call that had succeeded says why (503 busy, or 500). */
int kf_session_call_group(kf_session *s, kf_call *calls, size_t n);
/* full 1: synchronous=FULL on the session's connection (commits survive a power loss). */
int kf_session_durable(kf_session *s, int full, kf_err *err);

/* Hand the verbs above to the plugin registry (kf_api's session_open, call...): once per
 * process, before plugins that serve requests run. */
void kf_api_install(void);

#endif
