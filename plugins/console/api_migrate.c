/* api_migrate.c: the handlers of programme versions (admins only, by the route table): a
 * programme's versions, the dry run, a run on a thread of its own with its progress, the
 * migrations and the undo. The moving itself is the engine's (migrate.run and friends);
 * here only the requests, the run's thread and what the console remembers of the runs it
 * started (their lists of moved and left cases). No SQL; nothing decided about cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "console.h"

/* A run this server started: its thread, and what it answered once it ended. */
typedef struct job {
  struct job *next;
  pthread_t thread;
  json_t *args;       /* migrate.run's arguments (the thread's until it ends) */
  char workflow[128];
  char by[72];
  int64_t after;      /* the newest migration's id before it started */
  int64_t id;         /* its migration, once the row exists (0: not yet) */
  json_int_t total;   /* open cases to consider, as counted when it started */
  int ended;          /* the thread has finished (result or error set) */
  int joined;
  int status;         /* the engine's status when it failed */
  char err[1024];
  json_t *result;     /* migrate.run's answer */
} job;

static pthread_mutex_t jobs_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_cv = PTHREAD_COND_INITIALIZER;
static job *jobs;

static void *run_thread(void *arg) {
  job *j = arg;
  char err[sizeof j->err] = "";
  int status = -1;
  json_t *res = NULL;
  kf_session *s = api->session_open(self, err, sizeof err);
  if (s) {
    res = api->call(s, "migrate.run", j->args, &status, err, sizeof err);
    api->session_close(s);
  }
  if (!res) api->log(self, status >= 400 && status < 500 ? KF_LOG_WARN : KF_LOG_ERROR,
                     "migration of %s: %s", j->workflow, err);
  pthread_mutex_lock(&jobs_mu);
  j->result = res;
  j->status = res ? 200 : status;
  snprintf(j->err, sizeof j->err, "%s", err);
  if (res) j->id = (int64_t)json_integer_value(json_object_get(res, "migration"));
  json_decref(j->args);
  j->args = NULL;
  j->ended = 1;
  pthread_cond_broadcast(&jobs_cv);
  pthread_mutex_unlock(&jobs_mu);
  return NULL;
}

/* After the daemon stopped: wait for the runs still going (a run is safe to kill, but the
 * plugin must not unload under its thread), then forget them all. */
void migrations_end(void) {
  pthread_mutex_lock(&jobs_mu);
  job *all = jobs;
  jobs = NULL;
  pthread_mutex_unlock(&jobs_mu);
  while (all) {
    job *next = all->next;
    if (!all->joined) pthread_join(all->thread, NULL);
    json_decref(all->result);
    json_decref(all->args);
    free(all);
    all = next;
  }
}

/* The whole number in the path's placeholder 0 (a migration); 0 with 400 set. */
static int64_t path_id(ctx *x) {
  const char *s = x->arg[0];
  char *end;
  errno = 0;
  long long n = s && *s && strspn(s, "0123456789") == strlen(s) ? strtoll(s, &end, 10) : 0;
  if (errno || n <= 0) {
    fail(x, 400, "'%s' is not a migration number (see GET /api/migrations)", s ? s : "");
    return 0;
  }
  return n;
}

/* The programme's versions (workflow.versions), or NULL with the answer set (404). */
static json_t *versions_of(ctx *x, const char *workflow) {
  return verb_new(x, "workflow.versions", json_pack("{s:o}", "name", text_value(workflow)));
}

/* Whether version `to` is among vs; else 422 naming the versions that exist. */
static int version_ok(ctx *x, const char *workflow, const json_t *vs, json_int_t to) {
  char list[200] = "";
  size_t i, used = 0;
  json_t *v;
  json_array_foreach(vs, i, v) {
    json_int_t n = json_integer_value(json_object_get(v, "version"));
    if (n == to) return 1;
    if (used < sizeof list - 24)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld", used ? ", " : "", (long long)n);
  }
  fail(x, 422, "workflow '%s' has no version %lld (versions: %s)", workflow, (long long)to, list);
  return 0;
}

/* The body of a check or a run: {to, plan?} (and the workflow, when wf is NULL). The
 * engine's arguments, or NULL with 400 set. */
