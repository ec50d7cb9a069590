/* api.h: the engine's verbs as JSON requests, for plugins that serve people (the console)
 * through kf_api->call. One kf_session per thread: its own database connection and Lua
 * state. Every verb checks its arguments and answers with a new JSON value, or NULL with
 * an HTTP-like status and a one-line message.
 *
 * Verbs (args -> result):
 *   workflows.list   {}                                  -> [{name, version, title, base_name, base_version, cases, open_cases}]
 *   workflow.get     {name}                              -> {definition, version, counts: {state: n}, base_name, base_version}
 *   dashboard        {}                                  -> {programmes: [{name, title, states: [{name, title, count}]}], overdue: [case...]}
 *   case.list        {workflow?, state?, overdue?, open?, q?, limit?, offset?} -> {cases: [...], total}
 *   case.get         {id, sensitive?}                    -> case + {members, timers, entries} (sensitive fields of
 *                                                          entries left out unless sensitive = true; reads logged)
 *   case.open        {workflow, data?, ref?, actor}      -> case
 *   case.set         {id, data, actor, revision?}        -> case
 *   case.moves       {id, as?}                           -> [{name, title, to, to_title, by, available, reasons, reason_required}]
 *   case.fire        {id, transition, as, actor, reason?, revision?} -> case
 *   case.history     {id}                                -> [event...]
 *   case.member_add  {id, role, name, data?, actor}      -> [member...]
 *   case.review      {id, note?, actor}                  -> case
 *   form.get         {name, id?}                         -> {name, title, fields, version}
 *   form.submit      {id, form, data, actor}             -> {entry, form_version, ...}
 *   rules.list       {}                                  -> [{name, description, in_force: {...}, versions: [...]}]
 *   rule.impact      {path, source}                      -> {rule, evaluated, changed: [...]}
 *   rule.deploy      {path, source, actor}               -> {name, version}
 *   rule.rollback    {name, actor}                       -> {rule, rolled_back, now}
 *   audit.list       {case?, kind?, after?, limit?}      -> [event...]
 *   audit.verify     {}                                  -> {events, head}
 *   timers.run       {}                                  -> {now, timers}
 *   user.add         {login, role, password, actor}      -> {login, role}   (argon2id)
 *   user.list        {}                                  -> [{login, role, created_at, last_login}]
 *   user.verify      {login, password}                   -> {login, role} (401 when wrong)
 *   session.create   {login, idle, absolute}             -> {token, csrf, expires}   (token: 256 random bits, stored hashed)
 *   session.get      {token}                             -> {login, role, csrf} (401 when unknown or expired; touches idle)
 *   session.delete   {token}                             -> {}
 *   event.log        {kind, actor, data, case?}          -> {seq}  (e.g. "sensitive.read", "login.failed")
 * Ownership: args borrowed; results new references. */
#ifndef KF_API_H
#define KF_API_H

#include <jansson.h>

#include "kf.h"

typedef struct kf_session kf_session;

/* db: the database path. Returns NULL with err filled. */
kf_session *kf_session_open(const char *db, kf_err *err);
void kf_session_close(kf_session *s);

/* Run one verb. On failure *status is 400 (bad input), 401, 403, 404, 409 (conflict or
 * refused move), 422 (refused: a guard, a form's fields), 503 (database busy) or 500. */
json_t *kf_session_call(kf_session *s, const char *verb, json_t *args, int *status,
                        kf_err *err);

/* The password hashing used by user.add (argon2id, libsodium's INTERACTIVE limits or more). */
int kf_password_hash(const char *password, char out[128], kf_err *err);
int kf_password_verify(const char *hash, const char *password);

#endif
