/* bare_server.c: the baseline `make bench` sets beside `kinflow serve`: libmicrohttpd
 * answering the API's bytes for an admin straight from SQLite (the same queries, Jansson
 * encoding, the same headers) with no sessions, roles, Lua or engine. A yardstick, never a
 * server to use: it checks no one and hides nothing.
 * Usage: bare_server DB   (binds 127.0.0.1 on a free port and prints its address) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *db_path;

/* One connection a thread, as the console has one engine session a thread. */
static __thread sqlite3 *db;

static pthread_key_t conn_key; /* closes a thread's connection when the thread ends */

/* Statements cached per thread by their SQL text's address. */
enum { NCACHE = 32 };
static __thread struct { const char *sql; sqlite3_stmt *st; } cache[NCACHE];

static void conn_close(void *p) {
  for (int i = 0; i < NCACHE; i++) sqlite3_finalize(cache[i].st);
  sqlite3_close(p);
}

static sqlite3 *conn(void) {
  if (db) return db;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    return NULL;
  pthread_setspecific(conn_key, db);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
               NULL, NULL, NULL);
  return db;
}

static sqlite3_stmt *stmt(const char *sql) {
  for (int i = 0; i < NCACHE; i++) {
    if (cache[i].sql == sql) {
      sqlite3_reset(cache[i].st);
      sqlite3_clear_bindings(cache[i].st);
      return cache[i].st;
    }
    if (!cache[i].sql) {
      if (sqlite3_prepare_v3(conn(), sql, -1, SQLITE_PREPARE_PERSISTENT, &cache[i].st, NULL))
        return NULL;
      cache[i].sql = sql;
      return cache[i].st;
    }
  }
  return NULL;
}

/* Rows as the engine's store makes them: objects keyed by column name, JSON columns parsed. */
static json_t *row_json(sqlite3_stmt *s) {
  json_t *o = json_object();
  for (int i = 0, n = sqlite3_column_count(s); i < n; i++) {
    const char *name = sqlite3_column_name(s, i);
    json_t *v;
    switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(s, i)); break;
    case SQLITE_FLOAT: v = json_real(sqlite3_column_double(s, i)); break;
    case SQLITE_NULL: v = json_null(); break;
    default: {
      const char *t = (const char *)sqlite3_column_text(s, i);
      v = NULL;
      if (!strcmp(name, "data") || !strcmp(name, "errors"))
        v = json_loads(t, JSON_DECODE_ANY, NULL);
      if (!v) v = json_string(t);
    }
    }
    json_object_set_new(o, name, v);
  }
  return o;
}

static json_t *rows(sqlite3_stmt *s) {
  json_t *a = json_array();
  while (sqlite3_step(s) == SQLITE_ROW) json_array_append_new(a, row_json(s));
  sqlite3_reset(s);
  return a;
}

static void boolify(json_t *o, const char *key) {
  json_object_set_new(o, key, json_boolean(json_integer_value(json_object_get(o, key))));
}

#define CASE_SQL                                                                        \
  "SELECT c.id, c.ref, c.workflow, d.version, c.workflow_id, c.state, c.final, c.data, " \
  "c.revision, c.overdue_since, c.created_at, c.updated_at, c.entered_at, "             \
  "c.allocated_to, c.team, d.title AS workflow_title, b.name AS base_name, b.version AS base_version"           \
  " FROM cases c JOIN definitions d ON d.id = c.workflow_id "                           \
  "LEFT JOIN definitions b ON b.id = d.base_id "

static const char *Q_CASE = CASE_SQL "WHERE c.id=?1";
static const char *Q_MEMBERS = "SELECT id, role, name, data, added_at, ended_at, ended_reason"
                               " FROM members "
                               "WHERE case_id=?1 AND (?2 IS NULL OR role=?2) ORDER BY id";
static const char *Q_TIMERS = "SELECT id, case_id AS \"case\", name, kind, state, due_at, status,"
                              " done_at FROM timers WHERE case_id=?1 ORDER BY id";
static const char *Q_ENTRIES =
    "SELECT e.id, e.form, d.version AS form_version, e.data, e.valid, e.errors, e.actor,"
    " e.submitted_at AS at, e.role FROM entries e LEFT JOIN definitions d ON d.id = e.form_id"
    " WHERE e.case_id=?1 AND (?2 IS NULL OR e.form=?2) AND (?3 = 0 OR e.valid = 1)"
    " ORDER BY e.id";
