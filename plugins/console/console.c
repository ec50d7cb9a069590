/* console.c: the web console and its JSON API (`kinflow serve`), and `kinflow user`, on
 * libmicrohttpd; the only code that includes microhttpd.h. It decides who may do what
 * (sessions, CSRF, throttling, roles per endpoint, workflow roles per case) and reaches the
 * engine only through kf_api: its verbs (engine/api.h), never SQL or Lua. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "kf_plugin.h"

/* Every engine loads its plugins: the command's engine, and each worker thread's session
 * again. `self` is the host of the engine that runs the command (it outlives the command),
 * set from the command's ud; init never overwrites what other threads read. */
static const kf_api *api;
static kf_host *self;

enum {
  BODY_MAX = 1 << 20,  /* request bodies: more is 413 */
  DRAIN_MAX = 8 << 20, /* a chunked body past this is cut off without an answer */
  BUFFERED_MAX = 64 << 20, /* bodies held at once, all connections together: more is 503 */
  CONNECTIONS = 256,   /* connections at once */
  PER_IP = 32,         /* connections at once from one address */
  TIMEOUT = 30,        /* seconds a connection may stay idle */
  IDLE = 30 * 60,      /* a session ends after this long unused... */
  ABSOLUTE = 12 * 3600, /* ...or this long after sign-in */
  TIMERS_EVERY = 30,   /* seconds between runs of due timers */
  LOGIN_FAILS = 5,     /* failed sign-ins per login in WINDOW before 429 */
  ADDR_FAILS = 20,     /* failed sign-ins per address in WINDOW before 429 */
  WINDOW = 15 * 60,
};

/* Seconds from the environment (tests shorten the timeouts), else dflt. */
static int env_seconds(const char *name, int dflt) {
  const char *v = getenv(name);
  char *end;
  long n = v && *v ? strtol(v, &end, 10) : -1;
  return n > 0 && n <= 7 * 86400 && !*end ? (int)n : dflt;
}

static int secure_cookies(void) {
  const char *v = getenv("KINFLOW_COOKIE_SECURE");
  return v && !strcmp(v, "1");
}

static const char *cookie_name(void) {
  return secure_cookies() ? "__Host-kf_session" : "kf_session";
}

/* ---- roles ----
 * A user has one console role, which says what they may do through the console, and a
 * list of workflow roles (`roles`), which say whom they may act as when they fire a move:
 * "family_link" in any programme, or "coparenthood:family_link" in one. Admins and
 * supervisors may act as any role; a caseworker with no list acts as "caseworker". */
enum {
  MAY_READ = 1,        /* programmes, cases, moves, history, forms, rules, dashboard */
  MAY_WORK = 2,        /* open cases, set data, add members, submit forms, fire moves */
  MAY_RULES = 4,       /* rule impact, deploy, rollback */
  MAY_AUDIT = 8,       /* the event log and its check */
  MAY_USERS = 16,      /* list and add users */
  MAY_ANY_ROLE = 32,   /* act as any workflow role, on any programme */
  MAY_SENSITIVE = 64,  /* see sensitive form fields (each read is logged) */
};

static const struct {
  const char *name;
  unsigned may;
} ROLES[] = {
    {"admin", 127},
    {"supervisor", MAY_READ | MAY_WORK | MAY_AUDIT | MAY_ANY_ROLE | MAY_SENSITIVE},
    {"caseworker", MAY_READ | MAY_WORK | MAY_SENSITIVE},
    {"analyst", MAY_READ | MAY_RULES | MAY_AUDIT},
    {"viewer", MAY_READ},
};

static unsigned role_may(const char *role) {
  for (size_t i = 0; role && i < sizeof ROLES / sizeof ROLES[0]; i++)
    if (!strcmp(ROLES[i].name, role)) return ROLES[i].may;
  return 0;
}

/* ---- one engine session per worker thread ---- */

static __thread kf_session *mine;
static pthread_mutex_t sessions_mu = PTHREAD_MUTEX_INITIALIZER;
static kf_session **sessions;
static size_t nsessions;

static kf_session *session(char *err, size_t len) {
  if (mine) return mine;
  kf_session *s = api->session_open(self, err, len);
  if (!s) return NULL;
  pthread_mutex_lock(&sessions_mu);
  kf_session **grown = realloc(sessions, (nsessions + 1) * sizeof *grown);
  if (grown) {
    sessions = grown;
    sessions[nsessions++] = s;
  }
  pthread_mutex_unlock(&sessions_mu);
  if (!grown) {
    api->session_close(s);
    snprintf(err, len, "out of memory");
    return NULL;
  }
  return mine = s;
}

/* After the daemon stopped: every worker thread has ended. */
static void close_sessions(void) {
  pthread_mutex_lock(&sessions_mu);
  for (size_t i = 0; i < nsessions; i++) api->session_close(sessions[i]);
  free(sessions);
  sessions = NULL;
  nsessions = 0;
  mine = NULL;
  pthread_mutex_unlock(&sessions_mu);
}

/* ---- login throttling: failures per login and per address, in memory ---- */

typedef struct strike {
  char key[96];       /* "l:LOGIN" or "a:ADDRESS"; empty when unused */
  double at[ADDR_FAILS]; /* times of the latest failures, a ring */
  int n, next;        /* failures kept, where the next goes */
  int pending;        /* attempts being checked right now */
  double last;        /* last use, to recycle the stalest entry */
} strike;

#define STRIKES 2048
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

