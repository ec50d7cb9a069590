/* store_json.c: JSON text as the store writes it, byte for byte as Jansson's json_dumps
 * would (written directly: Jansson cost a tenth of a transition): an event's canonical text
 * and its SHA-256 link, JSON columns, a case's data with its keys sorted. No SQL here. */
#define _GNU_SOURCE
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "store.h"
#include "store_int.h"

/* The canonical text of an event's fields, written directly: the compact JSON array
 * [seq, case, at, actor, role, kind, name, from, to, reason, data] with strings escaped as
 * Jansson's json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII) escapes them (the chain's format
 * since the first event; tests/unit/test_store.c compares the two), absent values as null.
 * Building it with Jansson cost a tenth of a transition. */
typedef struct canon {
  char *p;
  size_t len, cap;
  int bad; /* out of memory, or text that is not UTF-8 */
} canon;

/* Room for n more bytes and the final NUL; 0, or -1 (bad set) when memory ran out. */
static int canon_grow(canon *c, size_t n) {
  if (c->bad) return -1;
  if (c->len + n + 1 <= c->cap) return 0;
  size_t cap = c->cap ? c->cap : 512;
  while (c->len + n + 1 > cap) cap *= 2;
  char *p = realloc(c->p, cap);
  if (!p) {
    c->bad = 1;
    return -1;
  }
  c->p = p;
  c->cap = cap;
  return 0;
}

static inline void canon_put(canon *c, const char *s, size_t n) {
  if (c->len + n + 1 > c->cap && canon_grow(c, n)) return;
  if (c->bad) return;
  memcpy(c->p + c->len, s, n);
  c->len += n;
  c->p[c->len] = 0;
}

/* One UTF-8 character at s (n bytes left): its length and code point, 0 if invalid (as
 * Jansson: no overlong forms, no surrogates, nothing above U+10FFFF). */
