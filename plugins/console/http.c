/* http.c: the HTTP plumbing on libmicrohttpd, the only file that includes microhttpd.h:
 * the daemon and its limits, the deadlines of slow requests, reading request bodies, the
 * client's address, JSON answers and the security headers on every answer. It never decides
 * who may do what (routes.c). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "console.h"

enum {
  BODY_MAX = 1 << 20,      /* request bodies: more is 413 */
  DRAIN_MAX = 8 << 20,     /* a chunked body past this is cut off without an answer */
  BUFFERED_MAX = 64 << 20, /* bodies held at once, all connections together: more is 503 */
  SWEEP_MS = 250,          /* how often connections past their deadline are looked for */
};

/* What a request asks, through libmicrohttpd: the rooms reach it through ctx (see
 * console.h's http_header), never by calling this file. */
static const char *lookup(ctx *x, int what, const char *name) {
  static const enum MHD_ValueKind kinds[] = {MHD_HEADER_KIND, MHD_COOKIE_KIND, MHD_GET_ARGUMENT_KIND};
  return MHD_lookup_connection_value(x->c, kinds[what], name);
}

static void add_headers(ctx *x, struct MHD_Response *resp) {
  MHD_add_response_header(resp, "Content-Security-Policy",
                          "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
                          "base-uri 'none'; form-action 'self'");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
  MHD_add_response_header(resp, "Cache-Control", x->is_api ? "no-store" : "no-cache");
  MHD_add_response_header(resp, "Content-Type", x->fd >= 0 || x->status == 304 || x->text
                                                    ? x->ftype : "application/json; charset=utf-8");
  if (x->etag[0]) MHD_add_response_header(resp, "ETag", x->etag);
  if (x->cookie[0]) MHD_add_response_header(resp, "Set-Cookie", x->cookie);
  if (x->allow[0]) MHD_add_response_header(resp, "Allow", x->allow);
  if (x->retry_after > 0) {
    char s[16];
    snprintf(s, sizeof s, "%d", x->retry_after);
    MHD_add_response_header(resp, "Retry-After", s);
  }
}

static enum MHD_Result send_answer(ctx *x) {
  struct MHD_Response *resp;
  if (x->status == 304) { /* not modified: no body */
    resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
  } else if (x->text) {
    resp = MHD_create_response_from_buffer(strlen(x->text), x->text, MHD_RESPMEM_MUST_COPY);
  } else if (x->fd >= 0) {
    resp = MHD_create_response_from_fd(x->fsize, x->fd);
    if (!resp) close(x->fd);
  } else {
    if (!x->out) fail(x, 500, "internal error (no answer)");
    char *text = json_dumps(x->out, JSON_COMPACT | JSON_REAL_PRECISION(12));
    if (!text) return MHD_NO;
    resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
    free(text);
  }
  if (!resp) return MHD_NO;
  add_headers(x, resp);
  enum MHD_Result rc = MHD_queue_response(x->c, (unsigned)x->status, resp);
  if (x->fd >= 0) x->fd = -1; /* the response owns it now */
  MHD_destroy_response(resp);
  return rc;
}

/* ---- deadlines ----
 * libmicrohttpd's timeout is an idle timeout: a client that trickles a byte now and then
 * keeps its connection for ever. So each connection is tracked from the moment it is
 * accepted: its request head must be complete within cfg.head_timeout, and the whole
 * request within cfg.request_timeout, counted from the connection (or from the end of its
 * previous answer, for the next request on a kept-alive connection). A sweeping thread
 * shuts down the sockets past their deadline; libmicrohttpd then sees the end of the
 * stream and closes the connection itself. */

enum { WAIT_HEAD, WAIT_BODY, ANSWERING, CUT };

typedef struct peer {
  struct peer *prev, *next;
  int fd;
  int phase;    /* one of the above */
  double since; /* when the current request began to be awaited */
} peer;

static peer *peers; /* every connection open now */
static pthread_mutex_t peers_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sweep_cv; /* waits on the monotonic clock: see sweep_init */
static pthread_once_t sweep_once = PTHREAD_ONCE_INIT;
static pthread_t sweeper;
static int sweeping; /* under peers_mu: 1 while the sweeper runs; 0 asks it to stop */
static atomic_long cut_count;

static double monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void peer_phase(struct MHD_Connection *c, int phase) {
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  peer *p = ci ? ci->socket_context : NULL;
  if (!p) return;
  pthread_mutex_lock(&peers_mu);
  if (p->phase != CUT) {
    p->phase = phase;
    if (phase == WAIT_HEAD) p->since = monotonic();
  }
  pthread_mutex_unlock(&peers_mu);
}