/* Before a password is checked: 0 and the attempt reserved, or seconds to wait (429). */
static int throttle_begin(const char *login, const char *addr) {
  char lk[96], ak[96];
  snprintf(lk, sizeof lk, "l:%s", login);
  snprintf(ak, sizeof ak, "a:%s", addr);
  pthread_mutex_lock(&strikes_mu);
  double now = monotonic();
  strike *l = strike_find(lk, 1, now);
  if (l) l->pending++;
  strike *a = strike_find(ak, 1, now);
  if (a) a->pending++;
  int wait = 0, w;
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

static void strike_add(strike *s, double now) {
  s->at[s->next] = now;
  s->next = (s->next + 1) % ADDR_FAILS;
  if (s->n < ADDR_FAILS) s->n++;
}

/* After the check: a failure counts against both; a success clears the login's count. */
static void throttle_end(const char *login, const char *addr, int failed) {
  char lk[96], ak[96];
  snprintf(lk, sizeof lk, "l:%s", login);
  snprintf(ak, sizeof ak, "a:%s", addr);
  pthread_mutex_lock(&strikes_mu);
  double now = monotonic();
  strike *l = strike_find(lk, 0, now), *a = strike_find(ak, 0, now);
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

/* ---- one request ---- */

typedef struct request {
  char *body;
  size_t len, cap, seen;
  int too_big, too_busy;
} request;

static atomic_size_t buffered; /* bytes of request bodies held now */

typedef struct user {
  char login[72], role[24], csrf[72], token[136];
  unsigned may;
  const json_t *roles; /* workflow roles: borrowed from ctx.session */
} user;

typedef struct ctx {
  struct MHD_Connection *c;
  request *r;
  const char *method; /* HEAD is routed as GET */
  char path[1024];
  char *seg[12];
  int nseg;
  char addr[64];
  user u;
  json_t *session, *body;
  /* the answer */
  int status;
  json_t *out;
  char cookie[400];
  const char *allow;
  int retry_after;
  int fd;
  uint64_t fsize;
  const char *ftype;
  int is_api;
} ctx;

static int is(const char *a, const char *b) { return a && b && !strcmp(a, b); }

/* A JSON string from text that may not be UTF-8 (a path segment echoed in a message). */
static json_t *text_value(const char *s) {
  json_t *v = json_string(s);
  if (v) return v;
  char buf[1024];
  size_t i = 0;
  for (; s[i] && i < sizeof buf - 1; i++) buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
  buf[i] = 0;
  return json_string(buf);
}

static void fail(ctx *x, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(ctx *x, int status, const char *fmt, ...) {
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

static void answer(ctx *x, json_t *v) {
  json_decref(x->out);
  x->status = 200;
  x->out = v;
}

/* Run one engine verb (takes args). NULL with the answer set to the error. */
static json_t *verb(ctx *x, const char *name, json_t *args) {
  char err[1024] = "";
  int status = 503;
  json_t *res = NULL;
  kf_session *s = session(err, sizeof err);
  if (s) res = api->call(s, name, args, &status, err, sizeof err);
  json_decref(args);
  if (res) return res;
  if (status >= 500) api->log(self, KF_LOG_ERROR, "%s: %s", name, err);
  if (!s) fail(x, 503, "the engine is not available: %s", err);
  else if (status == 500) fail(x, 500, "internal error (the server's log says more)");
  else if (status == 503) fail(x, 503, "the database is busy; try again");
  else fail(x, status, "%s", err[0] ? err : "refused");
  return NULL;
}

/* Record an event of the console's own (login.*, sensitive.*); failures are only logged. */
static void record(const char *kind, const char *actor, json_t *data) {
  char err[512] = "";
  int status = 0;
  kf_session *s = session(err, sizeof err);
  json_t *args = json_pack("{s:s,s:s,s:o}", "kind", kind, "actor", actor, "data", data);
  json_t *res = s && args ? api->call(s, "event.log", args, &status, err, sizeof err) : NULL;
  if (!res) api->log(self, KF_LOG_WARN, "cannot record %s: %s", kind, err);
  json_decref(res);
  json_decref(args);
}

static const char *header(ctx *x, const char *name) {
  return MHD_lookup_connection_value(x->c, MHD_HEADER_KIND, name);
}

static const char *query(ctx *x, const char *name) {
  const char *v = MHD_lookup_connection_value(x->c, MHD_GET_ARGUMENT_KIND, name);
  return v && *v ? v : NULL;
}

/* The request body as a JSON object, parsed once; NULL with 400 set. */
static json_t *body(ctx *x) {
  if (x->body) return x->body;
  if (!x->r->len) {
    fail(x, 400, "the request needs a JSON object as its body");
    return NULL;
  }
  json_error_t jerr;
  json_t *v = json_loadb(x->r->body, x->r->len, JSON_REJECT_DUPLICATES, &jerr);
  if (!v) {
    fail(x, 400, "malformed JSON in the request body: %s (line %d, column %d)", jerr.text,
         jerr.line, jerr.column);
    return NULL;
  }
  if (!json_is_object(v)) {
    json_decref(v);
    fail(x, 400, "the request body must be a JSON object");
    return NULL;
  }
  return x->body = v;
}

/* A member of the body that must be a string (or absent, when optional). */
static int body_text(ctx *x, const char *key, int required, const char **out) {
  json_t *v = json_object_get(x->body, key);
  *out = NULL;
  if (!v || json_is_null(v)) {
    if (!required) return 1;
    fail(x, 400, "'%s' is missing from the request body", key);
    return 0;
  }
  if (!json_is_string(v)) {
    fail(x, 400, "'%s' must be a string", key);
    return 0;
  }
  *out = json_string_value(v);
  return 1;
}

/* Copy the body's key into args when present, checking its JSON type. */
static int pass(ctx *x, json_t *args, const char *key, int (*type_ok)(const json_t *),
                const char *type) {
  json_t *v = json_object_get(x->body, key);
  if (!v || json_is_null(v)) return 1;
  if (type_ok && !type_ok(v)) {
    fail(x, 400, "'%s' must be %s", key, type);
    return 0;
  }
  json_object_set(args, key, v);
  return 1;
}

static int json_is_object_(const json_t *v) { return json_is_object(v); }
static int json_is_string_(const json_t *v) { return json_is_string(v); }
static int json_is_integer_(const json_t *v) { return json_is_integer(v); }
static int json_is_array_(const json_t *v) { return json_is_array(v); }

/* A query parameter that is a whole number; 1 when absent or good, 0 with 400 set. */
static int query_int(ctx *x, json_t *args, const char *name) {
  const char *v = query(x, name);
  if (!v) return 1;
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || *end || end == v) {
    fail(x, 400, "'%s' must be a whole number, not '%s'", name, v);
    return 0;
  }
  json_object_set_new(args, name, json_integer(n));
  return 1;
}

static int query_bool(ctx *x, json_t *args, const char *name) {
  const char *v = query(x, name);
  if (!v) return 1;
  if (is(v, "1") || is(v, "true") || is(v, "yes")) json_object_set_new(args, name, json_true());
  else if (is(v, "0") || is(v, "false") || is(v, "no")) json_object_set_new(args, name, json_false());
  else {
    fail(x, 400, "'%s' must be true or false, not '%s'", name, v);
    return 0;
  }
  return 1;
}

static void query_text(ctx *x, json_t *args, const char *name) {
  const char *v = query(x, name);
  if (v) json_object_set_new(args, name, text_value(v));
}

/* The case in the path: a number, or a ref. */
static json_t *case_id(const char *s) {
  if (*s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 18)
    return json_integer(strtoll(s, NULL, 10));
  return text_value(s);
}

/* ---- who may do what ---- */

static int may(ctx *x, unsigned what, const char *doing) {
  if (x->u.may & what) return 1;
  fail(x, 403, "a %s may not %s", x->u.role, doing);
  return 0;
}

/* Whether the user holds workflow role `role` (NULL: any role) in programme `workflow`. */
static int holds(const user *u, const char *workflow, const char *role) {
  if (u->may & MAY_ANY_ROLE) return 1;
  if (!(u->may & MAY_WORK)) return 0;
  if (!json_array_size(u->roles)) return !role || is(role, "caseworker");
  size_t i;
  json_t *r;
  json_array_foreach(u->roles, i, r) {
    const char *s = json_string_value(r), *colon = s ? strchr(s, ':') : NULL;
    if (!s) continue;
    if (colon) {
      size_t n = (size_t)(colon - s);
      if (!workflow || strlen(workflow) != n || strncmp(s, workflow, n)) continue;
      s = colon + 1;
    }
    if (!role || is(s, role)) return 1;
  }
  return 0;
}

/* For a change to a case: the user may work and holds some role in its programme. Returns
 * the case (without sensitive fields; the caller decrefs), or NULL with the answer set. */
static json_t *case_for_work(ctx *x, const char *id, const char *doing) {
  if (!may(x, MAY_WORK, doing)) return NULL;
  json_t *c = verb(x, "case.get", json_pack("{s:o}", "id", case_id(id)));
  if (!c) return NULL;
  const char *wf = json_string_value(json_object_get(c, "workflow"));
  if (!holds(&x->u, wf, NULL)) {
    fail(x, 403, "%s holds no role in programme '%s' (ask an admin to add one)", x->u.login,
         wf ? wf : "?");
    json_decref(c);
    return NULL;
  }
  return c;
}

/* ---- authentication ---- */

static int same_secret(const char *a, const char *b) {
  size_t n = strlen(a);
  if (n != strlen(b)) return 0;
  unsigned char d = 0;
  for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

static void clear_cookie(ctx *x) {
  snprintf(x->cookie, sizeof x->cookie, "%s=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/%s",
           cookie_name(), secure_cookies() ? "; Secure" : "");
}

static int authenticate(ctx *x) {
  const char *tok = MHD_lookup_connection_value(x->c, MHD_COOKIE_KIND, cookie_name());
  if (!tok || !*tok) {
    fail(x, 401, "not signed in: POST /api/session with {\"login\": ..., \"password\": ...}");
    return 0;
  }
  if (strlen(tok) >= sizeof x->u.token || strspn(tok, "0123456789abcdefABCDEF") != strlen(tok)) {
    fail(x, 401, "not signed in (the session cookie is not one this server gave)");
    clear_cookie(x);
    return 0;
  }
  json_t *s = verb(x, "session.get", json_pack("{s:s}", "token", tok));
  if (!s) {
    if (x->status == 401) clear_cookie(x);
    return 0;
  }
  x->session = s;
  snprintf(x->u.login, sizeof x->u.login, "%s", json_string_value(json_object_get(s, "login")));
  snprintf(x->u.role, sizeof x->u.role, "%s", json_string_value(json_object_get(s, "role")));
  snprintf(x->u.csrf, sizeof x->u.csrf, "%s", json_string_value(json_object_get(s, "csrf")));
  snprintf(x->u.token, sizeof x->u.token, "%s", tok);
  x->u.roles = json_object_get(s, "roles");
  x->u.may = role_may(x->u.role);
  return 1;
}

static int csrf_ok(ctx *x) {
  const char *h = header(x, "X-CSRF-Token");
  if (h && x->u.csrf[0] && same_secret(h, x->u.csrf)) return 1;
  fail(x, 403, "%s X-CSRF-Token header: send the csrf token that signing in returned",
       h ? "wrong" : "missing");
  return 0;
}

/* A browser names the page that sent a request: refuse other sites' pages. */
static int origin_ok(ctx *x) {
  const char *o = header(x, "Origin"), *host = header(x, "Host");
  if (!o) return 1;
  const char *p = strstr(o, "://");
  if (host && p && !strcmp(p + 3, host)) return 1;
  fail(x, 403, "refused a request from another site (Origin %s)", o);
  return 0;
}

static json_t *can(unsigned m) {
  return json_pack("{s:b,s:b,s:b,s:b,s:b,s:b}", "work", !!(m & MAY_WORK), "rules",
                   !!(m & MAY_RULES), "audit", !!(m & MAY_AUDIT), "users", !!(m & MAY_USERS),
                   "any_role", !!(m & MAY_ANY_ROLE), "sensitive", !!(m & MAY_SENSITIVE));
}

static json_t *roles_of(const json_t *roles) {
  return json_is_array(roles) ? json_copy((json_t *)roles) : json_array();
}

static void sign_in(ctx *x) {
  if (!body(x)) return;
  const char *login, *password;
  if (!body_text(x, "login", 1, &login) || !body_text(x, "password", 1, &password)) return;
  if (!*login || !*password || strlen(login) > 64 || strlen(password) > 1024) {
    fail(x, 400, "give a login (at most 64 characters) and a password");
    return;
  }
  int wait = throttle_begin(login, x->addr);
  if (wait) {
    x->retry_after = wait;
    fail(x, 429, "too many failed sign-ins for this login or from this address; try again in "
         "%d minute%s", (wait + 59) / 60, wait > 60 ? "s" : "");
    return;
  }
  json_t *u = verb(x, "user.verify", json_pack("{s:s,s:s}", "login", login, "password", password));
  throttle_end(login, x->addr, !u && x->status == 401);
  if (!u) {
    if (x->status == 401) record("login.failed", "anonymous",
                                 json_pack("{s:s,s:s}", "login", login, "address", x->addr));
    return;
  }
  json_t *s = verb(x, "session.create",
                   json_pack("{s:s,s:i,s:i}", "login", login, "idle",
                             env_seconds("KINFLOW_SESSION_IDLE", IDLE), "absolute",
                             env_seconds("KINFLOW_SESSION_ABSOLUTE", ABSOLUTE)));
  if (!s) {
    json_decref(u);
    return;
  }
  snprintf(x->cookie, sizeof x->cookie, "%s=%s; HttpOnly; SameSite=Strict; Path=/%s",
           cookie_name(), json_string_value(json_object_get(s, "token")),
           secure_cookies() ? "; Secure" : "");
  const char *role = json_string_value(json_object_get(u, "role"));
  answer(x, json_pack("{s:O,s:O,s:O,s:o,s:O,s:o}", "csrf", json_object_get(s, "csrf"), "login",
                      json_object_get(u, "login"), "role", json_object_get(u, "role"), "roles",
                      roles_of(json_object_get(u, "roles")), "expires",
                      json_object_get(s, "expires"), "can", can(role_may(role))));
  record("login.succeeded", login, json_pack("{s:s}", "address", x->addr));
  json_decref(s);
  json_decref(u);
}

/* /api/session: POST signs in, GET says who is signed in, DELETE signs out. */
static void h_session(ctx *x) {
  if (is(x->method, "POST")) {
    sign_in(x);
    return;
  }
  if (!is(x->method, "GET") && !is(x->method, "DELETE")) {
    x->allow = "GET, POST, DELETE";
    fail(x, 405, "%s /api/session: use POST to sign in, GET, or DELETE to sign out", x->method);
    return;
  }
  if (!authenticate(x)) return;
  if (is(x->method, "GET")) {
    answer(x, json_pack("{s:s,s:s,s:o,s:s,s:o}", "login", x->u.login, "role", x->u.role, "roles",
                        roles_of(x->u.roles), "csrf", x->u.csrf, "can", can(x->u.may)));
    return;
  }
  if (!csrf_ok(x)) return;
  json_t *r = verb(x, "session.delete", json_pack("{s:s}", "token", x->u.token));
  if (!r) return;
  clear_cookie(x);
  answer(x, r);
}

/* ---- resources ---- */

/* The method must be one of allow ("GET, POST"); else 405. */
static int allowed(ctx *x, const char *allow) {
  size_t n = strlen(x->method);
  for (const char *p = allow; (p = strstr(p, x->method)); p += n)
    if ((p == allow || p[-1] == ' ') && (p[n] == ',' || !p[n])) return 1;
  x->allow = allow;
  fail(x, 405, "%s is not allowed here (allowed: %s)", x->method, allow);
  return 0;
}

static void h_workflows(ctx *x) {
  if (!allowed(x, "GET")) return;
  json_t *r = x->nseg == 2 ? verb(x, "workflows.list", json_object())
                           : verb(x, "workflow.get", json_pack("{s:o}", "name", text_value(x->seg[2])));
  if (r) answer(x, r);
}

static void case_list(ctx *x) {
  json_t *args = json_object();
  query_text(x, args, "workflow");
  query_text(x, args, "state");
  query_text(x, args, "q");
  if (!query_bool(x, args, "overdue") || !query_bool(x, args, "open") ||
      !query_int(x, args, "limit") || !query_int(x, args, "offset")) {
    json_decref(args);
    return;
  }
  json_t *r = verb(x, "case.list", args);
  if (r) answer(x, r);
}

static void case_open(ctx *x) {
  const char *wf;
  if (!may(x, MAY_WORK, "open cases") || !body(x) || !body_text(x, "workflow", 1, &wf)) return;
  if (!holds(&x->u, wf, NULL)) {
    fail(x, 403, "%s holds no role in programme '%s'", x->u.login, wf);
    return;
  }
  json_t *args = json_pack("{s:s,s:s}", "workflow", wf, "actor", x->u.login);
  if (!pass(x, args, "data", json_is_object_, "an object") ||
      !pass(x, args, "ref", json_is_string_, "a string")) {
    json_decref(args);
    return;
  }
  json_t *r = verb(x, "case.open", args);
  if (r) answer(x, r);
}

static void case_get(ctx *x, const char *id) {
  int sensitive = !!(x->u.may & MAY_SENSITIVE);
  json_t *r = verb(x, "case.get", json_pack("{s:o,s:b,s:s}", "id", case_id(id), "sensitive",
                                           sensitive, "actor", x->u.login));
  if (r) answer(x, r);
}

static void case_set(ctx *x, const char *id) {
  json_t *c = case_for_work(x, id, "change a case's data");
  if (!c || !body(x)) {
    json_decref(c);
    return;
  }
  json_t *data = json_object_get(x->body, "data");
  json_t *args = json_pack("{s:O,s:s}", "id", json_object_get(c, "id"), "actor", x->u.login);
  json_decref(c);
  if (!json_is_object(data)) {
    fail(x, 400, "give {\"data\": {...}} (keys to merge; null deletes a key)");
  } else {
    json_object_set(args, "data", data);
    if (pass(x, args, "revision", json_is_integer_, "a whole number")) {
      json_t *r = verb(x, "case.set", args);
      args = NULL;
      if (r) answer(x, r);
    }
  }
  json_decref(args);
}

static void case_moves(ctx *x, const char *id) {
  json_t *args = json_pack("{s:o}", "id", case_id(id));
  query_text(x, args, "as");
  json_t *r = verb(x, "case.moves", args);
  if (r) answer(x, r);
}

static void case_fire(ctx *x, const char *id, const char *transition) {
  const char *as, *reason;
  if (!may(x, MAY_WORK, "fire moves") || !body(x) || !body_text(x, "as", 1, &as) ||
      !body_text(x, "reason", 0, &reason))
    return;
  json_t *c = verb(x, "case.get", json_pack("{s:o}", "id", case_id(id)));
  if (!c) return;
  const char *wf = json_string_value(json_object_get(c, "workflow"));
  if (!holds(&x->u, wf, as)) {
    fail(x, 403, "%s may not act as %s in programme '%s' (their workflow roles do not include "
         "it)", x->u.login, as, wf ? wf : "?");
    json_decref(c);
    return;
  }
  json_t *args = json_pack("{s:O,s:s,s:s,s:s}", "id", json_object_get(c, "id"), "transition",
                           transition, "as", as, "actor", x->u.login);
  json_decref(c);
  if (reason) json_object_set_new(args, "reason", json_string(reason));
  if (!pass(x, args, "revision", json_is_integer_, "a whole number")) {
    json_decref(args);
    return;
  }
  json_t *r = verb(x, "case.fire", args);
  if (r) answer(x, r);
}

static void case_form(ctx *x, const char *id, const char *form) {
  json_t *c = case_for_work(x, id, "submit forms");
  if (!c || !body(x)) {
    json_decref(c);
    return;
  }
  /* {"data": {...}}; a body without a "data" object is the data itself */
  json_t *data = json_object_get(x->body, "data");
  if (!json_is_object(data)) data = x->body;
  json_t *r = verb(x, "form.submit", json_pack("{s:O,s:s,s:O,s:s}", "id", json_object_get(c, "id"),
                                               "form", form, "data", data, "actor", x->u.login));
  json_decref(c);
  if (r) answer(x, r);
}

static void case_member(ctx *x, const char *id) {
  json_t *c = case_for_work(x, id, "add people to cases");
  const char *role, *name;
  if (!c || !body(x) || !body_text(x, "role", 1, &role) || !body_text(x, "name", 1, &name)) {
    json_decref(c);
    return;
  }
  json_t *args = json_pack("{s:O,s:s,s:s,s:s}", "id", json_object_get(c, "id"), "role", role,
                           "name", name, "actor", x->u.login);
  json_decref(c);
  if (!pass(x, args, "data", json_is_object_, "an object")) {
    json_decref(args);
    return;
  }
  json_t *r = verb(x, "case.member_add", args);
  if (r) answer(x, r);
}

static void case_review(ctx *x, const char *id) {
  json_t *c = case_for_work(x, id, "record reviews");
  const char *note = NULL;
  if (!c || (x->r->len && (!body(x) || !body_text(x, "note", 0, &note)))) {
    json_decref(c);
    return;
  }
  json_t *args = json_pack("{s:O,s:s}", "id", json_object_get(c, "id"), "actor", x->u.login);
  json_decref(c);
  if (note) json_object_set_new(args, "note", json_string(note));
  json_t *r = verb(x, "case.review", args);
  if (r) answer(x, r);
}

/* /api/cases[/ID[/moves|/history|/members|/review|/transitions/NAME|/forms/FORM]] */
static void h_cases(ctx *x) {
  char **s = x->seg;
  int n = x->nseg;
  json_t *r;
  if (n == 2) {
    if (!allowed(x, "GET, POST")) return;
    if (is(x->method, "GET")) case_list(x);
    else case_open(x);
  } else if (n == 3) {
    if (!allowed(x, "GET, PATCH")) return;
    if (is(x->method, "GET")) case_get(x, s[2]);
    else case_set(x, s[2]);
  } else if (n == 4 && is(s[3], "moves")) {
    if (allowed(x, "GET")) case_moves(x, s[2]);
  } else if (n == 4 && is(s[3], "history")) {
    if (allowed(x, "GET") && (r = verb(x, "case.history", json_pack("{s:o}", "id", case_id(s[2])))))
      answer(x, r);
  } else if (n == 4 && is(s[3], "members")) {
    if (allowed(x, "POST")) case_member(x, s[2]);
  } else if (n == 4 && is(s[3], "review")) {
    if (allowed(x, "POST")) case_review(x, s[2]);
  } else if (n == 5 && is(s[3], "transitions")) {
    if (allowed(x, "POST")) case_fire(x, s[2], s[4]);
  } else if (n == 5 && is(s[3], "forms")) {
    if (allowed(x, "POST")) case_form(x, s[2], s[4]);
  } else {
    fail(x, 404, "no such resource: %s", x->path);
  }
}

static void h_forms(ctx *x) {
  if (x->nseg != 3) {
    fail(x, 404, "no such resource: %s (GET /api/forms/NAME[?case=ID])", x->path);
    return;
  }
  if (!allowed(x, "GET")) return;
  json_t *args = json_pack("{s:o}", "name", text_value(x->seg[2]));
  const char *c = query(x, "case");
  if (c) json_object_set_new(args, "id", case_id(c));
  json_t *r = verb(x, "form.get", args);
  if (r) answer(x, r);
}

/* Rule source from the body: {"path", "source"}. */
static json_t *rule_args(ctx *x) {
  const char *path, *source;
  if (!body(x) || !body_text(x, "source", 1, &source) || !body_text(x, "path", 0, &path))
    return NULL;
  json_t *a = json_pack("{s:s,s:s}", "source", source, "actor", x->u.login);
  if (path) json_object_set_new(a, "path", json_string(path));
  return a;
}

/* /api/rules, /api/rules/impact, /api/rules/NAME/rollback */
static void h_rules(ctx *x) {
  json_t *r = NULL, *a;
  if (x->nseg == 2) {
    if (!allowed(x, "GET, POST")) return;
    if (is(x->method, "GET")) r = verb(x, "rules.list", json_object());
    else if (may(x, MAY_RULES, "deploy rules") && (a = rule_args(x))) r = verb(x, "rule.deploy", a);
  } else if (x->nseg == 3 && is(x->seg[2], "impact")) {
    if (allowed(x, "POST") && may(x, MAY_RULES, "preview rule changes") && (a = rule_args(x))) {
      json_object_del(a, "actor");
      r = verb(x, "rule.impact", a);
    }
  } else if (x->nseg == 4 && is(x->seg[3], "rollback")) {
    if (allowed(x, "POST") && may(x, MAY_RULES, "roll rules back"))
      r = verb(x, "rule.rollback", json_pack("{s:o,s:s}", "name", text_value(x->seg[2]), "actor",
                                             x->u.login));
  } else {
    fail(x, 404, "no such resource: %s", x->path);
  }
  if (r) answer(x, r);
}

static void h_users(ctx *x) {
  if (x->nseg != 2) {
    fail(x, 404, "no such resource: %s", x->path);
    return;
  }
  if (!allowed(x, "GET, POST") || !may(x, MAY_USERS, "see or add users")) return;
  json_t *r;
  if (is(x->method, "GET")) {
    r = verb(x, "user.list", json_object());
  } else {
    const char *login, *role, *password;
    if (!body(x) || !body_text(x, "login", 1, &login) || !body_text(x, "role", 1, &role) ||
        !body_text(x, "password", 1, &password))
      return;
    json_t *a = json_pack("{s:s,s:s,s:s,s:s}", "login", login, "role", role, "password", password,
                          "actor", x->u.login);
    if (!pass(x, a, "roles", json_is_array_, "a list of workflow roles")) {
      json_decref(a);
      return;
    }
    r = verb(x, "user.add", a);
  }
  if (r) answer(x, r);
}

static void h_audit(ctx *x) {
  if (!allowed(x, "GET") || !may(x, MAY_AUDIT, "read the audit log")) return;
  json_t *r = NULL;
  if (x->nseg == 3 && is(x->seg[2], "verify")) {
    r = verb(x, "audit.verify", json_object());
  } else if (x->nseg == 2) {
    json_t *args = json_object();
    const char *c = query(x, "case");
    if (c) json_object_set_new(args, "case", case_id(c));
    query_text(x, args, "kind");
    if (query_int(x, args, "after") && query_int(x, args, "limit")) r = verb(x, "audit.list", args);
    else json_decref(args);
  } else {
    fail(x, 404, "no such resource: %s", x->path);
  }
  if (r) answer(x, r);
}

static void h_api(ctx *x) {
  char **s = x->seg;
  int changing = !is(x->method, "GET");
  if (changing && !origin_ok(x)) return;
  if (x->nseg == 2 && is(s[1], "session")) {
    h_session(x);
    return;
  }
  if (!authenticate(x) || (changing && !csrf_ok(x))) return;
  if (x->nseg < 2) fail(x, 404, "no such resource: %s", x->path);
  else if (is(s[1], "workflows") && x->nseg <= 3) h_workflows(x);
  else if (is(s[1], "dashboard") && x->nseg == 2) {
    json_t *r = allowed(x, "GET") ? verb(x, "dashboard", json_object()) : NULL;
    if (r) answer(x, r);
  } else if (is(s[1], "cases")) h_cases(x);
  else if (is(s[1], "forms")) h_forms(x);
  else if (is(s[1], "rules")) h_rules(x);
  else if (is(s[1], "users")) h_users(x);
  else if (is(s[1], "audit") && x->nseg <= 3) h_audit(x);
  else fail(x, 404, "no such resource: %s", x->path);
}

/* ---- the page: files under web/ ---- */

static const char *content_type(const char *path) {
  static const struct {
    const char *ext, *type;
  } types[] = {{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
               {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
               {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
               {".json", "application/json"}, {".txt", "text/plain; charset=utf-8"},
               {".woff2", "font/woff2"}};
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (!strcmp(dot, types[i].ext)) return types[i].type;
  return NULL;
}

static void h_file(ctx *x, const char *rel) {
  if (!is(x->method, "GET")) {
    x->allow = "GET, HEAD";
    fail(x, 405, "%s is not allowed here (allowed: GET, HEAD)", x->method);
    return;
  }
  const char *type = content_type(rel);
  size_t n = strlen(rel);
  if (!n || n > 200 || !type || rel[0] == '/' || strstr(rel, "..") || strstr(rel, "//") ||
      strstr(rel, "/.") || rel[0] == '.' ||
      strspn(rel, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") != n) {
    fail(x, 404, "no such file: %s", x->path);
    return;
  }
  char full[4096];
  const char *dir = api->plugin_dir(self);
  snprintf(full, sizeof full, "%s/web/%s", dir ? dir : ".", rel);
  int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    if (fd >= 0) close(fd);
    fail(x, 404, "no such file: %s", x->path);
    return;
  }
  x->fd = fd;
  x->fsize = (uint64_t)sb.st_size;
  x->ftype = type;
  x->status = 200;
}

/* ---- the HTTP side ---- */

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
                          x->fd >= 0 ? x->ftype : "application/json; charset=utf-8");
  if (x->cookie[0]) MHD_add_response_header(resp, "Set-Cookie", x->cookie);
  if (x->allow) MHD_add_response_header(resp, "Allow", x->allow);
  if (x->retry_after > 0) {
    char s[16];
    snprintf(s, sizeof s, "%d", x->retry_after);
    MHD_add_response_header(resp, "Retry-After", s);
  }
}

static enum MHD_Result send_answer(ctx *x) {
  struct MHD_Response *resp;
  if (x->fd >= 0) {
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
  const char *proxy = getenv("KINFLOW_TRUSTED_PROXY");
  const char *xff = proxy && is(proxy, x->addr) ? header(x, "X-Forwarded-For") : NULL;
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
  ctx x = {.c = c, .r = r, .fd = -1, .status = 500};
  x.method = is(method, "HEAD") ? "GET" : method;
  snprintf(x.path, sizeof x.path, "%s", url);
  x.is_api = !strncmp(url, "/api/", 5) || is(url, "/api");
  if (early_413 || r->too_big) {
    fail(&x, 413, "the request body is larger than %d bytes", BODY_MAX);
  } else if (r->too_busy) {
    x.retry_after = 5;
    fail(&x, 503, "the server is receiving too much at once; try again");
  } else if (x.is_api) {
    char *save = NULL;
    char split[sizeof x.path];
    snprintf(split, sizeof split, "%s", url);
    for (char *t = strtok_r(split, "/", &save); t && x.nseg < 12; t = strtok_r(NULL, "/", &save))
      x.seg[x.nseg++] = t;
    client_address(&x);
    if (x.nseg >= 12) fail(&x, 404, "no such resource: %s", x.path);
    else h_api(&x);
  } else if (is(url, "/") || is(url, "/index.html")) {
    h_file(&x, "index.html");
  } else if (!strncmp(url, "/static/", 8)) {
    h_file(&x, url + 8);
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

static void run_timers(void) {
  char err[512] = "";
  int status = 0;
  kf_session *s = session(err, sizeof err);
  json_t *args = json_object();
  json_t *r = s ? api->call(s, "timers.run", args, &status, err, sizeof err) : NULL;
  json_decref(args);
  if (!r) {
    api->log(self, KF_LOG_WARN, "running due timers: %s", err);
    return;
  }
  json_t *t = json_object_get(r, "timers");
  long long n = json_is_array(t) ? (long long)json_array_size(t) : json_integer_value(t);
  if (n > 0) {
    printf("kinflow console: %lld due timer%s fired\n", n, n == 1 ? "" : "s");
    fflush(stdout);
  }
  json_decref(r);
  /* ending an unknown session sweeps the expired ones */
  args = json_pack("{s:s}", "token", "-");
  json_decref(s ? api->call(s, "session.delete", args, &status, err, sizeof err) : NULL);
  json_decref(args);
}

static int serve_usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: serve: %s\n", why);
  fprintf(stderr, "usage: kinflow serve [--bind ADDR] [--port N]   (default 127.0.0.1:8080; "
          "port 0 picks a free one)\n");
  return 2;
}

static int serve(int argc, char **argv) {
  const char *bind = "127.0.0.1";
  long port = 8080;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    size_t k = strcspn(a, "=");
    if (!strncmp(a, "--bind", k) && k == 6) v = a[k] ? a + k + 1 : (i + 1 < argc ? argv[++i] : NULL);
    else if (!strncmp(a, "--port", k) && k == 6) v = a[k] ? a + k + 1 : (i + 1 < argc ? argv[++i] : NULL);
    else if (is(a, "--help") || is(a, "-h")) return serve_usage(NULL);
    else {
      char m[300];
      snprintf(m, sizeof m, "unknown argument '%s'", a);
      return serve_usage(m);
    }
    if (!v) return serve_usage("--bind and --port need a value");
    if (a[2] == 'b') {
      bind = v;
    } else {
      char *end;
      port = strtol(v, &end, 10);
      if (*end || end == v || port < 0 || port > 65535) return serve_usage("--port must be 0 to 65535");
    }
  }
  if (is(bind, "localhost")) bind = "127.0.0.1";
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  int v6 = strchr(bind, ':') != NULL;
  if (v6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, bind, &s6->sin6_addr) != 1) return serve_usage("--bind needs an IP address");
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind, &s4->sin_addr) != 1) return serve_usage("--bind needs an IP address");
  }

  char err[512];
  if (!session(err, sizeof err)) {
    fprintf(stderr, "kinflow: serve: %s\n", err);
    return 1;
  }
  char web[4096];
  struct stat sb;
  snprintf(web, sizeof web, "%s/web/index.html", api->plugin_dir(self));
  if (stat(web, &sb)) api->log(self, KF_LOG_WARN, "%s is missing: the JSON API works, the page does not", web);

  /* Signals go to this thread only, where sigtimedwait takes them; the daemon's threads
   * inherit the blocked mask. */
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
  sigaction(SIGPIPE, &ign, &old_pipe);

  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned threads = cpus < 2 ? 2 : cpus > 4 ? 4 : (unsigned)cpus;
  atomic_store(&started, 0);
  start_error[0] = 0;
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0), (uint16_t)port,
      NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      (unsigned)PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)env_seconds("KINFLOW_CONSOLE_TIMEOUT", TIMEOUT), MHD_OPTION_STRICT_FOR_CLIENT,
      (int)1, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
  int rc = 0;
  if (!d) {
    fprintf(stderr, "kinflow: serve: cannot listen on %s port %ld: %s\n", bind, port,
            start_error[0] ? start_error : "libmicrohttpd refused to start");
    rc = 1;
    goto out;
  }
  atomic_store(&started, 1);
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  if (info && info->port) port = info->port;
  printf("kinflow console on http://%s%s%s:%ld/\n", v6 ? "[" : "", bind, v6 ? "]" : "", port);
  fflush(stdout);

  run_timers();
  int sig;
  for (;;) {
    struct timespec every = {TIMERS_EVERY, 0};
    sig = sigtimedwait(&set, NULL, &every);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (sig < 0 && errno == EAGAIN) run_timers();
  }
  printf("kinflow console: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  fflush(stdout);
  MHD_stop_daemon(d);
out:
  close_sessions();
  sigaction(SIGPIPE, &old_pipe, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}

/* ---- kinflow user ---- */

static int user_usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: user: %s\n", why);
  fprintf(stderr,
          "usage: kinflow user add LOGIN --role ROLE --password-stdin [--roles R1,R2,...]\n"
          "       kinflow user list [--json]\n"
          "  ROLE: admin, supervisor, caseworker, analyst or viewer\n"
          "  --roles: workflow roles the user may act as (family_link, or coparenthood:family_link\n"
          "           for one programme); a caseworker without them acts as caseworker\n");
  return 2;
}

/* One line from stdin, without its newline; with the terminal's echo off when it is one. */
static int read_password(char *buf, size_t len) {
  struct termios t, quiet;
  int tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &t);
  if (tty) {
    fprintf(stderr, "password: ");
    quiet = t;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  int ok = fgets(buf, (int)len, stdin) != NULL;
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
    fprintf(stderr, "\n");
  }
  if (!ok) return -1;
  size_t n = strlen(buf);
  if (n == len - 1 && buf[n - 1] != '\n') return -2;
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
  return n ? 0 : -1;
}

