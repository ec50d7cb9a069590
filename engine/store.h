/* store.h: the only door to the database. Rows travel as Jansson objects so that nothing
 * SQLite-specific leaks out; a PostgreSQL store could implement the same verbs.
 * Ownership: json_t* arguments are borrowed (a few get fields set, as their comment says);
 * returned json_t* are new references. Functions returning a pointer give NULL with err
 * filled on failure; those returning int give 0 or a negative KF_E... code.
 * Times are never read from a clock here: the caller passes them (`now`, `at`, ...). */
#ifndef KF_STORE_H
#define KF_STORE_H

#include <jansson.h>

#include "kf.h"

typedef struct kf_store kf_store;

enum {
  KF_STORE_READONLY = 1, /* query_only: analysts' scripts and previews */
  KF_STORE_NOCREATE = 2, /* open an existing database only */
};

/* Open (creating it unless flags say not) and bring the schema up to date. */
kf_store *kf_store_open(const char *path, int flags, kf_err *err);
/* Empties the PostgreSQL database at uri for a scenario (`kinflow test --scratch`): only
 * one without tables, or one emptied this way before (KF_EREFUSED otherwise). */
int kf_store_scratch(const char *uri, kf_err *err);
/* Finalize every statement and close the database. 0 when SQLite closed it cleanly;
 * KF_ESTORE (said on stderr) when statements were left open: they are finalized and the
 * connection closed anyway. st is freed either way; NULL is a no-op. */
int kf_store_close(kf_store *st);
const char *kf_store_path(const kf_store *st);
/* The schema's version (PRAGMA user_version); -1 when it cannot be read. */
int kf_store_schema_version(kf_store *st);

/* Transactions: begin takes the write lock at once (BEGIN IMMEDIATE); a commit that fails
 * rolls back. */
int kf_store_begin(kf_store *st, kf_err *err);
int kf_store_commit(kf_store *st, kf_err *err);
/* A read of many statements from one snapshot, without a lock taken and dropped for each
 * (a dry run over every open case); end it with kf_store_rollback. */
int kf_store_begin_read(kf_store *st, kf_err *err);
void kf_store_rollback(kf_store *st);
int kf_store_in_tx(kf_store *st);
/* Inside a transaction: 0 opens a savepoint, 1 keeps its work, 2 undoes it. */
int kf_store_savepoint(kf_store *st, int op, kf_err *err);
/* synchronous=FULL (durable across power loss) or NORMAL (across crashes; the default). */
int kf_store_set_durability(kf_store *st, int full, kf_err *err);

/* Definitions (workflows, rules, forms): immutable versions. row: kind, name, title, path,
 * source, base_id (or null), definition (object), hash, deployed_at, deployed_by. Sets
 * version (the next of kind and name) and id in row. */
int kf_store_def_put(kf_store *st, json_t *row, kf_err *err);
/* The newest active version of kind and name, with source and definition; KF_ENOTFOUND
 * when none is deployed. */
json_t *kf_store_def_latest(kf_store *st, const char *kind, const char *name, kf_err *err);
/* Only the id of that version (0 with KF_ENOTFOUND when none): it reads no definition, so
 * a caller that keeps definitions by id (they never change) can see whether its copy is
 * still the latest. */
int64_t kf_store_def_latest_id(kf_store *st, const char *kind, const char *name, kf_err *err);
/* What the definitions are now, as a short text that changes whenever a version is
 * deployed (the newest row's id and hash): for caches of what is worked out from them. */
int kf_store_defs_stamp(kf_store *st, char out[80], kf_err *err);
/* One version by id, active or not, with source and definition. */
json_t *kf_store_def_get(kf_store *st, int64_t id, kf_err *err);
/* Every version of every definition of kind (kind NULL: all), without sources, each with
 * its count of cases and open_cases. */
json_t *kf_store_def_list(kf_store *st, const char *kind, kf_err *err);
/* Mark a rule version inactive (rollback): the previous active one applies again.
 * KF_ENOTFOUND when there is no definition id. */
