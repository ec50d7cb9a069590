/* engine.c: the console's one door to the engine: a kf_session per worker thread for reads,
 * the writer (writer.c) for every verb that changes the database, verbs called through
 * kf_api (engine/api.h lists them) on behalf of the signed-in user (`user`, so that the
 * engine scopes what it returns), and their failures as HTTP answers. It decides nothing
 * about who may call what (routes.c, the handlers and the engine do). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "console.h"

static __thread kf_session *mine;
static pthread_mutex_t sessions_mu = PTHREAD_MUTEX_INITIALIZER;
static kf_session **sessions;
static size_t nsessions;
static atomic_int calling; /* workers' sessions in a verb now, for /metrics */

void engine_pool(int *open, int *busy) {
  pthread_mutex_lock(&sessions_mu);
  *open = (int)nsessions;
  pthread_mutex_unlock(&sessions_mu);
  *busy = atomic_load(&calling);
}

kf_session *engine_session(char *err, size_t len) {
  if (mine) return mine;
  kf_session *s = api->session_open(self, err, len);
  if (!s) return NULL;
  /* The few writes a worker makes itself (a session touched, a password changed) are as
   * durable as the writer's. */
  if (api->abi >= 5 && api->session_durable && api->session_durable(s, 1, err, len)) {
    api->session_close(s);
    return NULL;
  }
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
void engine_close_sessions(void) {
  pthread_mutex_lock(&sessions_mu);
  for (size_t i = 0; i < nsessions; i++) api->session_close(sessions[i]);
  free(sessions);
  sessions = NULL;
  nsessions = 0;
  mine = NULL;
  pthread_mutex_unlock(&sessions_mu);
}

/* The verbs that change the database, which the writer runs (batched, FULL). Not here:
 * the verbs that hash a password (user.add, user.reset_password, user.change_password: an
 * argon2id hash would hold every other write back; the worker writes them itself, FULL),
 * and programme versions (migrate.*: long runs on a thread of their own). */
static const char *const WRITES[] = {
    "case.open", "case.allocate", "case.access", "case.set", "case.fire", "case.member_add",
    "case.review", "form.submit", "rule.deploy", "rule.rollback", "team.add",
    "user.set_teams", "user.update", "session.create", "session.delete", "event.log",
    "login.failed", "family.submit", "family.fire", "family.invite", "decision.record",
    "consent.give", "consent.withdraw", "case.flag_clear", "case.member_end", "case.link",
    "setting.set", "timers.run",
};

/* A read stays on the worker's own session even when it may record something (case.get
 * with sensitive records who read a sensitive field, in a transaction of its own, durable
 * as every worker's session is): sending every read that might reveal something through
 * the writer would queue all of an admin's reads behind one thread. */
static int writes(const char *name) {
  for (size_t i = 0; i < sizeof WRITES / sizeof WRITES[0]; i++)
    if (is(name, WRITES[i])) return 1;
  return 0;
}

/* status: the engine's (400 ... 503), or -1 when no engine session could be opened.
 * detail (may be NULL): the failure's data, a new reference, or NULL. */
static json_t *run_new(const char *name, json_t *args, int *status, char *err, size_t len,
                       json_t **detail) {
  *status = 503;
  err[0] = 0;
  *detail = NULL;
  if (args && writes(name)) {
    int queued;
    json_t *res = writer_call_new(name, args, status, err, len, detail, &queued);
    if (queued) return res;
  }
  kf_session *s = engine_session(err, len);
  atomic_fetch_add(&calling, 1);
  json_t *res = s && args ? api->call(s, name, args, status, err, len) : NULL;
  atomic_fetch_sub(&calling, 1);
  json_decref(args);
  if (!s) {
    *status = -1; /* no engine: err says why */
  } else if (!args) {
    *status = 500;
    snprintf(err, len, "out of memory");
  } else if (!res && api->failure_detail) {
    *detail = api->failure_detail(s);
  }
  return res;
}

/* run_new, and the moves it tried counted for /metrics. detail may be NULL. */
static json_t *call_new(const char *name, json_t *args, int *status, char *err, size_t len,
                        json_t **detail) {
  json_t *d = NULL;
  json_t *res = run_new(name, args, status, err, len, &d);
  metrics_moves(name, res, d);
  if (detail) *detail = d;
  else json_decref(d);
  return res;
}

json_t *engine_call_new(const char *name, json_t *args, int *status, char *err, size_t len) {
  return call_new(name, args, status, err, len, NULL);
}

json_t *verb_new(ctx *x, const char *name, json_t *args) {
  char err[1024];
  int status;
  /* Every call made for a signed-in user names them; the engine answers only what they
   * may see. Before authenticate() has run (signing in) there is no user yet. */
  if (x->u.login[0] && json_is_object(args) && !json_object_get(args, "user"))
    json_object_set_new(args, "user", json_string(x->u.login));
  json_t *d = NULL;
  json_t *res = call_new(name, args, &status, err, sizeof err, &d);
  if (res) return res;
  if (status >= 500 || status < 0) api->log(self, KF_LOG_ERROR, "%s: %s", name, err);
  if (status < 0) fail(x, 503, "the engine is not available: %s", err);
  else if (status == 500) fail(x, 500, "internal error (the server's log says more)");
  else if (status == 503) fail(x, 503, "the database is busy; try again");
  else {
    fail(x, status, "%s", err[0] ? err : "refused");
    /* a refused move's unmet conditions, as data: {"error", "refusals": [{code, params, text}]};
     * a case the user may open by breaking the glass: {"error", "glass": true} */
    json_t *refusals = json_object_get(d, "refusals");
    if (json_is_array(refusals)) json_object_set(x->out, "refusals", refusals);
    if (status == 403 && json_is_true(json_object_get(d, "glass")))
      json_object_set_new(x->out, "glass", json_true());
  }
  json_decref(d);
  return NULL;
}

void reply_new(ctx *x, const char *name, json_t *args) {
  json_t *r = verb_new(x, name, args);
  if (r) answer_new(x, r);
}

void reply_if_new(ctx *x, int ok, const char *name, json_t *args) {
  if (ok) reply_new(x, name, args);
  else json_decref(args);
}

void record_new(const char *kind, const char *actor, json_t *data) {
  char err[512];
  int status;
  json_t *args = json_pack("{s:s,s:s,s:o}", "kind", kind, "actor", actor, "data", data);
  json_t *res = engine_call_new("event.log", args, &status, err, sizeof err);
  if (!res) api->log(self, KF_LOG_WARN, "cannot record %s: %s", kind, err);
  json_decref(res);
}
