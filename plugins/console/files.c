/* files.c: the page: GET (and HEAD) of the files under the plugin's web/ folder, by a name
 * that cannot leave it (no "..", no dot files, no links, known types only); and the API's
 * description, the plugin's openapi.json. It serves no other file. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"

static const char *content_type(const char *path) {
  static const struct {
    const char *ext, *type;
  } types[] = {{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
               {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
               {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
               {".json", "application/json"}, {".txt", "text/plain; charset=utf-8"},
               {".woff2", "font/woff2"}};
  const char *dot = strrchr(path, '.');
  for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
    if (!strcmp(dot, types[i].ext)) return types[i].type;
  return NULL;
}

/* The answer is the regular file at full (never a link); 0 when there is none. */
static int send_file(ctx *x, const char *full, const char *type) {
  int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    if (fd >= 0) close(fd);
    return 0;
  }
  x->fd = fd;
  x->fsize = (uint64_t)sb.st_size;
  x->ftype = type;
  x->status = 200;
  return 1;
}

void file_serve(ctx *x, const char *rel) {
  if (!is(x->method, "GET")) {
    snprintf(x->allow, sizeof x->allow, "GET, HEAD");
    fail(x, 405, "%s is not allowed here (allowed: GET, HEAD)", x->method);
    return;
  }
  const char *type = content_type(rel);
  size_t n = strlen(rel);
  if (!n || n > 200 || !type || rel[0] == '/' || strstr(rel, "..") || strstr(rel, "//") ||
      strstr(rel, "/.") || rel[0] == '.' ||
      strspn(rel, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") != n) {
    fail(x, 404, "no such file: %s", x->path);
    return;
  }
  char full[4096];
  const char *dir = api->plugin_dir(self);
  snprintf(full, sizeof full, "%s/web/%s", dir ? dir : ".", rel);
  if (!send_file(x, full, type)) fail(x, 404, "no such file: %s", x->path);
}

/* GET /api/openapi.json: the document beside the plugin, as it is in the repository. */
void openapi_show(ctx *x) {
  char full[4096];
  const char *dir = api->plugin_dir(self);
  snprintf(full, sizeof full, "%s/openapi.json", dir ? dir : ".");
  if (!send_file(x, full, "application/json; charset=utf-8")) {
    api->log(self, KF_LOG_ERROR, "cannot read %s", full);
    fail(x, 500, "internal error (the server's log says more)");
  }
}
