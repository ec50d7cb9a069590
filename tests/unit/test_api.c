/* Unit tests for api.c: the verbs the console calls, users and sessions, statuses. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "api.h"
#include "runtime.h"
#include "t.h"

static char db[64], wf[64];

static const char *WORKFLOW =
    "return workflow {\n"
    "  name = 'visits', roles = { 'worker' }, initial = 'open',\n"
    "  states = { { 'open' }, { 'done', final = true } },\n"
    "  transitions = { { 'close', from = 'open', to = 'done', by = { 'worker' },\n"
    "    requires = { 'home_visit' } } },\n"
    "  forms = { form { name = 'home_visit', fields = {\n"
    "    { 'visit_date', type = 'date', required = true },\n"
    "    { 'address', type = 'text', sensitive = true } } } },\n"
    "}\n";

/* user.add for login with password: the status, and the message in err. */
static int add_user(kf_session *s, const char *login, const char *password, kf_err *err) {
  int st = 0;
  json_t *r = t_call(s, "user.add", json_pack("{s:s,s:s,s:s}", "login", login, "role", "viewer",
                                              "password", password), &st, err);
  json_decref(r);
  return st;
}

/* A password of n characters, none repeated nearby, no runs; two bytes each when wide. */
static void long_password(char *out, size_t n, int wide) {
  static const char *A = "q7Wm2Xr9Tb4Lk8Zc3Hn6Vd5Jf1Gp0YsE";
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    if (wide && i % 7 == 3) used += (size_t)sprintf(out + used, "\xc3\xa9"); /* é */
    else out[used++] = A[(i * 11 + i / 32) % 32];
  }
  out[used] = 0;
}

static void passwords(kf_session *s) {
  kf_err err = {0};
  static const struct {
    const char *login, *password, *why;
  } WEAK[] = {
      {"nadia", "short", "the password must have at least 10 characters"},
      {"nadia", "aaaaaaaaaa", "the password reads the same backwards"},
      {"nadia.kemp", "nadia.kemp", "the password contains the login: choose one that does not"},
      {"nadia.kemp", "My-NADIA.KEMP-2024", "the password contains the login: choose one that does not"},
      {"nadia.kemp", "pmek.aidan-is-me", "the password contains the login: choose one that does not"},
      {"nadia@example.org", "nadia-likes-tea", "the password contains the login: choose one that does not"},
      {"nadia", "password123", "the password is a common word or password, or one with small changes"},
      {"nadia", "abababababab", "the password uses too few different characters"},
      {"nadia", "river-aaaa-77x", "the password repeats a character more than 3 times in a row"},
      {"nadia", "cat12345678", "the password holds a run of more than 4 characters like abcde or 12345"},
  };
  for (size_t i = 0; i < sizeof WEAK / sizeof WEAK[0]; i++) {
    int st = add_user(s, WEAK[i].login, WEAK[i].password, &err);
    CHECK(st == 400 && !strcmp(err.msg, WEAK[i].why) ? 1 : 0,
          "weak password '%s' for %s: want 400 \"%s\", got %d \"%s\"", WEAK[i].password,
          WEAK[i].login, WEAK[i].why, st, err.msg);
  }
  CHECK(add_user(s, "nadia", "kitten-lantern-43", &err) == 200, "a good password: %s", err.msg);

  /* One limit, in characters, at creation and at sign-in. */
  char at_max[KF_PASSWORD_MAX * 2 + 1], past[KF_PASSWORD_MAX * 2 + 8], wide[KF_PASSWORD_MAX * 2 + 1];
  long_password(at_max, KF_PASSWORD_MAX, 0);
  long_password(past, KF_PASSWORD_MAX + 1, 0);
  long_password(wide, KF_PASSWORD_MAX, 1);
  char too_long[64];
  snprintf(too_long, sizeof too_long, "a password has at most %d characters", KF_PASSWORD_MAX);
  CHECK(add_user(s, "long.one", at_max, &err) == 200, "%d characters are taken: %s", KF_PASSWORD_MAX, err.msg);
  CHECK(add_user(s, "long.wide", wide, &err) == 200 && strlen(wide) > KF_PASSWORD_MAX,
        "%d characters, some of two bytes, are taken: %s", KF_PASSWORD_MAX, err.msg);
  CHECK(add_user(s, "long.two", past, &err) == 400 && !strcmp(err.msg, too_long),
        "%d characters are refused at creation: %s", KF_PASSWORD_MAX + 1, err.msg);
  int st = 0;
  json_t *r = t_call(s, "user.verify", json_pack("{s:s,s:s}", "login", "long.one", "password", at_max), &st, &err);
  CHECK(r && st == 200, "%d characters sign in: %s", KF_PASSWORD_MAX, err.msg);
  json_decref(r);
  r = t_call(s, "user.verify", json_pack("{s:s,s:s}", "login", "long.wide", "password", wide), &st, &err);
  CHECK(r && st == 200, "%d wide characters sign in: %s", KF_PASSWORD_MAX, err.msg);
  json_decref(r);
  r = t_call(s, "user.verify", json_pack("{s:s,s:s}", "login", "long.one", "password", past), &st, &err);
  CHECK(!r && st == 400 && !strcmp(err.msg, too_long), "%d characters are refused at sign-in: %d %s",
        KF_PASSWORD_MAX + 1, st, err.msg);
}

