/* console.h: what the console's rooms share; private to plugins/console (the engine never
 * sees it). Ownership as in Jansson: a function whose name ends in _new takes its json_t
 * argument (also when it fails); every other borrows; a json_t returned is the caller's. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kf_plugin.h"

struct MHD_Connection; /* only http.c includes microhttpd.h */
struct MHD_Daemon;
struct sockaddr;

/* host.c: the engine's table, and the host of the engine that runs the command. */
extern const kf_api *api;
extern kf_host *self;

static inline int is(const char *a, const char *b) { return a && b && !strcmp(a, b); }

#define CONSOLE_VERSION "0.1.0" /* the plugin's, and kinflow_build_info's */

/* ---- settings (serve.c reads them once, before the first request) ---- */
typedef struct settings {
  int idle, absolute;   /* seconds a session lasts unused, and at most */
  int timeout;          /* seconds a connection may stay idle */
  int head_timeout;     /* seconds a request head may take to arrive (from the connection,
                           or from the previous answer on a kept-alive one) */
  int request_timeout;  /* seconds a whole request (head and body) may take likewise */
  int connections;      /* connections at once */
  int threads;          /* worker threads (each waits for the writer while its write runs) */
  int per_address;      /* connections at once from one address (0: no limit) */
  int throttle_entries; /* sign-in throttle entries (tests make it small; 0: the default) */
  const char *hosts[16]; /* --host: Host names accepted (NAME: any port; NAME:PORT) */
  int nhosts;
  const char *bound_name; /* the address bound, as a Host names it (accepted with the port) */
  int secure_cookies;   /* KINFLOW_COOKIE_SECURE=1: __Host- cookie, Secure */
  const char *trusted_proxy; /* its X-Forwarded-For names the client (or NULL) */
} settings;
extern settings cfg;

/* ---- permissions (roles.c) ----
 * A user has one console role, which says what they may do through the console, and a
 * list of workflow roles, which say whom they may act as when they fire a move. */
enum {
  MAY_READ = 1,        /* programmes, cases, moves, history, forms, rules, dashboard */
  MAY_WORK = 2,        /* open cases, set data, add members, submit forms, fire moves */
  MAY_RULES = 4,       /* rule impact, deploy, rollback */
  MAY_AUDIT = 8,       /* the event log and its check */
  MAY_USERS = 16,      /* list and add users */
  MAY_ANY_ROLE = 32,   /* act as any workflow role, on any programme */
  MAY_SENSITIVE = 64,  /* see sensitive form fields (each read is logged) */
  MAY_SUPERVISE = 128, /* the glass-breaks to review (the team's caseload is a case list) */
  MAY_FAMILY = 256,    /* a family account's own page, forms, moves and consents (only those:
                          the dispatcher refuses it every other route but the session's) */
  MAY_VERSIONS = 512,  /* programme versions: move open cases to another version, undo */
  MAY_METRICS = 1024,  /* the server's metrics (GET /metrics) */
  SIGNED_IN = 0,       /* a route any signed-in user may use */
  PUBLIC = 1 << 30,    /* a route that needs no session (signing in) */
};

typedef struct user {
  char login[72], role[24], csrf[72], token[136];
  unsigned may;        /* MAY_ bits of the console role */
  int must_change;     /* the password was reset: only changing it is allowed */
  const json_t *roles; /* workflow roles: borrowed from ctx.session */
  const json_t *family; /* a family account's binding {case, member, role, name}: borrowed
                           from ctx.session; NULL for staff */
} user;

unsigned role_may(const char *role);
const char *may_name(unsigned may); /* a route's permission as a word: "read", "public" */
/* Whether u holds workflow role `role` (NULL: any role) in programme `workflow`. */
int holds(const user *u, const char *workflow, const char *role);
json_t *can_json(unsigned may); /* {"work": true, ...}, for the page */

/* ---- one request and its answer (http.c fills it, the rooms answer it) ---- */
enum { ROUTE_ARGS = 4 };

