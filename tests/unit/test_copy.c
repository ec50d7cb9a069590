/* Unit tests for store_copy.c: a database of more rows than a page (and a batch) of every
 * kind copied and verified, including a two-column key read page by page; the verification
 * naming the case or table that differs on a target changed after its copy; refusals (a
 * target with rows, a missing source) that leave nothing behind. With KINFLOW_TEST_PG_URL
 * (tests/run.sh's PostgreSQL pass), KF_PGBASE or PG_URL_BASE naming a PostgreSQL server, the
 * same database goes there and back. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "t.h"

#define NCASES 1201 /* pages of 500 and batches of a few rows: neither divides it */
#define NOW "2026-01-05T09:00:00Z"

static char a[64], b[64], c[64], d[64], e[64];

/* NCASES cases of one workflow, each opened by an event, with a member and a withheld row
 * (whose key is two columns); a user and a team. */
static void fill(const char *path) {
  kf_err err = {0};
  kf_store *st = kf_store_open(path, 0, &err);
  CHECK(st, "open %s: %s", path, err.msg);
  if (!st) return;
  CHECK(kf_store_begin(st, &err) == 0, "begin: %s", err.msg);
  json_t *def = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{},s:s,s:s,s:s}", "kind", "workflow", "name",
                          "w", "title", "W", "path", "w.lua", "source", "return 1", "definition",
                          "hash", "h1", "deployed_at", NOW, "deployed_by", "t");
  CHECK(kf_store_def_put(st, def, &err) == 0, "def: %s", err.msg);
  for (int i = 0; i < NCASES && !err.code; i++) {
    json_t *cs = json_pack("{s:O,s:s,s:s,s:b,s:{s:s,s:i}}", "workflow_id",
                           json_object_get(def, "id"), "workflow", "w", "state", "a", "final", 0,
                           "data", "name", "Zoë “quoted” \\ 🌏", "n", i);
    if (kf_store_case_insert(st, cs, NOW, &err) == 0) {
      int64_t id = json_integer_value(json_object_get(cs, "id"));
      json_t *ev = json_pack("{s:I,s:s,s:s,s:s,s:s,s:{s:i}}", "case", (json_int_t)id, "kind",
                             "case.opened", "actor", "t", "at", NOW, "to", "a", "data", "n", i);
      if (!kf_store_event_append(st, ev, &err) &&
          !kf_store_member_add(st, id, "parent", "Åsa", NULL, NOW, &err))
        kf_store_withheld_add(st, id, "partners", "share", id, "no consent", NOW, &err);
      json_decref(ev);
    }
    json_decref(cs);
  }
  CHECK(!err.code, "fill: %s", err.msg);
  json_t *user = json_pack("{s:s,s:s,s:s,s:s}", "login", "alice", "role", "caseworker",
                           "password_hash", "x", "created_at", NOW);
  CHECK(kf_store_user_add(st, user, &err) == 0, "user: %s", err.msg);
  CHECK(kf_store_team_add(st, "north", NOW, &err) == 0, "team: %s", err.msg);
  CHECK(kf_store_commit(st, &err) == 0, "commit: %s", err.msg);
  json_decref(user);
  json_decref(def);
  kf_store_close(st);
}

static long long tab(json_t *sum, const char *name) {
  return json_integer_value(json_object_get(json_object_get(sum, "tables"), name));
}

/* from and to open, verified against each other: 0, or the refusal in msg. */
static int verify(const char *from, const char *to, char msg[512]) {
  kf_err err = {0};
  kf_store *x = kf_store_open(from, KF_STORE_NOCREATE, &err);
  kf_store *y = x ? kf_store_open(to, KF_STORE_NOCREATE, &err) : NULL;
  int rc = y ? kf_store_copy_verify(x, y, NULL, &err) : -100;
  snprintf(msg, 512, "%s", err.msg);
  kf_store_close(y);
  kf_store_close(x);
  return rc;
}

static void copy_and_verify(void) {
  kf_err err = {0};
  json_t *sum = NULL;
  int rc = kf_store_copy(a, b, &sum, &err);
  CHECK(rc == 0, "copy: %s", err.msg);
  CHECK(json_integer_value(json_object_get(sum, "cases")) == NCASES &&
            json_integer_value(json_object_get(sum, "events")) == NCASES &&
            tab(sum, "members") == NCASES && tab(sum, "withheld") == NCASES &&
            tab(sum, "users") == 1 && tab(sum, "teams") == 1 && tab(sum, "definitions") == 1,
        "copy: the summary counts every row");
  CHECK(json_object_size(json_object_get(sum, "tables")) == 21, "copy: twenty-one tables");
  CHECK(json_string_value(json_object_get(sum, "head")) &&
            strlen(json_string_value(json_object_get(sum, "head"))) == 64,
        "copy: the head's hash");
  json_decref(sum);
  char msg[512];
  CHECK(verify(a, b, msg) == 0, "the copy verifies against its source: %s", msg);
  kf_store *st = kf_store_open(b, KF_STORE_NOCREATE, &err);
  json_t *cs = st ? kf_store_case_get(st, "1201", &err) : NULL;
  json_t *data = json_object_get(cs, "data");
  CHECK(cs && !strcmp(json_string_value(json_object_get(data, "name")), "Zoë “quoted” \\ 🌏") &&
            json_integer_value(json_object_get(data, "n")) == NCASES - 1,
        "the last case's data, text as it was: %s", err.msg);
  json_decref(cs);
  kf_store_close(st);
}

