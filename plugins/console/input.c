/* input.c: what a request carries, read and checked: its JSON body, the body's members,
 * query parameters and the case named in a path. A bad input answers 400 here; deciding
 * what to do with a good one is the handlers' (api_*.c). */
#include <errno.h>
#include <stdlib.h>

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

json_t *case_id(const char *s) {
  if (*s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 18)
    return json_integer(strtoll(s, NULL, 10));
  return text_value(s);
}

json_t *body(ctx *x) {
  if (x->body) return x->body;
  if (!x->raw_len) {
    fail(x, 400, "the request needs a JSON object as its body");
    return NULL;
  }
  json_error_t jerr;
  json_t *v = json_loadb(x->raw, x->raw_len, JSON_REJECT_DUPLICATES, &jerr);
  if (!v) {
    fail(x, 400, "malformed JSON in the request body: %s (line %d, column %d)", jerr.text,
         jerr.line, jerr.column);
    return NULL;
  }
  if (!json_is_object(v)) {
    json_decref(v);
    fail(x, 400, "the request body must be a JSON object");
    return NULL;
  }
  return x->body = v;
}

/* A member of the body that must be a string (or absent, when optional). */
int body_text(ctx *x, const char *key, int required, const char **out) {
  json_t *v = json_object_get(x->body, key);
  *out = NULL;
  if (!v || json_is_null(v)) {
    if (!required) return 1;
    fail(x, 400, "'%s' is missing from the request body", key);
    return 0;
  }
  if (!json_is_string(v)) {
    fail(x, 400, "'%s' must be a string", key);
    return 0;
  }
  *out = json_string_value(v);
  return 1;
}

/* Copy the body's key into args when present, checking its JSON type. */
int pass(ctx *x, json_t *args, const char *key, int (*type_ok)(const json_t *),
         const char *type) {
  json_t *v = json_object_get(x->body, key);
  if (!v || json_is_null(v)) return 1;
  if (type_ok && !type_ok(v)) {
    fail(x, 400, "'%s' must be %s", key, type);
    return 0;
  }
  json_object_set(args, key, v);
  return 1;
}

int is_object(const json_t *v) { return json_is_object(v); }
int is_string(const json_t *v) { return json_is_string(v); }
int is_integer(const json_t *v) { return json_is_integer(v); }
int is_array(const json_t *v) { return json_is_array(v); }
int is_boolean(const json_t *v) { return json_is_boolean(v); }

/* A query parameter that is a whole number; 1 when absent or good, 0 with 400 set. */
int query_int(ctx *x, json_t *args, const char *name) {
  const char *v = http_query(x, name);
  if (!v) return 1;
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || *end || end == v) {
    fail(x, 400, "'%s' must be a whole number, not '%s'", name, v);
    return 0;
  }
  json_object_set_new(args, name, json_integer(n));
  return 1;
}

int query_bool(ctx *x, json_t *args, const char *name) {
  const char *v = http_query(x, name);
  if (!v) return 1;
  if (is(v, "1") || is(v, "true") || is(v, "yes")) json_object_set_new(args, name, json_true());
  else if (is(v, "0") || is(v, "false") || is(v, "no")) json_object_set_new(args, name, json_false());
  else {
    fail(x, 400, "'%s' must be true or false, not '%s'", name, v);
    return 0;
  }
  return 1;
}

void query_text(ctx *x, json_t *args, const char *name) {
  const char *v = http_query(x, name);
  if (v) json_object_set_new(args, name, text_value(v));
}