/* Called by libmicrohttpd when a connection is accepted and when it is closed (before its
 * socket is closed: the sweeper never shuts down a descriptor that was reused). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode what) {
  (void)cls;
  if (what == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    peer *p = ci ? calloc(1, sizeof *p) : NULL;
    if (!p) return; /* untracked: only libmicrohttpd's idle timeout applies */
    p->fd = ci->connect_fd;
    p->phase = WAIT_HEAD;
    p->since = monotonic();
    pthread_mutex_lock(&peers_mu);
    p->next = peers;
    if (peers) peers->prev = p;
    peers = p;
    pthread_mutex_unlock(&peers_mu);
    *socket_context = p;
  } else if (what == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
    peer *p = *socket_context;
    pthread_mutex_lock(&peers_mu);
    if (p->prev) p->prev->next = p->next;
    else peers = p->next;
    if (p->next) p->next->prev = p->prev;
    pthread_mutex_unlock(&peers_mu);
    free(p);
    *socket_context = NULL;
  }
}

static void sweep_init(void) {
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  pthread_condattr_setclock(&a, CLOCK_MONOTONIC); /* a wall clock set back stops nothing */
  pthread_cond_init(&sweep_cv, &a);
  pthread_condattr_destroy(&a);
}

static void *sweep(void *arg) {
  (void)arg;
  pthread_mutex_lock(&peers_mu);
  while (sweeping) {
    double now = monotonic();
    for (peer *p = peers; p; p = p->next) {
      double limit = p->phase == WAIT_HEAD ? cfg.head_timeout
                     : p->phase == WAIT_BODY ? cfg.request_timeout : -1;
      if (limit >= 0 && now - p->since >= limit) {
        shutdown(p->fd, SHUT_RDWR);
        p->phase = CUT;
        atomic_fetch_add(&cut_count, 1);
      }
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += SWEEP_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&sweep_cv, &peers_mu, &until);
  }
  pthread_mutex_unlock(&peers_mu);
  return NULL;
}

/* ---- one request ---- */

typedef struct request {
  char *body;
  size_t len, cap, seen;
  int too_big, too_busy;
} request;

static atomic_size_t buffered; /* bytes of request bodies held now */

static void client_address(ctx *x) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(x->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  snprintf(x->addr, sizeof x->addr, "unknown");
  if (!ci || !ci->client_addr) return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, x->addr, sizeof x->addr);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, x->addr,
              sizeof x->addr);
  /* Behind a reverse proxy (KINFLOW_TRUSTED_PROXY = its address) the client is the last
   * address that proxy appended to X-Forwarded-For: throttling counts per real client. */
  const char *xff = is(cfg.trusted_proxy, x->addr) ? http_header(x, "X-Forwarded-For") : NULL;
  if (xff) {
    const char *last = strrchr(xff, ',');
    last = last ? last + 1 : xff;
    last += strspn(last, " ");
    size_t n = strspn(last, "0123456789abcdefABCDEF.:");
    if (n && n < sizeof x->addr && !last[n + strspn(last + n, " ")])
      snprintf(x->addr, sizeof x->addr, "%.*s", (int)n, last);
  }
}

/* ---- the Host header ---- */

static atomic_long bound_port;

/* Split "name", "name:port", "[v6]" or "[v6]:port": the name's length and the port (-1:
 * none, -2: not a port). */
static size_t host_split(const char *h, long *port) {
  const char *end = h[0] == '[' ? strchr(h, ']') : NULL;
  end = end ? end + 1 : h + strcspn(h, ":");
  *port = -1;
  if (*end == ':') {
    char *stop;
    *port = strtol(end + 1, &stop, 10);
    if (stop == end + 1 || *stop || *port < 1 || *port > 65535) *port = -2;
  } else if (*end) {
    *port = -2;
  }
  return (size_t)(end - h);
}

static int same_name(const char *a, size_t an, const char *b, size_t bn) {
  return an == bn && !strncasecmp(a, b, an);
}

/* Whether the request's Host names this console: a loopback name or the address bound, with
 * the bound port, or a --host name (with its port when it gives one, else any port). A page
 * on another name that resolves to this address (DNS rebinding) names its own host. */
static int host_ok(const char *host) {
  if (!host || !*host) return 0;
  long port, want;
  size_t n = host_split(host, &port);
  if (port == -2) return 0;
  long bound = atomic_load(&bound_port);
  const char *own[] = {"127.0.0.1", "localhost", "[::1]", cfg.bound_name};
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    if (own[i] && same_name(host, n, own[i], strlen(own[i])) &&
        (port == bound || (port == -1 && bound == 80)))
      return 1;
  for (int i = 0; i < cfg.nhosts; i++) {
    size_t m = host_split(cfg.hosts[i], &want);
    if (same_name(host, n, cfg.hosts[i], m) && (want == -1 || want == port)) return 1;
  }
  return 0;
}

/* Counted for /metrics (the time since `since`) before the answer is queued, so that a
 * client that has read its answer and then scrapes finds it counted; then sent and let go. */