/* A target changed after its copy: the verification names what differs. */
static void verify_names_differences(void) {
  kf_err err = {0};
  char msg[512];
  CHECK(kf_store_copy(a, c, NULL, &err) == 0, "copy to c: %s", err.msg);
  kf_store *st = kf_store_open(c, KF_STORE_NOCREATE, &err);
  CHECK(st && kf_store_begin(st, &err) == 0 &&
            kf_store_case_update(st, 700, 1, "b", 0, 1, NULL, NOW, &err) == 0 &&
            kf_store_commit(st, &err) == 0,
        "change case 700 on the copy: %s", err.msg);
  kf_store_close(st);
  CHECK(verify(a, c, msg) == KF_EINVAL &&
            !strcmp(msg, "case 700: state 'a' on the source, 'b' on the target"),
        "a case moved on the target is named: %s", msg);

  CHECK(kf_store_copy(a, d, NULL, &err) == 0, "copy to d: %s", err.msg);
  st = kf_store_open(d, KF_STORE_NOCREATE, &err);
  CHECK(st && kf_store_begin(st, &err) == 0 &&
            kf_store_member_add(st, 3, "child", "Leo", NULL, NOW, &err) == 0 &&
            kf_store_commit(st, &err) == 0,
        "add a member on the copy: %s", err.msg);
  kf_store_close(st);
  CHECK(verify(a, d, msg) == KF_EINVAL &&
            !strcmp(msg, "table members has 1201 rows on the source, 1202 on the target"),
        "a row added on the target is named by its table: %s", msg);
}

static void refusals(void) {
  kf_err err = {0};
  int rc = kf_store_copy(a, b, NULL, &err);
  CHECK(rc == KF_EINVAL && CONTAINS(err.msg, "is not empty (table definitions holds 1 row)"),
        "a target with rows is refused: %d %s", rc, err.msg);
  char msg[512];
  CHECK(verify(a, b, msg) == 0, "... and left as it was: %s", msg);
  err = (kf_err){0};
  rc = kf_store_copy("/tmp/kf-copy-no-such.db", e, NULL, &err);
  CHECK(rc == KF_ENOTFOUND && CONTAINS(err.msg, "does not exist; nothing was copied"),
        "a missing source is refused: %d %s", rc, err.msg);
  CHECK(access(e, F_OK) != 0, "... and no target file is made");
  err = (kf_err){0};
  rc = kf_store_copy(a, a, NULL, &err);
  CHECK(rc == KF_EINVAL && CONTAINS(err.msg, "the same database"), "a into a: %s", err.msg);
}

/* The server's base URI (without a database), from the environment; NULL when none. */
static char *pg_base(void) {
  const char *v = getenv("KINFLOW_TEST_PG_URL"); /* tests/run.sh's PostgreSQL pass */
  if (!v || !*v) v = getenv("KF_PGBASE");
  if (!v || !*v) v = getenv("PG_URL_BASE");
  if (!v || !*v) return NULL;
  char *base = strdup(v), *rest = strstr(base, "://"), *slash = rest ? strchr(rest + 3, '/') : NULL;
  if (slash) *slash = 0;
  return base;
}

static int psql(const char *base, const char *sql) {
  char *cmd = NULL;
  if (asprintf(&cmd, "psql '%s/postgres' -qtAc '%s' >/dev/null 2>&1", base, sql) < 0) return -1;
  int rc = system(cmd);
  free(cmd);
  return rc;
}

static void postgres_round_trip(void) {
  char *base = pg_base();
  if (!base) {
    printf("skipped: SQLite -> PostgreSQL -> SQLite (no PostgreSQL: set PG_URL_BASE)\n");
    return;
  }
  char name[64], drop[96], create[96], *uri = NULL;
  snprintf(name, sizeof name, "kf_copy_unit_%d", (int)getpid());
  snprintf(drop, sizeof drop, "DROP DATABASE IF EXISTS %s", name);
  snprintf(create, sizeof create, "CREATE DATABASE %s", name);
  psql(base, drop);
  CHECK(psql(base, create) == 0, "create database %s on %s", name, base);
  if (asprintf(&uri, "%s/%s", base, name) < 0) uri = NULL;
  kf_err err = {0};
  CHECK(uri && kf_store_copy(a, uri, NULL, &err) == 0, "SQLite -> PostgreSQL: %s", err.msg);
  char msg[512];
  CHECK(verify(a, uri, msg) == 0, "PostgreSQL holds what SQLite holds: %s", msg);
  CHECK(kf_store_copy(uri, e, NULL, &err) == 0, "PostgreSQL -> SQLite: %s", err.msg);
  CHECK(verify(a, e, msg) == 0, "back on SQLite, as it was: %s", msg);
  free(uri);
  psql(base, drop);
  free(base);
}

int main(void) {
  t_tmp_path(a, sizeof a, "copy-a", "db");
  t_tmp_path(b, sizeof b, "copy-b", "db");
  t_tmp_path(c, sizeof c, "copy-c", "db");
  t_tmp_path(d, sizeof d, "copy-d", "db");
  t_tmp_path(e, sizeof e, "copy-e", "db");
  const char *all[] = {a, b, c, d, e};
  for (int i = 0; i < 5; i++) t_remove_db(all[i]);
  fill(a);
  copy_and_verify();
  verify_names_differences();
  refusals();
  postgres_round_trip();
  for (int i = 0; i < 5; i++) t_remove_db(all[i]);
  printf("%d passed, %d failed\n", t_pass, t_fail);
  return t_fail ? 1 : 0;
}