static int utf8_char(const unsigned char *s, size_t n, int32_t *cp) {
  int len = s[0] < 0x80 ? 1 : s[0] < 0xC2 ? 0 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : s[0] < 0xF5 ? 4 : 0;
  if (!len || (size_t)len > n) return 0;
  int32_t v = len == 1 ? s[0] : s[0] & (0x3F >> (len - 1));
  for (int i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF ||
      (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  *cp = v;
  return len;
}

/* str (n bytes) as a JSON string, escaped as Jansson's json_dumps escapes it: always '"',
 * '\\' and control characters; with ascii (JSON_ENSURE_ASCII) every character above 0x7F. */
static void canon_text(canon *c, const char *str, size_t n, int ascii) {
  const unsigned char *s = (const unsigned char *)str;
  size_t plain = 0; /* the usual text: printable ASCII, nothing to escape, copied at once */
  while (plain < n && s[plain] >= 0x20 && s[plain] <= 0x7F && s[plain] != '"' && s[plain] != '\\')
    plain++;
  if (plain == n) {
    if (canon_grow(c, n + 2)) return;
    c->p[c->len++] = '"';
    memcpy(c->p + c->len, s, n);
    c->len += n;
    c->p[c->len++] = '"';
    c->p[c->len] = 0;
    return;
  }
  /* '"' and '\\' in otherwise plain text (JSON text itself, as the data in an event's
   * hash): room made once, each copied with its backslash */
  size_t quoted = 0, j = plain;
  for (; j < n; j++) {
    unsigned char b = s[j];
    if (b == '"' || b == '\\') quoted++;
    else if (b < 0x20 || b > 0x7F) break;
  }
  if (j == n) {
    if (canon_grow(c, n + quoted + 2)) return;
    char *out = c->p + c->len;
    *out++ = '"';
    memcpy(out, s, plain);
    out += plain;
    for (size_t i = plain; i < n; i++) {
      if (s[i] == '"' || s[i] == '\\') *out++ = '\\';
      *out++ = (char)s[i];
    }
    *out++ = '"';
    *out = 0;
    c->len = (size_t)(out - c->p);
    return;
  }
  canon_put(c, "\"", 1);
  size_t run = 0;
  for (size_t i = 0; i < n;) {
    if (s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' && s[i] <= 0x7F) {
      i++, run++;
      continue;
    }
    int32_t cp;
    int len = utf8_char(s + i, n - i, &cp);
    if (!len) {
      c->bad = 1;
      return;
    }
    if (!ascii && cp > 0x7F) {
      i += (size_t)len, run += (size_t)len;
      continue;
    }
    canon_put(c, (const char *)s + i - run, run);
    run = 0;
    char esc[16];
    const char *e = esc;
    size_t elen = 2;
    switch (cp) {
    case '"': e = "\\\""; break;
    case '\\': e = "\\\\"; break;
    case '\b': e = "\\b"; break;
    case '\f': e = "\\f"; break;
    case '\n': e = "\\n"; break;
    case '\r': e = "\\r"; break;
    case '\t': e = "\\t"; break;
    default:
      if (cp < 0x10000) {
        elen = (size_t)snprintf(esc, sizeof esc, "\\u%04X", (unsigned)cp);
      } else {
        int32_t v = cp - 0x10000;
        elen = (size_t)snprintf(esc, sizeof esc, "\\u%04X\\u%04X", (unsigned)(0xD800 | (v >> 10)),
                                (unsigned)(0xDC00 | (v & 0x3FF)));
      }
    }
    canon_put(c, e, elen);
    i += (size_t)len;
  }
  canon_put(c, (const char *)s + n - run, run);
  canon_put(c, "\"", 1);
}

static void canon_string(canon *c, const char *str) {
  if (!str) canon_put(c, "null", 4);
  else canon_text(c, str, strlen(str), 1);
}

static int key_order(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An object's member, for writing its members in key order. */
typedef struct {
  const char *k;
  size_t klen;
  json_t *v;
} member;

static int member_order(const void *a, const void *b) {
  return strcmp(((const member *)a)->k, ((const member *)b)->k);
}

/* v written compactly (keys sorted with sort), as json_dumps writes it. 0, or -1 for what
 * is left to Jansson itself: reals (its own digits), keys holding a NUL, deep nesting, text
 * that is not UTF-8 (Jansson refuses it too), memory. An object whose members are in key
 * order already (as the data a transition returns: luahost.c builds it so) is not sorted. */
static int canon_json(canon *c, json_t *v, int sort, int depth) {
  if (depth > 64) return -1;
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    size_t n = json_object_size(v), i = 0;
    member few[16], *m = few;
    if (n > 16 && !(m = malloc(n * sizeof *m))) return -1;
    const char *k;
    size_t klen;
    json_t *x;
    int rc = 0, ordered = 1;
    json_object_keylen_foreach(v, k, klen, x) {
      if (strlen(k) != klen || i == n) {
        rc = -1;
        break;
      }
      if (i && ordered && strcmp(m[i - 1].k, k) > 0) ordered = 0;
      m[i++] = (member){k, klen, x};
    }
    if (sort && !ordered && !rc) qsort(m, i, sizeof *m, member_order);
    canon_put(c, "{", 1);
    for (size_t j = 0; j < i && !rc; j++) {
      if (j) canon_put(c, ",", 1);
      canon_text(c, m[j].k, m[j].klen, 0);
      canon_put(c, ":", 1);
      rc = canon_json(c, m[j].v, sort, depth + 1);
    }
    if (m != few) free(m);
    canon_put(c, "}", 1);
    return rc;
  }
  case JSON_ARRAY: {
    size_t i;
    json_t *x;
    canon_put(c, "[", 1);
    json_array_foreach(v, i, x) {
      if (i) canon_put(c, ",", 1);
      if (canon_json(c, x, sort, depth + 1)) return -1;
    }
    canon_put(c, "]", 1);
    return 0;
  }
  case JSON_STRING: canon_text(c, json_string_value(v), json_string_length(v), 0); return 0;
  case JSON_INTEGER: {
    char num[24];
    canon_put(c, num, kf_int_text(json_integer_value(v), num));
    return 0;
  }
  case JSON_TRUE: canon_put(c, "true", 4); return 0;
  case JSON_FALSE: canon_put(c, "false", 5); return 0;
  case JSON_NULL: canon_put(c, "null", 4); return 0;
  default: return -1; /* reals */
  }
}

char *store_json_dumps(json_t *v, size_t flags) {
  int plain = !(flags & ~(size_t)(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)) &&
              (flags & JSON_COMPACT);
  if (!plain || !v || (!(flags & JSON_ENCODE_ANY) && !json_is_object(v) && !json_is_array(v)))
    return json_dumps(v, flags);
  canon c = {0};
  if (canon_json(&c, v, !!(flags & JSON_SORT_KEYS), 0) || c.bad) {
    free(c.p);
    return json_dumps(v, flags);
  }
  return c.p;
}

/* hash = SHA-256(prev_hash "\n" canonical fields); out: 64 hex digits. case_id 0: none.
 * -1 when a text is not UTF-8 (or memory ran out). */
int store_event_hash(const char *prev, int64_t seq, int64_t case_id, const char *const text[9],
                     char out[65]) {
  canon c = {0};
  canon_put(&c, prev, strlen(prev)); /* hashed with the text, in one buffer */
  canon_put(&c, "\n", 1);
  char num[48];
  int n = case_id ? snprintf(num, sizeof num, "[%lld,%lld", (long long)seq, (long long)case_id)
                  : snprintf(num, sizeof num, "[%lld,null", (long long)seq);
  canon_put(&c, num, (size_t)n);
  for (int i = 0; i < 9; i++) {
    canon_put(&c, ",", 1);
    canon_string(&c, text[i]);
  }
  canon_put(&c, "]", 1);
  if (c.bad) {
    free(c.p);
    return -1;
  }
  unsigned char d[32];
  kf_sha256(c.p, c.len, d);
  sodium_bin2hex(out, 65, d, sizeof d);
  free(c.p);
  return 0;
}

json_t *kf_store_data_sorted(json_t *v) {
  if (json_is_array(v)) {
    json_t *out = json_array(), *x;
    size_t i;
    json_array_foreach(v, i, x) json_array_append_new(out, kf_store_data_sorted(x));
    return out;
  }
  if (!json_is_object(v) || json_object_size(v) == 0) return json_is_object(v) ? json_object() : json_incref(v);
  size_t n = json_object_size(v), i = 0;
  const char **keys = malloc(n * sizeof *keys), *k;
  json_t *x, *out = json_object();
  if (!keys) return json_incref(v); /* out of memory: the same data, in its own order */
  json_object_foreach(v, k, x) keys[i++] = k;
  qsort(keys, n, sizeof *keys, key_order);
  for (i = 0; i < n; i++) json_object_set_new(out, keys[i], kf_store_data_sorted(json_object_get(v, keys[i])));
  free(keys);
  return out;
}

char *kf_store_data_text(json_t *data) {
  return store_json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}
