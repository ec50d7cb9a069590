/* Unit tests for util.c: dates, durations, the engine's clock, the error record. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "kf.h"
#include "t.h"

static int64_t t1, t2;
static atomic_int stop;

/* A reader of the clock while the main thread moves it: every reading is one of the two
 * times set, never a mix of them nor the system clock. */
static void *reader(void *ud) {
  long *bad = ud;
  while (!stop) {
    int64_t now = kf_now();
    if (now != t1 && now != t2) (*bad)++;
  }
  return NULL;
}

static void clock_tests(void) {
  int64_t t, got;
  time_t sys = time(NULL);
  CHECK(!kf_clock_fixed(&got), "the clock starts on the system clock");
  CHECK(llabs(kf_now() - (int64_t)sys) <= 2, "system clock: %lld", (long long)kf_now());

  kf_parse_time("2031-01-01", &t);
  kf_clock_set(t);
  CHECK(kf_now() == t && kf_clock_fixed(&got) && got == t, "kf_clock_set fixes the clock");
  kf_clock_clear();
  CHECK(!kf_clock_fixed(NULL) && llabs(kf_now() - (int64_t)time(NULL)) <= 2,
        "kf_clock_clear: back to the system clock");

  /* KINFLOW_NOW is read once, when asked, with its UTC offset */
  kf_err err = {0};
  setenv("KINFLOW_NOW", "2026-03-01T19:00:00+10:00", 1);
  kf_parse_time("2026-03-01T09:00:00Z", &t);
  CHECK(kf_clock_from_env(&err) == 0 && kf_now() == t, "KINFLOW_NOW with an offset: %s", err.msg);
  setenv("KINFLOW_NOW", "2040-01-01T00:00:00Z", 1);
  CHECK(kf_now() == t, "changing the environment later does not move the clock");
  setenv("KINFLOW_NOW", "yesterday", 1);
  CHECK(kf_clock_from_env(&err) == KF_EINVAL && err.code == KF_EINVAL &&
            CONTAINS(err.msg, "KINFLOW_NOW 'yesterday' is not a date and time (ISO 8601"),
        "an unreadable KINFLOW_NOW is refused: %s", err.msg);
  CHECK(kf_now() == t, "a refused KINFLOW_NOW leaves the clock as it was");
  setenv("KINFLOW_NOW", "", 1);
  CHECK(kf_clock_from_env(&err) == 0 && kf_now() == t, "an empty KINFLOW_NOW sets nothing");
  unsetenv("KINFLOW_NOW");
  kf_clock_clear();
  CHECK(kf_clock_from_env(&err) == 0 && !kf_clock_fixed(NULL), "no KINFLOW_NOW: system clock");

  /* many readers while one thread moves the clock */
  kf_parse_time("2026-01-05T09:00:00Z", &t1);
  kf_parse_time("2099-12-31T23:59:59Z", &t2);
  kf_clock_set(t1);
  long bad[4] = {0};
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, reader, &bad[i]);
  for (int i = 0; i < 200000; i++) kf_clock_set(i % 2 ? t2 : t1);
  stop = 1;
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  CHECK(bad[0] + bad[1] + bad[2] + bad[3] == 0, "readers on 4 threads saw only times set (%ld "
        "other readings)", bad[0] + bad[1] + bad[2] + bad[3]);
  kf_clock_clear();
}