int kf_store_def_deactivate(kf_store *st, int64_t id, kf_err *err);

/* Cases. The number the next case inserted in this (write) transaction takes, so that
 * code run before its row is written sees it. KF_ESTORE outside a transaction. */
int kf_store_case_reserve(kf_store *st, int64_t *id, kf_err *err);
/* c: workflow_id, workflow, state, final, data, ref (optional), revision (optional: 1);
 * created, updated and entered at now. id: the case's number (from kf_store_case_reserve),
 * or 0 for the next free one. Sets id in c (unless it holds it already); KF_EINVAL when the
 * ref is taken. The row records the log's head as kf_store_case_update does: when the
 * transaction's last event so far is this case's, or, with events > 0, the seq that the
 * case's next `events` events (appended right after it) will end at; confirm it with
 * kf_store_case_note_head once they are. Data that cannot be read back as JSON (a NUL in a
 * string) is set in c as the stored text, as a read gives it. */
int kf_store_case_insert_as(kf_store *st, json_t *c, int64_t id, int events, const char *now,
                            kf_err *err);
int kf_store_case_insert(kf_store *st, json_t *c, const char *now, kf_err *err); /* 0, 0 */
/* When the transaction's last event so far is case id's and its row does not record it as
 * the log's head yet, record it there (so that commit writes no other head): for a case
 * inserted before its events. Nothing to write when the row's head was foreseen right. */
int kf_store_case_note_head(kf_store *st, int64_t id, kf_err *err);
/* By case number (text of digits only, tried as an id, then as a ref) or by ref.
 * KF_EINVAL when id_or_ref is NULL or empty; KF_ENOTFOUND when no case has it. */
json_t *kf_store_case_get(kf_store *st, const char *id_or_ref, kf_err *err);
/* A case's own row, as firing reads it: no joins, no JSON (data is the stored text).
 * Texts are NULL for SQL NULL and live in mem until kf_case_row_free. */
typedef struct kf_case_row {
  int64_t id, workflow_id, revision;
  int final;
  const char *ref, *workflow, *state, *data, *overdue_since, *created_at, *updated_at,
      *entered_at, *allocated_to, *team;
  char *mem;
} kf_case_row;
/* As kf_store_case_get finds a case (the same errors); 0 with row filled. */
int kf_store_case_row(kf_store *st, const char *id_or_ref, kf_case_row *row, kf_err *err);
void kf_case_row_free(kf_case_row *row);
/* A case's data as the store writes it: compact, keys sorted, so that equal data is equal
 * text (a row an older kinflow wrote, keys unsorted, may differ once). free() it. */
char *kf_store_data_text(json_t *data);
/* data as a read gives it back (objects' keys in that same sorted order): a new reference. */
json_t *kf_store_data_sorted(json_t *data);
/* What a case shows of its workflow version def_id that its own row does not hold:
 * {version, workflow_title, base_name, base_version} (the base null when it adapts
 * nothing). A version's row never changes, so callers may keep it. */
json_t *kf_store_def_meta(kf_store *st, int64_t def_id, kf_err *err);
/* Store a new state/data if the case is still at revision (then revision+1, updated at
 * now; entered: it entered state now, and is no longer overdue); KF_ECONFLICT otherwise.
 * final: 1 makes the case final (0 leaves it as it is: nothing leaves a final state). When
 * the transaction's last event so far is this case's, the row records it as the log's head
 * (so append the case's events first, then update it: commit then writes no other head). */
int kf_store_case_update(kf_store *st, int64_t id, int64_t revision, const char *state,
                         int final, int entered, json_t *data, const char *now, kf_err *err);
/* The same with the data as kf_store_data_text wrote it (NULL: {}). */
int kf_store_case_update_text(kf_store *st, int64_t id, int64_t revision, const char *state,
                              int final, int entered, const char *data, const char *now,
                              kf_err *err);
/* Mark a case overdue since `since` (NULL: no longer overdue); revision+1, updated at now.
 * KF_ENOTFOUND when there is no case id. */
