/* people.c: the verbs about people: accounts (add, list, change, passwords), teams,
 * sessions and failed sign-ins, and the one check of a new password. It decides nothing
 * about cases (api.c) and speaks no SQL (the store). */
#define _GNU_SOURCE
#include "people.h"

#include <ctype.h>
#include <pthread.h>
#include <pwquality.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verbs.h"

/* ---- passwords and tokens ---- */

int kf_password_hash(const char *password, char out[128], kf_err *err) {
  if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return kf_fail(err, KF_ENOMEM, "not enough memory to hash the password");
  return 0;
}

int kf_password_verify(const char *hash, const char *password) {
  return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/* Characters (UTF-8 code points) in s. */
static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

int kf_password_length_ok(const char *password, kf_err *err) {
  if (utf8_chars(password) <= KF_PASSWORD_MAX) return 0;
  return kf_fail(err, KF_EINVAL, "a password has at most %d characters", KF_PASSWORD_MAX);
}

/* Does text hold word, ignoring case (or word reversed, when reversed)? */
static int holds(const char *text, const char *word, size_t n, int reversed) {
  size_t len = strlen(text);
  for (size_t i = 0; i + n <= len; i++) {
    size_t k = 0;
    while (k < n && tolower((unsigned char)text[i + k]) ==
                        tolower((unsigned char)word[reversed ? n - 1 - k : k]))
      k++;
    if (k == n) return 1;
  }
  return 0;
}

/* The login, or its part before '@', inside the password (straight or reversed)? Parts
 * shorter than 3 characters are too common to refuse. */
static int holds_login(const char *password, const char *login) {
  size_t n = strlen(login), local = strcspn(login, "@");
  for (int r = 0; r < 2; r++) {
    if (n >= 3 && holds(password, login, n, r)) return 1;
    if (local < n && local >= 3 && holds(password, login, local, r)) return 1;
  }
  return 0;
}

/* cracklib's reasons, in plain words. */
static const char *dictionary_reason(const char *aux) {
  if (!aux) return "the password is too easy to guess";
  if (strstr(aux, "dictionary word"))
    return "the password is a common word or password, or one with small changes";
  if (strstr(aux, "DIFFERENT characters")) return "the password uses too few different characters";
  if (strstr(aux, "simplistic") || strstr(aux, "systematic"))
    return "the password follows a simple pattern";
  if (strstr(aux, "whitespace")) return "the password is only spaces";
  if (strstr(aux, "username") || strstr(aux, "password entry"))
    return "the password contains the login";
  return "the password is too easy to guess";
}

/* cracklib keeps its dictionary's state in statics: one check at a time. */
static pthread_mutex_t quality_lock = PTHREAD_MUTEX_INITIALIZER;

int kf_password_check(const char *login, const char *password, kf_err *err) {
  if (!*password) return kf_fail(err, KF_EINVAL, "give a password");
  if (kf_password_length_ok(password, err)) return err ? err->code : KF_EINVAL;
  if (utf8_chars(password) < KF_PASSWORD_MIN)
    return kf_fail(err, KF_EINVAL, "the password must have at least %d characters",
                   KF_PASSWORD_MIN);
  if (login && holds_login(password, login))
    return kf_fail(err, KF_EINVAL, "the password contains the login: choose one that does not");
  pwquality_settings_t *q = pwquality_default_settings();
  if (!q) return kf_fail(err, KF_ENOMEM, "out of memory checking the password");
  static const int SET[][2] = {
      {PWQ_SETTING_MIN_LENGTH, KF_PASSWORD_MIN}, {PWQ_SETTING_DIG_CREDIT, 0},
      {PWQ_SETTING_UP_CREDIT, 0}, {PWQ_SETTING_LOW_CREDIT, 0}, {PWQ_SETTING_OTH_CREDIT, 0},
      {PWQ_SETTING_MIN_CLASS, 0}, {PWQ_SETTING_MAX_REPEAT, 3}, {PWQ_SETTING_MAX_SEQUENCE, 4},
      {PWQ_SETTING_MAX_CLASS_REPEAT, 0}, {PWQ_SETTING_DICT_CHECK, 1},
      {PWQ_SETTING_USER_CHECK, 1}, {PWQ_SETTING_GECOS_CHECK, 0}};
  for (size_t i = 0; i < sizeof SET / sizeof SET[0]; i++)
    pwquality_set_int_value(q, SET[i][0], SET[i][1]);
  void *aux = NULL;
  pthread_mutex_lock(&quality_lock);
  int score = pwquality_check(q, password, NULL, login, &aux);
  pthread_mutex_unlock(&quality_lock);
  pwquality_free_settings(q);
  const char *why = NULL;
  switch (score) {
  case PWQ_ERROR_MIN_LENGTH: why = "the password is too short"; break;
  case PWQ_ERROR_PALINDROME: why = "the password reads the same backwards"; break;
  case PWQ_ERROR_MAX_CONSECUTIVE:
    why = "the password repeats a character more than 3 times in a row";
    break;
  case PWQ_ERROR_MAX_SEQUENCE:
    why = "the password holds a run of more than 4 characters like abcde or 12345";
    break;
  case PWQ_ERROR_USER_CHECK: why = "the password contains the login: choose one that does not"; break;
  case PWQ_ERROR_CRACKLIB_CHECK:
    if (aux && strstr((const char *)aux, "error loading dictionary"))
      return kf_fail(err, KF_ESTORE, "cannot check passwords: the password dictionary is "
                     "missing (install Debian's cracklib-runtime)");
    why = dictionary_reason((const char *)aux);
    break;
  case PWQ_ERROR_MEM_ALLOC: return kf_fail(err, KF_ENOMEM, "out of memory checking the password");
  default: if (score < 0) why = "the password is too easy to guess";
  }
  return why ? kf_fail(err, KF_EINVAL, "%s", why) : 0;
}

static void random_hex(char *out, size_t bytes) {
  unsigned char buf[64];
  randombytes_buf(buf, bytes);
  sodium_bin2hex(out, bytes * 2 + 1, buf, bytes);
}

static void token_hash(const char *token, char out[65]) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
  sodium_bin2hex(out, 65, d, sizeof d);
}