static enum MHD_Result finish(ctx *x, double since) {
  if (x->status != 304 && !x->text && x->fd < 0 && !x->out) fail(x, 500, "internal error (no answer)");
  metrics_request(x->route, x->method, x->status, monotonic() - since);
  enum MHD_Result rc = send_answer(x);
  if (x->fd >= 0) close(x->fd);
  free(x->text);
  json_decref(x->out);
  json_decref(x->body);
  json_decref(x->session);
  return rc;
}

static enum MHD_Result handle(struct MHD_Connection *c, request *r, const char *url,
                              const char *method, int early_413) {
  double since = monotonic();
  ctx x = {.c = c, .lookup = lookup, .raw = r->body, .raw_len = r->len, .fd = -1, .status = 500,
           .route = ROUTE_OTHER};
  x.method = is(method, "HEAD") ? "GET" : method;
  snprintf(x.path, sizeof x.path, "%s", url);
  /* /metrics is routed as the API's paths are (routes.c: an admin's session) */
  x.is_api = !strncmp(url, "/api/", 5) || is(url, "/api") || is(url, "/metrics");
  const char *host = http_header(&x, "Host");
  if (!host_ok(host)) {
    x.is_api = 1; /* the answer is JSON */
    fail(&x, 421, "this console does not answer to the host name %s (start it with `kinflow "
         "serve --host NAME` for each name it is reached by)", host ? host : "(none given)");
  } else if (early_413 || r->too_big) {
    fail(&x, 413, "the request body is larger than %d bytes", BODY_MAX);
  } else if (r->too_busy) {
    x.retry_after = 5;
    fail(&x, 503, "the server is receiving too much at once; try again");
  } else if (x.is_api) {
    client_address(&x);
    api_dispatch(&x);
  } else if (is(url, "/") || is(url, "/index.html")) {
    x.route = ROUTE_PAGE;
    file_serve(&x, "index.html");
  } else if (!strncmp(url, "/static/", 8)) {
    x.route = ROUTE_STATIC;
    file_serve(&x, url + 8);
  } else {
    fail(&x, 404, "no such page: %s (the console is at /, its API under /api/)", x.path);
  }
  return finish(&x, since);
}

static void drop_body(request *r) {
  atomic_fetch_sub(&buffered, r->cap);
  free(r->body);
  r->body = NULL;
  r->len = r->cap = 0;
}

/* MHD calls this first with the headers (we only note the request: queuing now would close
 * the connection), then once per piece of the body, then once more with nothing left. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls) {
  (void)cls;
  (void)version;
  request *r = *con_cls;
  if (!r) {
    if (!(r = calloc(1, sizeof *r))) return MHD_NO;
    *con_cls = r;
    peer_phase(c, WAIT_BODY); /* the head is here; the body has until the request deadline */
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    /* Refuse a declared oversize body before reading it (this closes the connection). */
    if (cl && strtoull(cl, NULL, 10) > BODY_MAX) {
      r->too_big = 1;
      peer_phase(c, ANSWERING);
      return handle(c, r, url, method, 1);
    }
    return MHD_YES;
  }
  if (*upload_size) {
    size_t n = *upload_size;
    r->seen += n;
    *upload_size = 0;
    if (r->seen > DRAIN_MAX) return MHD_NO;
    if (r->too_big || r->too_busy) return MHD_YES;
    if (r->len + n > BODY_MAX) {
      r->too_big = 1;
      drop_body(r);
      return MHD_YES;
    }
    if (r->len + n > r->cap) {
      size_t cap = r->cap ? r->cap : 4096;
      while (cap < r->len + n) cap *= 2;
      if (atomic_fetch_add(&buffered, cap - r->cap) + (cap - r->cap) > BUFFERED_MAX) {
        atomic_fetch_sub(&buffered, cap - r->cap);
        r->too_busy = 1;
        drop_body(r);
        return MHD_YES;
      }
      char *grown = realloc(r->body, cap);
      if (!grown) {
        atomic_fetch_sub(&buffered, cap - r->cap);
        return MHD_NO;
      }
      r->body = grown;
      r->cap = cap;
    }
    memcpy(r->body + r->len, upload, n);
    r->len += n;
    return MHD_YES;
  }
  peer_phase(c, ANSWERING);
  return handle(c, r, url, method, 0);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why) {
  (void)cls;
  (void)why;
  peer_phase(c, WAIT_HEAD); /* a kept-alive connection awaits its next request */
  request *r = *con_cls;
  if (!r) return;
  drop_body(r);
  free(r);
  *con_cls = NULL;
}

/* ---- the daemon ---- */

static atomic_int started;
static char start_error[512];

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  size_t n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
  if (!atomic_load(&started)) snprintf(start_error, sizeof start_error, "%s", msg);
  else api->log(self, KF_LOG_DEBUG, "libmicrohttpd: %s", msg);
}

