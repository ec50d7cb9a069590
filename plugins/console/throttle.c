/* throttle.c: failed sign-ins counted per login and per address, in memory, in a fixed
 * table (a full table refuses rather than grows). It only counts: the answer (429 and
 * Retry-After) is auth.c's, and it never sees a password. */
#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>

#include "console.h"

enum {
  LOGIN_FAILS = 5,  /* failed sign-ins per login in WINDOW before 429 */
  ADDR_FAILS = 20,  /* failed sign-ins per address in WINDOW before 429 */
  WINDOW = 15 * 60,
  STRIKES = 2048,   /* logins and addresses remembered at once */
};

typedef struct strike {
  char key[96];          /* "l:LOGIN" or "a:ADDRESS"; empty when unused */
  double at[ADDR_FAILS]; /* times of the latest failures, a ring */
  int n, next;           /* failures kept, where the next goes */
  int pending;           /* attempts being checked right now */
  double last;           /* last use, to recycle the stalest entry */
} strike;

static strike strikes[STRIKES];
static pthread_mutex_t strikes_mu = PTHREAD_MUTEX_INITIALIZER;

static double monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static strike *strike_find(const char *key, int make, double now) {
  strike *spare = NULL;
  for (size_t i = 0; i < STRIKES; i++) {
    if (!strcmp(strikes[i].key, key)) return &strikes[i];
    if (!strikes[i].pending && (!spare || strikes[i].last < spare->last)) spare = &strikes[i];
  }
  if (!make || !spare) return NULL;
  memset(spare, 0, sizeof *spare);
  snprintf(spare->key, sizeof spare->key, "%s", key);
  spare->last = now;
  return spare;
}

/* The entries of a login and of an address. With begin, they are made when missing and
 * reserved for an attempt in flight (one at a time, so that making the second cannot
 * recycle the first); either is NULL when missing, or when the table is full of attempts in
 * flight. Called under strikes_mu. */
static void strikes_of(const char *login, const char *addr, int begin, double now, strike **l,
                       strike **a) {
  char key[96];
  snprintf(key, sizeof key, "l:%s", login);
  if ((*l = strike_find(key, begin, now)) && begin) (*l)->pending++;
  snprintf(key, sizeof key, "a:%s", addr);
  if ((*a = strike_find(key, begin, now)) && begin) (*a)->pending++;
}

/* Failures within the window, and seconds until the oldest of them leaves it. */
static int strike_recent(const strike *s, double now, int *wait) {
  int n = 0;
  double oldest = now;
  for (int i = 0; i < s->n; i++)
    if (now - s->at[i] < WINDOW) {
      n++;
      if (s->at[i] < oldest) oldest = s->at[i];
    }
  if (wait) *wait = (int)(WINDOW - (now - oldest)) + 1;
  return n;
}

static void strike_add(strike *s, double now) {
  s->at[s->next] = now;
  s->next = (s->next + 1) % ADDR_FAILS;
  if (s->n < ADDR_FAILS) s->n++;
}

/* Before a password is checked: 0 and the attempt reserved, or seconds to wait (429). */
int throttle_begin(const char *login, const char *addr) {
  strike *l, *a;
  int wait = 0, w;
  pthread_mutex_lock(&strikes_mu);
  double now = monotonic();
  strikes_of(login, addr, 1, now, &l, &a);
  if (!l || !a) wait = 60; /* the table is full of attempts in flight: an attack */
  if (l && strike_recent(l, now, &w) + l->pending - 1 >= LOGIN_FAILS) wait = w > wait ? w : wait;
  if (a && strike_recent(a, now, &w) + a->pending - 1 >= ADDR_FAILS) wait = w > wait ? w : wait;
  if (wait) {
    if (l) l->pending--;
    if (a) a->pending--;
  }
  pthread_mutex_unlock(&strikes_mu);
  return wait;
}

/* After the check: a failure counts against both; a success clears the login's count. */
void throttle_end(const char *login, const char *addr, int failed) {
  strike *l, *a;
  pthread_mutex_lock(&strikes_mu);
  double now = monotonic();
  strikes_of(login, addr, 0, now, &l, &a);
  if (l) {
    l->pending--;
    l->last = now;
    if (failed) strike_add(l, now);
    else l->n = l->next = 0;
  }
  if (a) {
    a->pending--;
    a->last = now;
    if (failed) strike_add(a, now);
  }
  pthread_mutex_unlock(&strikes_mu);
}
