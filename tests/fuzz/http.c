/* http.c: a libFuzzer harness for the console's HTTP request handling. The console is a
 * plugin serving from its own process, so the harness starts a real `kinflow serve` on
 * 127.0.0.1 (the ASan build, ./kinflow-asan, when there is one) with a database, a user and
 * a signed-in session, then writes each input as raw bytes of one request to a new loopback
 * connection and reads the answer. "@@COOKIE@@" and "@@CSRF@@" in an input become the
 * session's cookie and CSRF token, so mutations reach the signed-in routes. The input that
 * makes the server die (a crash, a sanitizer report) is the finding: the harness aborts so
 * libFuzzer keeps it. The server's own code is not coverage-guided here (another process);
 * the seeds and the dictionary carry the search. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t server;
static int port;
static char cookie[256], csrf[128], dir[64];

static void stop(void) {
  if (server > 0) {
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
  }
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (dir[0] && system(cmd)) { /* best effort */ }
}

static int connect_server(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  struct timeval tv = {0, 50000}; /* the answer comes at once, or the server keeps the
                                     * connection open for the next request: stop waiting */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* One exchange: send, then read until the server closes or goes quiet. Returns the bytes. */
static size_t exchange(const char *req, size_t len, char *out, size_t cap) {
  int fd = connect_server();
  if (fd < 0) return 0;
  size_t sent = 0;
  while (sent < len) {
    ssize_t n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += (size_t)n;
  }
  shutdown(fd, SHUT_WR);
  size_t got = 0;
  int quiet = 0;
  for (;;) {
    ssize_t n = recv(fd, out + got, cap - 1 - got, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !got && ++quiet < 20) continue;
    if (n <= 0 || got + (size_t)n >= cap - 1) {
      if (n > 0) got += (size_t)n;
      break;
    }
    got += (size_t)n;
  }
  out[got] = 0;
  close(fd);
  return got;
}

static void run(const char *cmd) {
  if (system(cmd) != 0) {
    fprintf(stderr, "fuzz http: setup failed: %s\n", cmd);
    abort();
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  signal(SIGPIPE, SIG_IGN);
  const char *bin = getenv("KINFLOW_BIN");
  static char binbuf[4096];
  if (!bin) {
    struct stat sb;
    bin = stat("kinflow-asan", &sb) == 0 ? "./kinflow-asan" : "./kinflow";
  }
  if (bin[0] != '/') {
    char cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) abort();
    snprintf(binbuf, sizeof binbuf, "%s/%s", cwd, bin);
    bin = binbuf;
  }
  snprintf(dir, sizeof dir, "/tmp/kf-fuzz-http-XXXXXX");
  if (!mkdtemp(dir)) abort();
  char db[128], cmd[8192];
  snprintf(db, sizeof db, "%s/k.db", dir);
  setenv("KINFLOW_DB", db, 1);
  setenv("KINFLOW_OUTBOX", "off", 1);
  setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1", 1);
  snprintf(cmd, sizeof cmd,
           "%s init >/dev/null && %s deploy workflows/coparenthood.lua >/dev/null 2>&1 && "
           "%s case new coparenthood --ref FZ-1 >/dev/null && "
           "printf 'hammer-on-the-door-1' | %s user add fuzz --role admin --password-stdin >/dev/null",
           bin, bin, bin, bin);
  run(cmd);
  int fds[2];
  if (pipe(fds)) abort();
  server = fork();
  if (server < 0) abort();
  if (server == 0) {
    dup2(fds[1], 1);
    int null = open("/dev/null", 1);
    if (null >= 0) dup2(null, 2);
    close(fds[0]);
    /* the seeds name "Host: 127.0.0.1" without the port: accept it on any */
    execl(bin, bin, "serve", "--bind", "127.0.0.1", "--port", "0", "--host", "127.0.0.1",
          (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  atexit(stop);
  FILE *f = fdopen(fds[0], "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    char *p = strstr(line, "127.0.0.1:");
    if (p && (port = atoi(p + 10)) > 0) break;
  }
  if (port <= 0) {
    fprintf(stderr, "fuzz http: the server did not start\n");
    abort();
  }
  /* sign in once; inputs borrow the session */
  const char *body = "{\"login\":\"fuzz\",\"password\":\"hammer-on-the-door-1\"}";
  char req[1024], resp[65536];
  int n = snprintf(req, sizeof req, "POST /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                                    "Connection: close\r\n\r\n%s", strlen(body), body);
  exchange(req, (size_t)n, resp, sizeof resp);
  char *c = strstr(resp, "Set-Cookie: ");
  char *t = strstr(resp, "\"csrf\"");
  if (!c || !t) {
    fprintf(stderr, "fuzz http: could not sign in\n");
    abort();
  }
  sscanf(c + 12, "%255[^;\r\n]", cookie);
  sscanf(strchr(t + 6, '"') + 1, "%127[^\"]", csrf);
  return 0;
}

/* Replace @@COOKIE@@ and @@CSRF@@ in the input. */
static char *expand(const uint8_t *data, size_t size, size_t *len) {
  size_t cap = size + 1024;
  char *out = malloc(cap);
  if (!out) abort();
  size_t o = 0;
  for (size_t i = 0; i < size;) {
    const char *with = NULL;
    size_t skip = 0;
    if (size - i >= 10 && !memcmp(data + i, "@@COOKIE@@", 10)) with = cookie, skip = 10;
    else if (size - i >= 8 && !memcmp(data + i, "@@CSRF@@", 8)) with = csrf, skip = 8;
    if (with) {
      size_t w = strlen(with);
      if (o + w + (size - i) + 1 > cap) {
        cap = (o + w + (size - i)) * 2 + 1;
        char *grown = realloc(out, cap);
        if (!grown) abort();
        out = grown;
      }
      memcpy(out + o, with, w);
      o += w;
      i += skip;
    } else {
      if (o + 2 > cap) {
        cap *= 2;
        char *grown = realloc(out, cap);
        if (!grown) abort();
        out = grown;
      }
      out[o++] = (char)data[i++];
    }
  }
  *len = o;
  return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 20) return 0;
  size_t len;
  char *req = expand(data, size, &len);
  static char resp[1 << 16];
  exchange(req, len, resp, sizeof resp);
  free(req);
  int status;
  if (waitpid(server, &status, WNOHANG) == server) {
    fprintf(stderr, "fuzz http: the server died on this input (%s %d)\n",
            WIFSIGNALED(status) ? "signal" : "exit",
            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    server = 0;
    abort();
  }
  return 0;
}