static const char *Q_FLAGS = "SELECT id, case_id AS \"case\", kind, text, raised_at FROM flags"
                             " WHERE case_id=?1 AND cleared_at IS NULL ORDER BY id";
static const char *Q_WITHHELD =
    "SELECT case_id AS \"case\", destination, purpose, events, first_seq, last_seq, reason,"
    " updated_at FROM withheld WHERE (?1 = 0 OR case_id = ?1) AND (?2 IS NULL OR"
    " destination = ?2) ORDER BY case_id, destination";
static const char *Q_LINKS =
    "SELECT l.id AS link, o.id AS \"case\", o.ref, o.workflow, o.state, o.final, l.kind AS \"as\","
    " 'to' AS direction, l.linked_at, l.linked_by"
    " FROM case_links l JOIN cases o ON o.id = l.other_id WHERE l.case_id=?1"
    " UNION ALL "
    "SELECT l.id, o.id, o.ref, o.workflow, o.state, o.final, l.kind, 'from', l.linked_at,"
    " l.linked_by FROM case_links l JOIN cases o ON o.id = l.case_id WHERE l.other_id=?1"
    " ORDER BY 1";
/* The same statements the engine builds: only the filters given, a capped count. */
#define W_NONE ""
#define W_WF " WHERE c.workflow=?1"
#define W_ST " WHERE c.state=?2"
#define W_BOTH " WHERE c.workflow=?1 AND c.state=?2"
#define LIST(W) CASE_SQL W " ORDER BY c.id LIMIT ?5 OFFSET ?6"
#define COUNT(W) "SELECT count(*) FROM (SELECT 1 FROM cases c" W " LIMIT ?9)"
static const char *Q_LISTS[4] = {LIST(W_NONE), LIST(W_WF), LIST(W_ST), LIST(W_BOTH)};
static const char *Q_COUNTS[4] = {COUNT(W_NONE), COUNT(W_WF), COUNT(W_ST), COUNT(W_BOTH)};

static json_t *case_row(long long id) {
  sqlite3_stmt *s = stmt(Q_CASE);
  if (!s) return NULL;
  sqlite3_bind_int64(s, 1, id);
  json_t *c = sqlite3_step(s) == SQLITE_ROW ? row_json(s) : NULL;
  sqlite3_reset(s);
  if (c) boolify(c, "final");
  return c;
}

/* Rows without their "case" member (the case they belong to is the one answered). */
static json_t *without_case(json_t *a) {
  size_t i;
  json_t *r;
  json_array_foreach(a, i, r) json_object_del(r, "case");
  return a;
}

/* GET /api/cases/ID: the case with its members, timers, valid entries, the reader's
 * access, open flags, what sharing withheld, and its links. */
static json_t *case_full(long long id) {
  json_t *c = case_row(id);
  if (!c) return NULL;
  sqlite3_stmt *s = stmt(Q_MEMBERS);
  sqlite3_bind_int64(s, 1, id);
  json_object_set_new(c, "members", rows(s));
  s = stmt(Q_TIMERS);
  sqlite3_bind_int64(s, 1, id);
  json_object_set_new(c, "timers", rows(s));
  s = stmt(Q_ENTRIES);
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_int(s, 3, 1);
  json_t *entries = rows(s);
  size_t i;
  json_t *en;
  json_array_foreach(entries, i, en) boolify(en, "valid");
  json_object_set_new(c, "entries", entries);
  /* what an admin's access is (access.c: every case in full, no grant) */
  json_object_set_new(c, "access",
                      json_pack("{s:s,s:b,s:I}", "basis", "admin", "sensitive", 1, "grant", (json_int_t)0));
  s = stmt(Q_FLAGS);
  sqlite3_bind_int64(s, 1, id);
  json_object_set_new(c, "flags", without_case(rows(s)));
  s = stmt(Q_WITHHELD);
  sqlite3_bind_int64(s, 1, id);
  json_object_set_new(c, "sharing", without_case(rows(s)));
  s = stmt(Q_LINKS);
  sqlite3_bind_int64(s, 1, id);
  json_t *links = rows(s), *l;
  json_array_foreach(links, i, l) {
    boolify(l, "final");
    /* the console reads each linked case to learn how its reader sees it; an admin sees
     * every case in full, so the link stays as it is */
    json_decref(case_row(json_integer_value(json_object_get(l, "case"))));
  }
  json_object_set_new(c, "links", links);
  return c;
}