int main(void) {
  int64_t t;
  CHECK(kf_is_date("2026-02-28") && kf_is_date("2028-02-29"), "dates that exist");
  CHECK(!kf_is_date("2026-02-30") && !kf_is_date("2027-02-29") && !kf_is_date("2026-1-05") &&
        !kf_is_date("2026-01-05T09:00:00Z") && !kf_is_date("next week") && !kf_is_date(NULL),
        "dates that do not exist, or are not dates");
  kf_clock_set(1767571200 + 3600);
  char day[11];
  kf_today(day);
  CHECK(!strcmp(day, "2026-01-05"), "today by the engine clock: %s", day);
  kf_clock_clear();
  CHECK(kf_parse_time("2026-01-05", &t) == 0 && t == 1767571200, "date at midnight UTC");
  CHECK(kf_parse_time("2026-01-05T09:30:00Z", &t) == 0 && t == 1767571200 + 9 * 3600 + 1800,
        "date and time");
  CHECK(kf_parse_time("2026-01-05T09:30Z", &t) == 0, "minutes only");
  CHECK(kf_parse_time("2024-02-29", &t) == 0, "leap day");
  CHECK(kf_parse_time("2026-02-29", &t) == -1, "not a leap year");
  CHECK(kf_parse_time("2026-13-01", &t) == -1, "month 13");
  CHECK(kf_parse_time("2026-1-5", &t) == -1, "unpadded");
  CHECK(kf_parse_time("05/01/2026", &t) == -1, "other format");
  CHECK(kf_parse_time("2026-01-05T25:00:00Z", &t) == -1, "hour 25");
  CHECK(kf_parse_time("2026-01-05junk", &t) == -1, "trailing text");
  CHECK(kf_parse_time(NULL, &t) == -1, "NULL");
  char buf[21];
  kf_parse_time("1999-12-31T23:59:59Z", &t);
  kf_iso(t, buf);
  CHECK(strcmp(buf, "1999-12-31T23:59:59Z") == 0, "round trip: %s", buf);
  int same = 0;
  uint64_t x = 88172645463325252u;
  for (int i = 0; i < 20000; i++) { /* as strftime writes it, twice (the second kept) */
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int64_t at = i < 100 ? 1767225600 + i / 2 : (int64_t)(x % 253402300800u);
    time_t tt = (time_t)at;
    struct tm tm;
    char want[32];
    gmtime_r(&tt, &tm);
    strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
    kf_iso(at, buf);
    same += !strcmp(buf, want);
    kf_iso(at, buf);
    same += !strcmp(buf, want);
  }
  CHECK(same == 40000, "kf_iso writes what strftime writes (%d of 40000)", same);
  int ints = 0;
  static const int64_t edge[] = {0, 1, -1, 9, 10, -10, 99, 100, INT64_MAX, INT64_MIN, INT64_MIN + 1};
  for (int i = 0; i < 10000; i++) { /* as snprintf's %lld writes it, and its length */
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int64_t n = i < 11 ? edge[i] : (int64_t)x >> (x % 60);
    char want[32], got[24];
    int len = snprintf(want, sizeof want, "%lld", (long long)n);
    ints += kf_int_text(n, got) == (size_t)len && !strcmp(got, want);
  }
  CHECK(ints == 10000, "kf_int_text writes what snprintf writes (%d of 10000)", ints);
  kf_iso(253402300800, buf); /* the year 10000 */
  CHECK(!strcmp(buf, "9999-12-31T23:59:59Z"), "after the year 9999: its last second (%s)", buf);
  kf_iso(-62167219201, buf);
  CHECK(!strcmp(buf, "0000-01-01T00:00:00Z"), "before the year 0: its first second (%s)", buf);
  int64_t d;
  CHECK(kf_parse_duration("90d", &d) == 0 && d == 90 * 86400, "days");
  CHECK(kf_parse_duration("2w", &d) == 0 && d == 14 * 86400, "weeks");
  CHECK(kf_parse_duration("12h", &d) == 0 && d == 12 * 3600, "hours");
  CHECK(kf_parse_duration("30m", &d) == 0 && d == 1800, "minutes");
  CHECK(kf_parse_duration("90", &d) == -1, "no unit");
  CHECK(kf_parse_duration("d", &d) == -1, "no number");
  CHECK(kf_parse_duration("-3d", &d) == -1, "negative");
  CHECK(kf_parse_duration("3dd", &d) == -1, "trailing");
  clock_tests();
  kf_err err = {0};
  CHECK(kf_fail(&err, KF_EINVAL, "x %d", 3) == KF_EINVAL && !strcmp(err.msg, "x 3"), "kf_fail");
  CHECK(kf_fail(NULL, KF_EINVAL, "x") == KF_EINVAL, "kf_fail without a record");
  CHECK(kf_read_file("/nonexistent/file", NULL, &err) == NULL && CONTAINS(err.msg, "/nonexistent/file"),
        "unreadable file named: %s", err.msg);
  T_DONE();
}
