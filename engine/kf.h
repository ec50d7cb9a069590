/* kf.h: what every part of the engine shares: error codes, the error record, the clock.
 * Ownership, in one sentence for the whole engine: arguments are borrowed, except that a
 * function whose name ends in _new takes the json_t* it is given (even when it fails);
 * returned json_t* are new references the caller decrefs, returned char* the caller frees.
 * Errors: a fallible function returns a valid value or fails with err filled, never both;
 * inside the engine err is never NULL (only the outermost callers may pass NULL). */
#ifndef KF_H
#define KF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum {
  KF_OK = 0,
  KF_EINVAL = -1,    /* bad input: refused, the caller can fix it */
  KF_ENOTFOUND = -2, /* no such case, workflow, form, rule */
  KF_EREFUSED = -3,  /* a transition's conditions are not met */
  KF_ECONFLICT = -4, /* someone else changed the record first */
  KF_ELUA = -5,      /* a workflow's Lua code failed */
  KF_ESTORE = -6,    /* the database failed (disk full, I/O, corrupt) */
  KF_EBUSY = -7,     /* the database stayed locked past the timeout */
  KF_ENOMEM = -8,
  KF_EUSAGE = -9,
  KF_EAUTH = -10,    /* not signed in, or wrong login or password */
  KF_EFORBIDDEN = -11, /* signed in, but the record is not theirs to see or change */
};

/* How deeply nested a JSON value (case data, member data, a form entry) may be at any
 * door of the engine: the Lua half adds a few levels of its own below its limit of 64. */
#define KF_JSON_DEPTH 32

typedef struct kf_err {
  int code;
  char msg[512];
} kf_err;

/* Fill err (may be NULL) with code and a printf-style message; returns code. */
int kf_fail(kf_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The clock, one for the whole process and owned by the engine: UTC seconds, from an
 * override when one is set, else the system clock. Nothing else reads the time of day
 * (the store writes the times its callers pass, and they take them from kf_now).
 * The override is one atomic value: any thread may read it while another sets it, and
 * a reader sees either the old or the new time, never a mix. In practice it is set before
 * threads start (kf_clock_from_env at program start; the console's workers only read it),
 * and moved only by single-threaded runs (scenarios, unit tests). */
int64_t kf_now(void);
/* Fix the clock at t (until kf_clock_clear or another kf_clock_set). */
void kf_clock_set(int64_t t);
/* Back to the system clock. */
void kf_clock_clear(void);
/* 1 and *t (may be NULL) when the clock is fixed, 0 when it follows the system clock. */
int kf_clock_fixed(int64_t *t);
/* At program start: fix the clock at KINFLOW_NOW (ISO 8601, with an optional UTC offset)
 * when it is set and not empty. KF_EINVAL, naming the value, when it is not a date and
 * time: the clock is then left as it was, and the caller must not run. */
int kf_clock_from_env(kf_err *err);
/* Format t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void kf_iso(int64_t t, char buf[static 21]);
/* n in decimal, NUL-terminated (snprintf's "%lld" without its format); its length. */
size_t kf_int_text(int64_t n, char out[static 24]);
/* Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]"; 0 ok, -1 not a date. */
int kf_parse_time(const char *s, int64_t *out);
/* Parse a duration "90d", "12h", "2w", "30m", "45s" into seconds; -1 if malformed. */
int kf_parse_duration(const char *s, int64_t *out);

/* 0 when v nests at most max levels (a scalar is 0, {"a": 1} is 1); otherwise KF_EINVAL
 * with err naming `what` and the limit. */
struct json_t;
int kf_json_depth_ok(const struct json_t *v, int max, const char *what, kf_err *err);

/* Today's date (the engine clock) as YYYY-MM-DD. */
void kf_today(char buf[static 11]);
/* 1 when s is a date YYYY-MM-DD that exists (not 2026-02-30). */
int kf_is_date(const char *s);

/* Is s one of the texts of list? */
int kf_json_has_text(const struct json_t *list, const char *s);
/* The texts of list as "a, b, c", into buf (cut short at n). */
const char *kf_json_join(const struct json_t *list, char *buf, size_t n);

/* Read a whole file; NULL with err filled when it cannot. *len gets its size. */
char *kf_read_file(const char *path, size_t *len, kf_err *err);

#endif
