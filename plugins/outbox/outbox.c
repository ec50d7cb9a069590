/* outbox.c: a C plugin that delivers committed events to a JSON-lines file, after the
 * transaction that made them commits. Its cursor lives in the database with a lease on
 * delivering (kf_api's reader_delivery_*), so that however many processes and servers
 * run, one delivers at a time and each event goes once; a crash between the file and the
 * cursor resends from the cursor (at least once), and a holder that died loses its lease.
 * An event about a case goes only under a current consent for the outbox's purpose
 * (KINFLOW_OUTBOX_PURPOSE, default share_with_partners); otherwise it is skipped for good,
 * and the engine records it as withheld. Delivery runs on a thread of the plugin's own
 * with a reader (its own connection): the hook only says how far the log has come, so a
 * transition never waits for the file, and a burst of commits goes out in batches; the
 * plugin's unload delivers what is left. It reaches the engine only through kf_api. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "kf_plugin.h"

static const kf_api *api;
static kf_host *self;

typedef struct outbox {
  char target[4096];
  char cursor[4200];      /* the file cursor of versions before the database kept it */
  char destination[4200]; /* the cursor's name in the database: "outbox:" and the file */
} outbox;

/* Seconds one process may deliver before another may take over (each batch renews it);
 * the delivery thread's shortest time between two rounds, in ms. */
enum { LEASE = 30, ROUND_MS = 10 };

static outbox box;

/* The delivery thread and what the hooks tell it: the newest seq committed (wanted) and
 * the newest delivered or decided (done). started: 0 not yet, 1 running, -1 could not
 * start (then hooks deliver themselves). idle: the thread waits for work, and a hook wakes
 * it; otherwise it is delivering or pacing its rounds, and finds the work when it looks
 * (a hook that woke it at every commit cost the firing thread a system call each time). */
static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t th;
  int started, stop, ready, idle;
  long long wanted, done;
} bg = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* The file's and the cursor's paths, worked out once (any thread). */
static void paths(void) {
  pthread_mutex_lock(&bg.mu);
  if (!bg.ready) {
    const char *env = getenv("KINFLOW_OUTBOX");
    const char *db = api->db_path(self);
    if (env && *env) snprintf(box.target, sizeof box.target, "%s", env);
    else snprintf(box.target, sizeof box.target, "%s.outbox.jsonl", db ? db : "kinflow.db");
    snprintf(box.cursor, sizeof box.cursor, "%s.cursor", box.target);
    char *full = realpath(box.target, NULL); /* one name from any working directory */
    if (!full) {
      char dir[4096];
      snprintf(dir, sizeof dir, "%s", box.target);
      char *slash = strrchr(dir, '/');
      if (slash) *slash = 0;
      char *d = realpath(slash ? (dir[0] ? dir : "/") : ".", NULL);
      const char *base = strrchr(box.target, '/');
      if (d) {
        snprintf(box.destination, sizeof box.destination, "outbox:%s/%s", d, base ? base + 1 : box.target);
        free(d);
      }
    } else {
      snprintf(box.destination, sizeof box.destination, "outbox:%s", full);
      free(full);
    }
    if (!box.destination[0]) snprintf(box.destination, sizeof box.destination, "outbox:%s", box.target);
    bg.ready = 1;
  }
  pthread_mutex_unlock(&bg.mu);
}

/* What the outbox's destination uses the records for: the consent it needs. */
static const char *purpose(void) {
  const char *p = getenv("KINFLOW_OUTBOX_PURPOSE");
  return p && *p ? p : "share_with_partners";
}

static int durable(void) {
  const char *v = getenv("KINFLOW_OUTBOX_SYNC");
  return v && !strcmp(v, "1");
}

/* The file cursor an earlier version kept beside the file: where the database's starts. */
static long long read_cursor(void) {
  FILE *f = fopen(box.cursor, "r");
  long long seq = 0;
  if (f) {
    if (fscanf(f, "%lld", &seq) != 1) seq = 0;
    fclose(f);
  }
  return seq;
}