/* The login.failed events, oldest first. */
static json_t *failures(kf_session *s) {
  kf_err err = {0};
  int st = 0;
  json_t *r = t_call(s, "audit.list", json_pack("{s:s,s:i}", "kind", "login.failed", "limit", 1000), &st, &err);
  return r ? r : json_array();
}

static int failed(kf_session *s, const char *login) {
  kf_err err = {0};
  int st = 0;
  json_t *r = t_call(s, "login.failed", json_pack("{s:s,s:s}", "login", login, "address", "192.0.2.1"),
                     &st, &err);
  int recorded = r ? json_is_true(json_object_get(r, "recorded")) : -1;
  json_decref(r);
  return recorded;
}

static void failed_sign_ins(kf_session *s) {
  kf_err err = {0};
  int st = 0;
  int64_t t0 = 4102444800 + 86400; /* 2100-01-02 */
  kf_clock_set(t0);
  const char *typed = "hunter2 Secret!";
  CHECK(failed(s, typed) == 1, "a first failure for an unknown login is recorded");
  json_t *ev = failures(s), *last = json_array_get(ev, json_array_size(ev) - 1);
  const char *hash = json_string_value(json_object_get(json_object_get(last, "data"), "login_hash"));
  char *dump = json_dumps(ev, JSON_COMPACT);
  CHECK(hash && strlen(hash) == 32 && strspn(hash, "0123456789abcdef") == 32 &&
            !json_object_get(json_object_get(last, "data"), "login") && dump && !strstr(dump, "hunter2") &&
            !strcmp(json_string_value(json_object_get(last, "actor")), "anonymous"),
        "an unknown login is recorded only as a 32-hex-digit keyed hash: %s", dump);
  free(dump);
  char first[40];
  snprintf(first, sizeof first, "%s", hash ? hash : "");
  json_decref(ev);
  CHECK(failed(s, typed) == 0, "the same login again within the minute is not recorded");
  CHECK(failed(s, "ava") == 1, "a user's login is recorded");
  ev = failures(s);
  last = json_array_get(ev, json_array_size(ev) - 1);
  CHECK(!strcmp(json_string_value(json_object_get(json_object_get(last, "data"), "login")), "ava") &&
            !strcmp(json_string_value(json_object_get(json_object_get(last, "data"), "address")), "192.0.2.1"),
        "a user's login is recorded by name, with the address");
  size_t before = json_array_size(ev);
  json_decref(ev);
  int recorded = 0;
  for (int i = 0; i < 100; i++) {
    char login[32];
    snprintf(login, sizeof login, "made-up-%d", i);
    recorded += failed(s, login) == 1;
  }
  CHECK(recorded == 19, "100 made-up logins in a minute: %d recorded (20 a minute for all)", recorded);
  CHECK(failed(s, "nadia") == 1, "a user's failure is recorded when made-up ones hit their cap");
  CHECK(failed(s, "ava") == 0, "... but once a minute per user");
  kf_clock_set(t0 + 61);
  CHECK(failed(s, typed) == 1, "a minute later the unknown login is recorded again");
  ev = failures(s);
  last = json_array_get(ev, json_array_size(ev) - 1);
  json_t *data = json_object_get(last, "data");
  json_int_t held = 0;
  size_t i;
  json_t *e;
  json_array_foreach(ev, i, e) held += json_integer_value(json_object_get(json_object_get(e, "data"), "unrecorded_before"));
  CHECK(json_array_size(ev) == before + 21 && !strcmp(json_string_value(json_object_get(data, "login_hash")), first),
        "a minute later: same login, same hash (%zu events)", json_array_size(ev));
  CHECK(held == 83, "every failure held back is counted in the next recorded one: %lld of 83", (long long)held);
  json_decref(ev);
  kf_clock_clear();
  json_t *r = t_call(s, "event.log", json_pack("{s:s,s:{s:s}}", "kind", "login.failed", "data", "login", typed),
                     &st, &err);
  CHECK(!r && st == 400 && CONTAINS(err.msg, "login.failed verb"), "event.log does not take login.failed: %s", err.msg);
}

