/* consent.h: consent as a record of a member of the case, flags for the case's worker,
 * and sharing that follows consent (what leaves the agency: the outbox's destinations,
 * exports; sharing.h decides whether records may go). Each verb is one transaction with its event, as runtime.h's are.
 * Consent JSON: {id, case, member, name, role, purpose, from, until (or null), current,
 * recorded_by, recorded_at, withdrawn_at, withdrawn_by, withdrawn_reason, on_behalf}.
 * Ownership: json_t* arguments are borrowed; returned json_t* are new references. */
#ifndef KF_CONSENT_H
#define KF_CONSENT_H

#include <jansson.h>

#include "kf.h"
#include "runtime.h"
#include "store.h"

/* Member `member` of case case_id gives consent to purpose (an identifier
 * ^[a-z][a-z0-9_]{0,63}$) from `from` (YYYY-MM-DD; NULL: today) until `until` (NULL: no
 * end). KF_EINVAL naming what is wrong: a member not on the case, a purpose that is no
 * identifier, a date that is no date, until before from. Event consent.given {consent,
 * member, purpose, from, until}. Returns the consent. */
json_t *kf_consent_give(kf_engine *e, const char *case_id, int64_t member, const char *purpose,
                        const char *from, const char *until, const char *actor, kf_err *err);
/* Withdraw consent `consent` of case case_id, by the member (on_behalf 0; reason may be
 * NULL) or recorded on their behalf (on_behalf 1: a reason is required). KF_EINVAL for an
 * unknown or already withdrawn consent. Events consent.withdrawn {consent, member,
 * purpose, reason, on_behalf} and case.flagged {flag, kind: "consent_withdrawn", text}
 * (a flag for the case's worker), in the same transaction. Returns the consent. */
json_t *kf_consent_withdraw(kf_engine *e, const char *case_id, int64_t consent,
                            const char *reason, const char *actor, int on_behalf, kf_err *err);
/* The case's consents, oldest first. */
json_t *kf_consent_list(kf_engine *e, const char *case_id, kf_err *err);

/* The case's open flags [{id, kind, text, raised_at}]. */
json_t *kf_case_flags(kf_engine *e, const char *case_id, kf_err *err);
/* The same for a case already found (its id). */
json_t *kf_case_flags_of(kf_engine *e, int64_t id, kf_err *err);
/* Clear open flag `flag` of the case (KF_ENOTFOUND when it has no such open flag). Event
 * case.flag_cleared {flag, kind, text}. Returns the flags still open. */
json_t *kf_case_flag_clear(kf_engine *e, const char *case_id, int64_t flag, const char *actor,
                           kf_err *err);
/* What was withheld from each destination, for want of consent:
 * [{destination, purpose, events, first_seq, last_seq, reason, updated_at}]. */
json_t *kf_case_sharing(kf_engine *e, const char *case_id, kf_err *err);
/* The same for a case already found (its id). */
json_t *kf_case_sharing_of(kf_engine *e, int64_t id, kf_err *err);

/* The case's records as one object, for a destination outside the agency, only under a
 * current consent for purpose: {exported_at, purpose, destination, consent, case (with
 * data), members, entries (valid ones), events}, sensitive values as "(private)".
 * Without a current consent: KF_EREFUSED naming the purpose and why, recorded in
 * withheld. Done: event case.exported {purpose, destination}. destination NULL: "export". */
json_t *kf_case_export(kf_engine *e, const char *case_id, const char *purpose,
                       const char *destination, const char *actor, kf_err *err);

#endif
