/* util.c: the error record, the engine's one clock, and small text helpers shared by the
 * engine. Nothing here touches the database or Lua; only kf_clock_from_env reads the
 * environment's KINFLOW_NOW, and only when main asks. */
#define _GNU_SOURCE
#include "kf.h"

#include <errno.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kf_fail(kf_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* One line, whatever the pieces held. */
    for (char *p = err->msg; *p; p++)
      if (*p == '\n' || *p == '\r') *p = ' ';
    err->code = code;
  }
  return code;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m) {
  static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return dm[m - 1];
}

int kf_parse_time(const char *s, int64_t *out) {
  int y, mo, d, h = 0, mi = 0, se = 0, n = 0, offset = 0;
  if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return -1;
  const char *p = s + 10;
  if (*p == 'T' || *p == ' ') {
    int k = 0;
    if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &k) != 2 || k != 5) return -1;
    p += 1 + k;
    if (*p == ':') {
      if (sscanf(p + 1, "%2d%n", &se, &k) != 1 || k != 2) return -1;
      p += 3;
    }
    if (*p == '.') /* fractional seconds are accepted and dropped */
      for (p++; *p >= '0' && *p <= '9'; p++) {}
    if (h > 23 || mi > 59 || se > 60) return -1;
    if (*p == 'Z') p++;
    else if (*p == '+' || *p == '-') { /* an offset from UTC: +10:00, -0500 */
      int oh, om = 0;
      if (sscanf(p + 1, "%2d%n", &oh, &k) != 1 || k != 2) return -1;
      const char *q = p + 3;
      if (*q == ':') q++;
      if (*q && (sscanf(q, "%2d%n", &om, &k) != 1 || k != 2)) return -1;
      if (*q) q += 2;
      if (oh > 14 || om > 59) return -1;
      offset = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      p = q;
    }
  }
  if (*p) return -1;
  *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - offset;
  return 0;
}

size_t kf_int_text(int64_t n, char out[static 24]) {
  char rev[24];
  size_t len = 0, k = 0;
  uint64_t u = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
  do rev[len++] = (char)('0' + u % 10); while ((u /= 10));
  if (n < 0) out[k++] = '-';
  while (len) out[k++] = rev[--len];
  out[k] = 0;
  return k;
}

static void digits(char *p, int v, int n) {
  while (n--) {
    p[n] = (char)('0' + v % 10);
    v /= 10;
  }
}

/* t as 2026-01-05T09:30:00Z. Every write of a record asks for the time: the last second
 * written is kept per thread. */