static const char *ROLES[] = {"admin", "supervisor", "caseworker", "analyst", "viewer", NULL};

static int known_role(call *c, const char *role) {
  for (const char **r = ROLES; *r; r++)
    if (!strcmp(*r, role)) return 0;
  return kf_fail(c->err, KF_EINVAL, "role '%s' is not one of admin, supervisor, caseworker, "
                 "analyst, viewer", role);
}


json_t *user_create(call *c, const char *login, const char *role, const char *password,
                    json_t *roles, json_t *teams, json_t *binding, int must_change) {
  if (strlen(login) > 64 || strspn(login, "abcdefghijklmnopqrstuvwxyz0123456789._-@") != strlen(login)) {
    kf_fail(c->err, KF_EINVAL, "login '%s': use lower-case letters, digits, . _ - @ (at most 64)", login);
    return NULL;
  }
  if (!binding && known_role(c, role)) return NULL;
  if (kf_password_check(login, password, c->err)) return NULL;
  size_t ri;
  json_t *r;
  json_array_foreach(roles, ri, r) {
    if (!json_is_string(r)) {
      kf_fail(c->err, KF_EINVAL, "roles must be a list of workflow roles (texts)");
      return NULL;
    }
  }
  char hash[128], now[21];
  if (kf_password_hash(password, hash, c->err)) return NULL;
  kf_iso(kf_now(), now);
  json_t *u = json_pack("{s:s,s:s,s:O,s:s,s:s,s:b}", "login", login, "role", role, "roles",
                        roles ? roles : json_array(), "password_hash", hash, "created_at", now,
                        "must_change", must_change);
  if (!roles) json_decref(json_object_get(u, "roles"));
  json_t *ev;
  if (binding) { /* who the account is for; never its password */
    json_object_set(u, "family_case", json_object_get(binding, "case"));
    json_object_set(u, "family_member", json_object_get(binding, "member"));
    ev = json_pack("{s:s,s:s,s:s,s:s,s:O,s:{s:s,s:s,s:O,s:O}}", "kind", "user.added", "name", login,
                   "actor", actor(c), "at", now, "case", json_object_get(binding, "case"), "data",
                   "login", login, "role", "family", "case", json_object_get(binding, "case"),
                   "member", json_object_get(binding, "member"));
  } else {
    ev = json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:O}}", "kind", "user.added", "name", login,
                   "actor", actor(c), "at", now, "data", "role", role, "roles",
                   json_object_get(u, "roles"));
    json_object_set(json_object_get(ev, "data"), "teams", teams ? teams : json_null());
  }
  int rc = kf_tx_begin(c->s->e, c->err);
  if (rc) json_decref(ev);
  else if ((rc = kf_store_user_add(st(c), u, c->err)) ||
           (teams && (rc = kf_store_user_set_teams(st(c), login, teams, c->err))))
    json_decref(ev);
  if (!rc && !(rc = kf_event_append_new(c->s->e, ev, c->err))) rc = kf_tx_commit(c->s->e, c->err);
  if (rc && kf_store_in_tx(st(c))) kf_tx_abort(c->s->e);
  json_t *out = rc ? NULL : json_pack("{s:s,s:s,s:O,s:o}", "login", login, "role", role, "roles",
                                      json_object_get(u, "roles"), "teams",
                                      teams ? json_incref(teams) : json_array());
  if (out && binding) json_object_set(out, "family", binding);
  json_decref(u);
  return out;
}

