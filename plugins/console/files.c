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
  int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    if (fd >= 0) close(fd);
    fail(x, 404, "no such file: %s", x->path);
    return;
  }
  /* A validator from the file's identity, size and time: the page's files are fetched again
   * only when they changed (304 otherwise), however often the page loads. */
  snprintf(x->etag, sizeof x->etag, "\"%llx-%llx-%llx.%lx\"", (unsigned long long)sb.st_ino,
           (unsigned long long)sb.st_size, (unsigned long long)sb.st_mtim.tv_sec,
           (unsigned long)sb.st_mtim.tv_nsec);
  const char *match = http_header(x, "If-None-Match");
  x->ftype = type;
  if (match && !strcmp(match, x->etag)) {
    close(fd);
    x->status = 304;
    return;
  }
  x->fd = fd;
  x->fsize = (uint64_t)sb.st_size;
  x->status = 200;
}

/* GET /api/openapi.json: the document beside the plugin, as it is in the repository. */
void openapi_show(ctx *x) {
  char full[4096];
  const char *dir = api->plugin_dir(self);
  snprintf(full, sizeof full, "%s/openapi.json", dir ? dir : ".");
  int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
    if (fd >= 0) close(fd);
    api->log(self, KF_LOG_ERROR, "cannot read %s", full);
    fail(x, 500, "internal error (the server's log says more)");
    return;
  }
  x->fd = fd;
  x->fsize = (uint64_t)sb.st_size;
  x->ftype = "application/json; charset=utf-8";
  x->status = 200;
}
