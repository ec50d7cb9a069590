/* sharing.c: whether a case's records may leave the agency for a purpose: a consent current
 * today lets them go; otherwise they are withheld, and the store records what and why. It
 * stands on the store alone (no engine, no Lua), so the plugin host can ask it for any
 * connection; it writes nothing but the withheld rows. */
#define _GNU_SOURCE
#include "sharing.h"

#include <stdio.h>
#include <string.h>

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

int kf_sharing_purpose_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 1 || n > 64 || s[0] < 'a' || s[0] > 'z') return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
  return 1;
}

int kf_sharing_why_not(kf_store *st, int64_t case_id, const char *purpose, const char *day,
                       char *why, size_t n, kf_err *err) {
  kf_err look = {0};
  json_t *last = kf_store_consent_current(st, case_id, purpose, NULL, &look);
  if (!last && look.code != KF_ENOTFOUND) {
    *err = look;
    return err->code;
  }
  if (!last) snprintf(why, n, "no consent to %s has been recorded", purpose);
  else if (json_is_string(json_object_get(last, "withdrawn_at")))
    snprintf(why, n, "no current consent to %s (withdrawn %.10s)", purpose, jstr(last, "withdrawn_at"));
  else if (jstr(last, "until") && strcmp(jstr(last, "until"), day) < 0)
    snprintf(why, n, "no current consent to %s (it ended %s)", purpose, jstr(last, "until"));
  else snprintf(why, n, "no current consent to %s (it starts %s)", purpose, jstr(last, "from"));
  json_decref(last);
  return 0;
}

int kf_sharing_may_share(kf_store *st, int64_t case_id, const char *purpose,
                         const char *destination, int64_t seq, char *why, size_t n) {
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
  char now[21], day[11];
  kf_iso(kf_now(), now);
  memcpy(day, now, 10);
  day[10] = 0;
  kf_err err = {0};
  json_t *cur = kf_store_consent_current(st, case_id, purpose, day, &err);
  if (cur) {
    json_decref(cur);
    return 1;
  }
  if (err.code != KF_ENOTFOUND || kf_sharing_why_not(st, case_id, purpose, day, why, n, &err) ||
      kf_store_withheld_add(st, case_id, destination, purpose, seq, why, now, &err)) {
    snprintf(why, n, "%s", err.msg);
    return -1;
  }
  return 0;
}
