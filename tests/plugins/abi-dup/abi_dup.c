/* abi_dup.c: adds `consent_recorded`, which the Lua plugin rules-core already adds. */
#include "kf_plugin.h"

static int yes(void *ud, const json_t *c, char *reason, size_t len) {
  (void)ud; (void)c; (void)reason; (void)len;
  return 1;
}

static int init(const kf_api *api, kf_host *h) {
  return api->register_rule(h, "consent_recorded", "a second definition", yes, NULL);
}

KF_PLUGIN_DEFINE("abi-dup", "0.0.1", init);