/* A form redeployed with a field now sensitive: the next read in the same session (whose
 * engine keeps each version's sensitive keys) hides it. Deployed by another engine, as
 * `kinflow deploy` would while the console serves. */
static void redeployed_form(kf_session *s) {
  char fpath[64], wpath[64];
  t_tmp_path(fpath, sizeof fpath, "api-intake", "lua");
  t_tmp_path(wpath, sizeof wpath, "api-callbacks", "lua");
  t_write_file(fpath, "return form { name = 'intake', fields = { { 'phone', type = 'text' } } }\n");
  t_write_file(wpath, "return workflow { name = 'callbacks', roles = { 'worker' }, initial = 'open',\n"
                      "  states = { { 'open' }, { 'done', final = true } },\n"
                      "  transitions = { { 'close', from = 'open', to = 'done', by = { 'worker' },\n"
                      "    requires = { 'intake' } } } }\n");
  kf_err err = {0};
  int st = 0;
  kf_engine *e = kf_engine_open(db, 0, &err);
  json_t *paths = json_pack("[{s:s},{s:s}]", "path", fpath, "path", wpath), *report = NULL;
  CHECK(e && kf_deploy(e, paths, "t", &report, &err) == 0, "deploy intake and callbacks: %s", err.msg);
  json_decref(paths);
  json_decref(report);
  json_t *r = t_call(s, "case.open", json_pack("{s:s,s:s}", "workflow", "callbacks", "actor", "ava"), &st, &err);
  json_int_t id = json_integer_value(json_object_get(r, "id"));
  json_decref(r);
  r = t_call(s, "form.submit", json_pack("{s:I,s:s,s:{s:s},s:s}", "id", id, "form", "intake", "data",
                                         "phone", "0400 000 000", "actor", "ava"), &st, &err);
  CHECK(r != NULL, "intake submitted: %s", err.msg);
  json_decref(r);
  r = t_call(s, "case.get", json_pack("{s:I}", "id", id), &st, &err);
  json_t *data = json_object_get(json_array_get(json_object_get(r, "entries"), 0), "data");
  CHECK(json_object_get(data, "phone") != NULL, "a field that is not sensitive is shown");
  json_decref(r);
  t_write_file(fpath, "return form { name = 'intake', fields = { { 'phone', type = 'text', sensitive = true } } }\n");
  paths = json_pack("[{s:s}]", "path", fpath);
  CHECK(e && kf_deploy(e, paths, "t", &report, &err) == 0, "redeploy intake: %s", err.msg);
  json_decref(paths);
  json_decref(report);
  kf_engine_close(e);
  r = t_call(s, "case.get", json_pack("{s:I}", "id", id), &st, &err);
  data = json_object_get(json_array_get(json_object_get(r, "entries"), 0), "data");
  CHECK(r && !json_object_get(data, "phone"), "the same field, made sensitive by a redeploy, is hidden at once");
  json_decref(r);
  unlink(fpath);
  unlink(wpath);
}

