/* Unit tests for the plugin loader alone: linked with util, store and plugin only (no
 * runtime, no Lua), which is the point: the loader depends on nothing above the store.
 * Loads the test plugins of tests/plugins, checks refusals, rules, actions and hooks, and
 * that a hook may re-enter the registry (as a session does) without a deadlock. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "plugin.h"
#include "t.h"

static char logpath[64];

static int log_has(const char *text) {
  FILE *f = fopen(logpath, "r");
  char line[512];
  int found = 0;
  while (f && fgets(line, sizeof line, f)) found |= strstr(line, text) != NULL;
  if (f) fclose(f);
  return found;
}

/* Verbs whose open re-enters the registry the way a real session does (kf_plugins_new
 * while loading its plugins), then declines: a hook calling it must not deadlock. */
static kf_session *reentering_open(const char *db, kf_err *err) {
  kf_plugins *again = kf_plugins_new();
  kf_plugins_free(again);
  kf_fail(err, KF_EINVAL, "no sessions in the loader's test (%s)", db);
  return NULL;
}
static void no_close(kf_session *s) { (void)s; }
static json_t *no_call(kf_session *s, const char *verb, json_t *args, int *status, kf_err *err) {
  (void)s, (void)verb, (void)args;
  *status = 500;
  kf_fail(err, KF_EINVAL, "no calls here");
  return NULL;
}
static json_t *no_detail(kf_session *s) { (void)s; return NULL; }
static const kf_plugin_verbs VERBS = {reentering_open, no_close, no_call, no_detail, NULL, NULL};

static void timeout(int sig) {
  (void)sig;
  static const char msg[] = "FAIL test_plugin: timed out (a deadlock?)\n0 passed, 1 failed\n";
  if (write(1, msg, sizeof msg - 1)) {}
  _exit(1);
}

int main(void) {
  signal(SIGALRM, timeout);
  alarm(30);
  t_tmp_path(logpath, sizeof logpath, "plugin", "log");
  unlink(logpath);
  setenv("ABI_TEST_LOG", logpath, 1);
  setenv("ABI_TEST_HOOK_SESSION", "1", 1);
  char db[64];
  t_tmp_path(db, sizeof db, "plugin", "db");
  kf_err err = {0};
  kf_store *st = kf_store_open(db, 0, &err);
  CHECK(st != NULL, "store: %s", err.msg);
  if (!st) T_DONE();

  kf_plugins *reg = kf_plugins_new();
  kf_plugins_set_store(reg, st);
  kf_plugins_set_verbs(&VERBS);
  const char *none[] = {NULL};
  int rc = kf_plugins_load(reg, "tests/plugins/abi-test/abi-test.so", "tests/plugins/abi-test", none, &err);
  CHECK(rc == 0, "abi-test loads: %s", err.msg);
  CHECK(log_has("init session: a plugin may not open a session in its init"),
        "init cannot open a session, and is told why");
  rc = kf_plugins_load(reg, "tests/plugins/abi-future/abi-future.so", "tests/plugins/abi-future", none, &err);
  CHECK(rc == KF_EINVAL && CONTAINS(err.msg, "built for plugin ABI 99"), "a newer ABI is refused: %s", err.msg);
  rc = kf_plugins_load(reg, "tests/plugins/abi-old/abi-old.so", "tests/plugins/abi-old", none, &err);
  char why_old[64] = "";
  CHECK(rc == 0 && kf_plugins_rule(reg, "abi_old_rule", NULL, why_old, sizeof why_old) == 1,
        "a plugin built for ABI 2 (a smaller table, before may_share) still loads and runs: %s", err.msg);
  rc = kf_plugins_load(reg, "tests/plugins/abi-bad-init/abi-bad-init.so", "tests/plugins/abi-bad-init", none, &err);
  CHECK(rc == KF_EINVAL && CONTAINS(err.msg, "nothing it registered remains"), "a failed init is undone: %s", err.msg);
  CHECK(kf_plugins_rule_owner(reg, "abi_bad_rule") == NULL, "the failed plugin's rule is gone");
  const char *taken[] = {"consent_recorded", NULL};
  rc = kf_plugins_load(reg, "tests/plugins/abi-dup/abi-dup.so", "tests/plugins/abi-dup", taken, &err);
  CHECK(rc == KF_EINVAL && CONTAINS(err.msg, "rule 'consent_recorded' is already added by a Lua plugin"), "a plugin adding a taken name is refused: %s", err.msg);

  const char *owner = kf_plugins_rule_owner(reg, "abi_even_case");
  CHECK(owner && !strcmp(owner, "abi-test"), "the rule's owner is named");
  json_t *c = json_pack("{s:i,s:s,s:{}}", "id", 3, "state", "start", "data");
  char reason[200];
  CHECK(kf_plugins_rule(reg, "abi_even_case", c, reason, sizeof reason) == 0 &&
            strstr(reason, "case 3 is odd") != NULL, "a C rule refuses with its reason: %s", reason);
  CHECK(kf_plugins_rule(reg, "abi_failing", c, reason, sizeof reason) == -1 &&
            strstr(reason, "the abi-test rule broke on purpose") != NULL,
        "a failing rule fails (-1) with its reason: %s", reason);
  CHECK(kf_plugins_rule(reg, "nope", c, reason, sizeof reason) == -1 && strstr(reason, "no C rule 'nope'") != NULL,
        "an unknown rule: %s", reason);
  json_t *args = json_pack("{s:s}", "label", "x"), *changes = NULL;
  CHECK(kf_plugins_action(reg, "abi_stamp", c, args, &changes, &err) == 0 &&
            json_is_object(changes), "a C action returns its changes: %s", err.msg);
  json_decref(changes);
  json_decref(args);
  json_decref(c);

  /* The hook for every event opens a session: our verbs re-enter the registry. */
  json_t *events = json_pack("[{s:i,s:s,s:i}]", "seq", 1, "kind", "case.opened", "case", 1);
  kf_plugins_notify(reg, st, events);
  json_decref(events);
  CHECK(log_has("hook case.opened 1"), "a hook sees the event");
  CHECK(log_has("session hook case.opened: no session: no sessions in the loader's test"),
        "a hook re-entering the registry runs (no deadlock)");
  json_t *list = kf_plugins_list(reg);
  CHECK(json_array_size(list) == 2, "two plugins loaded, abi-test and abi-old (%zu)", json_array_size(list));
  json_decref(list);
  kf_plugins_free(reg);
  kf_store_close(st);
  t_remove_db(db);
  unlink(logpath);
  T_DONE();
}