typedef struct ctx ctx;
enum { ASK_HEADER, ASK_COOKIE, ASK_QUERY };
struct ctx {
  struct MHD_Connection *c;
  /* what the request says (a header, a cookie, a query parameter): set by http.c */
  const char *(*lookup)(ctx *x, int what, const char *name);
  const char *raw;     /* the request body as received, raw_len bytes */
  size_t raw_len;
  const char *method;  /* HEAD is routed as GET */
  int route;           /* which route answers (routes.c's row), or a ROUTE_ below: metrics */
  char path[1024];
  const char *arg[ROUTE_ARGS]; /* the route's {placeholders}, in order, while it runs */
  char addr[64];       /* the client (behind a trusted proxy, as it says) */
  user u;
  json_t *session, *body;
  /* the answer */
  int status;
  json_t *out;
  char cookie[400];
  char allow[64];      /* the Allow header of a 405 */
  int retry_after;
  int fd;              /* a file to send instead of out, or -1 */
  uint64_t fsize;
  const char *ftype;
  char *text;          /* a text answer (malloc'd; http.c sends and frees it) of type ftype,
                          instead of out: /metrics */
  char etag[64];       /* a file's validator: its answer may be 304 Not Modified */
  int is_api;
};

/* reply.c */
json_t *text_value(const char *s); /* a JSON string from text that may not be UTF-8 */
json_t *message_value(const char *msg); /* text_value of an engine message, its pointer to a
                                         * command (" (see `kinflow ...`)") left out */
