/* serve.c: the `kinflow serve` command: its arguments and settings, the daemon's and the
 * writer's start and stop on SIGINT/SIGTERM, due timers every 30 seconds, the loopback metrics
 * listener (`--metrics-port`), and `--routes` (the route table, printed). It handles no request itself (http.c and routes.c do). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "console.h"

enum {
  TIMEOUT = 30,         /* seconds a connection may stay idle */
  HEAD_TIMEOUT = 5,     /* seconds a request head may take to arrive */
  REQUEST_TIMEOUT = 30, /* seconds a whole request may take to arrive */
  CONNECTIONS = 1024,   /* connections at once */
  SPARE_FILES = 128,    /* descriptors kept for the database, the page's files, logs */
  IDLE = 30 * 60,       /* a session ends after this long unused... */
  ABSOLUTE = 12 * 3600, /* ...or this long after sign-in */
  TIMERS_EVERY = 30,    /* seconds between runs of due timers */
  THREADS = 8,          /* worker threads: a write waits for the writer's commit, so more
                           threads than cores let more writes share a commit; each keeps a
                           session (a Lua state and a page cache, 3-4 MB), so 16 held 70 MB */
};


/* A number from the environment, min to max, else dflt (an unusable value is reported). */
static int env_number(const char *name, int min, int max, int dflt) {
  const char *v = getenv(name);
  if (!v || !*v) return dflt;
  char *end;
  long n = strtol(v, &end, 10);
  if (!*end && n >= min && n <= max) return (int)n;
  api->log(self, KF_LOG_WARN, "%s=%s is not a number from %d to %d: using %d", name, v, min, max,
           dflt);
  return dflt;
}

/* Room for cfg.connections descriptors: the soft limit raised as far as the hard one allows,
 * and fewer connections when even that is too few. */
static void fit_open_files(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl)) return;
  rlim_t want = (rlim_t)cfg.connections + SPARE_FILES;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    int n = rl.rlim_cur > 2 * SPARE_FILES ? (int)(rl.rlim_cur - SPARE_FILES) : SPARE_FILES;
    api->log(self, KF_LOG_WARN, "only %llu open files allowed (ulimit -n): at most %d connections",
             (unsigned long long)rl.rlim_cur, n);
    cfg.connections = n;
    if (cfg.per_address > n) cfg.per_address = n;
  }
}

static void read_settings(void) {
  const char *secure = getenv("KINFLOW_COOKIE_SECURE");
  cfg.idle = env_number("KINFLOW_SESSION_IDLE", 1, 7 * 86400, IDLE);
  cfg.absolute = env_number("KINFLOW_SESSION_ABSOLUTE", 1, 7 * 86400, ABSOLUTE);
  cfg.timeout = env_number("KINFLOW_CONSOLE_TIMEOUT", 1, 86400, TIMEOUT);
  cfg.head_timeout = env_number("KINFLOW_CONSOLE_HEAD_TIMEOUT", 1, 3600, HEAD_TIMEOUT);
  cfg.request_timeout = env_number("KINFLOW_CONSOLE_REQUEST_TIMEOUT", 1, 86400, REQUEST_TIMEOUT);
  if (cfg.request_timeout < cfg.head_timeout) cfg.request_timeout = cfg.head_timeout;
  cfg.connections = env_number("KINFLOW_CONSOLE_CONNECTIONS", 16, 1000000, CONNECTIONS);
  cfg.threads = env_number("KINFLOW_CONSOLE_THREADS", 1, 256, THREADS);
  cfg.throttle_entries = env_number("KINFLOW_CONSOLE_THROTTLE_ENTRIES", 16, 1000000, 0);
  cfg.secure_cookies = is(secure, "1");
  cfg.trusted_proxy = getenv("KINFLOW_TRUSTED_PROXY");
  /* One address may hold half the connections; behind a proxy (every client shares its
   * address) all of them. */
  cfg.per_address = env_number("KINFLOW_CONSOLE_PER_ADDRESS", 0, 1000000,
                               cfg.trusted_proxy ? 0 : cfg.connections / 2);
  if (cfg.per_address >= cfg.connections) cfg.per_address = 0;
  fit_open_files();
}

static void run_timers(void) {
  char err[512];
  int status;
  json_t *r = engine_call_new("timers.run", json_object(), &status, err, sizeof err);
  if (!r) {
    api->log(self, KF_LOG_WARN, "running due timers: %s", err);
    return;
  }
  /* those another server (or `kinflow timers run`) took first are not this server's */
  json_t *t = json_object_get(r, "timers"), *one;
  long long n = 0;
  size_t i;
  if (json_is_array(t)) {
    json_array_foreach(t, i, one)
      n += !is(json_string_value(json_object_get(one, "result")), "already done");
  } else {
    n = json_integer_value(t);
  }
  if (n > 0) {
    printf("kinflow console: %lld due timer%s fired\n", n, n == 1 ? "" : "s");
    fflush(stdout);
  }
  json_decref(r);
  /* ending an unknown session sweeps the expired ones */
  json_decref(engine_call_new("session.delete", json_pack("{s:s}", "token", "-"), &status, err,
                              sizeof err));
}