void kf_iso(int64_t t, char buf[static 21]) {
  static _Thread_local int64_t last_t = INT64_MIN;
  static _Thread_local char last[21];
  if (t == last_t) {
    memcpy(buf, last, 21);
    return;
  }
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  int year = tm.tm_year + 1900;
  if (year < 0 || year > 9999) { /* beyond what the text can say: its nearest end */
    memcpy(buf, year < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z", 21);
    return;
  }
  memcpy(buf, "0000-00-00T00:00:00Z", 21);
  digits(buf, year, 4);
  digits(buf + 5, tm.tm_mon + 1, 2);
  digits(buf + 8, tm.tm_mday, 2);
  digits(buf + 11, tm.tm_hour, 2);
  digits(buf + 14, tm.tm_min, 2);
  digits(buf + 17, tm.tm_sec, 2);
  memcpy(last, buf, 21);
  last_t = t;
}

/* The override: INT64_MIN when none (no date kf_parse_time reads comes near it). One
 * atomic word, so that a reader never sees half of a time being set. */
static _Atomic int64_t clock_fixed_at = INT64_MIN;

int64_t kf_now(void) {
  int64_t t = atomic_load(&clock_fixed_at);
  return t != INT64_MIN ? t : (int64_t)time(NULL);
}

void kf_clock_set(int64_t t) {
  /* INT64_MIN means "no override"; a time that far back is nothing a caller means. */
  atomic_store(&clock_fixed_at, t == INT64_MIN ? INT64_MIN + 1 : t);
}

void kf_clock_clear(void) { atomic_store(&clock_fixed_at, INT64_MIN); }

int kf_clock_fixed(int64_t *t) {
  int64_t v = atomic_load(&clock_fixed_at);
  if (v == INT64_MIN) return 0;
  if (t) *t = v;
  return 1;
}

int kf_clock_from_env(kf_err *err) {
  const char *env = getenv("KINFLOW_NOW");
  int64_t t;
  if (!env || !*env) return 0;
  if (kf_parse_time(env, &t))
    return kf_fail(err, KF_EINVAL, "KINFLOW_NOW '%s' is not a date and time (ISO 8601, e.g. "
                   "2026-03-01T09:00:00Z or 2026-03-01T19:00:00+10:00)", env);
  kf_clock_set(t);
  return 0;
}

int kf_parse_duration(const char *s, int64_t *out) {
  char *end;
  if (!s || !*s) return -1;
  errno = 0;
  long long n = strtoll(s, &end, 10);
  if (errno || end == s || n < 0 || n > 100000) return -1;
  int64_t unit;
  switch (*end) {
  case 's': unit = 1; break;
  case 'm': unit = 60; break;
  case 'h': unit = 3600; break;
  case 'd': unit = 86400; break;
  case 'w': unit = 7 * 86400; break;
  default: return -1;
  }
  if (end[1]) return -1;
  *out = (int64_t)n * unit;
  return 0;
}

char *kf_read_file(const char *path, size_t *len, kf_err *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    kf_fail(err, KF_EINVAL, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (ferror(f)) {
      kf_fail(err, KF_EINVAL, "%s: cannot read: %s", path, strerror(errno));
      free(buf);
      buf = NULL;
      break;
    }
    if (feof(f)) break;
    if (cap > (64u << 20)) {
      kf_fail(err, KF_EINVAL, "%s: larger than 64 MiB", path);
      free(buf);
      buf = NULL;
      break;
    }
    char *nb = realloc(buf, cap * 2);
    if (!nb) free(buf);
    buf = nb;
    cap *= 2;
  }
  fclose(f);
  if (!buf) {
    if (err && !err->msg[0]) kf_fail(err, KF_ENOMEM, "%s: out of memory", path);
    return NULL;
  }
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

/* Depth without recursion past the limit: stops descending at max + 1. */
static int depth(const json_t *v, int max) {
  int d = 0, k;
  size_t i;
  const char *key;
  json_t *x;
  if (json_is_object(v)) {
    json_object_foreach((json_t *)v, key, x) {
      if ((k = max > 0 ? depth(x, max - 1) : 1) > d) d = k;
      if (d > max) break;
    }
    return d + 1;
  }
  if (json_is_array(v)) {
    json_array_foreach(v, i, x) {
      if ((k = max > 0 ? depth(x, max - 1) : 1) > d) d = k;
      if (d > max) break;
    }
    return d + 1;
  }
  return 0;
}

int kf_json_depth_ok(const json_t *v, int max, const char *what, kf_err *err) {
  if (!v || depth(v, max) <= max) return 0;
  return kf_fail(err, KF_EINVAL, "%s is nested more than %d levels deep; at most %d are "
                 "allowed", what, max, max);
}

int kf_json_has_text(const json_t *list, const char *s) {
  size_t i;
  json_t *x;
  json_array_foreach(list, i, x) if (s && json_is_string(x) && !strcmp(json_string_value(x), s)) return 1;
  return 0;
}

const char *kf_json_join(const json_t *list, char *buf, size_t n) {
  size_t i, used = 0;
  json_t *x;
  if (n) buf[0] = 0;
  json_array_foreach(list, i, x)
    if (used < n) used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", json_string_value(x));
  return buf;
}

void kf_today(char buf[static 11]) {
  char iso[21];
  kf_iso(kf_now(), iso);
  memcpy(buf, iso, 10);
  buf[10] = 0;
}

int kf_is_date(const char *s) {
  int64_t t;
  if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || kf_parse_time(s, &t)) return 0;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return 0;
  char back[21];
  kf_iso(t, back);
  return !strncmp(back, s, 10);
}