int kf_store_case_set_overdue(kf_store *st, int64_t id, const char *since, const char *now,
                              kf_err *err);
/* Allocate a case to worker `to` and team (may be NULL); both NULL: unallocated (a team
 * without a worker is KF_EINVAL). revision+1, updated at now. Checks nothing else (that
 * the user exists, belongs to the team): the runtime does. KF_ENOTFOUND when no case id. */
int kf_store_case_allocate(kf_store *st, int64_t id, const char *to, const char *team,
                           const char *now, kf_err *err);
/* Case rows (get, list) carry allocated_to and team (null when unallocated).
 * filter: workflow, state, overdue (bool), open (bool), allocated_to (a login), team (a
 * name), unallocated (true: no worker), q (text in the ref or the data, the case number, a
 * member's name (case-insensitive for ASCII letters), or equal to a member's data.dob),
 * limit, offset, sort (a data key, "-KEY" descending: numbers (and text written as one) by
 * value, cases without the key last, then by id; KF_EINVAL for a key that is not letters,
 * digits and _), and visible_to {login, teams: [names], workflows: [names] (absent: every
 * workflow), now (ISO)}: a case is listed when workflows is absent, or its workflow is one of
 * them, or it is in the login's scope: allocated to login, to one of teams, or opened to
 * login by a grant that expires after now. With visible_to, q matches the ref and the case
 * number of every listed case but data, members' names and dates of birth only of cases in
 * scope: a search never tells anyone which case holds a person they may not see. */
json_t *kf_store_case_list(kf_store *st, json_t *filter, kf_err *err);

/* How many cases a filter (as kf_store_case_list, without paging) matches, counting at
 * most cap (0: all); -1 on error. */
int64_t kf_store_case_count(kf_store *st, json_t *filter, int64_t cap, kf_err *err);
/* [{state, cases, overdue}] for one workflow (NULL: all). */
json_t *kf_store_case_states(kf_store *st, const char *workflow, kf_err *err);

/* Members of a case, added at now; listed (role NULL: every role) in the order added, as
 * {id, role, name, data, added_at, ended_at, ended_reason} (ended_*: null while current;
 * ended members are listed too: their callers decide whether to show them). */
int kf_store_member_add(kf_store *st, int64_t case_id, const char *role, const char *name,
                        json_t *data, const char *now, kf_err *err);
json_t *kf_store_members(kf_store *st, int64_t case_id, const char *role, kf_err *err);
/* Record that member left case case_id on `on` (YYYY-MM-DD) for reason. KF_ECONFLICT when
 * the case has no such current member. Checks nothing else: the runtime does. */
int kf_store_member_end(kf_store *st, int64_t case_id, int64_t member, const char *on,
                        const char *reason, kf_err *err);
/* The login of the family account bound to member (malloc'd), or NULL with KF_ENOTFOUND. */
char *kf_store_family_login(kf_store *st, int64_t member, kf_err *err);

/* One member of case_id by its number, ended or not (id, role, name, data, added_at,
 * ended_at, ended_reason): an array of that row, or an empty array when there is none. */
json_t *kf_store_member_get(kf_store *st, int64_t case_id, int64_t member_id, kf_err *err);

/* entry: case, form, form_id (or null), data, valid, errors (or null), actor, role (or
 * null: the role it was given in); submitted at now. *id (may be NULL) gets its id. */
int kf_store_entry_add(kf_store *st, json_t *entry, const char *now, int64_t *id, kf_err *err);
/* A case's entries (form NULL: every form; valid_only: only valid ones), oldest first. */
json_t *kf_store_entries(kf_store *st, int64_t case_id, const char *form, int valid_only,
                         kf_err *err);

/* Events: the append-only, hash-chained log. ev: case (or null), at, actor, role, kind,
 * name, from, to, reason, data. Only inside a transaction. Sets seq and hash in ev. */
int kf_store_event_append(kf_store *st, json_t *ev, kf_err *err);
/* The same, ev's data being data_text already: written as store_json_dumps writes it
 * (compact, keys sorted), which the caller vouches for (NULL: write it here). */
