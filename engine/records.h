/* records.h: practice's records of a case beyond its moves: members who leave it, links
 * between cases, and the agency's settings that programmes read. Each verb is one
 * transaction with its events, as runtime.h's are.
 * Ownership: json_t* arguments are borrowed; returned json_t* are new references. */
#ifndef KF_RECORDS_H
#define KF_RECORDS_H

#include <jansson.h>

#include "kf.h"
#include "runtime.h"

/* Member `member` of case id leaves it on `on` (YYYY-MM-DD, not after today; NULL: today)
 * for reason (required). KF_EINVAL naming what is wrong (no reason, a date that is none or
 * is in the future or before the member was added, a member not on the case, one who left
 * already). Event member.ended {member, name, role, on, reason}; the member's family
 * account, if any, is disabled (its sessions end; event user.updated) in the same
 * transaction. Returns the case's members, those who left too. */
json_t *kf_case_member_end(kf_engine *e, const char *id, int64_t member, const char *reason,
                           const char *on, const char *actor, kf_err *err);

/* Link case id to case other as "sibling" or "continues" (id continues other: e.g. a
 * co-parenthood referral continuing a preservation case whose child entered care); reason
 * may be NULL. KF_EINVAL for another kind, a case linked to itself, a link that exists
 * (either way, for siblings) or a continuation both ways. Event case.linked on both cases:
 * {other, as, direction ("to" on id, "from" on other), reason}. Returns kf_case_links. */
json_t *kf_case_link(kf_engine *e, const char *id, const char *other, const char *as,
                     const char *reason, const char *actor, kf_err *err);
/* The case's links both ways, oldest first: [{link, case, ref, workflow, state, final, as,
 * direction, linked_at, linked_by}] (store.h's kf_store_links). */
json_t *kf_case_links(kf_engine *e, const char *id, kf_err *err);

/* The settings the deployed programmes declare (their newest versions), and any the agency
 * set that none declares now, by name: [{name, label, default, value (null: unset; a number
 * when it reads as one), set_at, set_by, programmes: [names]}]. */
json_t *kf_settings_list(kf_engine *e, kf_err *err);
/* Set a declared setting (KF_ENOTFOUND when no programme declares name); a setting whose
 * default is a number takes a number, one whose default is true/false takes true or false
 * (KF_EINVAL otherwise). Event setting.changed {setting, from, to}. Returns its list row. */
json_t *kf_setting_set(kf_engine *e, const char *name, const char *value, const char *actor,
                       kf_err *err);

#endif
