/* store_people.c: the store's rows about people: users and their sessions, teams and
 * access grants (break the glass). SQL only; no policy (access.c decides). */
#define _GNU_SOURCE
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- users and sessions ---- */

int kf_store_user_add(kf_store *st, json_t *u, kf_err *err) {
  static const char *q = "INSERT INTO users(login,role,roles,password_hash,created_at,"
                         "family_case,family_member,must_change) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, store_jstr(u, "login"));
  store_bind_text(s, 2, store_jstr(u, "role"));
  json_t *roles = json_object_get(u, "roles");
  int rc = 0;
  if (roles) rc = store_bind_json(st, s, 3, roles, err);
  else db_bind_text(s, 3, "[]", -1, DB_STATIC); /* no workflow roles */
  if (rc) return rc;
  store_bind_text(s, 4, store_jstr(u, "password_hash"));
  store_bind_text(s, 5, store_jstr(u, "created_at"));
  if (json_is_integer(json_object_get(u, "family_case"))) db_bind_int64(s, 6, store_jint(u, "family_case"));
  if (json_is_integer(json_object_get(u, "family_member"))) db_bind_int64(s, 7, store_jint(u, "family_member"));
  db_bind_int(s, 8, json_is_true(json_object_get(u, "must_change")));
  rc = db_step(s);
  db_reset(s);
  if ((rc & 0xff) == DB_CONSTRAINT)
    return kf_fail(err, KF_ECONFLICT, "a user '%s' already exists", store_jstr(u, "login"));
  return rc == DB_DONE ? 0 : store_db_fail(st, err, rc, "adding a user");
}

/* A row's roles, stored as JSON text, as JSON; fails (row unchanged) when unreadable. */
static int parse_roles(json_t *row, kf_err *err) {
  const char *text = store_jstr(row, "roles");
  json_t *roles = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
  if (!roles)
    return kf_fail(err, KF_ESTORE, "user '%s': the stored roles are not readable JSON",
                   store_jstr(row, "login") ? store_jstr(row, "login") : "?");
  json_object_set_new(row, "roles", roles);
  return 0;
}

/* The teams of login, by name. */
static json_t *user_teams(kf_store *st, const char *login, kf_err *err) {
  static const char *q = "SELECT team FROM team_members WHERE login=?1 ORDER BY team";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, login);
  json_t *a = json_array();
  int rc;
  while ((rc = db_step(s)) == DB_ROW)
    json_array_append_new(a, json_string(db_column_text(s, 0)));
  db_reset(s);
  if (rc != DB_DONE) {
    json_decref(a);
    store_db_fail(st, err, rc, "reading a user's teams");
    return NULL;
  }
  return a;
}

/* A family account's binding, from its family_case and family_member columns (taken out of
 * row): {case, member, role, name} of the member it is bound to; nothing for staff. */
static int user_family(kf_store *st, json_t *row, kf_err *err) {
  static const char *q = "SELECT role, name FROM members WHERE id=?1 AND case_id=?2";
  json_t *fc = json_incref(json_object_get(row, "family_case"));
  json_t *fm = json_incref(json_object_get(row, "family_member"));
  json_object_del(row, "family_case");
  json_object_del(row, "family_member");
  int rc = 0;
  if (json_is_integer(fc) && json_is_integer(fm)) {
    db_stmt *s = store_stmt(st, q, err);
    if (!s) rc = err ? err->code : KF_ESTORE;
    else {
      db_bind_int64(s, 1, json_integer_value(fm));
      db_bind_int64(s, 2, json_integer_value(fc));
      json_t *m = store_row_or_none(st, s, "a family account's member", err);
      if (!m) rc = err ? err->code : KF_ESTORE;
      else json_object_set_new(row, "family", json_pack("{s:O,s:O,s:O,s:O}", "case", fc, "member", fm,
                                                        "role", json_object_get(m, "role"), "name",
                                                        json_object_get(m, "name")));
      json_decref(m);
    }
  }
  json_decref(fc);
  json_decref(fm);
  return rc;
}

/* Give row (with a login) its roles as JSON, its teams and, for a family account, its
 * binding; fails when they cannot be read. */
static int user_fix(kf_store *st, json_t *row, kf_err *err) {
  if (parse_roles(row, err)) return err ? err->code : KF_ESTORE;
  json_t *teams = user_teams(st, store_jstr(row, "login"), err);
  if (!teams) return err ? err->code : KF_ESTORE;
  json_object_set_new(row, "teams", teams);
  return user_family(st, row, err);
}

