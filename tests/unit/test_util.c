/* Unit tests for util.c: dates, durations, the error record. */
#define _GNU_SOURCE
#include <stdlib.h>

#include "kf.h"
#include "t.h"

int main(void) {
  int64_t t;
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
  int64_t d;
  CHECK(kf_parse_duration("90d", &d) == 0 && d == 90 * 86400, "days");
  CHECK(kf_parse_duration("2w", &d) == 0 && d == 14 * 86400, "weeks");
  CHECK(kf_parse_duration("12h", &d) == 0 && d == 12 * 3600, "hours");
  CHECK(kf_parse_duration("30m", &d) == 0 && d == 1800, "minutes");
  CHECK(kf_parse_duration("90", &d) == -1, "no unit");
  CHECK(kf_parse_duration("d", &d) == -1, "no number");
  CHECK(kf_parse_duration("-3d", &d) == -1, "negative");
  CHECK(kf_parse_duration("3dd", &d) == -1, "trailing");
  setenv("KINFLOW_NOW", "2026-03-01T00:00:00Z", 1);
  kf_parse_time("2026-03-01", &t);
  CHECK(kf_now() == t, "KINFLOW_NOW sets the clock");
  unsetenv("KINFLOW_NOW");
  CHECK(kf_now() > t - 86400 * 365 * 10, "system clock");
  kf_err err = {0};
  CHECK(kf_fail(&err, KF_EINVAL, "x %d", 3) == KF_EINVAL && !strcmp(err.msg, "x 3"), "kf_fail");
  CHECK(kf_fail(NULL, KF_EINVAL, "x") == KF_EINVAL, "kf_fail without a record");
  CHECK(kf_read_file("/nonexistent/file", NULL, &err) == NULL && CONTAINS(err.msg, "/nonexistent/file"),
        "unreadable file named: %s", err.msg);
  T_DONE();
}
