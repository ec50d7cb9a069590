/* abi_future.c: claims ABI 99 and a larger table; the host must refuse it unrun. */
#include <stdlib.h>

#include "kf_plugin.h"

static int init(const kf_api *api, kf_host *h) {
  (void)api; (void)h;
  abort(); /* never reached: the host checks the ABI first */
}

__attribute__((visibility("default"))) const kf_plugin_module kf_plugin = {
    99, sizeof(kf_api) + 64, "abi-future", "9.0.0", init};