json_t *kf_store_user_get(kf_store *st, const char *login, kf_err *err) {
  static const char *q = "SELECT login, role, json(roles) AS roles, password_hash, created_at,"
                         " last_login, disabled, must_change, family_case, family_member"
                         " FROM users WHERE login=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, login);
  json_t *u = store_row_or_none(st, s, login, err);
  if (u && user_fix(st, u, err)) {
    json_decref(u);
    return NULL;
  }
  return u;
}

json_t *kf_store_user_list(kf_store *st, kf_err *err) {
  static const char *q = "SELECT login, role, roles, created_at, last_login, disabled, must_change,"
                         " family_case, family_member FROM users ORDER BY login";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  json_t *a = store_rows_json(st, s, "listing users", err);
  size_t i;
  json_t *u;
  json_array_foreach(a, i, u) if (user_fix(st, u, err)) {
    json_decref(a);
    return NULL;
  }
  return a;
}

/* The meta table's small settings (not 'head', which only append_event writes). */
char *kf_store_meta_get(kf_store *st, const char *key, kf_err *err) {
  static const char *q = "SELECT value FROM meta WHERE key=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, key);
  int rc = db_step(s);
  char *v = NULL;
  if (rc == DB_ROW) {
    if (!(v = strdup(db_column_text(s, 0))))
      kf_fail(err, KF_ENOMEM, "reading setting %s: out of memory", key);
  } else if (rc == DB_DONE) kf_fail(err, KF_ENOTFOUND, "no setting %s", key);
  else store_db_fail(st, err, rc, "reading a setting");
  db_reset(s);
  return v;
}

int kf_store_meta_put(kf_store *st, const char *key, const char *value, kf_err *err) {
  static const char *q = "INSERT INTO meta(key, value) VALUES(?1, ?2)"
                         " ON CONFLICT(key) DO UPDATE SET value=excluded.value";
  if (!strcmp(key, "head")) return kf_fail(err, KF_EINVAL, "the log's head is not a setting");
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, key);
  store_bind_text(s, 2, value);
  return store_step_done(st, s, "storing a setting", err);
}

int kf_store_user_update(kf_store *st, const char *login, json_t *changes, kf_err *err) {
  static const char *q =
      "UPDATE users SET role=coalesce(?2, role), roles=coalesce(?3, roles),"
      " disabled=coalesce(?4, disabled), password_hash=coalesce(?5, password_hash),"
      " must_change=coalesce(?6, must_change) WHERE login=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, login);
  store_bind_text(s, 2, store_jstr(changes, "role"));
  json_t *roles = json_object_get(changes, "roles");
  int rc = roles ? store_bind_json(st, s, 3, roles, err) : 0;
  if (rc) {
    db_reset(s);
    return rc;
  }
  static const char *flags[] = {"disabled", "must_change"};
  for (int i = 0; i < 2; i++) {
    json_t *v = json_object_get(changes, flags[i]);
    if (json_is_boolean(v)) db_bind_int(s, i ? 6 : 4, json_is_true(v));
  }
  store_bind_text(s, 5, store_jstr(changes, "password_hash"));
  if ((rc = store_step_done(st, s, "changing a user", err))) return rc;
  return db_changes(st) ? 0 : kf_fail(err, KF_ENOTFOUND, "no user '%s'", login);
}

int kf_store_sessions_end(kf_store *st, const char *login, kf_err *err) {
  static const char *q = "DELETE FROM sessions WHERE login=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, login);
  return store_step_done(st, s, "ending a user's sessions", err);
}

int kf_store_user_seen(kf_store *st, const char *login, const char *now, kf_err *err) {
  static const char *q = "UPDATE users SET last_login=?2 WHERE login=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, login);
  store_bind_text(s, 2, now);
  return store_step_done(st, s, "recording a login", err);
}

int kf_store_session_add(kf_store *st, const char *token_hash, const char *login,
                         const char *csrf, int64_t now, int64_t idle, int64_t absolute,
                         kf_err *err) {
  static const char *q = "INSERT INTO sessions(token_hash,login,csrf,created_at,seen_at,idle,"
                         "absolute) VALUES(?1,?2,?3,?4,?4,?5,?6)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, token_hash);
  store_bind_text(s, 2, login);
  store_bind_text(s, 3, csrf);
  db_bind_int64(s, 4, now);
  db_bind_int64(s, 5, idle);
  db_bind_int64(s, 6, absolute);
  return store_step_done(st, s, "starting a session", err);
}