/* A database that lives in memory (scenario tests) has nobody to deliver to; one on a
 * PostgreSQL server has no file beside it, so it delivers only where KINFLOW_OUTBOX says. */
static int active(void) {
  const char *db = api->db_path(self);
  const char *env = getenv("KINFLOW_OUTBOX");
  if (env && !strcmp(env, "off")) return 0;
  if (db && strstr(db, "://") && !(env && *env)) return 0; /* a server's database: no file beside it */
  return db && *db && strcmp(db, ":memory:") != 0 && strncmp(db, "file::memory:", 13) != 0;
}

/* Where a delivery reads the log and asks about consent: the hook's or command's own
 * connection (r NULL), or the delivery thread's reader. */
typedef struct source {
  kf_reader *r;
} source;

static json_t *fetch(source *src, long long after, char *err, size_t n) {
  return src->r ? api->reader_events_after(src->r, after, 500, err, n)
                : api->events_after(self, after, 500, err, n);
}

/* May each event go? A new array of 1/0 for the first k events (k < size when the k-th
 * could not be decided; err says why), or NULL with err. A reader decides the whole batch
 * in one transaction (what is withheld recorded once), the host one event at a time. */
static json_t *decide(source *src, json_t *events, char *err, size_t n) {
  if (src->r) {
    json_t *asked = json_array();
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
      json_array_append_new(asked, api->json_pack("{s:O,s:O}", "seq", api->json_object_get(ev, "seq"),
                                                  "case", json_object_get(ev, "case") ? json_object_get(ev, "case") : json_null()));
    json_t *may = api->reader_may_share(src->r, asked, purpose(), "outbox", err, n);
    api->json_decref(asked);
    return may;
  }
  json_t *may = json_array();
  for (size_t i = 0; i < json_array_size(events); i++) {
    json_t *ev = json_array_get(events, i);
    int m = api->may_share(self, api->json_integer_value(api->json_object_get(ev, "case")),
                           purpose(), "outbox",
                           api->json_integer_value(api->json_object_get(ev, "seq")), err, n);
    if (m < 0) break; /* undecided: this event and the rest stay pending */
    json_array_append_new(may, json_integer(m));
  }
  return may;
}

static int deliver_held(source *src, kf_reader *lease, long long cursor);

/* Take the destination's lease: 1 and *cursor; 0 when another process holds it and has
 * delivered up to want already (want > 0: the newest event this process needs sent; the
 * holder goes on while events keep coming, so a committer waits one of its batches, never
 * for the lease itself, which a process writing case after case hardly lets go); -1
 * (logged). A holder that keeps its lease 10 s without getting there is stuck or slow: the
 * events stay pending (its lease runs out after LEASE seconds; the next delivery goes on). */
static int take_lease(kf_reader *lease, long long want, long long *cursor) {
  char err[400] = "";
  for (int waited = 0; waited < 1000; waited++) {
    int got = api->reader_delivery_claim(lease, box.destination, LEASE, cursor, err, sizeof err);
    if (got == 0 && want > 0) {
      long long at = api->reader_delivery_cursor(lease, box.destination, err, sizeof err);
      if (at >= want) return 0;
      if (at < 0) got = -1;
    }
    if (got != 0) {
      if (got < 0)
        api->log(self, KF_LOG_ERROR, "cannot take the delivery to %s: %s (events stay pending)",
                 box.target, err);
      return got;
    }
    struct timespec ten_ms = {0, 10 * 1000 * 1000};
    nanosleep(&ten_ms, NULL);
  }
  api->log(self, KF_LOG_ERROR, "another process has been delivering to %s for 10 s (events "
           "stay pending)", box.target);
  return -1;
}

