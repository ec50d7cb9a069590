/* writer.c: the console's one writer. Every verb that changes the database is queued here
 * by the worker that serves its request; one thread with its own engine session, set to
 * synchronous=FULL, takes whatever is queued (up to WRITER_BATCH), runs it as one group
 * (kf_api's call_group: a savepoint a call, one commit, one fsync) and only then wakes each
 * worker with its own answer. It decides nothing about what may be written (the engine and
 * the handlers do), and never runs a verb that hashes a password (those stay on the worker). */
#include <pthread.h>
#include <stdlib.h>

#include "console.h"

enum { WRITER_BATCH = 64 };

typedef struct job {
  kf_call call;
  int done;
  struct job *next;
} job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queued = PTHREAD_COND_INITIALIZER;   /* a job waits, or stop */
static pthread_cond_t answered = PTHREAD_COND_INITIALIZER; /* a batch committed */
static job *head, *tail;
static int running, stopping;
static pthread_t thread;
static kf_session *session;

static void *writer_main(void *arg) {
  (void)arg;
  job *batch[WRITER_BATCH];
  kf_call calls[WRITER_BATCH];
  pthread_mutex_lock(&mu);
  for (;;) {
    while (!head && !stopping) pthread_cond_wait(&queued, &mu);
    if (!head) break; /* stopping, and the queue is drained */
    size_t n = 0;
    while (head && n < WRITER_BATCH) {
      batch[n++] = head;
      head = head->next;
    }
    if (!head) tail = NULL;
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < n; i++) calls[i] = batch[i]->call;
    int rc = api->call_group(session, calls, n);
    metrics_writer_group(n, rc == 0);
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < n; i++) {
      batch[i]->call = calls[i];
      batch[i]->done = 1;
    }
    pthread_cond_broadcast(&answered);
  }
  pthread_mutex_unlock(&mu);
  return NULL;
}

int writer_start(char *err, size_t len) {
  if (api->abi < 5 || !api->call_group || !api->session_durable) {
    snprintf(err, len, "this kinflow has no group commit (plugin ABI %u; 5 is needed)", api->abi);
    return -1;
  }
  if (!(session = api->session_open(self, err, len))) return -1;
  if (api->session_durable(session, 1, err, len)) {
    api->session_close(session);
    session = NULL;
    return -1;
  }
  stopping = 0;
  int rc = pthread_create(&thread, NULL, writer_main, NULL);
  if (rc) {
    snprintf(err, len, "cannot start the writer's thread: %s", strerror(rc));
    api->session_close(session);
    session = NULL;
    return -1;
  }
  pthread_mutex_lock(&mu);
  running = 1;
  pthread_mutex_unlock(&mu);
  return 0;
}

/* After the daemon stopped (no worker queues any more): what is queued is written, then
 * the thread ends. */
void writer_stop(void) {
  pthread_mutex_lock(&mu);
  int was = running;
  running = 0;
  stopping = 1;
  pthread_cond_signal(&queued);
  pthread_mutex_unlock(&mu);
  if (!was) return;
  pthread_join(thread, NULL);
  api->session_close(session);
  session = NULL;
}

json_t *writer_call_new(const char *verb, json_t *args, int *status, char *err, size_t len,
                        json_t **detail, int *queued_here) {
  *queued_here = 0;
  job j = {.call = {.verb = verb, .args = args}};
  pthread_mutex_lock(&mu);
  if (!running) {
    pthread_mutex_unlock(&mu);
    return NULL; /* not queued: the caller runs it itself */
  }
  *queued_here = 1;
  if (tail) tail->next = &j;
  else head = &j;
  tail = &j;
  pthread_cond_signal(&queued);
  while (!j.done) pthread_cond_wait(&answered, &mu);
  pthread_mutex_unlock(&mu);
  json_decref(args);
  *status = j.call.status;
  if (!j.call.result) snprintf(err, len, "%s", j.call.error);
  if (detail) *detail = j.call.detail;
  else json_decref(j.call.detail);
  return j.call.result;
}