static json_t *migration_args(ctx *x, const char *wf) {
  const char *plan;
  if (!body(x)) return NULL;
  if (!wf && !body_text(x, "workflow", 1, &wf)) return NULL;
  if (!wf || !*wf) {
    fail(x, 400, "'workflow' must name a programme");
    return NULL;
  }
  json_t *to = json_object_get(x->body, "to");
  if (!json_is_integer(to) || json_integer_value(to) <= 0) {
    fail(x, 400, "'to' must be the version to move to, a whole number (e.g. \"to\": 2)");
    return NULL;
  }
  if (!body_text(x, "plan", 0, &plan)) return NULL;
  json_t *args = json_pack("{s:o,s:O}", "workflow", text_value(wf), "to", to);
  if (plan && *plan) json_object_set_new(args, "plan", text_value(plan));
  return args;
}

/* An engine call of a check or a run: its refusals of the request's content (a plan file's
 * error at its line) answer 422, the request being well formed. */
static json_t *migrate_verb_new(ctx *x, const char *verb, json_t *args) {
  json_t *r = verb_new(x, verb, args);
  if (!r && x->status == 400) x->status = 422;
  return r;
}

/* Every migration (migrate.list), or NULL with the answer set. */
static json_t *migrations_of(ctx *x) { return verb_new(x, "migrate.list", json_object()); }

static json_t *find_migration(const json_t *rows, int64_t id) {
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r)
    if (json_integer_value(json_object_get(r, "id")) == id) return r;
  return NULL;
}

static json_t *int_or_null(const json_t *v) {
  return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

/* A migration as the console shows it: its row, and progress {done, total} (done: cases
 * dealt with so far; total: the open cases it considers, null when unknown); with lists,
 * the run's moved and left cases when this server ran it. Call with jobs_mu held. */
static json_t *migration_view(const json_t *row, int with_lists) {
  static const char *keep[] = {"id", "workflow", "to_version", "plan_hash", "by", "started_at",
                               "finished_at", "state", "counts", "migrated", "undone"};
  json_t *out = json_object();
  for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
    json_t *v = json_object_get(row, keep[i]);
    json_object_set_new(out, keep[i], v ? json_incref(v) : json_null());
  }
  int64_t id = (int64_t)json_integer_value(json_object_get(row, "id"));
  const char *state = json_string_value(json_object_get(row, "state"));
  json_t *counts = json_object_get(row, "counts"), *migrated = json_object_get(row, "migrated");
  const job *j = NULL;
  for (const job *k = jobs; k; k = k->next)
    if (k->id == id) j = k;
  /* total: the engine's count (counts.cases, kept in the row), else this server's */
  json_t *total = int_or_null(json_object_get(counts, "cases"));
  if (json_is_null(total) && j) {
    json_decref(total);
    total = json_integer(j->total);
  }
  json_t *done;
  if (is(state, "running")) /* the engine's heartbeat (counts.done), else the cases moved */
    done = json_is_integer(json_object_get(counts, "done")) ? int_or_null(json_object_get(counts, "done"))
                                                            : int_or_null(migrated);
  else if ((is(state, "done") || is(state, "undone")) && json_is_integer(total))
    done = json_integer(json_integer_value(total));
  else
    done = int_or_null(migrated);
  json_object_set_new(out, "progress", json_pack("{s:o,s:o}", "done", done, "total", total));
  if (with_lists && j && j->ended && j->result) {
    json_object_set(out, "moved", json_object_get(j->result, "moved"));
    json_object_set(out, "left", json_object_get(j->result, "left"));
  }
  if (j && j->ended && !j->result) json_object_set_new(out, "error", message_value(j->err));
  return out;
}

/* Once row says its migration ended, wait (at most 10 s) for the thread of this server that
 * ran it to hand over its lists: the engine records the end just before it returns. Call
 * with jobs_mu held. */
static void await_lists(const json_t *row) {
  int64_t id = (int64_t)json_integer_value(json_object_get(row, "id"));
  if (is(json_string_value(json_object_get(row, "state")), "running")) return;
  job *j = NULL;
  for (job *k = jobs; k; k = k->next)
    if (k->id == id) j = k;
  struct timespec end;
  clock_gettime(CLOCK_REALTIME, &end);
  end.tv_sec += 10;
  while (j && !j->ended)
    if (pthread_cond_timedwait(&jobs_cv, &jobs_mu, &end) == ETIMEDOUT) break;
}

/* GET /api/workflows/{name}/versions: every deployed version, its open cases, the latest
 * marked, and each one's definition (for the diagrams side by side) */
void workflow_versions(ctx *x) {
  json_t *vs = versions_of(x, x->arg[0]);
  if (vs) answer_new(x, vs);
}