/* case.list's total, whichever page is asked for: six cases a search finds, read in pages
 * of 4 (a full page, a last page, a page past the end) and whole. */
static void list_totals(kf_session *s) {
  kf_err err = {0};
  int st = 0, opened = 0;
  for (int i = 0; i < 6; i++) {
    json_t *r = t_call(s, "case.open", json_pack("{s:s,s:{s:s},s:s}", "workflow", "visits", "data",
                                                 "tag", "total-test", "actor", "ava"), &st, &err);
    opened += r && st == 200;
    json_decref(r);
  }
  CHECK(opened == 6, "six cases opened for the totals: %s", err.msg);
  static const struct { int limit, offset, rows; } pages[] = {
      {50, 0, 6}, {4, 0, 4}, {4, 4, 2}, {4, 8, 0}, {6, 0, 6}, {5, 1, 5}, {3, 5, 1}};
  for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
    json_t *r = t_call(s, "case.list", json_pack("{s:s,s:i,s:i}", "q", "total-test", "limit",
                                                 pages[i].limit, "offset", pages[i].offset), &st, &err);
    CHECK(r && json_array_size(json_object_get(r, "cases")) == (size_t)pages[i].rows &&
              json_integer_value(json_object_get(r, "total")) == 6 &&
              json_is_false(json_object_get(r, "total_is_more")),
          "case.list limit %d offset %d: %d cases of 6 (%zu of %lld: %s)", pages[i].limit,
          pages[i].offset, pages[i].rows, json_array_size(json_object_get(r, "cases")),
          (long long)json_integer_value(json_object_get(r, "total")), err.msg);
    json_decref(r);
  }
}