int kf_store_event_append_text(kf_store *st, json_t *ev, const char *data_text, kf_err *err);
/* filter: case, kind, since, after (seq), limit. Oldest first. */
json_t *kf_store_events(kf_store *st, json_t *filter, kf_err *err);
/* Recompute the chain. 0 when intact (*summary, unless summary is NULL, gets
 * {events: how many, head: the last hash}); KF_EINVAL naming the first bad event otherwise. */
int kf_store_audit_verify(kf_store *st, json_t **summary, kf_err *err);

/* Timers. kind: "after" (fires transition name), "review", "custom". state: the state
 * whose stay it belongs to (cancelled on leaving it), or NULL. */
int kf_store_timer_add(kf_store *st, int64_t case_id, const char *name, const char *kind,
                       const char *state, const char *due, kf_err *err);
/* Cancel pending timers of a case (done at now): of a state (name NULL), by name (state
 * NULL), or every one (both NULL), all but timer `except` (the one firing now; 0 for none). */
int kf_store_timers_cancel(kf_store *st, int64_t case_id, const char *state,
                           const char *name, const char *now, int64_t except, kf_err *err);
/* Pending timers due at or before now, earliest first, at most limit. */
json_t *kf_store_timers_due(kf_store *st, const char *now, int limit, kf_err *err);
/* Every timer of a case, in the order scheduled. */
json_t *kf_store_timers(kf_store *st, int64_t case_id, kf_err *err);
json_t *kf_store_timer_get(kf_store *st, int64_t id, kf_err *err);
/* The timer, for the transaction that runs it: on PostgreSQL its row locked until the
 * transaction ends, and KF_ENOTFOUND when another server's runner holds it. */
json_t *kf_store_timer_claim(kf_store *st, int64_t id, kf_err *err);
/* Mark a pending timer done ("fired", "refused", "skipped") at now; KF_ECONFLICT if it was
 * not pending any more (another runner took it). */
int kf_store_timer_finish(kf_store *st, int64_t id, const char *status, const char *now,
                          kf_err *err);

/* ---- consents, flags, withheld ---- */

/* Consent rows: {id, case, member, name, role (the member's), purpose, from, until (or
 * null), recorded_by, recorded_at, withdrawn_at, withdrawn_by, withdrawn_reason (null
 * while in force), on_behalf (bool or null)}. A consent row is immutable but for its
 * withdrawal. consent: case, member, purpose, from, until (may be absent), recorded_by,
 * recorded_at; *id (may be NULL) gets its id. Checks nothing: the runtime does. */
int kf_store_consent_add(kf_store *st, json_t *consent, int64_t *id, kf_err *err);
/* One consent by id; KF_ENOTFOUND when there is none. */
json_t *kf_store_consent_get(kf_store *st, int64_t id, kf_err *err);
/* A case's consents, oldest first. */
json_t *kf_store_consents(kf_store *st, int64_t case_id, kf_err *err);
/* Record the withdrawal of a consent still in force, at `at` by `by` (reason may be NULL).
 * KF_ENOTFOUND when there is no consent id; KF_ECONFLICT when it was already withdrawn. */
int kf_store_consent_withdraw(kf_store *st, int64_t id, const char *at, const char *by,
                              const char *reason, int on_behalf, kf_err *err);
/* The consent for purpose that is current on date (YYYY-MM-DD): not withdrawn, from <=
 * date, until null or >= date; the newest when several are. KF_ENOTFOUND when none is.
 * With date NULL: the newest consent for purpose, current or not. */
json_t *kf_store_consent_current(kf_store *st, int64_t case_id, const char *purpose,
                                 const char *date, kf_err *err);

/* How a case's consents to purpose stand on day (YYYY-MM-DD), read without building a row:
 * any (one was ever recorded), current (one is current: not withdrawn, from <= day, until
 * null or >= day); when none is current, the newest one's withdrawn_at, from and until
 * ("" when unset). One statement, for the outbox's decision on each event. */
