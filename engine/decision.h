/* decision.h: shared decisions as the runtime records them: what was decided, for which
 * move (if any), who took part (members of the case and staff) with their views, and
 * whether the family agreed. Each record is one transaction with its event.
 * Ownership: json_t* arguments are borrowed; results are new references. */
#ifndef KF_DECISION_H
#define KF_DECISION_H

#include <jansson.h>

#include "kf.h"
#include "runtime.h"

/* decision: {for?: transition, decided: text, family_agreed: bool, participants:
 * [{member: ID, view?: text} | {login: LOGIN, view?: text}]}. Refused (KF_EINVAL, one line)
 * when decided is empty, family_agreed is not a boolean, a participant is neither a member
 * of the case nor a user, no participant is a member holding a family role of the case's
 * programme, or `for` is not one of its transitions; KF_ENOTFOUND for no such case.
 * Event decision.recorded {decision, for, family_agreed, participants: N}. Returns the
 * decision {id, case, for, decided, family_agreed, participants: [{member?, login?, name,
 * role, view}], recorded_by, recorded_at}. */
json_t *kf_decision_record(kf_engine *e, const char *case_id, json_t *decision,
                           const char *actor, kf_err *err);
/* The case's decisions, oldest first. */
json_t *kf_decision_list(kf_engine *e, const char *case_id, kf_err *err);

#endif
