/* sharing.h: whether a case's records may leave the agency for a purpose (the outbox's
 * destinations, exports): only under a consent current today; otherwise they are withheld,
 * recorded in the store with why. It needs only a store, so that the plugin host
 * (kf_api.may_share) and the engine's verbs both ask it. */
#ifndef KF_SHARING_H
#define KF_SHARING_H

#include <stddef.h>
#include <stdint.h>

#include "kf.h"
#include "store.h"

/* 1 when purpose is an identifier: ^[a-z][a-z0-9_]{0,63}$. */
int kf_sharing_purpose_ok(const char *purpose);

/* Why case case_id has no consent to purpose current on day (YYYY-MM-DD), into why (n
 * bytes): "no consent to P has been recorded", "no current consent to P (withdrawn DATE)",
 * "... (it ended DATE)", "... (it starts DATE)". 0, or an error code with err filled. */
int kf_sharing_why_not(kf_store *st, int64_t case_id, const char *purpose, const char *day,
                       char *why, size_t n, kf_err *err);

/* May case_id's records go to destination for purpose now (the engine's clock)? 1: a
 * consent current today covers it; 0: no (why says why, e.g. "no current consent to
 * share_with_partners (withdrawn 2026-05-01)"); -1: an error (why says it). case_id 0 (an
 * event about no case): always 1. It only reads: kf_sharing_withhold records what is
 * withheld. Outside a transaction, or inside the caller's. */
int kf_sharing_decide(kf_store *st, int64_t case_id, const char *purpose,
                      const char *destination, char *why, size_t n);

/* Record event seq of case_id as withheld from destination for purpose, with reason (what
 * kf_sharing_decide said): 0, or -1 with error (n bytes) saying why not. */
int kf_sharing_withhold(kf_store *st, int64_t case_id, const char *destination,
                        const char *purpose, int64_t seq, const char *reason, char *error,
                        size_t n);

#endif
