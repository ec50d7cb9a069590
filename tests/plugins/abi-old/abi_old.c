/* abi_old.c: exported as a plugin built for ABI 2 (its table ends before may_share, which
 * ABI 3 appended): the host must still load it and run what it adds. */
#include <stddef.h>

#include "kf_plugin.h"

static int yes(void *ud, const json_t *c, char *reason, size_t len) {
  (void)ud; (void)c; (void)reason; (void)len;
  return 1;
}

static int init(const kf_api *api, kf_host *h) {
  return api->register_rule(h, "abi_old_rule", "a rule of a plugin built for ABI 2", yes, NULL);
}

__attribute__((visibility("default"))) const kf_plugin_module kf_plugin = {
    2, offsetof(kf_api, may_share), "abi-old", "0.2.0", init};