/* A live session (not idle past its limit, not older than its absolute limit), touched. */
json_t *kf_store_session_get(kf_store *st, const char *token_hash, int64_t now, kf_err *err) {
  static const char *q =
      "SELECT s.login, u.role, json(u.roles) AS roles, u.must_change, s.csrf, s.created_at,"
      " s.seen_at, s.idle, s.absolute, u.family_case, u.family_member"
      " FROM sessions s JOIN users u ON u.login = s.login"
      " WHERE s.token_hash=?1 AND u.disabled=0 AND s.seen_at + s.idle > ?2"
      " AND s.created_at + s.absolute > ?2";
  static const char *touch = "UPDATE sessions SET seen_at=?2 WHERE token_hash=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, token_hash);
  db_bind_int64(s, 2, now);
  json_t *row = store_row_or_none(st, s, "session", err);
  if (!row) return NULL;
  if (user_fix(st, row, err)) {
    json_decref(row);
    return NULL;
  }
  if (now - store_jint(row, "seen_at") >= 60 && (s = store_stmt(st, touch, NULL))) {
    store_bind_text(s, 1, token_hash);
    db_bind_int64(s, 2, now);
    store_step_done(st, s, "touching a session", NULL);
  }
  return row;
}

int kf_store_session_delete(kf_store *st, const char *token_hash, int64_t now, kf_err *err) {
  static const char *q = "DELETE FROM sessions WHERE token_hash=?1 OR seen_at + idle <= ?2"
                         " OR created_at + absolute <= ?2";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, token_hash);
  db_bind_int64(s, 2, now);
  return store_step_done(st, s, "ending a session", err);
}

/* ---- teams and access grants ---- */

int kf_store_team_add(kf_store *st, const char *name, const char *now, kf_err *err) {
  static const char *q = "INSERT INTO teams(name, created_at) VALUES(?1, ?2)";
  if (!name || !*name || !now)
    return kf_fail(err, KF_EINVAL, "internal: a team needs a name and a time");
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, name);
  store_bind_text(s, 2, now);
  int rc = db_step(s);
  db_reset(s);
  if ((rc & 0xff) == DB_CONSTRAINT)
    return kf_fail(err, KF_ECONFLICT, "a team '%s' already exists", name);
  return rc == DB_DONE ? 0 : store_db_fail(st, err, rc, "adding a team");
}

json_t *kf_store_team_list(kf_store *st, kf_err *err) {
  static const char *q = "SELECT t.name, t.created_at, m.login FROM teams t"
                         " LEFT JOIN team_members m ON m.team = t.name ORDER BY t.name, m.login";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  json_t *a = json_array(), *team = NULL;
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    const char *name = db_column_text(s, 0);
    if (!team || strcmp(store_jstr(team, "name"), name)) {
      team = json_pack("{s:s,s:s,s:[]}", "name", name, "created_at",
                       db_column_text(s, 1), "members");
      json_array_append_new(a, team);
    }
    if (db_column_type(s, 2) != DB_NULL)
      json_array_append_new(json_object_get(team, "members"),
                            json_string(db_column_text(s, 2)));
  }
  db_reset(s);
  if (rc != DB_DONE) {
    json_decref(a);
    store_db_fail(st, err, rc, "listing teams");
    return NULL;
  }
  return a;
}

/* 1 when a row matches sql's one parameter, 0 when none does, negative on error. */
static int store_exists(kf_store *st, const char *sql, const char *key, const char *what, kf_err *err) {
  db_stmt *s = store_stmt(st, sql, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, key);
  int rc = db_step(s);
  db_reset(s);
  if (rc == DB_ROW) return 1;
  return rc == DB_DONE ? 0 : store_db_fail(st, err, rc, what);
}

int kf_store_user_set_teams(kf_store *st, const char *login, json_t *teams, kf_err *err) {
  static const char *q_user = "SELECT 1 FROM users WHERE login=?1";
  static const char *q_team = "SELECT 1 FROM teams WHERE name=?1";
  static const char *q_clear = "DELETE FROM team_members WHERE login=?1";
  static const char *q_add = "INSERT INTO team_members(team, login) VALUES(?1, ?2) ON CONFLICT DO NOTHING";
  size_t i;
  json_t *t;
  int rc;
  if (!json_is_array(teams))
    return kf_fail(err, KF_EINVAL, "teams must be a list of team names");
  json_array_foreach(teams, i, t) if (!json_is_string(t))
    return kf_fail(err, KF_EINVAL, "teams must be a list of team names");
  if ((rc = store_exists(st, q_user, login, "finding a user", err)) <= 0)
    return rc ? rc : kf_fail(err, KF_ENOTFOUND, "no user '%s'", login ? login : "");
  json_array_foreach(teams, i, t) {
    if ((rc = store_exists(st, q_team, json_string_value(t), "finding a team", err)) <= 0)
      return rc ? rc : kf_fail(err, KF_ENOTFOUND, "no team '%s' (see `kinflow team list`)",
                               json_string_value(t));
  }
  /* all or nothing, inside the caller's transaction or on its own */
  if ((rc = store_exec(st, "SAVEPOINT kf_teams", err))) return rc;
  db_stmt *s = store_stmt(st, q_clear, err);
  if (!s) rc = err ? err->code : KF_ESTORE;
  else {
    store_bind_text(s, 1, login);
    rc = store_step_done(st, s, "changing a user's teams", err);
  }
  json_array_foreach(teams, i, t) {
    if (rc) break;
    if (!(s = store_stmt(st, q_add, err))) rc = err ? err->code : KF_ESTORE;
    else {
      store_bind_text(s, 1, json_string_value(t));
      store_bind_text(s, 2, login);
      rc = store_step_done(st, s, "changing a user's teams", err);
    }
  }
  if (rc) {
    st->be->exec(st, "ROLLBACK TO kf_teams; RELEASE kf_teams");
    return rc;
  }
  return store_exec(st, "RELEASE kf_teams", err);
}

