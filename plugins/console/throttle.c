/* throttle.c: failed sign-ins counted per login and per address, in memory, in a fixed
 * table. A count inside its window is never dropped to make room, and an attempt refused
 * already makes no entry: a full table refuses sign-ins it could not count. It only counts:
 * the answer (429 and Retry-After) is auth.c's, and it never sees a password. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <time.h>

#include "console.h"

enum {
  LOGIN_FAILS = 5,  /* failed sign-ins per login in WINDOW before 429 */
  ADDR_FAILS = 20,  /* failed sign-ins per address in WINDOW before 429 */
  WINDOW = 15 * 60,
  /* Logins and addresses remembered at once (an entry is 272 bytes, its hash looked
   * through first). An entry is only made for an attempt that passed the counts, and each
   * failure costs an argon2id hash (tens of milliseconds on one of at most 4 threads), so
   * filling the table inside one window takes over 60,000 failures from over 3,000
   * addresses, about as many as the server can check in 15 minutes at full load; a full
   * table refuses (FULL_WAIT) rather than forgets. */
  STRIKES = 65536,
  FULL_WAIT = 60,
  BUSY_WAIT = 5,    /* as many attempts for one login in flight as it has left */
};

typedef struct strike {
  char key[96];          /* "l:LOGIN" or "a:ADDRESS" */
  double at[ADDR_FAILS]; /* times of the latest failures, a ring */
  int n, next;           /* failures kept, where the next goes */
  int pending;           /* attempts being checked right now */
} strike;

static strike strikes[STRIKES];
static uint64_t hashes[STRIKES]; /* of each entry's key, 0 when unused: looked through first */
static pthread_mutex_t strikes_mu = PTHREAD_MUTEX_INITIALIZER;
static double warned = -1e9; /* when a full table was last reported */

static double monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t key_hash(const char *k) {
  uint64_t h = 14695981039346656037ULL; /* FNV-1a */
  for (; *k; k++) h = (h ^ (unsigned char)*k) * 1099511628211ULL;
  return h ? h : 1;
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

/* The entries in use: STRIKES, or fewer (KINFLOW_CONSOLE_THROTTLE_ENTRIES, for tests). */
static size_t capacity(void) {
  return cfg.throttle_entries > 0 && cfg.throttle_entries < STRIKES ? (size_t)cfg.throttle_entries
                                                                     : STRIKES;
}

static strike *strike_find(const char *key, uint64_t h) {
  for (size_t i = 0, n = capacity(); i < n; i++)
    if (hashes[i] == h && !strcmp(strikes[i].key, key)) return &strikes[i];
  return NULL;
}

static void strike_clear(strike *s) {
  memset(s, 0, sizeof *s);
  hashes[s - strikes] = 0;
}

/* A new entry for key, in a slot that is unused or else holds only failures past their
 * window; NULL when every slot still counts something. */
static strike *strike_make(const char *key, uint64_t h, double now) {
  size_t i = 0, n = capacity();
  while (i < n && hashes[i]) i++;
  for (size_t j = 0; i == n && j < n; j++)
    if (!strikes[j].pending && !strike_recent(&strikes[j], now, NULL)) i = j;
  if (i == n) return NULL;
  strike *s = &strikes[i];
  memset(s, 0, sizeof *s);
  snprintf(s->key, sizeof s->key, "%s", key);
  hashes[i] = h;
  return s;
}

/* An entry that counts nothing any more gives its slot back. */
static void strike_release(strike *s, double now) {
  if (s && !s->pending && !strike_recent(s, now, NULL)) strike_clear(s);
}

static void strike_add(strike *s, double now) {
  s->at[s->next] = now;
  s->next = (s->next + 1) % ADDR_FAILS;
  if (s->n < ADDR_FAILS) s->n++;
}

/* Seconds to wait before another attempt counted by s (with limit failures allowed), or 0. */
static int strike_wait(const strike *s, int limit, double now) {
  int w = 0, n = strike_recent(s, now, &w);
  if (n + s->pending < limit) return 0;
  return n >= limit ? w : BUSY_WAIT; /* the attempts in flight may yet succeed */
}

/* The keys of a login and of an address. IPv6 clients count by their /64 network: one host
 * usually has all of it. */
static void keys(const char *login, const char *addr, char *lk, char *ak, size_t len) {
  snprintf(lk, len, "l:%s", login);
  struct in6_addr a6;
  char net[INET6_ADDRSTRLEN];
  if (strchr(addr, ':') && inet_pton(AF_INET6, addr, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
    memset(a6.s6_addr + 8, 0, 8);
    if (inet_ntop(AF_INET6, &a6, net, sizeof net)) {
      snprintf(ak, len, "a:%s/64", net);
      return;
    }
  }
  snprintf(ak, len, "a:%s", addr);
}

/* Before a password is checked: 0 and the attempt reserved, or seconds to wait (429). A
 * refused attempt makes no entry. */
int throttle_begin(const char *login, const char *addr) {
  char lk[96], ak[96];
  keys(login, addr, lk, ak, sizeof lk);
  uint64_t lh = key_hash(lk), ah = key_hash(ak);
  int wait = 0, full = 0, w;
  pthread_mutex_lock(&strikes_mu);
  double now = monotonic();
  strike *l = strike_find(lk, lh), *a = strike_find(ak, ah);
  if (l && (w = strike_wait(l, LOGIN_FAILS, now)) > wait) wait = w;
  if (a && (w = strike_wait(a, ADDR_FAILS, now)) > wait) wait = w;
  if (!wait) {
    /* each reserved as soon as it is had, so that making the other cannot take its slot */
    if (l || (l = strike_make(lk, lh, now))) l->pending++;
    if (a || (a = strike_make(ak, ah, now))) a->pending++;
    if (!l || !a) {
      if (l) l->pending--;
      if (a) a->pending--;
      strike_release(l, now);
      strike_release(a, now);
      wait = FULL_WAIT;
      full = now - warned >= 60; /* said once a minute at most */
      if (full) warned = now;
    }
  }
  pthread_mutex_unlock(&strikes_mu);
  if (full)
    api->log(self, KF_LOG_WARN, "sign-in refused: the throttle's %zu entries all count "
             "failures inside their window (a flood of failed sign-ins?)", capacity());
  return wait;
}

/* After the check: a failure counts against both; a success clears the login's count. */
void throttle_end(const char *login, const char *addr, int failed) {
  char lk[96], ak[96];
  keys(login, addr, lk, ak, sizeof lk);
  pthread_mutex_lock(&strikes_mu);
  double now = monotonic();
  strike *l = strike_find(lk, key_hash(lk)), *a = strike_find(ak, key_hash(ak));
  if (l) {
    l->pending--;
    if (failed) strike_add(l, now);
    else l->n = l->next = 0;
    strike_release(l, now);
  }
  if (a) {
    a->pending--;
    if (failed) strike_add(a, now);
    strike_release(a, now);
  }
  pthread_mutex_unlock(&strikes_mu);
}