int main(void) {
  t_tmp_path(db, sizeof db, "api", "db");
  t_tmp_path(wf, sizeof wf, "api", "lua");
  t_write_file(wf, WORKFLOW);
  kf_err err = {0};
  kf_engine *e = kf_engine_open(db, 0, &err);
  json_t *paths = json_pack("[{s:s}]", "path", wf), *report = NULL;
  CHECK(e && kf_deploy(e, paths, "t", &report, &err) == 0, "deploy: %s", err.msg);
  json_decref(paths);
  json_decref(report);
  kf_engine_close(e);

  kf_session *s = kf_session_open(db, &err);
  CHECK(s != NULL, "session open: %s", err.msg);
  if (!s) T_DONE();
  int st = 0;
  json_t *r = t_call(s, "user.add", json_pack("{s:s,s:s,s:s}", "login", "ava", "role", "caseworker",
                                              "password", "correct horse battery"), &st, &err);
  CHECK(r && st == 200, "user.add: %s", err.msg);
  json_decref(r);
  r = t_call(s, "user.add", json_pack("{s:s,s:s,s:s}", "login", "ava", "role", "caseworker",
                                      "password", "correct horse battery"), &st, &err);
  CHECK(!r && st == 409, "duplicate user is a conflict (%d %s)", st, err.msg);
  r = t_call(s, "user.add", json_pack("{s:s,s:s,s:s}", "login", "bo", "role", "wizard", "password",
                                      "correct horse battery"), &st, &err);
  CHECK(!r && st == 400 && CONTAINS(err.msg, "wizard"), "unknown role: %s", err.msg);
  r = t_call(s, "user.add", json_pack("{s:s,s:s,s:s}", "login", "bo", "role", "viewer", "password", "short"),
             &st, &err);
  CHECK(!r && st == 400 && CONTAINS(err.msg, "10 characters"), "short password: %s", err.msg);
  r = t_call(s, "user.verify", json_pack("{s:s,s:s}", "login", "ava", "password", "wrong one here"), &st, &err);
  CHECK(!r && st == 401, "wrong password is 401 (%d)", st);
  r = t_call(s, "user.verify", json_pack("{s:s,s:s}", "login", "nobody", "password", "wrong one here"), &st, &err);
  CHECK(!r && st == 401 && CONTAINS(err.msg, "wrong login or password"), "unknown login: same answer");
  r = t_call(s, "user.verify", json_pack("{s:s,s:s}", "login", "ava", "password", "correct horse battery"), &st, &err);
  CHECK(r && !strcmp(json_string_value(json_object_get(r, "role")), "caseworker"), "right password");
  json_decref(r);

  r = t_call(s, "session.create", json_pack("{s:s}", "login", "ava"), &st, &err);
  CHECK(r && strlen(json_string_value(json_object_get(r, "token"))) == 64, "a 256-bit token");
  char token[80];
  snprintf(token, sizeof token, "%s", json_string_value(json_object_get(r, "token")));
  json_decref(r);
  r = t_call(s, "session.get", json_pack("{s:s}", "token", token), &st, &err);
  CHECK(r && !strcmp(json_string_value(json_object_get(r, "login")), "ava") &&
            json_string_value(json_object_get(r, "csrf")), "session.get");
  json_decref(r);
  kf_clock_set(4102444800); /* 2100-01-01T00:00:00Z */
  r = t_call(s, "session.get", json_pack("{s:s}", "token", token), &st, &err);
  CHECK(!r && st == 401, "an idle session expires");
  kf_clock_clear();
  r = t_call(s, "session.delete", json_pack("{s:s}", "token", token), &st, &err);
  json_decref(r);
  r = t_call(s, "session.get", json_pack("{s:s}", "token", token), &st, &err);
  CHECK(!r && st == 401, "logout ends the session");

  r = t_call(s, "case.open", json_pack("{s:s,s:s}", "workflow", "visits", "actor", "ava"), &st, &err);
  CHECK(r && st == 200, "case.open: %s", err.msg);
  json_decref(r);
  r = t_call(s, "case.fire", json_pack("{s:i,s:s,s:s,s:s}", "id", 1, "transition", "close", "as", "worker", "actor", "ava"),
             &st, &err);
  CHECK(!r && st == 409 && CONTAINS(err.msg, "requires form 'home_visit'"), "refused move is 409: %s", err.msg);
  r = t_call(s, "form.submit", json_pack("{s:i,s:s,s:{s:s},s:s}", "id", 1, "form", "home_visit", "data",
                                         "visit_date", "tuesday", "actor", "ava"), &st, &err);
  CHECK(!r && st == 400 && CONTAINS(err.msg, "visit_date: not a date"), "bad field is 400: %s", err.msg);
  r = t_call(s, "form.submit", json_pack("{s:i,s:s,s:{s:s,s:s},s:s}", "id", 1, "form", "home_visit", "data",
                                         "visit_date", "2026-03-01", "address", "1 Example St", "actor", "ava"),
             &st, &err);
  CHECK(r && st == 200, "form.submit: %s", err.msg);
  json_decref(r);
  r = t_call(s, "case.get", json_pack("{s:i}", "id", 1), &st, &err);
  json_t *data = json_object_get(json_array_get(json_object_get(r, "entries"), 0), "data");
  CHECK(r && json_object_get(data, "visit_date") && !json_object_get(data, "address"),
        "sensitive fields left out by default");
  json_decref(r);
  r = t_call(s, "case.get", json_pack("{s:i,s:b,s:s}", "id", 1, "sensitive", 1, "actor", "ava"), &st, &err);
  data = json_object_get(json_array_get(json_object_get(r, "entries"), 0), "data");
  CHECK(r && json_object_get(data, "address"), "shown when asked");
  json_decref(r);
  r = t_call(s, "audit.list", json_pack("{s:s}", "kind", "sensitive.read"), &st, &err);
  CHECK(r && json_array_size(r) == 1, "and the read is logged");
  json_decref(r);
  r = t_call(s, "form.get", json_pack("{s:s,s:i}", "name", "home_visit", "id", 1), &st, &err);
  CHECK(r && json_array_size(json_object_get(r, "fields")) == 2, "form.get: %s", err.msg);
  json_decref(r);
  r = t_call(s, "case.fire", json_pack("{s:i,s:s,s:s,s:s}", "id", 1, "transition", "close", "as", "worker", "actor", "ava"),
             &st, &err);
  CHECK(r && !strcmp(json_string_value(json_object_get(r, "state")), "done"), "fire: %s", err.msg);
  json_decref(r);
  r = t_call(s, "case.list", json_pack("{s:s}", "q", "1"), &st, &err);
  CHECK(r && json_integer_value(json_object_get(r, "total")) == 1, "case.list search");
  json_decref(r);
  r = t_call(s, "dashboard", NULL, &st, &err);
  CHECK(r && json_array_size(json_object_get(r, "programmes")) == 1, "dashboard: %s", err.msg);
  json_decref(r);
  r = t_call(s, "case.get", json_pack("{s:i}", "id", 99), &st, &err);
  CHECK(!r && st == 404, "unknown case is 404");
  r = t_call(s, "no.such.verb", NULL, &st, &err);
  CHECK(!r && st == 404, "unknown verb");
  r = t_call(s, "event.log", json_pack("{s:s}", "kind", "case.transition"), &st, &err);
  CHECK(!r && st == 400, "the console cannot forge case events");
  /* Too-deep JSON is refused at the door (it used to be stored, then every move was a 500). */
  json_t *deep = json_integer(1);
  for (int i = 0; i < 40; i++) deep = json_pack("{s:o}", "k", deep);
  r = t_call(s, "case.set", json_pack("{s:i,s:o}", "id", 1, "data", deep), &st, &err);
  CHECK(!r && st == 400 && CONTAINS(err.msg, "at most 32"), "too-deep data is a 400: %d %s", st, err.msg);
  r = t_call(s, "case.moves", json_pack("{s:i,s:s}", "id", 1, "as", "worker"), &st, &err);
  CHECK(r && st == 200, "moves still answer: %s", err.msg);
  json_decref(r);
  /* Arguments of the wrong type are refused by name, never a crash. */
  r = t_call(s, "case.get", json_pack("{s:[i]}", "id", 1), &st, &err);
  CHECK(!r && st == 400 && CONTAINS(err.msg, "case.get: 'id' must be a case number or reference"),
        "a list as id: %s", err.msg);
  r = t_call(s, "case.fire", json_pack("{s:i,s:s,s:b}", "id", 1, "transition", "close", "as", 1), &st, &err);
  CHECK(!r && st == 400 && CONTAINS(err.msg, "'as' must be text"), "a boolean role: %s", err.msg);
  r = t_call(s, "audit.list", json_pack("{s:b}", "case", 1), &st, &err);
  CHECK(!r && st == 400 && CONTAINS(err.msg, "'case' must be a case number"), "a boolean case: %s", err.msg);
  r = t_call(s, "form.get", json_pack("{s:s,s:f}", "name", "home_visit", "id", 1.5), &st, &err);
  CHECK(!r && st == 400, "a fractional id for form.get: %s", err.msg);
  r = t_call(s, "case.get", json_pack("[]"), &st, &err);
  CHECK(!r && st == 400 && CONTAINS(err.msg, "must be a JSON object"), "arguments that are not an object");
  /* A rule declared in a plugin.lua deploys through the verb too (each rule it declares). */
  r = t_call(s, "rule.deploy", json_pack("{s:s,s:s,s:s}", "path", "plugins/x/plugin.lua", "actor", "ana", "source",
                                         "return plugin { name = 'x', version = '1', rules = {\n"
                                         "  rule { name = 'r_one', check = function(c) return true end },\n"
                                         "  rule { name = 'r_two', check = function(c) return true end } } }\n"),
             &st, &err);
  CHECK(r && !strcmp(json_string_value(json_object_get(r, "name")), "r_one") &&
            json_array_size(json_object_get(r, "rules")) == 2, "rule.deploy of a plugin.lua: %s", err.msg);
  json_decref(r);
  passwords(s);
  failed_sign_ins(s);
  redeployed_form(s);
  list_totals(s);
  r = t_call(s, "audit.verify", NULL, &st, &err);
  CHECK(r != NULL, "audit: %s", err.msg);
  json_decref(r);
  kf_session_close(s);
  unlink(wf);
  t_remove_db(db);
  T_DONE();
}
