/* reply.c: how a room answers a request: a JSON value, or an error with its status. It only
 * fills the request's answer; http.c sends it (with the security headers). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "console.h"

json_t *text_value(const char *s) {
  json_t *v = json_string(s);
  if (v) return v;
  char buf[1024];
  size_t i = 0;
  for (; s[i] && i < sizeof buf - 1; i++) buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
  buf[i] = 0;
  return json_string(buf);
}

/* The engine's messages are the command line's too, and some end by pointing to a command
 * (" (see `kinflow team list`)"). Over HTTP nobody has that command at hand: the pointer is
 * left out, the rest of the message kept as it is. */
json_t *message_value(const char *msg) {
  static const char mark[] = " (see `kinflow ";
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", msg);
  char *p;
  while ((p = strstr(buf, mark))) {
    char *tick = strchr(p + sizeof mark - 1, '`');
    if (!tick || tick[1] != ')') break;
    memmove(p, tick + 2, strlen(tick + 2) + 1);
  }
  return text_value(buf);
}

void fail(ctx *x, int status, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_decref(x->out);
  x->status = status;
  x->out = json_object();
  json_object_set_new(x->out, "error", message_value(msg));
}

void answer_new(ctx *x, json_t *v) {
  json_decref(x->out);
  x->status = 200;
  x->out = v;
}
