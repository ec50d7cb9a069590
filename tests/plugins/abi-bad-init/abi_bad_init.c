/* abi_bad_init.c: registers a rule, then fails its init. The host must undo the rule. */
#include "kf_plugin.h"

static int never(void *ud, const json_t *c, char *reason, size_t len) {
  (void)ud; (void)c; (void)reason; (void)len;
  return 1;
}

static int init(const kf_api *api, kf_host *h) {
  api->register_rule(h, "abi_bad_rule", "must not survive", never, NULL);
  api->log(h, KF_LOG_ERROR, "cannot find its configuration; giving up");
  return -1;
}

KF_PLUGIN_DEFINE("abi-bad-init", "0.0.1", init);