/* POST /api/workflows/{name}/migration-checks {to, plan?}: the dry run; writes nothing. */
void migration_check(ctx *x) {
  json_t *args = migration_args(x, x->arg[0]);
  if (!args) return;
  json_t *vs = versions_of(x, x->arg[0]);
  int ok = vs && version_ok(x, x->arg[0], vs, json_integer_value(json_object_get(args, "to")));
  json_decref(vs);
  if (!ok) {
    json_decref(args);
    return;
  }
  json_t *r = migrate_verb_new(x, "migrate.check", args);
  if (r) answer_new(x, r);
}

/* Whether a migration of workflow runs (in this server, or any process by the list);
 * 0 with 409 set when one does. Call with jobs_mu held. */
static int none_running(ctx *x, const char *workflow, const json_t *rows) {
  for (const job *k = jobs; k; k = k->next)
    if (!k->ended && is(k->workflow, workflow)) {
      fail(x, 409, "a migration of %s is running already (started by %s); wait for it to finish",
           workflow, k->by);
      return 0;
    }
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r)
    if (is(json_string_value(json_object_get(r, "workflow")), workflow) &&
        is(json_string_value(json_object_get(r, "state")), "running")) {
      fail(x, 409, "migration %lld of %s is running already (started by %s at %s); wait for it to finish",
           (long long)json_integer_value(json_object_get(r, "id")), workflow,
           json_string_value(json_object_get(r, "by")), json_string_value(json_object_get(r, "started_at")));
      return 0;
    }
  return 1;
}

/* The id of j's migration once its row exists (or its thread ended), waiting at most
 * limit seconds; called with jobs_mu held (released while it waits). */
static void await_row(ctx *x, job *j, int limit) {
  struct timespec end;
  clock_gettime(CLOCK_REALTIME, &end);
  end.tv_sec += limit;
  while (!j->ended && !j->id) {
    pthread_mutex_unlock(&jobs_mu);
    char err[512];
    int status;
    json_t *rows = engine_call_new("migrate.list", json_pack("{s:s}", "user", x->u.login), &status,
                                   err, sizeof err);
    pthread_mutex_lock(&jobs_mu);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) {
      int64_t id = (int64_t)json_integer_value(json_object_get(r, "id"));
      if (id > j->after && is(json_string_value(json_object_get(r, "workflow")), j->workflow) &&
          is(json_string_value(json_object_get(r, "by")), j->by) && !j->id)
        j->id = id;
    }
    json_decref(rows);
    if (j->ended || j->id) break;
    struct timespec now, nap;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)) break;
    nap = now;
    nap.tv_nsec += 25 * 1000 * 1000;
    if (nap.tv_nsec >= 1000000000L) {
      nap.tv_sec++;
      nap.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&jobs_cv, &jobs_mu, &nap);
  }
}

/* Join the threads of runs that ended, and forget all but the newest KEEP of them (their
 * lists). Call with jobs_mu held. */
enum { KEEP = 20 };
static void reap(void) {
  int kept = 0;
  for (job **p = &jobs; *p;) {
    job *j = *p;
    if (j->ended && !j->joined) {
      pthread_join(j->thread, NULL);
      j->joined = 1;
    }
    if (j->joined && ++kept > KEEP) {
      *p = j->next;
      json_decref(j->result);
      free(j);
      continue;
    }
    p = &j->next;
  }
}

static void unlink_job(job *j) {
  for (job **p = &jobs; *p; p = &(*p)->next)
    if (*p == j) {
      *p = j->next;
      return;
    }
}

/* POST /api/migrations {workflow, to, plan?}: starts the run on a thread of its own and
 * answers 202 with the migration once its row exists; GET /api/migrations/{id} follows it. */
