/* abi_test.c: a plugin for the tests that calls every function of kf_api. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kf_plugin.h"

static const kf_api *api;
static kf_host *self;

static void note(const char *what) {
  const char *path = getenv("ABI_TEST_LOG");
  FILE *f = path ? fopen(path, "a") : NULL;
  if (!f) return;
  fprintf(f, "%s\n", what);
  fclose(f);
}

static int even_case(void *ud, const json_t *c, char *reason, size_t len) {
  (void)ud;
  json_int_t id = api->json_integer_value(api->json_object_get(c, "id"));
  if (id % 2 == 0) return 1;
  snprintf(reason, len, "case %lld is odd (the abi-test rule wants an even case)", (long long)id);
  return 0;
}

static int failing(void *ud, const json_t *c, char *reason, size_t len) {
  (void)ud;
  (void)c;
  snprintf(reason, len, "the abi-test rule broke on purpose");
  return -1;
}

static int stamp(void *ud, const json_t *c, const json_t *args, json_t **changes, char *error,
                 size_t len) {
  (void)ud;
  const char *label = api->json_string_value(api->json_object_get(args, "label"));
  if (!label) {
    snprintf(error, len, "stamp needs { label = \"...\" }");
    return -1;
  }
  *changes = api->json_pack("{s:s,s:s,s:I}", "stamped_by", "abi-test", "stamp", label,
                            "stamped_case", api->json_integer_value(api->json_object_get(c, "id")));
  return 0;
}

static void hook(void *ud, const json_t *event) {
  (void)ud;
  char line[256];
  snprintf(line, sizeof line, "hook %s %lld", api->json_string_value(api->json_object_get(event, "kind")),
           (long long)api->json_integer_value(api->json_object_get(event, "seq")));
  note(line);
}

/* With ABI_TEST_HOOK_SESSION set: a hook for every event that opens a session and calls
 * the engine (reads, a bad argument, and a write whose own event must reach the hooks
 * after this hook returns). Before hooks ran outside the host's lock, this hung. */
static void session_hook(void *ud, const json_t *event) {
  (void)ud;
  const char *kind = api->json_string_value(api->json_object_get(event, "kind"));
  char err[300], line[600];
  kf_session *s = api->session_open(self, err, sizeof err);
  if (!s) {
    snprintf(line, sizeof line, "session hook %s: no session: %s", kind, err);
    note(line);
    return;
  }
  int status = 0;
  json_t *args = api->json_pack("{s:b}", "id", 1);
  json_t *r = api->call(s, "case.get", args, &status, err, sizeof err);
  snprintf(line, sizeof line, "session hook %s: case.get with id true: %d %s", kind, status,
           r ? "answered" : err);
  note(line);
  api->json_decref(r);
  api->json_decref(args);
  if (!strcmp(kind, "case.opened")) {
    args = api->json_pack("{s:O,s:s,s:s,s:s}", "id", api->json_object_get(event, "case"), "role",
                          "child", "name", "Added by a hook", "actor", "abi-test");
    r = api->call(s, "case.member_add", args, &status, err, sizeof err);
    snprintf(line, sizeof line, "session hook %s: member_add: %d %s", kind, status,
             r ? "added" : err);
    note(line);
    api->json_decref(r);
    api->json_decref(args);
  }
  api->session_close(s);
}