void fail(ctx *x, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void answer_new(ctx *x, json_t *v); /* 200 with v; takes v */
/* What the request says (through http.c's lookup) */
static inline const char *http_header(ctx *x, const char *name) { return x->lookup(x, ASK_HEADER, name); }
static inline const char *http_cookie(ctx *x, const char *name) { return x->lookup(x, ASK_COOKIE, name); }
static inline const char *http_query(ctx *x, const char *name) { /* NULL when absent or empty */
  const char *v = x->lookup(x, ASK_QUERY, name);
  return v && *v ? v : NULL;
}
/* Listen on sa (port 0: any free one; *port says which); NULL with err filled. */
struct MHD_Daemon *http_start(const struct sockaddr *sa, int v6, long *port, char *err,
                              size_t len);
void http_stop(struct MHD_Daemon *d);
/* The metrics listener: 127.0.0.1 only, GET /metrics without a session, 404 for anything
 * else (port 0: any free one; *port says which). NULL with err filled. */
struct MHD_Daemon *http_start_metrics(long *port, char *err, size_t len);
void http_stop_metrics(struct MHD_Daemon *d);

/* input.c: what a request carries, checked; each returns 0 (or NULL) with a 400 set */
json_t *case_id(const char *s);    /* the case in the path: a number, or a ref */
json_t *body(ctx *x);              /* the body as a JSON object, parsed once */
int body_text(ctx *x, const char *key, int required, const char **out);
int pass(ctx *x, json_t *args, const char *key, int (*type_ok)(const json_t *),
         const char *type);
int is_object(const json_t *v);
int is_string(const json_t *v);
int is_integer(const json_t *v);
int is_array(const json_t *v);
int is_boolean(const json_t *v);
int query_int(ctx *x, json_t *args, const char *name);
int query_bool(ctx *x, json_t *args, const char *name);
void query_text(ctx *x, json_t *args, const char *name);

/* engine.c: one engine session per worker thread */
kf_session *engine_session(char *err, size_t len);
void engine_close_sessions(void); /* after the daemon stopped */
/* The workers' database connections: open, and in a verb now (the writer's is not counted). */
void engine_pool(int *open, int *busy);
/* Run a verb; takes args. NULL with err filled and *status: the engine's HTTP-like
 * status, or -1 when no engine session could be opened. */
json_t *engine_call_new(const char *name, json_t *args, int *status, char *err, size_t len);
/* Run a verb for a request; takes args. NULL with the answer set to the error. */
json_t *verb_new(ctx *x, const char *name, json_t *args);
/* Run a verb for a request and answer with its result (or its error); takes args. */
void reply_new(ctx *x, const char *name, json_t *args);
/* reply when ok; else only drop args (the answer is set already). Takes args. */
void reply_if_new(ctx *x, int ok, const char *name, json_t *args);
/* Record an event of the console's own (login.*); takes data; failures are only logged. */
void record_new(const char *kind, const char *actor, json_t *data);

/* writer.c: the one thread that writes, in groups (one commit for all that is queued), at
 * synchronous=FULL. start: 0, or -1 with err filled; stop drains the queue first. */
int writer_start(char *err, size_t len);
void writer_stop(void);
/* Queue a verb and wait for the commit that holds it (takes args when *queued is 1); NULL
 * with *status, err and *detail (a new reference or NULL) when it failed. *queued 0: the
 * writer is not running (not `kinflow serve`): nothing was done, args not taken. */
json_t *writer_call_new(const char *verb, json_t *args, int *status, char *err, size_t len,
                        json_t **detail, int *queued);

/* auth.c: sessions, sign-in and the checks every API request passes */
int authenticate(ctx *x); /* 0 with 401 set */
int csrf_ok(ctx *x);      /* 0 with 403 set */
int origin_ok(ctx *x);    /* 0 with 403 set */
void session_create(ctx *x);
void session_show(ctx *x);
void session_end(ctx *x);
void session_password(ctx *x);
void user_update(ctx *x);
void user_password(ctx *x);

/* throttle.c: failed sign-ins per login and per address */
int throttle_begin(const char *login, const char *addr); /* 0, or seconds to wait */
void throttle_end(const char *login, const char *addr, int failed);

/* routes.c: the route table and its dispatcher (which sets x->route) */
void api_dispatch(ctx *x);
void routes_print(FILE *f);
int routes_count(void);
const char *route_path(int i); /* row i's path template, "/api/cases/{id}" */
int route_of(const char *method, const char *path); /* the row of a template, or ROUTE_OTHER */

/* metrics.c: counts for GET /metrics, kept with atomics (any worker thread may count), and
 * the exposition in Prometheus's text format. */
enum { ROUTE_OTHER = -1, ROUTE_PAGE = -2, ROUTE_STATIC = -3 }; /* x->route beside the rows */
void metrics_start(void); /* when `kinflow serve` starts */
void metrics_request(int route, const char *method, int status, double seconds);
/* After a verb: counts the moves case.fire, family.fire and timers.run tried (from the
 * result, or the failure's detail: engine/api.h). Borrows both; either may be NULL. */
void metrics_moves(const char *verb, const json_t *result, const json_t *detail);
void metrics_signin_failed(void);
void metrics_writer_group(size_t n, int committed);
void metrics_show(ctx *x);   /* GET /metrics for an admin's session */
void metrics_answer(ctx *x); /* the same without a session: the loopback listener */

/* api_cases.c */
void cases_list(ctx *x);
void case_open(ctx *x);
void case_show(ctx *x);
void case_set(ctx *x);
void case_moves(ctx *x);
void case_history(ctx *x);
void case_fire(ctx *x);
void case_form(ctx *x);
void case_member(ctx *x);
void case_review(ctx *x);
void case_allocate(ctx *x);
void case_access(ctx *x);

/* For a change to the case in the path (x->arg[0]): {"id", "actor"}, the start of the verb's
 * arguments, when the user holds some role (or `as`, when given) in the case's programme;
 * else NULL with the answer set. */
json_t *case_change_args(ctx *x, const char *as);

/* api_family.c: a family account's page, and the family parts of a staff case page */
void family_show(ctx *x);
void family_form(ctx *x);
void family_fire(ctx *x);
void family_consent_give(ctx *x);
void family_consent_withdraw(ctx *x);
void case_consents(ctx *x);
void case_consent_give(ctx *x);
void case_consent_withdraw(ctx *x);
void case_decisions(ctx *x);
void case_decision_record(ctx *x);
void case_invite(ctx *x);
void case_flag_clear(ctx *x);

/* api_records.c: members who leave, links between cases, the agency's settings */
void case_member_end(ctx *x);
void case_links(ctx *x);
void case_link(ctx *x);
void settings_list(ctx *x);
void setting_set(ctx *x);

/* api_programmes.c */
void dashboard_show(ctx *x);
void workflows_list(ctx *x);
void report_stages(ctx *x);
void report_outcomes(ctx *x);
void workflow_show(ctx *x);
void form_show(ctx *x);

/* api_migrate.c: programme versions (admins only) */
void workflow_versions(ctx *x);
void migration_check(ctx *x);
void migration_start(ctx *x);
void migrations_list(ctx *x);
void migration_show(ctx *x);
void migration_undo(ctx *x);
void migrations_end(void); /* after the daemon stopped: waits for runs still going */

/* api_rules.c */
void rules_list(ctx *x);
void rule_deploy(ctx *x);
void rule_impact(ctx *x);
void rule_rollback(ctx *x);

/* api_admin.c */
void users_list(ctx *x);
void user_add(ctx *x);
void user_update(ctx *x);
void audit_list(ctx *x);
void audit_verify(ctx *x);
void user_teams(ctx *x);
void teams_list(ctx *x);
void team_add(ctx *x);
void access_list(ctx *x);

/* files.c: the page, and the API's description (GET /api/openapi.json) */
void file_serve(ctx *x, const char *rel);
void openapi_show(ctx *x);

/* serve.c, user.c: the commands */
int serve_cmd(int argc, char **argv);
int user_cmd(int argc, char **argv);

#endif