/* Deliver every event after the cursor (those about a case only under consent), one
 * process at a time however many run (the lease), so that neither duplicates nor losses
 * come of concurrent writers; or see that the process delivering has sent everything up
 * to want (above; want 0: this process delivers, `outbox flush`). Returns how many this
 * process wrote, or -1. */
static int deliver(source *src, long long want) {
  if (!active()) return 0;
  paths();
  char err[400] = "";
  kf_reader *lease = src->r, *own = NULL;
  if (!lease && !(lease = own = api->reader_open(self, err, sizeof err))) {
    api->log(self, KF_LOG_ERROR, "cannot open the database to deliver: %s (events stay pending)",
             err);
    return -1;
  }
  long long cursor = 0;
  int n = -1, got = take_lease(lease, want, &cursor);
  if (got == 1) {
    if (cursor == 0) cursor = read_cursor(); /* an earlier version's file cursor */
    n = deliver_held(src, lease, cursor);
    api->reader_delivery_release(lease, box.destination);
  } else if (got == 0) {
    n = 0;
  }
  api->reader_close(own);
  return n;
}

static int deliver_held(source *src, kf_reader *lease, long long cursor) {
  int total = 0;
  for (;;) {
    char err[400] = "";
    long long held = cursor;
    /* the lease again before each batch: renewed, and still ours (a restore of the database
     * beneath this process brings back the deliveries as they were) */
    if (api->reader_delivery_claim(lease, box.destination, LEASE, &held, err, sizeof err) != 1) {
      api->log(self, KF_LOG_ERROR, "lost the delivery to %s: %s (another process goes on)",
               box.target, err[0] ? err : "it held it too long");
      return -1;
    }
    json_t *events = fetch(src, cursor, err, sizeof err);
    if (!events) {
      api->log(self, KF_LOG_ERROR, "cannot read events after %lld: %s", cursor, err);
      return -1;
    }
    size_t n = json_array_size(events);
    if (n == 0) {
      api->json_decref(events);
      return total;
    }
    json_t *may = decide(src, events, err, sizeof err);
    size_t decided = may ? json_array_size(may) : 0;
    FILE *f = fopen(box.target, "a");
    if (!f) {
      api->log(self, KF_LOG_ERROR, "cannot open %s: %s (events stay pending)", box.target,
               strerror(errno));
      api->json_decref(may);
      api->json_decref(events);
      return -1;
    }
    long long last = cursor;
    int sent = 0;
    for (size_t i = 0; i < decided; i++) {
      json_t *ev = json_array_get(events, i);
      long long seq = api->json_integer_value(api->json_object_get(ev, "seq"));
      if (api->json_integer_value(json_array_get(may, i))) {
        char *line = api->json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
        if (line) {
          fprintf(f, "%s\n", line);
          api->free(line);
        }
        sent++;
      } else {
        api->log(self, KF_LOG_DEBUG, "event %lld of case %lld withheld", seq,
                 api->json_integer_value(api->json_object_get(ev, "case")));
      }
      last = seq;
    }
    /* Written before the cursor moves: a crash re-delivers, never skips. fsync only when
     * asked (KINFLOW_OUTBOX_SYNC=1): like the database's synchronous=NORMAL, the page cache
     * survives a crash of the process; only power loss needs the disk. */
    int ok = fflush(f) == 0 && (!durable() || fsync(fileno(f)) == 0);
    fclose(f);
    api->json_decref(may);
    /* undecided: this event and the rest stay pending. A busy database on the delivery
     * thread (its own process writing case after case) is no error: it tries again soon. */
    if (decided < n)
      api->log(self, src->r && strstr(err, " is busy ") ? KF_LOG_DEBUG : KF_LOG_ERROR,
               "cannot decide whether event %lld may go: %s (events stay pending)",
               api->json_integer_value(api->json_object_get(json_array_get(events, decided), "seq")),
               err);
    api->json_decref(events);
    if (!ok) {
      api->log(self, KF_LOG_ERROR, "cannot write %s (events stay pending)", box.target);
      return -1;
    }
    if (last > cursor &&
        api->reader_delivery_advance(lease, box.destination, last, err, sizeof err)) {
      api->log(self, KF_LOG_ERROR, "cannot move the cursor of %s: %s (events after %lld are "
               "sent again)", box.target, err, cursor);
      return -1;
    }
    if (decided < n) return -1;
    total += sent;
    cursor = last;
  }
}