typedef struct kf_consent_standing {
  int any, current;
  char withdrawn_at[40], from[16], until[16];
} kf_consent_standing;
int kf_store_consent_standing(kf_store *st, int64_t case_id, const char *purpose,
                              const char *day, kf_consent_standing *out, kf_err *err);

/* Flags for a case's worker: {id, case, kind, text, raised_at}; *id (may be NULL) gets the
 * new one's id. */
int kf_store_flag_add(kf_store *st, int64_t case_id, const char *kind, const char *text,
                      const char *at, int64_t *id, kf_err *err);
/* The open (not cleared) flags of a case, oldest first. */
json_t *kf_store_flags_open(kf_store *st, int64_t case_id, kf_err *err);
/* What a list shows of each case of ids (a JSON array of case ids) beside its row:
 * {"ID": {people: [{role, name}] (current members, in order), flagged: open flags}}. */
json_t *kf_store_list_parts(kf_store *st, json_t *ids, kf_err *err);
/* Clear open flag id of case case_id at `at` by `by`; KF_ENOTFOUND when that case has no
 * such open flag. */
int kf_store_flag_clear(kf_store *st, int64_t case_id, int64_t id, const char *at,
                        const char *by, kf_err *err);

/* What was withheld from a destination for want of consent, one row a case and
 * destination: {case, destination, purpose, events, first_seq, last_seq, reason,
 * updated_at}. add: the first time a row with events 1 and first_seq = last_seq = seq;
 * after: events + 1, last_seq = seq, purpose, reason and updated_at replaced (first_seq
 * kept). */
/* Deliveries once per destination however many servers run: the last event delivered
 * (seq) and a lease on delivering (holder, until held_until, Unix seconds). claim: 1 with
 * *seq when holder holds it now (taken, renewed, or expired from another), 0 when another
 * holder's lease runs, -1 with err. advance: the cursor forward, by the holder only
 * (KF_ECONFLICT when another took it over). release: the lease let go. */
int kf_store_delivery_claim(kf_store *st, const char *destination, const char *holder,
                            int64_t now, int64_t until, int64_t *seq, kf_err *err);
int kf_store_delivery_advance(kf_store *st, const char *destination, const char *holder,
                              int64_t seq, const char *now, kf_err *err);
int kf_store_delivery_release(kf_store *st, const char *destination, const char *holder,
                              kf_err *err);
/* The destination's cursor as it stands (0: nothing delivered yet), or -1 with err. */
int64_t kf_store_delivery_cursor(kf_store *st, const char *destination, kf_err *err);
int kf_store_withheld_add(kf_store *st, int64_t case_id, const char *destination,
                          const char *purpose, int64_t seq, const char *reason,
                          const char *at, kf_err *err);
/* Rows of case_id (0: every case) for destination (NULL: every one), by case then
 * destination. */
json_t *kf_store_withheld(kf_store *st, int64_t case_id, const char *destination, kf_err *err);

/* ---- reports and scripts ---- */

/* A connection for analysts' scripts: query_only inside one read snapshot, an authorizer
 * that denies every write, ATTACH, pragmas that set anything, and any read of the users
 * and sessions tables; a query stops once `seconds` (0: 60; elapsed time from this call,
 * on the monotonic clock) have passed;
 * one kf_store_query result may take about max_result bytes (0: 64 MiB). Unless flags
 * has KF_SCRIPT_REVEAL, kf_store_query reads cases.data, members.data, entries.data and
 * events.data as NULL (the store's own reads on the connection see them). */
enum { KF_SCRIPT_REVEAL = 1 };
kf_store *kf_store_open_script(const char *path, double seconds, size_t max_result,
                               int flags, kf_err *err);
/* One read-only statement with params (an array of text, numbers, booleans, nulls; may
 * be NULL), only on a connection from kf_store_open_script. Rows are objects keyed by
 * column name, values as stored (nothing parsed). KF_EREFUSED when it was denied (a write
 * or a forbidden table) or the time ran out: the caller must end the script; other errors
 * (syntax, no such table) are KF_EINVAL. */