void migration_start(ctx *x) {
  json_t *args = migration_args(x, NULL);
  if (!args) return;
  const char *wf = json_string_value(json_object_get(args, "workflow"));
  json_int_t to = json_integer_value(json_object_get(args, "to"));
  json_t *vs = versions_of(x, wf);
  if (!vs || !version_ok(x, wf, vs, to)) {
    json_decref(vs);
    json_decref(args);
    return;
  }
  json_int_t total = 0;
  size_t i;
  json_t *v;
  json_array_foreach(vs, i, v)
    if (json_integer_value(json_object_get(v, "version")) != to)
      total += json_integer_value(json_object_get(v, "open_cases"));
  json_decref(vs);
  job *j = calloc(1, sizeof *j);
  if (!j) {
    json_decref(args);
    fail(x, 500, "out of memory");
    return;
  }
  snprintf(j->workflow, sizeof j->workflow, "%s", wf);
  snprintf(j->by, sizeof j->by, "%s", x->u.login);
  j->total = total;
  json_object_set_new(args, "user", json_string(x->u.login));
  json_object_set_new(args, "actor", json_string(x->u.login));
  j->args = args;
  pthread_mutex_lock(&jobs_mu);
  reap();
  json_t *rows = migrations_of(x);
  if (!rows || !none_running(x, wf, rows)) {
    pthread_mutex_unlock(&jobs_mu);
    json_decref(rows);
    json_decref(j->args);
    free(j);
    return;
  }
  size_t k;
  json_t *r;
  json_array_foreach(rows, k, r) {
    int64_t id = (int64_t)json_integer_value(json_object_get(r, "id"));
    if (id > j->after) j->after = id;
  }
  json_decref(rows);
  if (pthread_create(&j->thread, NULL, run_thread, j)) {
    pthread_mutex_unlock(&jobs_mu);
    json_decref(j->args);
    free(j);
    fail(x, 503, "cannot start the migration's thread; try again");
    return;
  }
  j->next = jobs;
  jobs = j;
  await_row(x, j, 120);
  if (!j->id) { /* refused before the row existed (or never came): nothing moved */
    int status = j->ended ? j->status : 503;
    char err[sizeof j->err];
    snprintf(err, sizeof err, "%s", j->ended ? j->err : "the migration did not start in time");
    int ended = j->ended;
    if (ended) {
      unlink_job(j);
      pthread_join(j->thread, NULL);
      json_decref(j->result);
      free(j);
    }
    pthread_mutex_unlock(&jobs_mu);
    if (status == 400) status = 422;
    if (status < 400 || status >= 600) status = 500;
    fail(x, status, "%s", status == 500 ? "internal error (the server's log says more)" : err);
    return;
  }
  int64_t id = j->id;
  pthread_mutex_unlock(&jobs_mu);
  rows = migrations_of(x);
  if (!rows) return;
  pthread_mutex_lock(&jobs_mu);
  json_t *row = find_migration(rows, id);
  if (row) await_lists(row);
  json_t *out = row ? migration_view(row, 1) : NULL;
  pthread_mutex_unlock(&jobs_mu);
  json_decref(rows);
  if (!out) {
    fail(x, 500, "migration %lld vanished", (long long)id);
    return;
  }
  answer_new(x, out);
  x->status = 202;
}

/* GET /api/migrations: every migration, oldest first, with its progress */
void migrations_list(ctx *x) {
  json_t *rows = migrations_of(x);
  if (!rows) return;
  json_t *out = json_array();
  size_t i;
  json_t *r;
  pthread_mutex_lock(&jobs_mu);
  json_array_foreach(rows, i, r) json_array_append_new(out, migration_view(r, 0));
  pthread_mutex_unlock(&jobs_mu);
  json_decref(rows);
  answer_new(x, out);
}

/* GET /api/migrations/{id}: one migration, its state and progress (and, when this server
 * ran it, its moved and left cases) */
void migration_show(ctx *x) {
  int64_t id = path_id(x);
  if (!id) return;
  json_t *rows = migrations_of(x);
  if (!rows) return;
  json_t *row = find_migration(rows, id);
  if (!row) {
    json_decref(rows);
    fail(x, 404, "no migration %lld (see GET /api/migrations)", (long long)id);
    return;
  }
  pthread_mutex_lock(&jobs_mu);
  await_lists(row);
  json_t *out = migration_view(row, 1);
  pthread_mutex_unlock(&jobs_mu);
  json_decref(rows);
  answer_new(x, out);
}

/* POST /api/migrations/{id}/undo: puts back each case nothing happened to since. */
void migration_undo(ctx *x) {
  int64_t id = path_id(x);
  if (!id) return;
  json_t *rows = migrations_of(x);
  if (!rows) return;
  json_t *row = find_migration(rows, id);
  const char *state = json_string_value(json_object_get(row, "state"));
  int refused = 1;
  if (!row) fail(x, 404, "no migration %lld (see GET /api/migrations)", (long long)id);
  else if (is(state, "undone")) fail(x, 409, "migration %lld was undone already", (long long)id);
  else if (is(state, "running"))
    fail(x, 409, "migration %lld is still running; undo it once it has finished", (long long)id);
  else refused = 0;
  json_decref(rows);
  if (refused) return;
  json_t *r = verb_new(x, "migrate.undo",
                       json_pack("{s:I,s:s}", "id", (json_int_t)id, "actor", x->u.login));
  if (!r && x->status == 400) x->status = 409; /* undone meanwhile */
  if (r) answer_new(x, r);
}
