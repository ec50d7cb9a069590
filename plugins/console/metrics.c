/* metrics.c: the server's numbers for monitoring, GET /metrics in Prometheus's text format
 * (0.0.4): counts kept here with atomics as requests, moves, sign-ins and the writer's groups
 * happen (nothing allocated for them), and gauges read at scrape time (the engine's
 * metrics.read, /proc). It decides nothing about who may read them (routes.c, and http.c's
 * loopback listener). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

/* ---- what is counted ---- */

/* Requests by route slot: the route table's rows first, then the page, its files, and any
 * other path. */
enum { API_ROUTES = 128, SLOT_PAGE = API_ROUTES, SLOT_STATIC, SLOT_OTHER, SLOTS };
static const char *const METHODS[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"};
enum { NMETHODS = sizeof METHODS / sizeof METHODS[0] };

/* Latency buckets, seconds (upper bounds); one more bucket past the last for the rest. */
static const double LATENCY[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
enum { NLATENCY = sizeof LATENCY / sizeof LATENCY[0] };

typedef struct latency {
  atomic_ullong bucket[NLATENCY + 1]; /* not cumulative: each request in its first fit */
  atomic_ullong sum_ns;
} latency;
static latency latencies[SLOTS][NMETHODS];

/* Requests by (slot, method, status): an open-addressed table whose keys are claimed once
 * and never removed (slots x methods x the statuses a route answers stays far below it). */
enum { STATUS_TABLE = 4096 };
static struct {
  atomic_uint key; /* 0: free; else 1 + (slot * NMETHODS + method) * 1024 + status */
  atomic_ullong n;
} requests[STATUS_TABLE];
static atomic_ullong requests_dropped; /* the table was full (it never should be) */

/* Moves by programme and outcome. Programme names are the deployed programmes': a small
 * table under a lock, its counts atomic; once full, further names count as "other". */
static const char *const OUTCOMES[] = {"fired", "refused", "conflict", "error"};
enum { NOUTCOMES = 4, PROGRAMMES = 128 };
static struct {
  char name[128];
  atomic_ullong n[NOUTCOMES];
} programmes[PROGRAMMES];
static int nprogrammes;
static pthread_mutex_t programmes_mu = PTHREAD_MUTEX_INITIALIZER;

static atomic_ullong signin_failures;

/* The writer's groups: how many calls each held (buckets: at most), and how many committed. */
static const unsigned BATCH[] = {1, 2, 4, 8, 16, 32, 64};
enum { NBATCH = sizeof BATCH / sizeof BATCH[0] };
static atomic_ullong batch_bucket[NBATCH + 1], batch_sum, commits;

static double started_at; /* the wall clock when `kinflow serve` started */

void metrics_start(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  started_at = (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int slot_of(int route) {
  if (route >= 0 && route < API_ROUTES && route < routes_count()) return route;
  return route == ROUTE_PAGE ? SLOT_PAGE : route == ROUTE_STATIC ? SLOT_STATIC : SLOT_OTHER;
}

static int method_of(const char *m) {
  for (int i = 0; i < NMETHODS - 1; i++)
    if (is(m, METHODS[i])) return i;
  return NMETHODS - 1;
}

void metrics_request(int route, const char *method, int status, double seconds) {
  int slot = slot_of(route), m = method_of(method);
  if (status < 100 || status > 999) status = 999;
  unsigned key = 1 + (unsigned)(slot * NMETHODS + m) * 1024u + (unsigned)status;
  unsigned h = (key * 2654435761u) % STATUS_TABLE;
  for (unsigned probe = 0;; probe++, h = (h + 1) % STATUS_TABLE) {
    if (probe == STATUS_TABLE) {
      atomic_fetch_add(&requests_dropped, 1);
      break;
    }
    unsigned seen = atomic_load(&requests[h].key);
    if (!seen && atomic_compare_exchange_strong(&requests[h].key, &seen, key)) seen = key;
    if (seen == key) {
      atomic_fetch_add(&requests[h].n, 1);
      break;
    }
  }
  latency *l = &latencies[slot][m];
  int b = 0;
  while (b < NLATENCY && seconds > LATENCY[b]) b++;
  atomic_fetch_add(&l->bucket[b], 1);
  atomic_fetch_add(&l->sum_ns, (unsigned long long)(seconds > 0 ? seconds * 1e9 : 0));
}

/* The row of programme name (under programmes_mu): found, or added; past the table's room,
 * the last row, "other". */
static int programme_row(const char *name) {
  for (int i = 0; i < nprogrammes; i++)
    if (!strcmp(programmes[i].name, name)) return i;
  if ((nprogrammes >= PROGRAMMES - 1 || strlen(name) >= sizeof programmes[0].name) &&
      !is(name, "other"))
    return programme_row("other");
  snprintf(programmes[nprogrammes].name, sizeof programmes[0].name, "%s", name);
  return nprogrammes++;
}

static void count_move(const char *programme, const char *outcome) {
  int o = 0;
  while (o < NOUTCOMES && !is(outcome, OUTCOMES[o])) o++;
  if (!programme || o == NOUTCOMES) return;
  pthread_mutex_lock(&programmes_mu);
  int i = programme_row(programme);
  pthread_mutex_unlock(&programmes_mu);
  atomic_fetch_add(&programmes[i].n[o], 1);
}

void metrics_moves(const char *verb, const json_t *result, const json_t *detail) {
  if (is(verb, "case.fire") || is(verb, "family.fire")) {
    if (result) {
      count_move(json_string_value(json_object_get(result, "workflow")), "fired");
    } else {
      json_t *t = json_object_get(detail, "transition");
      count_move(json_string_value(json_object_get(t, "programme")),
                 json_string_value(json_object_get(t, "outcome")));
    }
  } else if (is(verb, "timers.run") && result) {
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(result, "timers"), i, t) {
      const char *w = json_string_value(json_object_get(t, "workflow"));
      if (json_object_get(t, "to")) count_move(w, "fired");
      else if (is(json_string_value(json_object_get(t, "result")), "refused")) count_move(w, "refused");
    }
  }
}

void metrics_signin_failed(void) { atomic_fetch_add(&signin_failures, 1); }

void metrics_writer_group(size_t n, int committed) {
  int b = 0;
  while (b < NBATCH && n > BATCH[b]) b++;
  atomic_fetch_add(&batch_bucket[b], 1);
  atomic_fetch_add(&batch_sum, n);
  if (committed) atomic_fetch_add(&commits, 1);
}

/* ---- the exposition ---- */

typedef struct text {
  char *s;
  size_t len, cap;
  int oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
  if (t->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->oom = 1;
      return;
    }
    if (t->s && t->len + (size_t)n < t->cap) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = t->cap ? t->cap : 16384;
    while (cap <= t->len + (size_t)n) cap *= 2;
    char *grown = realloc(t->s, cap);
    if (!grown) {
      t->oom = 1;
      return;
    }
    t->s = grown;
    t->cap = cap;
  }
}

/* A label value as the format escapes it: backslash, double quote and line feed. */
static void put_label(text *t, const char *v) {
  for (; v && *v; v++) {
    if (*v == '\\') put(t, "\\\\");
    else if (*v == '"') put(t, "\\\"");
    else if (*v == '\n') put(t, "\\n");
    else put(t, "%c", *v);
  }
}

static void head(text *t, const char *name, const char *type, const char *help) {
  put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *slot_route(int slot) {
  return slot == SLOT_PAGE ? "/" : slot == SLOT_STATIC ? "/static/{file}"
         : slot == SLOT_OTHER ? "other" : route_path(slot);
}

static int by_key(const void *a, const void *b) {
  unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
  return x < y ? -1 : x > y;
}

static void put_requests(text *t) {
  head(t, "kinflow_http_requests_total", "counter",
       "HTTP requests answered, by route template, method and status.");
  unsigned long long *rows = malloc(STATUS_TABLE * sizeof *rows); /* key << 32 | count */
  if (!rows) {
    t->oom = 1;
    return;
  }
  size_t n = 0;
  for (size_t i = 0; i < STATUS_TABLE; i++) {
    unsigned key = atomic_load(&requests[i].key);
    if (key) rows[n++] = (unsigned long long)key << 32 | i;
  }
  qsort(rows, n, sizeof *rows, by_key); /* by route, method, status */
  for (size_t i = 0; i < n; i++) {
    unsigned key = (unsigned)(rows[i] >> 32) - 1, at = (unsigned)(rows[i] & 0xffffffffu);
    unsigned status = key % 1024, rm = key / 1024;
    put(t, "kinflow_http_requests_total{route=\"");
    put_label(t, slot_route((int)(rm / NMETHODS)));
    put(t, "\",method=\"%s\",status=\"%u\"} %llu\n", METHODS[rm % NMETHODS], status,
        (unsigned long long)atomic_load(&requests[at].n));
  }
  free(rows);
}

static void put_latency(text *t) {
  head(t, "kinflow_http_request_duration_seconds", "histogram",
       "Time from a whole request received to its answer queued, by route template and method.");
  for (int s = 0; s < SLOTS; s++) {
    for (int m = 0; m < NMETHODS; m++) {
      latency *l = &latencies[s][m];
      unsigned long long b[NLATENCY + 1], total = 0;
      for (int i = 0; i <= NLATENCY; i++) total += b[i] = atomic_load(&l->bucket[i]);
      if (!total) continue;
      unsigned long long cum = 0;
      for (int i = 0; i <= NLATENCY; i++) {
        cum += b[i];
        put(t, "kinflow_http_request_duration_seconds_bucket{route=\"");
        put_label(t, slot_route(s));
        if (i < NLATENCY) put(t, "\",method=\"%s\",le=\"%g\"} %llu\n", METHODS[m], LATENCY[i], cum);
        else put(t, "\",method=\"%s\",le=\"+Inf\"} %llu\n", METHODS[m], cum);
      }
      put(t, "kinflow_http_request_duration_seconds_sum{route=\"");
      put_label(t, slot_route(s));
      put(t, "\",method=\"%s\"} %.9f\n", METHODS[m], atomic_load(&l->sum_ns) / 1e9);
      put(t, "kinflow_http_request_duration_seconds_count{route=\"");
      put_label(t, slot_route(s));
      put(t, "\",method=\"%s\"} %llu\n", METHODS[m], total);
    }
  }
}

static void put_moves(text *t) {
  head(t, "kinflow_transitions_total", "counter",
       "Moves this server tried (people's and its timers'), by programme and outcome.");
  pthread_mutex_lock(&programmes_mu);
  int n = nprogrammes;
  pthread_mutex_unlock(&programmes_mu);
  for (int i = 0; i < n; i++) {
    for (int o = 0; o < NOUTCOMES; o++) {
      put(t, "kinflow_transitions_total{programme=\"");
      put_label(t, programmes[i].name);
      put(t, "\",outcome=\"%s\"} %llu\n", OUTCOMES[o],
          (unsigned long long)atomic_load(&programmes[i].n[o]));
    }
  }
}

static void put_writer(text *t) {
  head(t, "kinflow_writer_batch_size", "histogram",
       "Calls in each group the console's writer ran in one transaction.");
  unsigned long long cum = 0;
  for (int i = 0; i <= NBATCH; i++) {
    cum += atomic_load(&batch_bucket[i]);
    if (i < NBATCH) put(t, "kinflow_writer_batch_size_bucket{le=\"%u\"} %llu\n", BATCH[i], cum);
    else put(t, "kinflow_writer_batch_size_bucket{le=\"+Inf\"} %llu\n", cum);
  }
  put(t, "kinflow_writer_batch_size_sum %llu\n", (unsigned long long)atomic_load(&batch_sum));
  put(t, "kinflow_writer_batch_size_count %llu\n", cum);
  head(t, "kinflow_writer_commits_total", "counter", "Groups the console's writer committed.");
  put(t, "kinflow_writer_commits_total %llu\n", (unsigned long long)atomic_load(&commits));
}

static long long resident_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long long size = 0, resident = 0;
  if (!f) return 0;
  if (fscanf(f, "%lld %lld", &size, &resident) != 2) resident = 0;
  fclose(f);
  return resident * sysconf(_SC_PAGESIZE);
}

/* The exposition, malloc'd (NULL when out of memory); gauges: metrics.read's answer. */
static char *exposition(const json_t *gauges) {
  text t = {0};
  put_requests(&t);
  put_latency(&t);
  put_moves(&t);
  head(&t, "kinflow_signin_failures_total", "counter",
       "Sign-ins refused for a wrong login or password.");
  put(&t, "kinflow_signin_failures_total %llu\n",
      (unsigned long long)atomic_load(&signin_failures));
  head(&t, "kinflow_timers_due", "gauge", "Pending timers due by now (read at scrape time).");
  put(&t, "kinflow_timers_due %lld\n",
      (long long)json_integer_value(json_object_get(gauges, "timers_due")));
  head(&t, "kinflow_timers_overdue", "gauge", "Cases past a review date (read at scrape time).");
  put(&t, "kinflow_timers_overdue %lld\n",
      (long long)json_integer_value(json_object_get(gauges, "cases_overdue")));
  head(&t, "kinflow_database_bytes", "gauge",
       "Bytes the database takes: SQLite's file and its WAL, or PostgreSQL's database.");
  put(&t, "kinflow_database_bytes{backend=\"%s\"} %lld\n",
      json_string_value(json_object_get(gauges, "backend")),
      (long long)json_integer_value(json_object_get(gauges, "database_bytes")));
  int open = 0, busy = 0;
  engine_pool(&open, &busy);
  head(&t, "kinflow_db_pool_connections", "gauge",
       "This server's connections to the database for requests: open, and running a verb now "
       "(the writer's own connection is not among them).");
  put(&t, "kinflow_db_pool_connections{state=\"open\"} %d\n", open);
  put(&t, "kinflow_db_pool_connections{state=\"busy\"} %d\n", busy);
  put(&t, "kinflow_db_pool_connections{state=\"idle\"} %d\n", open > busy ? open - busy : 0);
  head(&t, "kinflow_db_pool_max", "gauge", "Connections the pool opens at most (one a worker thread).");
  put(&t, "kinflow_db_pool_max %d\n", (int)cfg.threads);
  json_t *server = json_object_get(gauges, "server_connections");
  if (json_is_integer(server)) {
    head(&t, "kinflow_db_server_connections", "gauge",
         "Connections to this PostgreSQL database from every server and client (pg_stat_activity).");
    put(&t, "kinflow_db_server_connections %lld\n", (long long)json_integer_value(server));
  }
  put_writer(&t);
  head(&t, "kinflow_build_info", "gauge", "The console's version, as a label; always 1.");
  put(&t, "kinflow_build_info{version=\"%s\"} 1\n", CONSOLE_VERSION);
  head(&t, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  put(&t, "process_resident_memory_bytes %lld\n", resident_bytes());
  head(&t, "process_start_time_seconds", "gauge",
       "When `kinflow serve` started, in seconds since the Unix epoch.");
  put(&t, "process_start_time_seconds %.3f\n", started_at);
  if (atomic_load(&requests_dropped)) {
    head(&t, "kinflow_http_requests_uncounted_total", "counter",
         "Requests the counts by route had no room for.");
    put(&t, "kinflow_http_requests_uncounted_total %llu\n",
        (unsigned long long)atomic_load(&requests_dropped));
  }
  if (t.oom) {
    free(t.s);
    return NULL;
  }
  return t.s;
}

static void answer_text(ctx *x, json_t *gauges) {
  char *s = exposition(gauges);
  json_decref(gauges);
  if (!s) {
    fail(x, 500, "out of memory");
    return;
  }
  json_decref(x->out);
  x->out = NULL;
  x->status = 200;
  x->text = s;
  x->ftype = "text/plain; version=0.0.4; charset=utf-8";
}

/* GET /metrics: an admin's session (routes.c checks it); the gauges as that admin reads them. */
void metrics_show(ctx *x) {
  json_t *g = verb_new(x, "metrics.read", json_object());
  if (g) answer_text(x, g);
}

/* The loopback listener's /metrics: no session; the gauges as the database's owner. */
void metrics_answer(ctx *x) {
  char err[512];
  int status;
  json_t *g = engine_call_new("metrics.read", json_object(), &status, err, sizeof err);
  if (!g) {
    api->log(self, KF_LOG_WARN, "metrics: %s", err);
    fail(x, status == 503 ? 503 : 500, "cannot read the database's gauges (the server's log says more)");
    return;
  }
  answer_text(x, g);
}