/* GET /api/cases?limit=&offset=&workflow=&state=: a page and the total. */
static json_t *case_list(struct MHD_Connection *con) {
  const char *wf = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "workflow");
  const char *state = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "state");
  const char *l = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "limit");
  const char *o = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "offset");
  long long limit = l ? atoll(l) : 50, offset = o ? atoll(o) : 0;
  int v = (wf ? 1 : 0) | (state ? 2 : 0);
  sqlite3_stmt *s = stmt(Q_COUNTS[v]);
  if (wf) sqlite3_bind_text(s, 1, wf, -1, SQLITE_TRANSIENT);
  if (state) sqlite3_bind_text(s, 2, state, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 9, 10001);
  long long total = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_reset(s);
  s = stmt(Q_LISTS[v]);
  if (wf) sqlite3_bind_text(s, 1, wf, -1, SQLITE_TRANSIENT);
  if (state) sqlite3_bind_text(s, 2, state, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 5, limit);
  sqlite3_bind_int64(s, 6, offset);
  json_t *cases = rows(s);
  size_t i;
  json_t *c;
  json_array_foreach(cases, i, c) {
    boolify(c, "final");
    /* who is on the case now, and how many flags are open: the same reads as the console
     * (its members and open flags), taken straight from the columns */
    long long cid = json_integer_value(json_object_get(c, "id"));
    s = stmt(Q_MEMBERS);
    sqlite3_bind_int64(s, 1, cid);
    json_t *people = json_array();
    while (sqlite3_step(s) == SQLITE_ROW)
      if (sqlite3_column_type(s, 5) == SQLITE_NULL)
        json_array_append_new(people, json_pack("{s:s,s:s}", "role", sqlite3_column_text(s, 1),
                                                "name", sqlite3_column_text(s, 2)));
    sqlite3_reset(s);
    json_object_set_new(c, "people", people);
    s = stmt(Q_FLAGS);
    sqlite3_bind_int64(s, 1, cid);
    json_int_t flagged = 0;
    while (sqlite3_step(s) == SQLITE_ROW) flagged++;
    sqlite3_reset(s);
    json_object_set_new(c, "flagged", json_integer(flagged));
  }
  return json_pack("{s:o,s:I,s:b,s:I,s:I}", "cases", cases, "total",
                   (json_int_t)(total > 10000 ? 10000 : total), "total_is_more", total > 10000,
                   "limit", (json_int_t)limit, "offset", (json_int_t)offset);
}

/* POST /api/cases/ID/transitions/NAME: the bench programme's `step` as raw writes (the
 * case's data, the state's review timer cancelled and set again, an event with a fixed
 * hash-sized text, the log's head), one transaction; answers the case. */