/* The delivery thread: whenever the hooks have seen events it has not delivered, it
 * delivers everything after the cursor (what piles up meanwhile goes in the next batch).
 * A failure waits a second and tries again; when the plugin unloads it delivers what is
 * left and ends (a failure then leaves the rest pending for the next delivery). */
static void *deliverer(void *ud) {
  (void)ud;
  char err[300];
  source src = {api->reader_open(self, err, sizeof err)};
  if (!src.r)
    api->log(self, KF_LOG_ERROR, "cannot open the database to deliver: %s (events stay pending: "
             "`kinflow outbox flush` sends them)", err);
  struct timespec next = {0, 0}; /* the earliest start of the next round */
  pthread_mutex_lock(&bg.mu);
  for (;;) {
    bg.idle = 1;
    while (!bg.stop && bg.wanted <= bg.done) pthread_cond_wait(&bg.cv, &bg.mu);
    bg.idle = 0;
    /* At most one round every ROUND_MS while commits keep coming (not when unloading):
     * each round takes the lease, records what it withheld, moves the cursor and lets the
     * lease go, each a write that the firing threads wait for; a round started at every
     * commit took the write lock a few times a transition. */
    while (!bg.stop && pthread_cond_timedwait(&bg.cv, &bg.mu, &next) == 0) {
    }
    if (bg.wanted <= bg.done || !src.r) break;
    long long want = bg.wanted;
    clock_gettime(CLOCK_MONOTONIC, &next);
    next.tv_nsec += ROUND_MS * 1000000L;
    if (next.tv_nsec >= 1000000000L) {
      next.tv_sec++;
      next.tv_nsec -= 1000000000L;
    }
    pthread_mutex_unlock(&bg.mu);
    int n = deliver(&src, want);
    pthread_mutex_lock(&bg.mu);
    if (n >= 0) {
      if (want > bg.done) bg.done = want;
    } else if (bg.stop) {
      break;
    } else {
      struct timespec t;
      clock_gettime(CLOCK_MONOTONIC, &t);
      t.tv_sec += 1;
      pthread_cond_timedwait(&bg.cv, &bg.mu, &t);
    }
  }
  pthread_mutex_unlock(&bg.mu);
  api->reader_close(src.r);
  return NULL;
}

static void on_event(void *ud, const json_t *event) {
  (void)ud;
  if (!active()) return;
  long long seq = api->json_integer_value(api->json_object_get(event, "seq"));
  paths(); /* here, while the host's database path is sure to be there */
  pthread_mutex_lock(&bg.mu);
  if (seq > bg.wanted) bg.wanted = seq;
  if (!bg.started && !bg.stop) bg.started = pthread_create(&bg.th, NULL, deliverer, NULL) == 0 ? 1 : -1;
  int self_deliver = bg.started != 1;
  if (bg.idle) pthread_cond_signal(&bg.cv);
  pthread_mutex_unlock(&bg.mu);
  if (self_deliver) { /* no thread: everything after the cursor, this event included */
    source host = {NULL};
    deliver(&host, seq);
  }
}

/* Unloading: the thread delivers what the hooks have seen, then ends. */
static void stop_delivery(void *ud) {
  (void)ud;
  pthread_mutex_lock(&bg.mu);
  bg.stop = 1;
  int running = bg.started == 1;
  pthread_cond_broadcast(&bg.cv);
  pthread_mutex_unlock(&bg.mu);
  if (running) pthread_join(bg.th, NULL);
}

