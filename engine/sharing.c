/* sharing.c: whether a case's records may leave the agency for a purpose: a consent current
 * today lets them go; otherwise they are withheld, and the store records what and why. It
 * stands on the store alone (no engine, no Lua), so the plugin host can ask it for any
 * connection; it writes nothing but the withheld rows. */
#define _GNU_SOURCE
#include "sharing.h"

#include <stdio.h>
#include <string.h>

int kf_sharing_purpose_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 1 || n > 64 || s[0] < 'a' || s[0] > 'z') return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
  return 1;
}

/* Why standing k (none current on day) lets nothing go, into why (n bytes). */
static void why_of(const kf_consent_standing *k, const char *purpose, const char *day,
                   char *why, size_t n) {
  if (!k->any) snprintf(why, n, "no consent to %s has been recorded", purpose);
  else if (k->withdrawn_at[0])
    snprintf(why, n, "no current consent to %s (withdrawn %.10s)", purpose, k->withdrawn_at);
  else if (k->until[0] && strcmp(k->until, day) < 0)
    snprintf(why, n, "no current consent to %s (it ended %s)", purpose, k->until);
  else snprintf(why, n, "no current consent to %s (it starts %s)", purpose, k->from);
}

int kf_sharing_why_not(kf_store *st, int64_t case_id, const char *purpose, const char *day,
                       char *why, size_t n, kf_err *err) {
  kf_consent_standing k;
  if (kf_store_consent_standing(st, case_id, purpose, day, &k, err)) return err->code;
  why_of(&k, purpose, day, why, n);
  return 0;
}

int kf_sharing_decide(kf_store *st, int64_t case_id, const char *purpose,
                      const char *destination, char *why, size_t n) {
  char dummy[8];
  if (!why || !n) why = dummy, n = sizeof dummy;
  why[0] = 0;
  if (case_id <= 0) return 1;
  if (!st) {
    snprintf(why, n, "no database is open here");
    return -1;
  }
  if (!kf_sharing_purpose_ok(purpose) || !destination || !*destination) {
    snprintf(why, n, "may_share needs a purpose (an identifier) and a destination");
    return -1;
  }
  char day[11];
  kf_today(day);
  kf_err err = {0};
  kf_consent_standing k;
  if (kf_store_consent_standing(st, case_id, purpose, day, &k, &err)) {
    snprintf(why, n, "%s", err.msg);
    return -1;
  }
  if (k.current) return 1;
  why_of(&k, purpose, day, why, n);
  return 0;
}

int kf_sharing_withhold(kf_store *st, int64_t case_id, const char *destination,
                        const char *purpose, int64_t seq, const char *reason, char *error,
                        size_t n) {
  char now[21];
  kf_iso(kf_now(), now);
  kf_err err = {0};
  if (kf_store_withheld_add(st, case_id, destination, purpose, seq, reason, now, &err)) {
    snprintf(error, n, "%s", err.msg);
    return -1;
  }
  return 0;
}
