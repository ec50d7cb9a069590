/* auth.c: sessions and sign-in: the session cookie, who a request is from, the CSRF and
 * Origin checks, and POST/GET/DELETE /api/session (with throttle.c's counts). What a
 * signed-in user may do is not decided here: routes.c checks the route's permission. */
#include "console.h"

static const char *cookie_name(void) {
  return cfg.secure_cookies ? "__Host-kf_session" : "kf_session";
}

/* The cookie's value and attributes; an empty token clears it. */
static void set_cookie(ctx *x, const char *token) {
  snprintf(x->cookie, sizeof x->cookie, "%s=%s;%s HttpOnly; SameSite=Strict; Path=/%s",
           cookie_name(), token, *token ? "" : " Max-Age=0;", cfg.secure_cookies ? "; Secure" : "");
}

static int same_secret(const char *a, const char *b) {
  size_t n = strlen(a);
  if (n != strlen(b)) return 0;
  unsigned char d = 0;
  for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

int authenticate(ctx *x) {
  const char *tok = http_cookie(x, cookie_name());
  if (!tok || !*tok) {
    fail(x, 401, "not signed in: POST /api/session with {\"login\": ..., \"password\": ...}");
    return 0;
  }
  if (strlen(tok) >= sizeof x->u.token || strspn(tok, "0123456789abcdefABCDEF") != strlen(tok)) {
    fail(x, 401, "not signed in (the session cookie is not one this server gave)");
    set_cookie(x, "");
    return 0;
  }
  json_t *s = verb_new(x, "session.get", json_pack("{s:s}", "token", tok));
  if (!s) {
    if (x->status == 401) set_cookie(x, "");
    return 0;
  }
  x->session = s;
  snprintf(x->u.login, sizeof x->u.login, "%s", json_string_value(json_object_get(s, "login")));
  snprintf(x->u.role, sizeof x->u.role, "%s", json_string_value(json_object_get(s, "role")));
  snprintf(x->u.csrf, sizeof x->u.csrf, "%s", json_string_value(json_object_get(s, "csrf")));
  snprintf(x->u.token, sizeof x->u.token, "%s", tok);
  x->u.roles = json_object_get(s, "roles");
  x->u.family = is(x->u.role, "family") && json_is_object(json_object_get(s, "family"))
                    ? json_object_get(s, "family") : NULL;
  x->u.may = role_may(x->u.role);
  x->u.must_change = json_integer_value(json_object_get(s, "must_change")) != 0;
  return 1;
}

int csrf_ok(ctx *x) {
  const char *h = http_header(x, "X-CSRF-Token");
  if (h && x->u.csrf[0] && same_secret(h, x->u.csrf)) return 1;
  fail(x, 403, "%s X-CSRF-Token header: send the csrf token that signing in returned",
       h ? "wrong" : "missing");
  return 0;
}

/* A browser names the page that sent a request: refuse other sites' pages. */
int origin_ok(ctx *x) {
  const char *o = http_header(x, "Origin"), *host = http_header(x, "Host");
  if (!o) return 1;
  const char *p = strstr(o, "://");
  if (host && p && !strcmp(p + 3, host)) return 1;
  fail(x, 403, "refused a request from another site (Origin %s)", o);
  return 0;
}

/* The agency's time zone for the page (an IANA name such as "Australia/Sydney"), or null. */
static json_t *timezone_json(void) {
  const char *tz = getenv("KINFLOW_TIMEZONE");
  json_t *v = tz && *tz && strlen(tz) < 64 ? json_string(tz) : NULL;
  return v ? v : json_null();
}

static json_t *roles_of(const json_t *roles) {
  return json_is_array(roles) ? json_copy((json_t *)roles) : json_array();
}

/* The engine records it (an unknown login only as a keyed hash) or holds it back. */
static void failed_sign_in(const char *login, const char *addr) {
  char err[512];
  int status;
  json_t *r = engine_call_new("login.failed", json_pack("{s:s,s:s}", "login", login, "address",
                                                        addr), &status, err, sizeof err);
  if (!r) api->log(self, KF_LOG_WARN, "cannot record a failed sign-in: %s", err);
  json_decref(r);
}

/* POST /api/session {"login", "password"}: sign in. */
void session_create(ctx *x) {
  if (!body(x)) return;
  const char *login, *password;
  if (!body_text(x, "login", 1, &login) || !body_text(x, "password", 1, &password)) return;
  /* The password's longest length is the engine's (user.verify says when it is past it). */
  if (!*login || !*password || strlen(login) > 64) {
    fail(x, 400, "give a login (at most 64 characters) and a password");
    return;
  }
  int wait = throttle_begin(login, x->addr);
  if (wait) {
    x->retry_after = wait;
    fail(x, 429, "too many failed sign-ins for this login or from this address; try again in "
         "%d minute%s", (wait + 59) / 60, wait > 60 ? "s" : "");
    return;
  }
  json_t *u = verb_new(x, "user.verify",
                       json_pack("{s:s,s:s}", "login", login, "password", password));
  throttle_end(login, x->addr, !u && x->status == 401);
  if (!u) {
    if (x->status == 401) {
      metrics_signin_failed();
      failed_sign_in(login, x->addr);
    }
    return;
  }
  json_t *s = verb_new(x, "session.create", json_pack("{s:s,s:i,s:i}", "login", login, "idle",
                                                      cfg.idle, "absolute", cfg.absolute));
  if (!s) {
    json_decref(u);
    return;
  }
  set_cookie(x, json_string_value(json_object_get(s, "token")));
  const char *role = json_string_value(json_object_get(u, "role"));
  answer_new(x, json_pack("{s:O,s:O,s:O,s:o,s:O,s:o,s:i,s:o}", "csrf", json_object_get(s, "csrf"),
                          "login", json_object_get(u, "login"), "role",
                          json_object_get(u, "role"), "roles",
                          roles_of(json_object_get(u, "roles")), "expires",
                          json_object_get(s, "expires"), "can", can_json(role_may(role)),
                          "idle", cfg.idle, "timezone", timezone_json()));
  json_object_set(x->out, "must_change", json_object_get(u, "must_change"));
  if (json_is_object(json_object_get(u, "family")))
    json_object_set(x->out, "family", json_object_get(u, "family"));
  record_new("login.succeeded", login, json_pack("{s:s}", "address", x->addr));
  json_decref(s);
  json_decref(u);
}

/* GET /api/session: who is signed in; "idle", the seconds the session lasts unused (the page
 * warns before it ends), and "timezone", the agency's (KINFLOW_TIMEZONE; null: the browser's). */
void session_show(ctx *x) {
  json_t *idle = json_object_get(x->session, "idle");
  answer_new(x, json_pack("{s:s,s:s,s:o,s:s,s:o,s:I,s:o,s:b}", "login", x->u.login, "role", x->u.role,
                          "roles", roles_of(x->u.roles), "csrf", x->u.csrf, "can",
                          can_json(x->u.may), "idle",
                          (json_int_t)(json_is_integer(idle) ? json_integer_value(idle) : cfg.idle),
                          "timezone", timezone_json(), "must_change", x->u.must_change));
  /* a family account's binding, for its page: {case, member, role, name} */
  if (x->u.family) json_object_set(x->out, "family", (json_t *)x->u.family);
}

/* DELETE /api/session: sign out; the session ends on the server. */
void session_end(ctx *x) {
  json_t *r = verb_new(x, "session.delete", json_pack("{s:s}", "token", x->u.token));
  if (!r) return;
  set_cookie(x, "");
  answer_new(x, r);
}