/* user.add: a staff account, or (role "family", family_case, family_member) a family
 * account bound to one member of one case. */
/* A family account's binding (verbs.h). */
static const char *jtext(const json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

json_t *family_binding(call *c, const char *case_ref, int64_t member) {
  json_t *cs = kf_case_get(c->s->e, case_ref, c->err);
  if (!cs) {
    if (c->err->code == KF_ENOTFOUND) kf_fail(c->err, KF_ENOTFOUND, "no case %s", case_ref);
    return NULL;
  }
  long long cid = (long long)json_integer_value(json_object_get(cs, "id"));
  json_t *members = kf_store_members(st(c), cid, NULL, c->err), *info = NULL, *users = NULL;
  json_t *found = NULL, *m, *out = NULL;
  size_t i;
  json_array_foreach(members, i, m) if (json_integer_value(json_object_get(m, "id")) == member) found = m;
  if (!members) goto done;
  if (!found) {
    kf_fail(c->err, KF_EINVAL, "member %lld is not on case %lld", (long long)member, cid);
    goto done;
  }
  if (json_is_string(json_object_get(found, "ended_at"))) { /* a member who left the case */
    kf_fail(c->err, KF_EINVAL, "member %lld (%s) left case %lld on %s: a family account is for "
            "a current member", (long long)member, jtext(found, "name"), cid,
            jtext(found, "ended_at"));
    goto done;
  }
  if (!(info = family_info(c, cs))) goto done;
  const char *role = jtext(found, "role");
  if (!kf_json_has_text(json_object_get(info, "roles"), role)) {
    char buf[256];
    kf_fail(c->err, KF_EINVAL, "member %lld (%s) is a '%s', which is not a family role of "
            "programme '%s' (family roles: %s)", (long long)member, jtext(found, "name"), role,
            jtext(cs, "workflow"), kf_json_join(json_object_get(info, "roles"), buf, sizeof buf));
    goto done;
  }
  if (!(users = kf_store_user_list(st(c), c->err))) goto done;
  json_t *u;
  json_array_foreach(users, i, u) {
    json_t *f = json_object_get(u, "family");
    if (f && json_integer_value(json_object_get(f, "member")) == member) {
      kf_fail(c->err, KF_EINVAL, "member %lld (%s) already has a family account, '%s'",
              (long long)member, jtext(found, "name"), jtext(u, "login"));
      goto done;
    }
  }
  out = json_pack("{s:I,s:I,s:s,s:O}", "case", (json_int_t)cid, "member", (json_int_t)member,
                  "role", role, "name", json_object_get(found, "name"));
done:
  json_decref(users);
  json_decref(info);
  json_decref(members);
  json_decref(cs);
  return out;
}

json_t *v_user_add(call *c) {
  if (need_admin(c, "add a user")) return NULL;
  const char *login = need(c, "login"), *role = login ? need(c, "role") : NULL;
  const char *password = role ? need(c, "password") : NULL;
  if (!password) return NULL;
  json_t *roles = json_object_get(c->args, "roles"), *teams = json_object_get(c->args, "teams");
  if (json_is_null(roles)) roles = NULL;
  json_t *fcase = json_object_get(c->args, "family_case"), *fmember = json_object_get(c->args, "family_member");
  if (json_is_null(fcase)) fcase = NULL;
  if (json_is_null(fmember)) fmember = NULL;
  if (strcmp(role, "family")) {
    if (fcase || fmember) {
      kf_fail(c->err, KF_EINVAL, "family_case and family_member go with role \"family\" only");
      return NULL;
    }
    return user_create(c, login, role, password, roles, teams, NULL, 0);
  }
  if (!fcase || !fmember) {
    kf_fail(c->err, KF_EINVAL, "a family account needs family_case (a case) and family_member "
            "(a member of that case)");
    return NULL;
  }
  if (json_array_size(roles) || json_array_size(teams)) {
    kf_fail(c->err, KF_EINVAL, "a family account has no workflow roles or teams");
    return NULL;
  }
  char buf[32];
  json_t *binding = family_binding(c, case_text(fcase, buf), json_integer_value(fmember));
  if (!binding) return NULL;
  json_t *out = user_create(c, login, role, password, NULL, NULL, binding, 0);
  json_decref(binding);
  return out;
}

json_t *v_user_list(call *c) { return kf_store_user_list(st(c), c->err); }

/* Change an account in one transaction with its event; ends its sessions when asked (a
 * disabled account, a reset password: at once, not at their next timeout). */
static json_t *user_change(call *c, const char *login, json_t *changes, const char *kind,
                           json_t *evdata, int end_sessions) {
  char now[21];
  kf_iso(kf_now(), now);
  int rc = kf_tx_begin(c->s->e, c->err);
  if (!rc) rc = kf_store_user_update(st(c), login, changes, c->err);
  if (!rc && end_sessions) rc = kf_store_sessions_end(st(c), login, c->err);
  if (!rc)
    rc = kf_event_append_new(c->s->e, json_pack("{s:s,s:s,s:s,s:s,s:O}", "kind", kind, "name", login,
                                                "actor", actor(c), "at", now, "data", evdata),
                             c->err);
  if (!rc) rc = kf_tx_commit(c->s->e, c->err);
  if (rc && kf_store_in_tx(st(c))) kf_tx_abort(c->s->e);
  if (rc) return NULL;
  json_t *u = kf_store_user_get(st(c), login, c->err);
  if (u) json_object_del(u, "password_hash");
  return u;
}

/* An admin changes an account: its role, programme roles, whether it may sign in. */
json_t *v_user_update(call *c) {
  if (need_admin(c, "change a user")) return NULL;
  const char *login = need(c, "login"), *role = str(c, "role");
  if (role && known_role(c, role)) return NULL;
  json_t *roles = json_object_get(c->args, "roles"), *disabled = json_object_get(c->args, "disabled");
  size_t i;
  json_t *r;
  json_array_foreach(roles, i, r) {
    if (!json_is_string(r)) {
      kf_fail(c->err, KF_EINVAL, "user.update: 'roles' must be a list of workflow roles (texts)");
      return NULL;
    }
  }
  if (role || (roles && !json_is_null(roles))) { /* a family account stays what it is */
    kf_err look = {0};
    json_t *u = kf_store_user_get(st(c), login, &look);
    int family = u && json_object_get(u, "family");
    json_decref(u);
    if (family) {
      kf_fail(c->err, KF_EINVAL, "'%s' is a family account: its role and programme roles do not "
              "change (disable it, and add a staff account instead)", login);
      return NULL;
    }
  }
  const char *me = c->user ? json_string_value(json_object_get(c->user, "login")) : NULL;
  if (me && !strcmp(me, login) && (json_is_true(disabled) || (role && strcmp(role, "admin")))) {
    kf_fail(c->err, KF_EINVAL, "you cannot disable your own account or take away your own admin role");
    return NULL;
  }
  json_t *changes = json_object();
  if (role) json_object_set_new(changes, "role", json_string(role));
  if (roles && !json_is_null(roles)) json_object_set(changes, "roles", roles);
  if (json_is_boolean(disabled)) json_object_set(changes, "disabled", disabled);
  if (!json_object_size(changes)) {
    json_decref(changes);
    kf_fail(c->err, KF_EINVAL, "user.update: say what changes (role, roles, disabled)");
    return NULL;
  }
  json_t *out = user_change(c, login, changes, "user.updated", changes, json_is_true(disabled));
  json_decref(changes);
  return out;
}

/* An admin sets a new password; the user must change it at their next sign-in, and their
 * sessions end now. */
json_t *v_user_reset_password(call *c) {
  if (need_admin(c, "reset a password")) return NULL;
  const char *login = need(c, "login"), *password = need(c, "password");
  char hash[128];
  if (kf_password_check(login, password, c->err) || kf_password_hash(password, hash, c->err)) return NULL;
  json_t *changes = json_pack("{s:s,s:b}", "password_hash", hash, "must_change", 1);
  json_t *ev = json_object();
  json_t *out = user_change(c, login, changes, "user.password_reset", ev, 1);
  json_decref(ev);
  json_decref(changes);
  return out;
}

/* A user changes their own password, giving the old one. */
json_t *v_user_change_password(call *c) {
  const char *login = need(c, "login"), *old = need(c, "old"), *password = need(c, "password");
  const char *me = c->user ? json_string_value(json_object_get(c->user, "login")) : NULL;
  if (me && strcmp(me, login)) {
    kf_fail(c->err, KF_EFORBIDDEN, "you may change only your own password");
    return NULL;
  }
  kf_err look = {0};
  json_t *u = kf_store_user_get(st(c), login, &look);
  int right = u && kf_password_verify(json_string_value(json_object_get(u, "password_hash")), old);
  json_decref(u);
  if (!right) {
    kf_fail(c->err, KF_EAUTH, "the current password is not right");
    return NULL;
  }
  if (!strcmp(old, password)) {
    kf_fail(c->err, KF_EINVAL, "the new password must differ from the current one");
    return NULL;
  }
  char hash[128];
  if (kf_password_check(login, password, c->err) || kf_password_hash(password, hash, c->err)) return NULL;
  json_t *changes = json_pack("{s:s,s:b}", "password_hash", hash, "must_change", 0);
  json_t *ev = json_object();
  json_t *out = user_change(c, login, changes, "user.password_changed", ev, 0);
  json_decref(ev);
  json_decref(changes);
  return out;
}

/* ---- teams, allocation, breaking the glass ---- */

json_t *v_team_add(call *c) {
  if (need_admin(c, "add a team")) return NULL;
  const char *name = need(c, "name");
  if (kf_team_add(c->s->e, name, actor(c), c->err)) return NULL;
  return json_pack("{s:s}", "name", name);
}

json_t *v_team_list(call *c) { return kf_store_team_list(st(c), c->err); }

json_t *v_user_set_teams(call *c) {
  if (need_admin(c, "change a user's teams")) return NULL;
  const char *login = need(c, "login");
  json_t *teams = json_object_get(c->args, "teams");
  size_t i;
  json_t *t;
  json_array_foreach(teams, i, t) {
    if (!json_is_string(t)) {
      kf_fail(c->err, KF_EINVAL, "user.set_teams: 'teams' must be a list of team names");
      return NULL;
    }
  }
  char now[21];
  kf_iso(kf_now(), now);
  int rc = kf_tx_begin(c->s->e, c->err);
  if (!rc && !(rc = kf_store_user_set_teams(st(c), login, teams, c->err)))
    rc = kf_event_append_new(c->s->e, json_pack("{s:s,s:s,s:s,s:s,s:{s:O}}", "kind", "user.teams",
                                                "name", login, "actor", actor(c), "at", now,
                                                "data", "teams", teams),
                             c->err);
  if (!rc) rc = kf_tx_commit(c->s->e, c->err);
  if (rc && kf_store_in_tx(st(c))) kf_tx_abort(c->s->e);
  if (rc) return NULL;
  json_t *u = kf_store_user_get(st(c), login, c->err);
  json_t *out = u ? json_pack("{s:s,s:O}", "login", login, "teams", json_object_get(u, "teams")) : NULL;
  json_decref(u);
  return out;
}

static char dummy[128];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static void make_dummy(void) {
  kf_err ignore = {0}; /* out of memory leaves an empty hash: verify then fails, as it should */
  kf_password_hash("not a real password", dummy, &ignore);
}

json_t *v_user_verify(call *c) {
  const char *login = need(c, "login"), *password = login ? need(c, "password") : NULL;
  if (!password || kf_password_length_ok(password, c->err)) return NULL;
  kf_err ignore = {0};
  json_t *u = kf_store_user_get(st(c), login, &ignore);
  /* Same work, same answer, whether or not the login exists. */
  pthread_once(&dummy_once, make_dummy);
  const char *hash = u ? json_string_value(json_object_get(u, "password_hash")) : dummy;
  int ok = kf_password_verify(hash, password) && u && !json_integer_value(json_object_get(u, "disabled"));
  if (!ok) {
    json_decref(u);
    kf_fail(c->err, KF_EAUTH, "wrong login or password");
    return NULL;
  }
  json_t *out = json_pack("{s:O,s:O,s:O,s:b}", "login", json_object_get(u, "login"), "role",
                          json_object_get(u, "role"), "roles", json_object_get(u, "roles"),
                          "must_change", json_integer_value(json_object_get(u, "must_change")) != 0);
  json_decref(u);
  return out;
}

json_t *v_session_create(call *c) {
  const char *login = need(c, "login");
  if (!login) return NULL;
  int64_t idle = num(c, "idle", 30 * 60), absolute = num(c, "absolute", 12 * 3600);
  char token[65], csrf[65], hash[65], now[21];
  random_hex(token, 32);
  random_hex(csrf, 32);
  token_hash(token, hash);
  int64_t t = kf_now();
  kf_iso(t, now);
  int rc = kf_tx_begin(c->s->e, c->err);
  if (!rc && !(rc = kf_store_session_add(st(c), hash, login, csrf, t, idle, absolute, c->err)) &&
      !(rc = kf_store_user_seen(st(c), login, now, c->err)))
    rc = kf_tx_commit(c->s->e, c->err);
  if (rc && kf_store_in_tx(st(c))) kf_tx_abort(c->s->e);
  if (rc) return NULL;
  return json_pack("{s:s,s:s,s:I}", "token", token, "csrf", csrf, "expires",
                   (json_int_t)(t + absolute));
}

json_t *v_session_get(call *c) {
  const char *token = need(c, "token");
  if (!token) return NULL;
  char hash[65];
  token_hash(token, hash);
  kf_err ignore = {0};
  json_t *s = kf_store_session_get(st(c), hash, kf_now(), &ignore);
  if (!s) kf_fail(c->err, KF_EAUTH, "not signed in (or the session has ended)");
  return s;
}

json_t *v_session_delete(call *c) {
  const char *token = need(c, "token");
  if (!token) return NULL;
  char hash[65];
  token_hash(token, hash);
  return kf_store_session_delete(st(c), hash, kf_now(), c->err) ? NULL : json_object();
}

/* ---- failed sign-ins ---- */

/* A failed sign-in is recorded at most once a minute per login, and for logins that are no
 * user's at most LOGIN_UNKNOWN_CAP times a minute in all: what anyone types into the login
 * box cannot fill the log, and a flood of made-up logins cannot hide a real account's. */
enum { LOGIN_WINDOW = 60, LOGIN_UNKNOWN_CAP = 20 };

/* The key of the logins' hashes (32 random bytes, hex), made once and kept in meta. */
static int login_key(call *c, unsigned char key[crypto_generichash_KEYBYTES]) {
  kf_err look = {0};
  char *hex = kf_store_meta_get(st(c), "login_hash_key", &look);
  if (!hex && look.code != KF_ENOTFOUND) {
    *c->err = look;
    return look.code;
  }
  if (!hex) {
    char fresh[crypto_generichash_KEYBYTES * 2 + 1];
    random_hex(fresh, crypto_generichash_KEYBYTES);
    if (kf_store_meta_put(st(c), "login_hash_key", fresh, c->err)) return c->err->code;
    hex = strdup(fresh);
    if (!hex) return kf_fail(c->err, KF_ENOMEM, "out of memory");
  }
  size_t n = 0;
  int bad = sodium_hex2bin(key, crypto_generichash_KEYBYTES, hex, strlen(hex), NULL, &n, NULL) ||
            n != crypto_generichash_KEYBYTES;
  free(hex);
  return bad ? kf_fail(c->err, KF_ESTORE, "the database's login_hash_key is damaged") : 0;
}

/* The window's entries younger than LOGIN_WINDOW: {"recent": [[hash, at, known]...],
 * "unrecorded": n}. A damaged or missing value starts afresh. */
static json_t *login_window(call *c, int64_t now) {
  kf_err ignore = {0};
  char *text = kf_store_meta_get(st(c), "login_failed_window", &ignore);
  json_t *w = text ? json_loads(text, 0, NULL) : NULL, *kept = json_array(), *e;
  free(text);
  size_t i;
  json_array_foreach(json_object_get(w, "recent"), i, e) {
    if (json_is_string(json_array_get(e, 0)) &&
        now - json_integer_value(json_array_get(e, 1)) < LOGIN_WINDOW)
      json_array_append(kept, e);
  }
  json_int_t unrecorded = json_integer_value(json_object_get(w, "unrecorded"));
  json_decref(w);
  return json_pack("{s:o,s:I}", "recent", kept, "unrecorded", unrecorded);
}

/* login.failed {login, address}: record a failed sign-in, the login by name when it is a
 * user's, else only as a keyed hash; {"recorded": false} when the limits above held it
 * back (then the next recorded one counts it in "unrecorded_before"). */
json_t *v_login_failed(call *c) {
  const char *login = need(c, "login"), *address = str(c, "address");
  if (!login) return NULL;
  int64_t t = kf_now();
  char now[21], hash[crypto_generichash_BYTES_MIN * 2 + 1];
  kf_iso(t, now);
  unsigned char key[crypto_generichash_KEYBYTES], d[crypto_generichash_BYTES_MIN];
  int rc = kf_tx_begin(c->s->e, c->err);
  if (!rc) rc = login_key(c, key);
  json_t *w = NULL, *out = NULL;
  if (!rc) {
    crypto_generichash(d, sizeof d, (const unsigned char *)login, strlen(login), key, sizeof key);
    sodium_memzero(key, sizeof key);
    sodium_bin2hex(hash, sizeof hash, d, sizeof d);
    kf_err ignore = {0};
    json_t *u = kf_store_user_get(st(c), login, &ignore);
    int known = u != NULL, again = 0, unknown = 0;
    json_decref(u);
    w = login_window(c, t);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(w, "recent"), i, e) {
      again |= !strcmp(json_string_value(json_array_get(e, 0)), hash);
      unknown += !json_is_true(json_array_get(e, 2));
    }
    json_int_t unrecorded = json_integer_value(json_object_get(w, "unrecorded"));
    if (again || (!known && unknown >= LOGIN_UNKNOWN_CAP)) {
      json_object_set_new(w, "unrecorded", json_integer(unrecorded + 1));
      out = json_pack("{s:b}", "recorded", 0);
    } else {
      json_t *data = json_pack("{s:s,s:s,s:I}", known ? "login" : "login_hash", known ? login : hash,
                               "address", address ? address : "unknown", "unrecorded_before",
                               unrecorded);
      json_t *ev = json_pack("{s:s,s:s,s:s,s:o}", "kind", "login.failed", "actor", "anonymous",
                             "at", now, "data", data);
      if (!(rc = kf_event_append_new(c->s->e, json_incref(ev), c->err))) {
        out = json_pack("{s:b,s:O}", "recorded", 1, "seq", json_object_get(ev, "seq"));
        json_array_append_new(json_object_get(w, "recent"),
                              json_pack("[s,I,b]", hash, (json_int_t)t, known));
        json_object_set_new(w, "unrecorded", json_integer(0));
      }
      json_decref(ev);
    }
  }
  char *text = !rc && w ? json_dumps(w, JSON_COMPACT) : NULL;
  if (!rc && !text) rc = kf_fail(c->err, KF_ENOMEM, "out of memory");
  if (!rc) rc = kf_store_meta_put(st(c), "login_failed_window", text, c->err);
  if (!rc) rc = kf_tx_commit(c->s->e, c->err);
  if (rc && kf_store_in_tx(st(c))) kf_tx_abort(c->s->e);
  free(text);
  json_decref(w);
  if (rc) {
    json_decref(out);
    return NULL;
  }
  return out;
}