static const char *cli_actor(void) {
  const char *a = getenv("KINFLOW_ACTOR");
  if (!a || !*a) a = getenv("USER");
  return a && *a ? a : "cli";
}

static int user_cmd(int argc, char **argv) {
  if (argc < 2) return user_usage(NULL);
  int json_out = 0, stdin_pw = 0;
  const char *login = NULL, *role = NULL, *roles = NULL;
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (is(a, "--json")) json_out = 1;
    else if (is(a, "--password-stdin")) stdin_pw = 1;
    else if (is(a, "--role") && i + 1 < argc) role = argv[++i];
    else if (!strncmp(a, "--role=", 7)) role = a + 7;
    else if (is(a, "--roles") && i + 1 < argc) roles = argv[++i];
    else if (!strncmp(a, "--roles=", 8)) roles = a + 8;
    else if (a[0] != '-' && !login) login = a;
    else {
      char m[300];
      snprintf(m, sizeof m, "unexpected argument '%s'", a);
      return user_usage(m);
    }
  }
  int add = is(argv[1], "add");
  if (!add && !is(argv[1], "list")) return user_usage(NULL);
  if (add && (!login || !role || !stdin_pw))
    return user_usage("add needs LOGIN, --role ROLE and --password-stdin");
  if (!add && (login || role || roles || stdin_pw)) return user_usage("list takes only --json");

  char err[1024] = "", password[1100];
  int status = 0, rc = 1;
  json_t *args = NULL, *res = NULL;
  kf_session *s = api->session_open(self, err, sizeof err);
  if (!s) {
    fprintf(stderr, "kinflow: user: %s\n", err);
    return 1;
  }
  if (add) {
    int pr = read_password(password, sizeof password);
    if (pr) {
      fprintf(stderr, "kinflow: user: %s\n", pr == -2 ? "the password is longer than 1024 "
              "characters" : "no password on standard input (give it on one line)");
      goto out;
    }
    args = json_pack("{s:s,s:s,s:s,s:s}", "login", login, "role", role, "password", password,
                     "actor", cli_actor());
    explicit_bzero(password, sizeof password);
    if (roles) {
      json_t *list = json_array();
      char copy[1024], *save = NULL;
      snprintf(copy, sizeof copy, "%s", roles);
      for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        json_array_append_new(list, json_string(t));
      json_object_set_new(args, "roles", list);
    }
    if (!args || !(res = api->call(s, "user.add", args, &status, err, sizeof err))) {
      fprintf(stderr, "kinflow: user add: %s\n", err[0] ? err : "refused");
      goto out;
    }
    if (json_out) {
      char *t = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
      printf("%s\n", t ? t : "null");
      free(t);
    } else {
      printf("user %s added (role %s", login, role);
      if (json_array_size(json_object_get(res, "roles"))) {
        char *t = json_dumps(json_object_get(res, "roles"), JSON_COMPACT);
        printf("; acts as %s", t ? t : "?");
        free(t);
      }
      printf(")\n");
    }
  } else {
    args = json_object();
    if (!(res = api->call(s, "user.list", args, &status, err, sizeof err))) {
      fprintf(stderr, "kinflow: user list: %s\n", err);
      goto out;
    }
    if (json_out) {
      char *t = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
      printf("%s\n", t ? t : "null");
      free(t);
    } else {
      size_t i;
      json_t *u;
      printf("%-24s %-11s %-30s %-21s %s\n", "LOGIN", "ROLE", "ACTS AS", "CREATED", "LAST SIGN-IN");
      json_array_foreach(res, i, u) {
        char *r = json_dumps(json_object_get(u, "roles"), JSON_COMPACT | JSON_ENCODE_ANY);
        const char *last = json_string_value(json_object_get(u, "last_login"));
        printf("%-24s %-11s %-30s %-21s %s\n", json_string_value(json_object_get(u, "login")),
               json_string_value(json_object_get(u, "role")), r && strcmp(r, "[]") && strcmp(r, "null") ? r : "-",
               json_string_value(json_object_get(u, "created_at")), last ? last : "never");
        free(r);
      }
    }
  }
  rc = 0;
out:
  json_decref(args);
  json_decref(res);
  api->session_close(s);
  return rc;
}

static int command(void *ud, int argc, char **argv) {
  self = ud;
  return is(argv[0], "serve") ? serve(argc, argv) : user_cmd(argc, argv);
}

static int init(const kf_api *a, kf_host *h) {
  if (api != a) api = a; /* the same table each time: written once */
  if (a->size < sizeof(kf_api) || !a->session_open || !a->call) {
    a->log(h, KF_LOG_ERROR, "this kinflow has no session API (ABI %u): rebuild the plugin", a->abi);
    return -1;
  }
  if (a->register_command(h, "serve", "serve [--bind ADDR] [--port N]", command, h) ||
      a->register_command(h, "user", "user add LOGIN --role ROLE --password-stdin | user list",
                          command, h)) {
    a->log(h, KF_LOG_ERROR, "cannot register the serve and user commands");
    return -1;
  }
  return 0;
}

KF_PLUGIN_DEFINE("console", "0.1.0", init);
