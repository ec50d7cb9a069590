/* report.h: history from the event log, as rows of JSON: time in each state, outcomes, a
 * case's stays. The same figures for `kinflow report` and the console.
 * Ownership: returned json_t* are new references; NULL with err filled on failure. */
#ifndef KF_REPORT_H
#define KF_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "kf.h"
#include "store.h"

/* Per workflow (NULL: all) and state, in the definition's order: {workflow, state, title,
 * final, cases_now, stays, median_days, p90_days}; stays still open end at `end`. */
json_t *kf_report_stages(kf_store *st, const char *workflow, int64_t end, kf_err *err);
/* Final outcomes: {programme, workflow (null: the programme's total over its adaptations),
 * outcome, cases, median_days (days from opening to the outcome)}. */
json_t *kf_report_outcomes(kf_store *st, const char *workflow, int64_t end, kf_err *err);
/* The same, grouped by who ended the work (a final state's ended_by) when by_ended: rows
 * carry ended_by (null: the final state does not say) instead of outcome. */
json_t *kf_report_outcomes_by(kf_store *st, const char *workflow, int by_ended, int64_t end,
                              kf_err *err);
/* One case's stays up to `end`: [{state, entered, left, days, final}]. */
json_t *kf_report_stays(kf_store *st, int64_t case_id, int64_t end, kf_err *err);

#endif