static int serve_usage(const char *why) {
  if (why) fprintf(stderr, "kinflow: serve: %s\n", why);
  fprintf(stderr, "usage: kinflow serve [--bind ADDR] [--port N] [--host NAME]... [--metrics-port N]\n"
          "       (default 127.0.0.1:8080; port 0 picks a free one; --host: a name the console\n"
          "       is reached by, NAME or NAME:PORT, besides 127.0.0.1, localhost, [::1] and the\n"
          "       --bind address with the bound port; any other Host is refused with 421;\n"
          "       --metrics-port: GET /metrics without a session on 127.0.0.1 port N only)\n"
          "       kinflow serve --routes   the JSON API's routes: method, path, permission\n");
  return 2;
}

int serve_cmd(int argc, char **argv) {
  const char *bind = "127.0.0.1";
  long port = 8080, mport = -1; /* -1: no metrics listener */
  int routes = 0;
  cfg.nhosts = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = NULL;
    size_t k = strcspn(a, "=");
    if ((!strncmp(a, "--bind", k) || !strncmp(a, "--port", k) || !strncmp(a, "--host", k)) && k == 6)
      v = a[k] ? a + k + 1 : (i + 1 < argc ? argv[++i] : NULL);
    else if (k == 14 && !strncmp(a, "--metrics-port", k)) {
      v = a[k] ? a + k + 1 : (i + 1 < argc ? argv[++i] : NULL);
      char *end;
      mport = v ? strtol(v, &end, 10) : -1;
      if (!v || *end || end == v || mport < 0 || mport > 65535)
        return serve_usage("--metrics-port must be 0 to 65535");
      continue;
    } else if (is(a, "--routes")) {
      routes = 1;
      continue;
    } else if (is(a, "--help") || is(a, "-h")) {
      return serve_usage(NULL);
    } else {
      char m[300];
      snprintf(m, sizeof m, "unknown argument '%s'", a);
      return serve_usage(m);
    }
    if (!v) return serve_usage("--bind, --port and --host need a value");
    if (a[2] == 'h') {
      if (!*v || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != strlen(v))
        return serve_usage("--host needs a host name (NAME or NAME:PORT)");
      if (cfg.nhosts == (int)(sizeof cfg.hosts / sizeof cfg.hosts[0]))
        return serve_usage("at most 16 --host names");
      cfg.hosts[cfg.nhosts++] = v;
    } else if (a[2] == 'b') {
      bind = v;
    } else {
      char *end;
      port = strtol(v, &end, 10);
      if (*end || end == v || port < 0 || port > 65535) return serve_usage("--port must be 0 to 65535");
    }
  }
  if (routes) {
    if (argc != 2) return serve_usage("--routes takes no other argument");
    routes_print(stdout);
    return 0;
  }
  if (is(bind, "localhost")) bind = "127.0.0.1";
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  int v6 = strchr(bind, ':') != NULL;
  /* the address printed below, as a browser names it in Host */
  static char bound_name[80];
  snprintf(bound_name, sizeof bound_name, v6 ? "[%s]" : "%s", bind);
  cfg.bound_name = bound_name;
  if (v6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, bind, &s6->sin6_addr) != 1) return serve_usage("--bind needs an IP address");
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, bind, &s4->sin_addr) != 1) return serve_usage("--bind needs an IP address");
  }

  /* Signals go to this thread only, where sigtimedwait takes them: blocked before any thread
   * starts (the writer, the daemon's), so that every thread inherits the mask. A thread
   * started with them unblocked would take a SIGTERM sent while this one runs the due timers,
   * and its default action would end the process mid-write. */
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  read_settings();
  metrics_start();
  char err[512];
  if (!engine_session(err, sizeof err)) {
    fprintf(stderr, "kinflow: serve: %s\n", err);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 1;
  }
  if (writer_start(err, sizeof err)) {
    fprintf(stderr, "kinflow: serve: %s\n", err);
    engine_close_sessions();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 1;
  }
  char web[4096];
  struct stat sb;
  snprintf(web, sizeof web, "%s/web/index.html", api->plugin_dir(self));
  if (stat(web, &sb)) api->log(self, KF_LOG_WARN, "%s is missing: the JSON API works, the page does not", web);

  struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
  sigaction(SIGPIPE, &ign, &old_pipe);

  int rc = 0;
  struct MHD_Daemon *d = NULL, *md = NULL;
  if (mport >= 0 && !(md = http_start_metrics(&mport, err, sizeof err))) {
    fprintf(stderr, "kinflow: serve: cannot listen for metrics on 127.0.0.1 port %ld: %s\n",
            mport, err);
    rc = 1;
    goto out;
  }
  if (!(d = http_start((struct sockaddr *)&sa, v6, &port, err, sizeof err))) {
    fprintf(stderr, "kinflow: serve: cannot listen on %s port %ld: %s\n", bind, port, err);
    rc = 1;
    goto out;
  }
  printf("kinflow console on http://%s%s%s:%ld/\n", v6 ? "[" : "", bind, v6 ? "]" : "", port);
  if (md) printf("kinflow metrics on http://127.0.0.1:%ld/metrics\n", mport);
  fflush(stdout);

  run_timers();
  int sig;
  for (;;) {
    struct timespec every = {TIMERS_EVERY, 0};
    sig = sigtimedwait(&set, NULL, &every);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (sig < 0 && errno == EAGAIN) run_timers();
  }
  printf("kinflow console: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  fflush(stdout);
  http_stop(d);
  migrations_end(); /* a run still going finishes first (its thread is the plugin's) */
out:
  http_stop_metrics(md); /* before the engine's sessions close: a scrape may be using one */
  writer_stop(); /* what is queued is written first */
  engine_close_sessions();
  sigaction(SIGPIPE, &old_pipe, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}