json_t *kf_store_query(kf_store *st, const char *sql, json_t *params, kf_err *err);
/* Keyset pages: cases with id > after (filter: workflow, state, overdue, open; each case
 * also carries `programme`, the root of its adaptation lineage), events
 * with seq > after (filter: case, kind, since), at most limit of them, in order. */
json_t *kf_store_cases_after(kf_store *st, json_t *filter, int64_t after, int limit,
                             kf_err *err);
json_t *kf_store_events_after(kf_store *st, json_t *filter, int64_t after, int limit,
                              kf_err *err);
/* Each entry of a case into a state (its case.opened and case.transition events), by case
 * then in order, as {case, workflow, programme (the root of its adaptation lineage), at,
 * state, outcome (or null), ended_by (or null), final, current (the case's state now; final: whether that is
 * final)}. fn borrows the row; a non-zero return stops the walk and is returned.
 * filter: workflow, case (an id). */
int kf_store_state_entries(kf_store *st, json_t *filter, int (*fn)(json_t *row, void *ud),
                           void *ud, kf_err *err);

/* Users of the console and their sessions. user: login, role, roles (array of workflow
 * roles; absent: none), password_hash, created_at, and for a family account family_case
 * and family_member (ids), must_change (bool); KF_ECONFLICT when the login is taken.
 * Rows of get, list and session_get of a family account carry "family": {case, member,
 * role, name} (the member it is bound to), never the raw columns.
 * Sessions are found by the hash of their token; their times are UTC seconds.
 * Rows of get, list and session_get carry `teams` (names, alphabetical). */
int kf_store_user_add(kf_store *st, json_t *user, kf_err *err);
json_t *kf_store_user_get(kf_store *st, const char *login, kf_err *err);
json_t *kf_store_user_list(kf_store *st, kf_err *err);
/* Replace login's teams with teams (an array of names; repeats count once), all or
 * nothing. KF_ENOTFOUND naming an unknown user or team, KF_EINVAL when teams is no list
 * of names. */
int kf_store_user_set_teams(kf_store *st, const char *login, json_t *teams, kf_err *err);

/* Shared decisions. d: case, for (a transition, or absent), decided, family_agreed (bool),
 * participants (array), recorded_by, recorded_at; *id (may be NULL) gets its id. Decision
 * rows: {id, case, for, decided, family_agreed, participants, recorded_by, recorded_at}.
 * decision_since: the newest decision for transition whose decision.recorded event came
 * after the case last entered a state (case.opened or case.transition), or KF_ENOTFOUND. */
int kf_store_decision_add(kf_store *st, json_t *d, int64_t *id, kf_err *err);
json_t *kf_store_decisions(kf_store *st, int64_t case_id, kf_err *err);
json_t *kf_store_decision_since(kf_store *st, int64_t case_id, const char *transition,
                                kf_err *err);

/* Teams: KF_ECONFLICT when the name is taken (the runtime checks its form). The list is
 * [{name, created_at, members: [login...]}] by name, members alphabetical. */
int kf_store_team_add(kf_store *st, const char *name, const char *now, kf_err *err);
json_t *kf_store_team_list(kf_store *st, kf_err *err);

/* Access to one case for a limited time (break the glass); *id (may be NULL) gets its id. */
int kf_store_grant_add(kf_store *st, int64_t case_id, const char *login, const char *reason,
                       const char *now, const char *expires, int64_t *id, kf_err *err);
/* filter: case (an id), login, active_at (ISO: only grants that expire after it), teams
 * ([names]: grants on cases of those teams), since (ISO: granted at or after it), limit.
 * [{grant, case, login, reason, granted_at, expires_at, team, workflow}] newest first; team
 * and workflow are the case's now; unordered: true leaves them in no particular order. */
json_t *kf_store_grants(kf_store *st, json_t *filter, kf_err *err);
/* Settings kept in the meta table (inside the caller's transaction when there is one):
 * get returns a malloc'd copy, or NULL with KF_ENOTFOUND when unset; put refuses 'head'. */