static int command(void *ud, int argc, char **argv) {
  (void)ud;
  printf("argc %d first %s\n", argc, argv[0]);
  printf("dir %s\n", api->plugin_dir(self));
  const char *db = api->db_path(self);
  printf("db %s\n", db ? db : "(none)");
  char *buf = api->alloc(8);
  char *grown = buf ? api->realloc(buf, 64) : NULL;
  if (grown) {
    snprintf(grown, 64, "allocated through the host");
    printf("%s\n", grown);
    api->free(grown);
  }
  json_error_t jerr;
  json_t *v = api->json_loads("{\"a\": 1}", 0, &jerr);
  api->json_object_set_new(v, "b", api->json_pack("s", "two"));
  char *text = api->json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT);
  printf("json %s %lld %s\n", text, (long long)api->json_integer_value(api->json_object_get(v, "a")),
         api->json_string_value(api->json_object_get(v, "b")));
  api->free(text);
  api->json_decref(v);
  if (db) {
    char err[300];
    json_t *events = api->events_after(self, 0, 1000, err, sizeof err);
    if (events) {
      printf("events %zu\n", json_array_size(events));
      api->json_decref(events);
    } else {
      printf("events error %s\n", err);
    }
    /* ABI 4: a reader of its own, as a delivery thread uses one: the same events, and a
     * decision for an event of no case (it always goes). */
    kf_reader *rd = api->reader_open(self, err, sizeof err);
    if (rd) {
      json_t *rev = api->reader_events_after(rd, 0, 1000, err, sizeof err);
      json_t *asked = api->json_pack("[{s:I,s:n}]", "seq", (json_int_t)1, "case");
      json_t *may = api->reader_may_share(rd, asked, "share_with_partners", "abi-test", err, sizeof err);
      printf("reader events %zu, may %lld\n", rev ? json_array_size(rev) : (size_t)0,
             may ? (long long)api->json_integer_value(json_array_get(may, 0)) : -1LL);
      api->json_decref(rev);
      api->json_decref(asked);
      api->json_decref(may);
      /* ABI 6: a destination's lease and cursor, as two servers see them: the first takes
       * it, the second is turned away while the lease runs, the cursor moves forward only
       * for the holder, and after a release the second takes over from where it stood. */
      kf_reader *other = api->reader_open(self, err, sizeof err);
      long long c1 = -1, c2 = -1, c3 = -1;
      int got1 = api->reader_delivery_claim(rd, "abi-test", 30, &c1, err, sizeof err);
      int got2 = other ? api->reader_delivery_claim(other, "abi-test", 30, &c2, err, sizeof err) : -1;
      int adv = api->reader_delivery_advance(rd, "abi-test", c1 + 5, err, sizeof err);
      int stolen = other ? api->reader_delivery_advance(other, "abi-test", c1 + 9, err, sizeof err) : 0;
      long long now = api->reader_delivery_cursor(rd, "abi-test", err, sizeof err);
      api->reader_delivery_release(rd, "abi-test");
      int got3 = other ? api->reader_delivery_claim(other, "abi-test", 30, &c3, err, sizeof err) : -1;
      if (other) api->reader_delivery_release(other, "abi-test");
      printf("delivery claim %d, other %d, advance %d, other's advance %d, cursor +%lld, "
             "other after release %d at +%lld; started at %lld\n", got1, got2, adv, stolen,
             now - c1, got3, c3 - c1, c1);
      api->reader_close(other);
      api->reader_close(rd);
    } else {
      printf("reader error %s\n", err);
    }
    /* The verbs check their arguments: an id that is neither a number nor a reference,
     * a missing one, a verb that does not exist; and a refused move leaves its data. */
    kf_session *s = api->session_open(self, err, sizeof err);
    if (s) {
      static const char *bad[] = {"{\"id\": [1]}", "{\"id\": {\"a\": 1}}", "{\"id\": 2.5}",
                                  "{}", "{\"id\": 1, \"transition\": 7, \"as\": \"worker\"}"};
      for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t je;
        json_t *args = api->json_loads(bad[i], 0, &je);
        int status = 0;
        json_t *r = api->call(s, i < 4 ? "case.get" : "case.fire", args, &status, err, sizeof err);
        printf("call %s: %d %s\n", bad[i], status, r ? "answered" : err);
        api->json_decref(r);
        api->json_decref(args);
      }
      int status = 0;
      json_t *ev = api->json_pack("{s:s,s:s}", "kind", "console.abi_test", "actor", "abi-test");
      json_t *r = api->call(s, "event.log", ev, &status, err, sizeof err);
      printf("event.log: %d %s\n", status, r ? "logged" : err);
      api->json_decref(r);
      api->json_decref(ev);
      r = api->call(s, "no.such.verb", NULL, &status, err, sizeof err);
      printf("call no.such.verb: %d %s\n", status, r ? "answered" : err);
      api->json_decref(r);
      if (argc > 2 && !strcmp(argv[1], "fire")) {
        json_t *args = api->json_pack("{s:s,s:s,s:s}", "id", argv[2], "transition", argv[3],
                                      "as", argv[4]);
        r = api->call(s, "case.fire", args, &status, err, sizeof err);
        json_t *detail = r ? NULL : api->failure_detail(s);
        char *d = detail ? api->json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        printf("fire: %d %s detail %s\n", status, r ? "fired" : err, d ? d : "none");
        api->free(d);
        api->json_decref(detail);
        api->json_decref(args);
        api->json_decref(r);
      }
      api->session_close(s);
    } else {
      printf("session error %s\n", err);
    }
  }
  api->log(self, KF_LOG_INFO, "info from the command");
  api->log(self, KF_LOG_WARN, "a warning from the command");
  api->log(self, KF_LOG_DEBUG, "debug (shown with KINFLOW_DEBUG)");
  return argc > 1 && !strcmp(argv[1], "fail") ? 1 : 0;
}

static void unloaded(void *ud) {
  (void)ud;
  note("unloaded");
}

static int init(const kf_api *a, kf_host *h) {
  api = a;
  self = h;
  if (a->abi < 2 || a->size < sizeof(kf_api)) return -1;
  /* init may not open a session (the host is loading plugins): it must say so, not hang */
  char err[300], line[400];
  kf_session *s = a->session_open(h, err, sizeof err);
  snprintf(line, sizeof line, "init session: %s", s ? "opened (wrong)" : err);
  note(line);
  if (s) a->session_close(s);
  if (getenv("ABI_TEST_HOOK_SESSION") && a->register_hook(h, "*", session_hook, NULL)) return -1;
  int rc = a->register_rule(h, "abi_even_case", "met for cases with an even number", even_case, NULL) ||
           a->register_rule(h, "abi_failing", "always fails", failing, NULL) ||
           a->register_action(h, "abi_stamp", stamp, NULL) ||
           a->register_hook(h, "case.", hook, NULL) ||
           a->register_command(h, "abi-test", "abi-test [fail]", command, NULL) ||
           a->on_unload(h, unloaded, NULL);
  return rc;
}

KF_PLUGIN_DEFINE("abi-test", "1.2.3", init);
