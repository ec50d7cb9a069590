/* entry.c: the console plugin's entry: registers `kinflow serve` and `kinflow user` and
 * keeps the engine's table for the other rooms (console.h lists them). It must not grow
 * features: each concern has its room (http.c, routes.c, auth.c, api_*.c, ...). */
#include "console.h"


static int command(void *ud, int argc, char **argv) {
  self = ud;
  return is(argv[0], "serve") ? serve_cmd(argc, argv) : user_cmd(argc, argv);
}

static int init(const kf_api *a, kf_host *h) {
  if (api != a) api = a; /* the same table each time: written once */
  if (a->size < sizeof(kf_api) || !a->session_open || !a->call) {
    a->log(h, KF_LOG_ERROR, "this kinflow has no session API (ABI %u): rebuild the plugin", a->abi);
    return -1;
  }
  if (a->register_command(h, "serve", "serve [--bind ADDR] [--port N] | serve --routes", command,
                          h) ||
      a->register_command(h, "user", "user add LOGIN --role ROLE --password-stdin | user list",
                          command, h)) {
    a->log(h, KF_LOG_ERROR, "cannot register the serve and user commands");
    return -1;
  }
  return 0;
}

KF_PLUGIN_DEFINE("console", CONSOLE_VERSION, init);