static void stop_sweeper(void) {
  pthread_mutex_lock(&peers_mu);
  sweeping = 0;
  pthread_cond_signal(&sweep_cv);
  pthread_mutex_unlock(&peers_mu);
  pthread_join(sweeper, NULL);
}

struct MHD_Daemon *http_start(const struct sockaddr *sa, int v6, long *port, char *err,
                              size_t len) {
  unsigned threads = cfg.threads > 0 ? (unsigned)cfg.threads : 4;
  atomic_store(&started, 0);
  atomic_store(&bound_port, *port);
  start_error[0] = 0;
  pthread_once(&sweep_once, sweep_init);
  pthread_mutex_lock(&peers_mu);
  sweeping = 1;
  pthread_mutex_unlock(&peers_mu);
  int rc = pthread_create(&sweeper, NULL, sweep, NULL);
  if (rc) {
    snprintf(err, len, "cannot start a thread: %s", strerror(rc));
    return NULL;
  }
  /* A per-address limit of 0 is none (behind a proxy every client shares its address). */
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0), (uint16_t)*port,
      NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg.connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (unsigned)cfg.per_address, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg.timeout,
      MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
  if (!d) {
    snprintf(err, len, "%s", start_error[0] ? start_error : "libmicrohttpd refused to start");
    stop_sweeper();
    return NULL;
  }
  atomic_store(&started, 1);
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  if (info && info->port) *port = info->port;
  atomic_store(&bound_port, *port);
  return d;
}

void http_stop(struct MHD_Daemon *d) {
  stop_sweeper(); /* first: it must not shut down sockets the daemon is closing */
  MHD_stop_daemon(d);
  long n = atomic_load(&cut_count);
  if (n) api->log(self, KF_LOG_DEBUG, "%ld connection%s closed for sending a request too slowly",
                  n, n == 1 ? " was" : "s were");
}

/* ---- the metrics listener ----
 * `kinflow serve --metrics-port N`: 127.0.0.1 only, for a monitoring agent on the same
 * machine: GET /metrics without a session, 404 for anything else. Its Host must be a
 * loopback name with its port (a page elsewhere that resolves its name to 127.0.0.1 names
 * itself, and is refused). */

static atomic_long metrics_port;

static int loopback_host(const char *host) {
  if (!host) return 0;
  long port;
  size_t n = host_split(host, &port);
  const char *own[] = {"127.0.0.1", "localhost"};
  for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
    if (same_name(host, n, own[i], strlen(own[i])) && port == atomic_load(&metrics_port)) return 1;
  return 0;
}

static enum MHD_Result on_metrics_request(void *cls, struct MHD_Connection *c, const char *url,
                                          const char *method, const char *version,
                                          const char *upload, size_t *upload_size,
                                          void **con_cls) {
  (void)cls;
  (void)version;
  (void)upload;
  static int seen;
  if (!*con_cls) { /* the head: answer on a later call (see on_request) */
    *con_cls = &seen;
    return MHD_YES;
  }
  if (*upload_size) { /* a body is read and dropped: nothing here takes one */
    *upload_size = 0;
    return MHD_YES;
  }
  double since = monotonic();
  ctx x = {.c = c, .lookup = lookup, .fd = -1, .status = 500, .route = ROUTE_OTHER, .is_api = 1};
  x.method = is(method, "HEAD") ? "GET" : method;
  snprintf(x.path, sizeof x.path, "%s", url);
  const char *host = http_header(&x, "Host");
  if (!loopback_host(host)) {
    fail(&x, 421, "the metrics listener answers only to 127.0.0.1 or localhost with its port "
         "(not %s)", host ? host : "no Host");
  } else if (is(url, "/metrics") && is(x.method, "GET")) {
    x.route = route_of("GET", "/metrics");
    metrics_answer(&x);
  } else {
    fail(&x, 404, "this listener serves only GET /metrics (the console is on its own port)");
  }
  return finish(&x, since);
}

static void on_metrics_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                 enum MHD_RequestTerminationCode why) {
  (void)cls;
  (void)c;
  (void)why;
  *con_cls = NULL;
}

struct MHD_Daemon *http_start_metrics(long *port, char *err, size_t len) {
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  start_error[0] = 0;
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, (uint16_t)*port, NULL, NULL,
      on_metrics_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
      MHD_OPTION_NOTIFY_COMPLETED, on_metrics_completed, NULL, MHD_OPTION_END);
  if (!d) {
    snprintf(err, len, "%s", start_error[0] ? start_error : "libmicrohttpd refused to start");
    return NULL;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  if (info && info->port) *port = info->port;
  atomic_store(&metrics_port, *port);
  return d;
}

void http_stop_metrics(struct MHD_Daemon *d) {
  if (d) MHD_stop_daemon(d);
}