char *kf_store_meta_get(kf_store *st, const char *key, kf_err *err);
int kf_store_meta_put(kf_store *st, const char *key, const char *value, kf_err *err);
/* Change a user: changes may hold role, roles (array), disabled (bool), password_hash,
 * must_change (bool); what it leaves out stays. KF_ENOTFOUND for an unknown login. */
int kf_store_user_update(kf_store *st, const char *login, json_t *changes, kf_err *err);
/* End every session of login (a disabled account, a reset password). */
int kf_store_sessions_end(kf_store *st, const char *login, kf_err *err);
int kf_store_user_seen(kf_store *st, const char *login, const char *now, kf_err *err);
int kf_store_session_add(kf_store *st, const char *token_hash, const char *login,
                         const char *csrf, int64_t now, int64_t idle, int64_t absolute,
                         kf_err *err);
/* A live session (not idle past its limit, not past its absolute one; its user not
 * disabled), with the user's role and roles; touched when last seen a minute or more ago.
 * KF_ENOTFOUND otherwise. */
json_t *kf_store_session_get(kf_store *st, const char *token_hash, int64_t now, kf_err *err);
/* Ends the session, and sweeps every expired one. */
int kf_store_session_delete(kf_store *st, const char *token_hash, int64_t now, kf_err *err);

/* Links between cases: case_id links to other as kind ("sibling", "continues": case_id
 * continues other). KF_ECONFLICT when that link exists. links: both directions, oldest
 * first, as {link, case (the other case), ref, workflow, state, final, as, direction ("to":
 * recorded on case_id, "from": recorded on the other), linked_at, linked_by}. */
int kf_store_link_add(kf_store *st, int64_t case_id, int64_t other, const char *kind,
                      const char *at, const char *by, kf_err *err);
json_t *kf_store_links(kf_store *st, int64_t case_id, kf_err *err);

/* The agency's settings that programmes read: {name, value (text), set_at, set_by}. get:
 * KF_ENOTFOUND when unset. put replaces. */
int kf_store_setting_put(kf_store *st, const char *name, const char *value, const char *at,
                         const char *by, kf_err *err);
json_t *kf_store_setting_get(kf_store *st, const char *name, kf_err *err);
json_t *kf_store_settings(kf_store *st, kf_err *err);

/* ---- backups (store_backup.c): SQLite files only ---- */

/* Copy the database at db to file while others keep writing (SQLite's online backup API, a
 * few hundred pages a step), through file.tmp-PID: flushed to disk, verified (SQLite's
 * integrity check, a kinflow schema not newer than this binary's, the audit chain
 * recomputed), then renamed to file and its folder flushed. KF_EINVAL when file is the
 * database (or its -wal, -shm, -journal), exists (unless force), or the copy does not
 * verify; KF_ENOTFOUND when db does not exist. Nothing is left behind on failure.
 * *summary (may be NULL): {database, file, schema, cases, events, head_seq, head (hash),
 * bytes, restarts (times the copy started over because others wrote)}. */
int kf_store_backup(const char *db, const char *file, int force, json_t **summary, kf_err *err);
/* Put the backup file in place of the database at db: file is verified first (integrity,
 * a kinflow schema not newer than this binary's, the audit chain on a copy brought up to
 * date); a bad one is refused with the reason and db is not touched. Then, holding db's
 * write lock (other writers wait), db as it is (when it exists) is kept as
 * db.before-restore-STAMP (-2, -3... when taken; made as kf_store_backup makes a copy, kept
 * even when it does not verify), and file's content is written into db through the backup
 * API in that one write transaction: connections open on db see it as another writer's
 * commit (no file is renamed), and nothing committed before it is missing from the kept
 * copy. Every error after the copy was kept names it. *summary (may be NULL): {database, file, schema (the file's), cases,
 * events, head_seq, head, kept: null or {file, verified (bool), problem (when not)}}. */
int kf_store_restore(const char *db, const char *file, const char *stamp, json_t **summary,
                     kf_err *err);