/* How many events were withheld from the outbox, and of how many cases (the engine's
 * record, through its verbs). 0, or -1 with err filled. */
static int count_withheld(long long *events, long long *cases, char *err, size_t n) {
  kf_session *s = api->session_open(self, err, n);
  if (!s) return -1;
  json_t *args = api->json_pack("{s:s}", "destination", "outbox");
  int status = 0;
  json_t *rows = api->call(s, "sharing.withheld", args, &status, err, n);
  api->json_decref(args);
  api->session_close(s);
  if (!rows) return -1;
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    *events += api->json_integer_value(api->json_object_get(r, "events"));
    (*cases)++;
  }
  api->json_decref(rows);
  return 0;
}

static int command(void *ud, int argc, char **argv) {
  (void)ud;
  if (argc < 2 || (strcmp(argv[1], "flush") && strcmp(argv[1], "status"))) {
    fprintf(stderr, "usage: kinflow outbox flush|status\n");
    return 2;
  }
  if (!active()) {
    fprintf(stderr, "kinflow: outbox: no database to deliver from (run `kinflow init`; "
            "KINFLOW_OUTBOX=off disables delivery)\n");
    return 1;
  }
  paths();
  if (!strcmp(argv[1], "status")) {
    char err[300];
    kf_reader *r = api->reader_open(self, err, sizeof err);
    long long cursor = r ? api->reader_delivery_cursor(r, box.destination, err, sizeof err) : -1;
    api->reader_close(r);
    if (cursor == 0) cursor = read_cursor(); /* an earlier version's file cursor */
    json_t *pending = cursor < 0 ? NULL : api->events_after(self, cursor, 100000, err, sizeof err);
    if (!pending) {
      fprintf(stderr, "kinflow: outbox: %s\n", err);
      return 1;
    }
    long long withheld = 0, cases = 0;
    if (count_withheld(&withheld, &cases, err, sizeof err)) {
      api->json_decref(pending);
      fprintf(stderr, "kinflow: outbox: %s\n", err);
      return 1;
    }
    printf("outbox %s: delivered up to event %lld, %zu pending; %lld withheld for want of "
           "consent to %s (%lld case%s)\n", box.target, cursor, json_array_size(pending),
           withheld, purpose(), cases, cases == 1 ? "" : "s");
    api->json_decref(pending);
    return 0;
  }
  source host = {NULL};
  int n = deliver(&host, 0);
  if (n < 0) return 1;
  printf("outbox %s: %d events delivered\n", box.target, n);
  return 0;
}

static int init(const kf_api *a, kf_host *h) {
  api = a;
  self = h;
  /* A load after an unload in the same process finds this object still mapped, with the
   * last load's state: its thread stopped (and joined), its paths worked out for what may
   * be another database. Start again, or every commit would deliver by itself, on a
   * connection opened for each event. */
  pthread_mutex_lock(&bg.mu);
  bg.started = bg.stop = bg.ready = 0;
  bg.wanted = bg.done = 0;
  /* The thread's waits count on the monotonic clock: a system clock set back would hold a
   * round (or the retry after a failure) back by as much. No thread waits on it now. */
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_destroy(&bg.cv);
  pthread_cond_init(&bg.cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_unlock(&bg.mu);
  if (api->abi < 6) {
    api->log(h, KF_LOG_ERROR, "needs a kinflow with plugin ABI 6 (deliveries kept in the "
             "database); this one has %u", api->abi);
    return -1;
  }
  if (api->register_hook(h, "*", on_event, NULL) ||
      api->register_command(h, "outbox", "outbox flush|status", command, NULL) ||
      api->on_unload(h, stop_delivery, NULL)) {
    api->log(h, KF_LOG_ERROR, "registration failed");
    return -1;
  }
  return 0;
}

KF_PLUGIN_DEFINE("outbox", "0.1.0", init);