int kf_store_grant_add(kf_store *st, int64_t case_id, const char *login, const char *reason,
                       const char *now, const char *expires, int64_t *id, kf_err *err) {
  static const char *q = "INSERT INTO access_grants(case_id, login, reason, granted_at,"
                         " expires_at) VALUES(?1, ?2, ?3, ?4, ?5)";
  if (!login || !reason || !now || !expires)
    return kf_fail(err, KF_EINVAL, "internal: a grant needs a login, a reason and its times");
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, login);
  store_bind_text(s, 3, reason);
  store_bind_text(s, 4, now);
  store_bind_text(s, 5, expires);
  int rc = store_step_done(st, s, "granting access to a case", err);
  if (!rc && id) *id = db_last_id(st);
  return rc;
}

json_t *kf_store_grants(kf_store *st, json_t *f, kf_err *err) {
  /* The grants drive (CROSS JOIN), each finding its case by id, through the index the
   * filter given can use: "?1 IS NULL OR ..." hides indexes from SQLite's planner, and a
   * plain JOIN let it walk every case for each person's request (milliseconds a read in
   * the console at 10,000 cases). */
#define GRANTS_Q(WHERE, ORDER)                                                              \
  "SELECT g.id AS \"grant\", g.case_id AS \"case\", g.login, g.reason, g.granted_at,"       \
  " g.expires_at, c.team, c.workflow FROM access_grants g CROSS JOIN cases c ON c.id = g.case_id" \
  " WHERE " WHERE " AND (?1 IS NULL OR g.case_id = ?1) AND (?2 IS NULL OR g.login = ?2)"     \
  " AND (?3 IS NULL OR g.expires_at > ?3)"                                                  \
  " AND (?4 IS NULL OR c.team IN (SELECT value FROM json_each(?4)))"                        \
  " AND (?5 IS NULL OR g.granted_at >= ?5)" ORDER " LIMIT ?6"
#define NEWEST " ORDER BY g.granted_at DESC, g.id DESC"
  static const char *by_case = GRANTS_Q("g.case_id = ?1", NEWEST),
                    *by_login = GRANTS_Q("g.login = ?2", NEWEST), *all = GRANTS_Q("1 = 1", NEWEST),
                    *login_any = GRANTS_Q("g.login = ?2", ""); /* no sort to open for each read */
#undef NEWEST
#undef GRANTS_Q
  const char *q = json_is_integer(json_object_get(f, "case")) ? by_case
                  : !store_jstr(f, "login")                  ? all
                  : json_is_true(json_object_get(f, "unordered")) ? login_any
                                                                  : by_login;
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  if (json_is_integer(json_object_get(f, "case"))) db_bind_int64(s, 1, store_jint(f, "case"));
  store_bind_text(s, 2, store_jstr(f, "login"));
  store_bind_text(s, 3, store_jstr(f, "active_at"));
  json_t *teams = json_object_get(f, "teams");
  if (teams && !json_is_null(teams)) {
    size_t i;
    json_t *t;
    int bad = !json_is_array(teams);
    json_array_foreach(teams, i, t) bad |= !json_is_string(t);
    if (bad) {
      kf_fail(err, KF_EINVAL, "internal: grants: teams must be a list of team names");
      return NULL;
    }
    if (store_bind_json(st, s, 4, teams, err)) return NULL;
  }
  store_bind_text(s, 5, store_jstr(f, "since"));
  json_t *lim = json_object_get(f, "limit");
  db_bind_int64(s, 6, json_is_integer(lim) ? json_integer_value(lim) : -1);
  return store_rows_json(st, s, "listing access grants", err);
}