static json_t *case_step(long long id) {
  static const char *q_begin = "BEGIN IMMEDIATE", *q_commit = "COMMIT";
  static const char *q_upd =
      "UPDATE cases SET data=json_set(data,'$.steps',coalesce(json_extract(data,'$.steps'),0)+1),"
      " revision=revision+1, updated_at=?2, entered_at=?2, overdue_since=NULL WHERE id=?1"
      " RETURNING state, data";
  static const char *q_cancel = "UPDATE timers SET status='cancelled', done_at=?2"
                                " WHERE case_id=?1 AND status='pending' AND state=?3";
  static const char *q_timer = "INSERT INTO timers(case_id,name,kind,state,due_at)"
                               " VALUES(?1,'review','review',?2,?3)";
  static const char *q_head = "SELECT seq FROM events ORDER BY seq DESC LIMIT 1";
  static const char *q_event =
      "INSERT INTO events(seq,case_id,at,actor,role,kind,name,from_state,to_state,reason,data,"
      "prev_hash,hash) VALUES(?1,?2,?3,'bench','worker','case.transition','step',?4,?4,NULL,"
      "json_object('data',json(?5)),?6,?6)";
  static const char *q_meta = "INSERT OR REPLACE INTO meta(key,value) VALUES('head',?1)";
  static const char hash[] = "5f0c9a3e7d1b2c4a6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d";
  char now[24], due[24], head[96];
  time_t t = time(NULL), d = t + 28 * 86400;
  struct tm tm;
  strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  strftime(due, sizeof due, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&d, &tm));
  sqlite3_stmt *s = stmt(q_begin);
  if (!s || sqlite3_step(s) != SQLITE_DONE) return NULL;
  s = stmt(q_upd);
  sqlite3_bind_int64(s, 1, id);
  sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
  char state[64] = "", *data = NULL;
  if (sqlite3_step(s) == SQLITE_ROW) {
    snprintf(state, sizeof state, "%s", (const char *)sqlite3_column_text(s, 0));
    data = strdup((const char *)sqlite3_column_text(s, 1));
  }
  sqlite3_reset(s);
  int ok = data != NULL;
  if (ok) {
    s = stmt(q_cancel);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, state, -1, SQLITE_STATIC);
    ok = sqlite3_step(s) == SQLITE_DONE;
    s = stmt(q_timer);
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, due, -1, SQLITE_STATIC);
    ok = ok && sqlite3_step(s) == SQLITE_DONE;
    s = stmt(q_head);
    long long seq = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) + 1 : 1;
    sqlite3_reset(s);
    s = stmt(q_event);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_int64(s, 2, id);
    sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, data, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, hash, -1, SQLITE_STATIC);
    ok = ok && sqlite3_step(s) == SQLITE_DONE;
    s = stmt(q_meta);
    snprintf(head, sizeof head, "%lld:%s", seq, hash);
    sqlite3_bind_text(s, 1, head, -1, SQLITE_STATIC);
    ok = ok && sqlite3_step(s) == SQLITE_DONE;
  }
  free(data);
  if (!ok || !(s = stmt(q_commit)) || sqlite3_step(s) != SQLITE_DONE) {
    sqlite3_exec(conn(), "ROLLBACK", NULL, NULL, NULL);
    return NULL;
  }
  return case_row(id);
}

/* The headers the console puts on its API answers, so both send the same bytes. */
static void headers(struct MHD_Response *r) {
  MHD_add_response_header(r, "Content-Security-Policy",
                          "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
                          "form-action 'self'");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **state) {
  (void)cls, (void)version, (void)upload;
  if (!*state) { /* first call: headers only; answer on the next (keep-alive) */
    *state = (void *)1;
    return MHD_YES;
  }
  if (*upload_size) { /* the body is not read: the bench sends the same one each time */
    *upload_size = 0;
    return MHD_YES;
  }
  json_t *out = NULL;
  unsigned status = 200;
  long long id = 0;
  char name[64];
  if (!conn()) status = 500;
  else if (!strcmp(method, "GET") && !strcmp(url, "/api/cases")) out = case_list(con);
  else if (!strcmp(method, "GET") && sscanf(url, "/api/cases/%lld", &id) == 1) out = case_full(id);
  else if (!strcmp(method, "POST") &&
           sscanf(url, "/api/cases/%lld/transitions/%63s", &id, name) == 2) out = case_step(id);
  else status = 404;
  if (!out && status == 200) status = 404;
  if (!out) out = json_pack("{s:s}", "error", status == 404 ? "not found" : "internal error");
  char *text = json_dumps(out, JSON_COMPACT);
  json_decref(out);
  struct MHD_Response *r =
      MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
  headers(r);
  enum MHD_Result rc = MHD_queue_response(con, status, r);
  MHD_destroy_response(r);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bare_server DB\n");
    return 2;
  }
  db_path = argv[1];
  pthread_key_create(&conn_key, conn_close);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  /* as many threads as the console's pool (serve.c: KINFLOW_CONSOLE_THREADS, else 8) */
  const char *t = getenv("KINFLOW_CONSOLE_THREADS");
  long n = t && *t ? atol(t) : 8;
  unsigned threads = n < 1 || n > 256 ? 8 : (unsigned)n;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_LIMIT, 256u, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
  if (!d) {
    fprintf(stderr, "bare_server: cannot listen\n");
    return 1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  printf("bare server on http://127.0.0.1:%u/\n", info ? info->port : 0);
  fflush(stdout);
  int sig;
  sigwait(&set, &sig);
  MHD_stop_daemon(d);
  return 0;
}
