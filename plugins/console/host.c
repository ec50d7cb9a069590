/* host.c: what every room of the console shares and nothing defines elsewhere: the engine's
 * table, the host of the engine that runs the command, and the server's settings. Data
 * only: no room is called from here. */
#include "console.h"

/* Every engine loads its plugins: the command's engine, and each worker thread's session
 * again. `self` is the host of the engine that runs the command (it outlives the command),
 * set from the command's ud; init never overwrites what other threads read. */
const kf_api *api;
kf_host *self;
settings cfg; /* kinflow serve's settings (serve.c reads them) */