/* ---- moving between stores (store_copy.c) ---- */

/* Copy every table of the database at from (a SQLite file or a postgresql:// URI: opened
 * read-only, one snapshot, never changed) into the empty database at to (a SQLite file is
 * created when missing; a new PostgreSQL database is given the schema), ids as they are, in
 * one transaction on to that commits only once to verifies: every table's count, every
 * case's state, revision and workflow version, and the audit chain recomputed on to with
 * from's head. Refuses, writing nothing (a file it created is removed), a source that is
 * missing, whose chain does not verify, or whose schema is not this kinflow's; a target that
 * holds any row, or is at another schema version. *summary (may be NULL): {tables: {name:
 * count} in the order copied, cases, events, head}. */
int kf_store_copy(const char *from, const char *to, json_t **summary, kf_err *err);
/* The same verification of two open databases: 0 (and *summary, as kf_store_copy's) when to
 * holds what from holds, else KF_EINVAL naming the table or case that differs. */
int kf_store_copy_verify(kf_store *from, kf_store *to, json_t **summary, kf_err *err);

/* ---- programme versions: migrations (migrate.c) ---- */

/* Put case id, if still at revision, on another version: to holds workflow_id, state,
 * final, data, entered_at, overdue_since (null: not overdue); revision+1, updated at now.
 * KF_ECONFLICT when the case changed meanwhile. */
int kf_store_case_put_version(kf_store *st, int64_t id, int64_t revision, json_t *to,
                              const char *now, kf_err *err);
/* Make cancelled timers of case_id pending again (ids: an array of timer ids). */
int kf_store_timers_reopen(kf_store *st, int64_t case_id, json_t *ids, kf_err *err);
/* m: workflow, to_version, to_id, plan_hash, plan (source or absent), by, started_at, pid,
 * host (the process running it), counts (an object, or absent); a new migration in state
 * "running", its heartbeat at started_at; *id (may be NULL) gets its id. */
int kf_store_migration_add(kf_store *st, json_t *m, int64_t *id, kf_err *err);
/* state "done", "undone" or "interrupted", counts (an object), finished at now; from (NULL:
 * any) is the state it must be in, else KF_ECONFLICT. */
int kf_store_migration_finish(kf_store *st, int64_t id, const char *from, const char *state,
                              json_t *counts, const char *now, kf_err *err);
/* A running migration's heartbeat: its counts so far and heartbeat_at now. KF_ECONFLICT
 * when it is no longer "running" (another process marked it interrupted). */
int kf_store_migration_beat(kf_store *st, int64_t id, json_t *counts, const char *now, kf_err *err);
/* Rows {id, workflow, to_version, to_id, plan_hash, plan, by, started_at, finished_at,
 * state, counts, pid, host, heartbeat_at, migrated, undone}; get: KF_ENOTFOUND when there
 * is no migration id. */
json_t *kf_store_migration_get(kf_store *st, int64_t id, kf_err *err);
json_t *kf_store_migrations(kf_store *st, kf_err *err);
/* r: migration, case, from_workflow_id, from_state, from_final, from_data, from_timers
 * (the pending timers as they were), from_entered_at, from_overdue_since, to_state,
 * revision (the case's after the move), seq (its case.migrated event), to_workflow_id
 * (the version it moved to; absent in rows from before schema 10: the migration's to_id). */
int kf_store_migrated_add(kf_store *st, json_t *r, kf_err *err);
/* The cases a migration moved (rows as r above, with undone), by case. */
json_t *kf_store_migrated_cases(kf_store *st, int64_t migration, kf_err *err);
int kf_store_migrated_undone(kf_store *st, int64_t migration, int64_t case_id, kf_err *err);

/* store_gauges.c: for monitoring, {timers_due (pending timers due by now), cases_overdue
 * (cases past a review date), database_bytes (the database's files: SQLite's file and its
 * WAL)}, read now. */
json_t *kf_store_gauges(kf_store *st, const char *now, kf_err *err);

#endif
