/* http.c: the HTTP plumbing on libmicrohttpd, the only file that includes microhttpd.h:
 * the daemon and its limits, reading request bodies, the client's address, JSON answers
 * and the security headers on every answer. It never decides who may do what (routes.c). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console.h"

enum {
  BODY_MAX = 1 << 20,      /* request bodies: more is 413 */
  DRAIN_MAX = 8 << 20,     /* a chunked body past this is cut off without an answer */
  BUFFERED_MAX = 64 << 20, /* bodies held at once, all connections together: more is 503 */
  CONNECTIONS = 256,       /* connections at once */
  PER_IP = 32,             /* connections at once from one address */
};

/* ---- answers ---- */

void fail(ctx *x, int status, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_decref(x->out);
  x->status = status;
  x->out = json_object();
  json_object_set_new(x->out, "error", text_value(msg));
}

void answer_new(ctx *x, json_t *v) {
  json_decref(x->out);
  x->status = 200;
  x->out = v;
}

const char *http_header(ctx *x, const char *name) {
  return MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, name);
}

const char *http_cookie(ctx *x, const char *name) {
  return MHD_lookup_connection_value(x->c, MHD_COOKIE_KIND, name);
}

const char *http_query(ctx *x, const char *name) {
  const char *v = MHD_lookup_connection_value(x->c, MHD_GET_ARGUMENT_KIND, name);
  return v && *v ? v : NULL;
}

static void add_headers(ctx *x, struct MHD_Response *resp) {
  MHD_add_response_header(resp, "Content-Security-Policy",
                          "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
                          "form-action 'self'");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
  MHD_add_response_header(resp, "Cache-Control", x->is_api ? "no-store" : "no-cache");
  MHD_add_response_header(resp, "Content-Type",
                          x->fd >= 0 || x->status == 304 ? x->ftype : "application/json; charset=utf-8");
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
  } else if (x->fd >= 0) {
    resp = MHD_create_response_from_fd(x->fsize, x->fd);
    if (!resp) close(x->fd);
  } else {
    if (!x->out) fail(x, 500, "internal error (no answer)");
    char *text = json_dumps(x->out, JSON_COMPACT);
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

static enum MHD_Result handle(struct MHD_Connection *c, request *r, const char *url,
                              const char *method, int early_413) {
  ctx x = {.c = c, .raw = r->body, .raw_len = r->len, .fd = -1, .status = 500};
  x.method = is(method, "HEAD") ? "GET" : method;
  snprintf(x.path, sizeof x.path, "%s", url);
  x.is_api = !strncmp(url, "/api/", 5) || is(url, "/api");
  if (early_413 || r->too_big) {
    fail(&x, 413, "the request body is larger than %d bytes", BODY_MAX);
  } else if (r->too_busy) {
    x.retry_after = 5;
    fail(&x, 503, "the server is receiving too much at once; try again");
  } else if (x.is_api) {
    client_address(&x);
    api_dispatch(&x);
  } else if (is(url, "/") || is(url, "/index.html")) {
    file_serve(&x, "index.html");
  } else if (!strncmp(url, "/static/", 8)) {
    file_serve(&x, url + 8);
  } else {
    fail(&x, 404, "no such page: %s (the console is at /, its API under /api/)", x.path);
  }
  enum MHD_Result rc = send_answer(&x);
  if (x.fd >= 0) close(x.fd);
  json_decref(x.out);
  json_decref(x.body);
  json_decref(x.session);
  return rc;
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
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    /* Refuse a declared oversize body before reading it (this closes the connection). */
    if (cl && strtoull(cl, NULL, 10) > BODY_MAX) {
      r->too_big = 1;
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
  return handle(c, r, url, method, 0);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode why) {
  (void)cls;
  (void)c;
  (void)why;
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

struct MHD_Daemon *http_start(const struct sockaddr *sa, int v6, long *port, char *err,
                              size_t len) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned threads = cpus < 2 ? 2 : cpus > 4 ? 4 : (unsigned)cpus;
  atomic_store(&started, 0);
  start_error[0] = 0;
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0), (uint16_t)*port,
      NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (unsigned)PER_IP, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg.timeout,
      MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
      MHD_OPTION_END);
  if (!d) {
    snprintf(err, len, "%s", start_error[0] ? start_error : "libmicrohttpd refused to start");
    return NULL;
  }
  atomic_store(&started, 1);
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  if (info && info->port) *port = info->port;
  return d;
}

void http_stop(struct MHD_Daemon *d) { MHD_stop_daemon(d); }
