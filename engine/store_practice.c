/* store_practice.c: the store's rows of practice records: shared decisions, consents,
 * flags and what was withheld, case links, the agency's settings, and migrations between
 * programme versions. SQL only. */
#define _GNU_SOURCE
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* ---- shared decisions ---- */

/* A decisions row as decision JSON: participants parsed, family_agreed a boolean. */
static json_t *decision_rows(kf_store *st, db_stmt *s, const char *what, kf_err *err) {
  json_t *rows = store_rows_json(st, s, what, err);
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r) {
    const char *text = store_jstr(r, "participants");
    json_t *p = text ? json_loads(text, 0, NULL) : NULL;
    json_object_set_new(r, "participants", p ? p : json_array());
    json_object_set_new(r, "family_agreed", json_boolean(store_jint(r, "family_agreed")));
  }
  return rows;
}

#define DECISION_COLUMNS                                                                   \
  "d.id, d.case_id AS \"case\", d.transition AS \"for\", d.decided, d.family_agreed,"       \
  " d.participants, d.recorded_by, d.recorded_at"

int kf_store_decision_add(kf_store *st, json_t *d, int64_t *id, kf_err *err) {
  static const char *q = "INSERT INTO decisions(case_id,transition,decided,family_agreed,"
                         "participants,recorded_by,recorded_at) VALUES(?1,?2,?3,?4,?5,?6,?7)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, store_jint(d, "case"));
  store_bind_text(s, 2, store_jstr(d, "for"));
  store_bind_text(s, 3, store_jstr(d, "decided"));
  db_bind_int(s, 4, json_is_true(json_object_get(d, "family_agreed")));
  int rc = store_bind_json(st, s, 5, json_object_get(d, "participants"), err);
  if (rc) {
    db_reset(s);
    return rc;
  }
  store_bind_text(s, 6, store_jstr(d, "recorded_by"));
  store_bind_text(s, 7, store_jstr(d, "recorded_at"));
  rc = store_step_done(st, s, "recording a shared decision", err);
  if (!rc && id) *id = db_last_id(st);
  return rc;
}

json_t *kf_store_decisions(kf_store *st, int64_t case_id, kf_err *err) {
  static const char *q = "SELECT " DECISION_COLUMNS " FROM decisions d WHERE d.case_id=?1 ORDER BY d.id";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  return decision_rows(st, s, "listing shared decisions", err);
}

json_t *kf_store_decision_since(kf_store *st, int64_t case_id, const char *transition,
                                kf_err *err) {
  static const char *q =
      "SELECT " DECISION_COLUMNS " FROM decisions d WHERE d.case_id=?1 AND d.transition=?2"
      " AND d.id IN (SELECT CAST(json_extract(e.data, '$.decision') AS INTEGER) FROM events e"
      "  WHERE e.case_id=?1 AND e.kind='decision.recorded' AND e.seq > (SELECT coalesce(max(seq), 0)"
      "   FROM events WHERE case_id=?1 AND kind IN ('case.opened', 'case.transition')"
      "   AND (from_state IS NULL OR from_state <> to_state)))" /* an act that stays: no move */
      " ORDER BY d.id DESC LIMIT 1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, transition);
  json_t *rows = decision_rows(st, s, "finding a shared decision", err);
  if (!rows) return NULL;
  json_t *d = json_incref(json_array_get(rows, 0));
  json_decref(rows);
  if (!d) kf_fail(err, KF_ENOTFOUND, "no shared decision for '%s'", transition);
  return d;
}

/* ---- consents, flags, withheld ---- */

#define CONSENT_COLS                                                                     \
  "k.id, k.case_id AS \"case\", k.member_id AS member, m.name, m.role, k.purpose,"        \
  " k.given_on AS \"from\", k.until, k.recorded_by, k.recorded_at, k.withdrawn_at,"       \
  " k.withdrawn_by, k.withdrawn_reason, k.on_behalf"                                     \
  " FROM consents k JOIN members m ON m.id = k.member_id "

/* on_behalf as a boolean (null while in force). */
static json_t *consent_fix(json_t *row) {
  json_t *v = json_object_get(row, "on_behalf");
  if (json_is_integer(v)) json_object_set_new(row, "on_behalf", json_boolean(json_integer_value(v)));
  return row;
}

int kf_store_consent_add(kf_store *st, json_t *k, int64_t *id, kf_err *err) {
  static const char *q = "INSERT INTO consents(case_id, member_id, purpose, given_on, until,"
                         " recorded_by, recorded_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  if (!store_jstr(k, "purpose") || !store_jstr(k, "from") || !store_jstr(k, "recorded_by") || !store_jstr(k, "recorded_at"))
    return kf_fail(err, KF_EINVAL, "internal: a consent needs a purpose, a date, who and when");
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, store_jint(k, "case"));
  db_bind_int64(s, 2, store_jint(k, "member"));
  store_bind_text(s, 3, store_jstr(k, "purpose"));
  store_bind_text(s, 4, store_jstr(k, "from"));
  store_bind_text(s, 5, store_jstr(k, "until"));
  store_bind_text(s, 6, store_jstr(k, "recorded_by"));
  store_bind_text(s, 7, store_jstr(k, "recorded_at"));
  int rc = store_step_done(st, s, "recording a consent", err);
  if (!rc && id) *id = db_last_id(st);
  return rc;
}

json_t *kf_store_consent_get(kf_store *st, int64_t id, kf_err *err) {
  static const char *q = "SELECT " CONSENT_COLS "WHERE k.id=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, id);
  json_t *row = store_row_or_none(st, s, "consent", err);
  if (!row && err && err->code == KF_ENOTFOUND)
    kf_fail(err, KF_ENOTFOUND, "no consent %lld", (long long)id);
  return row ? consent_fix(row) : NULL;
}

json_t *kf_store_consents(kf_store *st, int64_t case_id, kf_err *err) {
  static const char *q = "SELECT " CONSENT_COLS "WHERE k.case_id=?1 ORDER BY k.id";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  json_t *a = store_rows_json(st, s, "listing consents", err);
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) consent_fix(v);
  return a;
}

int kf_store_consent_withdraw(kf_store *st, int64_t id, const char *at, const char *by,
                              const char *reason, int on_behalf, kf_err *err) {
  static const char *q = "UPDATE consents SET withdrawn_at=?2, withdrawn_by=?3,"
                         " withdrawn_reason=?4, on_behalf=?5 WHERE id=?1 AND withdrawn_at IS NULL";
  if (!at || !by) return kf_fail(err, KF_EINVAL, "internal: a withdrawal needs who and when");
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  store_bind_text(s, 2, at);
  store_bind_text(s, 3, by);
  store_bind_text(s, 4, reason);
  db_bind_int(s, 5, !!on_behalf);
  int rc = store_step_done(st, s, "withdrawing a consent", err);
  if (rc || db_changes(st)) return rc;
  json_t *row = kf_store_consent_get(st, id, err);
  if (!row) return err ? err->code : KF_ESTORE;
  json_decref(row);
  return kf_fail(err, KF_ECONFLICT, "consent %lld was already withdrawn", (long long)id);
}

json_t *kf_store_consent_current(kf_store *st, int64_t case_id, const char *purpose,
                                 const char *date, kf_err *err) {
  static const char *q_current =
      "SELECT " CONSENT_COLS "WHERE k.case_id=?1 AND k.purpose=?2 AND k.withdrawn_at IS NULL"
      " AND k.given_on <= ?3 AND (k.until IS NULL OR k.until >= ?3) ORDER BY k.id DESC LIMIT 1";
  static const char *q_latest =
      "SELECT " CONSENT_COLS "WHERE k.case_id=?1 AND k.purpose=?2 ORDER BY k.id DESC LIMIT 1";
  db_stmt *s = store_stmt(st, date ? q_current : q_latest, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, purpose);
  if (date) store_bind_text(s, 3, date);
  json_t *row = store_row_or_none(st, s, "consent", err);
  if (!row && err && err->code == KF_ENOTFOUND)
    kf_fail(err, KF_ENOTFOUND, "case %lld has no %sconsent to %s", (long long)case_id,
            date ? "current " : "", purpose ? purpose : "?");
  return row ? consent_fix(row) : NULL;
}

int kf_store_consent_standing(kf_store *st, int64_t case_id, const char *purpose,
                              const char *day, kf_consent_standing *out, kf_err *err) {
  /* Newest first, down the index on (case_id, purpose): no sort (a sort by whether each is
   * current opened a temporary b-tree for every event the outbox decided on). */
  static const char *q = "SELECT withdrawn_at, given_on, until FROM consents"
                         " WHERE case_id=?1 AND purpose=?2 ORDER BY id DESC";
  memset(out, 0, sizeof *out);
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, purpose);
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    const char *withdrawn = db_column_text(s, 0), *from = db_column_text(s, 1),
               *until = db_column_text(s, 2);
    int current = !withdrawn && from && strcmp(from, day) <= 0 && (!until || strcmp(until, day) >= 0);
    if (!out->any || current) { /* the newest, unless a current one comes after it */
      out->any = 1;
      out->current = current;
      snprintf(out->withdrawn_at, sizeof out->withdrawn_at, "%s", withdrawn ? withdrawn : "");
      snprintf(out->from, sizeof out->from, "%s", from ? from : "");
      snprintf(out->until, sizeof out->until, "%s", until ? until : "");
    }
    if (current) break;
  }
  db_reset(s);
  if (rc != DB_ROW && rc != DB_DONE) return store_db_fail(st, err, rc, "reading a case's consents");
  return 0;
}

int kf_store_flag_add(kf_store *st, int64_t case_id, const char *kind, const char *text,
                      const char *at, int64_t *id, kf_err *err) {
  static const char *q = "INSERT INTO flags(case_id, kind, text, raised_at) VALUES(?1,?2,?3,?4)";
  if (!kind || !text || !at) return kf_fail(err, KF_EINVAL, "internal: a flag needs a kind, a text and a time");
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, kind);
  store_bind_text(s, 3, text);
  store_bind_text(s, 4, at);
  int rc = store_step_done(st, s, "raising a flag", err);
  if (!rc && id) *id = db_last_id(st);
  return rc;
}

json_t *kf_store_flags_open(kf_store *st, int64_t case_id, kf_err *err) {
  static const char *q = "SELECT id, case_id AS \"case\", kind, text, raised_at FROM flags"
                         " WHERE case_id=?1 AND cleared_at IS NULL ORDER BY id";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  return store_rows_json(st, s, "listing flags", err);
}

json_t *kf_store_list_parts(kf_store *st, json_t *ids, kf_err *err) {
  static const char *q_people =
      "SELECT case_id, role, name FROM members WHERE case_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?1))"
      " AND ended_at IS NULL ORDER BY case_id, id";
  static const char *q_flags =
      "SELECT case_id, count(*) FROM flags WHERE case_id IN (SELECT CAST(value AS INTEGER) FROM json_each(?1))"
      " AND cleared_at IS NULL GROUP BY case_id";
  json_t *out = json_object();
  size_t i;
  json_t *id;
  json_array_foreach(ids, i, id) {
    char k[32];
    snprintf(k, sizeof k, "%lld", (long long)json_integer_value(id));
    json_object_set_new(out, k, json_pack("{s:[],s:i}", "people", "flagged", 0));
  }
  db_stmt *s = store_stmt(st, q_people, err);
  if (!s || store_bind_json(st, s, 1, ids, err)) goto fail;
  int rc;
  while ((rc = db_step(s)) == DB_ROW) {
    char k[32];
    snprintf(k, sizeof k, "%lld", (long long)db_column_int64(s, 0));
    json_array_append_new(json_object_get(json_object_get(out, k), "people"),
                          json_pack("{s:s,s:s}", "role", db_column_text(s, 1),
                                    "name", db_column_text(s, 2)));
  }
  db_reset(s);
  if (rc != DB_DONE) {
    store_db_fail(st, err, rc, "listing the people of cases");
    goto fail;
  }
  if (!(s = store_stmt(st, q_flags, err)) || store_bind_json(st, s, 1, ids, err)) goto fail;
  while ((rc = db_step(s)) == DB_ROW) {
    char k[32];
    snprintf(k, sizeof k, "%lld", (long long)db_column_int64(s, 0));
    json_object_set_new(json_object_get(out, k), "flagged", json_integer(db_column_int64(s, 1)));
  }
  db_reset(s);
  if (rc != DB_DONE) {
    store_db_fail(st, err, rc, "counting flags of cases");
    goto fail;
  }
  return out;
fail:
  json_decref(out);
  return NULL;
}

int kf_store_flag_clear(kf_store *st, int64_t case_id, int64_t id, const char *at,
                        const char *by, kf_err *err) {
  static const char *q = "UPDATE flags SET cleared_at=?3, cleared_by=?4"
                         " WHERE id=?2 AND case_id=?1 AND cleared_at IS NULL";
  if (!at || !by) return kf_fail(err, KF_EINVAL, "internal: clearing a flag needs who and when");
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  db_bind_int64(s, 2, id);
  store_bind_text(s, 3, at);
  store_bind_text(s, 4, by);
  int rc = store_step_done(st, s, "clearing a flag", err);
  if (!rc && !db_changes(st))
    rc = kf_fail(err, KF_ENOTFOUND, "case %lld has no open flag %lld", (long long)case_id,
                 (long long)id);
  return rc;
}

int kf_store_withheld_add(kf_store *st, int64_t case_id, const char *destination,
                          const char *purpose, int64_t seq, const char *reason,
                          const char *at, kf_err *err) {
  static const char *q =
      "INSERT INTO withheld(case_id, destination, purpose, events, first_seq, last_seq, reason,"
      " updated_at) VALUES(?1, ?2, ?3, 1, ?4, ?4, ?5, ?6)"
      " ON CONFLICT(case_id, destination) DO UPDATE SET events = withheld.events + 1,"
      " last_seq = excluded.last_seq, purpose = excluded.purpose, reason = excluded.reason,"
      " updated_at = excluded.updated_at";
  if (!destination || !purpose || !reason || !at)
    return kf_fail(err, KF_EINVAL, "internal: withholding needs a destination, a purpose, a "
                   "reason and a time");
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, destination);
  store_bind_text(s, 3, purpose);
  db_bind_int64(s, 4, seq);
  store_bind_text(s, 5, reason);
  store_bind_text(s, 6, at);
  return store_step_done(st, s, "recording what was withheld", err);
}

json_t *kf_store_withheld(kf_store *st, int64_t case_id, const char *destination, kf_err *err) {
  static const char *q =
      "SELECT case_id AS \"case\", destination, purpose, events, first_seq, last_seq, reason,"
      " updated_at FROM withheld WHERE (?1 = 0 OR case_id = ?1) AND (?2 IS NULL OR"
      " destination = ?2) ORDER BY case_id, destination";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  store_bind_text(s, 2, destination);
  return store_rows_json(st, s, "listing what was withheld", err);
}

/* ---- case links and the agency's settings ---- */

int kf_store_link_add(kf_store *st, int64_t case_id, int64_t other, const char *kind,
                      const char *at, const char *by, kf_err *err) {
  static const char *q = "INSERT INTO case_links(case_id, other_id, kind, linked_at, linked_by)"
                         " VALUES(?1,?2,?3,?4,?5)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, case_id);
  db_bind_int64(s, 2, other);
  store_bind_text(s, 3, kind);
  store_bind_text(s, 4, at);
  store_bind_text(s, 5, by);
  int rc = db_step(s);
  db_reset(s);
  if (rc == DB_DONE) return 0;
  if ((rc & 0xff) == DB_CONSTRAINT)
    return kf_fail(err, KF_ECONFLICT, "case %lld is already linked to case %lld as %s",
                   (long long)case_id, (long long)other, kind);
  return store_db_fail(st, err, rc, "linking cases");
}

json_t *kf_store_links(kf_store *st, int64_t case_id, kf_err *err) {
  static const char *q =
      "SELECT l.id AS link, o.id AS \"case\", o.ref, o.workflow, o.state, o.final, l.kind AS \"as\","
      " 'to' AS direction, l.linked_at, l.linked_by"
      " FROM case_links l JOIN cases o ON o.id = l.other_id WHERE l.case_id=?1"
      " UNION ALL "
      "SELECT l.id, o.id, o.ref, o.workflow, o.state, o.final, l.kind, 'from', l.linked_at,"
      " l.linked_by FROM case_links l JOIN cases o ON o.id = l.case_id WHERE l.other_id=?1"
      " ORDER BY 1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, case_id);
  json_t *a = store_rows_json(st, s, "listing a case's links", err);
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) json_object_set(v, "final", json_boolean(store_jint(v, "final")));
  return a;
}

int kf_store_setting_put(kf_store *st, const char *name, const char *value, const char *at,
                         const char *by, kf_err *err) {
  static const char *q = "INSERT INTO settings(name, value, set_at, set_by) VALUES(?1,?2,?3,?4)"
                         " ON CONFLICT(name) DO UPDATE SET value=?2, set_at=?3, set_by=?4";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, name);
  store_bind_text(s, 2, value);
  store_bind_text(s, 3, at);
  store_bind_text(s, 4, by);
  return store_step_done(st, s, "storing a setting", err);
}

json_t *kf_store_setting_get(kf_store *st, const char *name, kf_err *err) {
  static const char *q = "SELECT name, value, set_at, set_by FROM settings WHERE name=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  store_bind_text(s, 1, name);
  return store_row_or_none(st, s, name, err);
}

json_t *kf_store_settings(kf_store *st, kf_err *err) {
  static const char *q = "SELECT name, value, set_at, set_by FROM settings ORDER BY name";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  return store_rows_json(st, s, "listing settings", err);
}

/* ---- programme versions: migrations ---- */

/* Parse the JSON text of column key of row (in place). */
static void parse_col(json_t *row, const char *key) {
  const char *t = store_jstr(row, key);
  if (!t) return;
  json_t *v = json_loads(t, JSON_DECODE_ANY, NULL);
  if (v) json_object_set_new(row, key, v);
}

int kf_store_case_put_version(kf_store *st, int64_t id, int64_t revision, json_t *to,
                              const char *now, kf_err *err) {
  static const char *q =
      "UPDATE cases SET workflow_id=?3, state=?4, final=?5, data=?6, entered_at=?7,"
      " overdue_since=?8, revision=revision+1, updated_at=?9 WHERE id=?1 AND revision=?2";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  db_bind_int64(s, 2, revision);
  db_bind_int64(s, 3, store_jint(to, "workflow_id"));
  store_bind_text(s, 4, store_jstr(to, "state"));
  db_bind_int(s, 5, json_is_true(json_object_get(to, "final")));
  int rc = store_bind_data(st, s, 6, json_object_get(to, "data"), err);
  if (rc) {
    db_reset(s);
    return rc;
  }
  store_bind_text(s, 7, store_jstr(to, "entered_at"));
  store_bind_text(s, 8, store_jstr(to, "overdue_since"));
  store_bind_text(s, 9, now);
  if ((rc = store_step_done(st, s, "moving a case to another version", err))) return rc;
  if (db_changes(st) == 0)
    return kf_fail(err, KF_ECONFLICT, "case %lld changed meanwhile (it is no longer at revision "
                   "%lld)", (long long)id, (long long)revision);
  return 0;
}

int kf_store_timers_reopen(kf_store *st, int64_t case_id, json_t *ids, kf_err *err) {
  static const char *q = "UPDATE timers SET status='pending', done_at=NULL"
                         " WHERE id=?2 AND case_id=?1 AND status='cancelled'";
  size_t i;
  json_t *v;
  json_array_foreach(ids, i, v) {
    db_stmt *s = store_stmt(st, q, err);
    if (!s) return err ? err->code : KF_ESTORE;
    db_bind_int64(s, 1, case_id);
    db_bind_int64(s, 2, json_integer_value(v));
    int rc = store_step_done(st, s, "reopening a timer", err);
    if (rc) return rc;
  }
  return 0;
}

int kf_store_migration_add(kf_store *st, json_t *m, int64_t *id, kf_err *err) {
  static const char *q =
      "INSERT INTO migrations(workflow, to_version, to_id, plan_hash, plan, by, started_at,"
      " state, pid, host, counts, heartbeat_at) VALUES(?1,?2,?3,?4,?5,?6,?7,'running',?8,?9,"
      " coalesce(?10,'{}'),?7)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, store_jstr(m, "workflow"));
  db_bind_int64(s, 2, store_jint(m, "to_version"));
  db_bind_int64(s, 3, store_jint(m, "to_id"));
  store_bind_text(s, 4, store_jstr(m, "plan_hash"));
  store_bind_text(s, 5, store_jstr(m, "plan"));
  store_bind_text(s, 6, store_jstr(m, "by"));
  store_bind_text(s, 7, store_jstr(m, "started_at"));
  db_bind_int64(s, 8, store_jint(m, "pid"));
  store_bind_text(s, 9, store_jstr(m, "host"));
  int rc = 0;
  if (json_is_object(json_object_get(m, "counts")) &&
      (rc = store_bind_json(st, s, 10, json_object_get(m, "counts"), err))) {
    db_reset(s);
    return rc;
  }
  rc = store_step_done(st, s, "recording a migration", err);
  if (!rc && id) *id = db_last_id(st);
  return rc;
}

int kf_store_migration_finish(kf_store *st, int64_t id, const char *from, const char *state,
                              json_t *counts, const char *now, kf_err *err) {
  static const char *q = "UPDATE migrations SET state=?2, counts=?3, finished_at=?4"
                         " WHERE id=?1 AND (?5 IS NULL OR state=?5)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  store_bind_text(s, 2, state);
  int rc = store_bind_json(st, s, 3, counts, err);
  if (rc) {
    db_reset(s);
    return rc;
  }
  store_bind_text(s, 4, now);
  store_bind_text(s, 5, from);
  if ((rc = store_step_done(st, s, "finishing a migration", err))) return rc;
  if (db_changes(st) == 0) {
    if (from)
      return kf_fail(err, KF_ECONFLICT, "migration %lld is no longer %s (another process marked "
                     "it meanwhile: see `kinflow migrate list`)", (long long)id, from);
    return kf_fail(err, KF_ENOTFOUND, "no migration %lld", (long long)id);
  }
  return 0;
}

int kf_store_migration_beat(kf_store *st, int64_t id, json_t *counts, const char *now, kf_err *err) {
  static const char *q = "UPDATE migrations SET counts=?2, heartbeat_at=?3 WHERE id=?1 AND state='running'";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, id);
  int rc = store_bind_json(st, s, 2, counts, err);
  if (rc) {
    db_reset(s);
    return rc;
  }
  store_bind_text(s, 3, now);
  if ((rc = store_step_done(st, s, "recording a migration's progress", err))) return rc;
  if (db_changes(st) == 0)
    return kf_fail(err, KF_ECONFLICT, "migration %lld was marked interrupted by another process "
                   "(its heartbeat was too old): stopped here; its moved cases stay moved (see "
                   "`kinflow migrate list`)", (long long)id);
  return 0;
}

#define MIGRATION_COLS                                                                    \
  "SELECT m.id, m.workflow, m.to_version, m.to_id, m.plan_hash, m.plan, m.by, m.started_at," \
  " m.finished_at, m.state, m.counts, m.pid, m.host, m.heartbeat_at, (SELECT count(*)"      \
  " FROM migrated_cases x WHERE x.migration = m.id) AS migrated, (SELECT count(*) FROM migrated_cases x" \
  " WHERE x.migration = m.id AND x.undone = 1) AS undone FROM migrations m "

json_t *kf_store_migration_get(kf_store *st, int64_t id, kf_err *err) {
  db_stmt *s = store_stmt(st, MIGRATION_COLS "WHERE m.id=?1", err);
  if (!s) return NULL;
  db_bind_int64(s, 1, id);
  json_t *row = store_row_or_none(st, s, "migration", err);
  if (!row && err && err->code == KF_ENOTFOUND)
    kf_fail(err, KF_ENOTFOUND, "no migration %lld (see `kinflow migrate list`)", (long long)id);
  if (row) parse_col(row, "counts");
  return row;
}

json_t *kf_store_migrations(kf_store *st, kf_err *err) {
  db_stmt *s = store_stmt(st, MIGRATION_COLS "ORDER BY m.id", err);
  if (!s) return NULL;
  json_t *a = store_rows_json(st, s, "listing migrations", err);
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) parse_col(v, "counts");
  return a;
}

int kf_store_migrated_add(kf_store *st, json_t *r, kf_err *err) {
  static const char *q =
      "INSERT INTO migrated_cases(migration, case_id, from_workflow_id, from_state, from_final,"
      " from_data, from_timers, from_entered_at, from_overdue_since, to_state, revision, seq,"
      " to_workflow_id) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, store_jint(r, "migration"));
  db_bind_int64(s, 2, store_jint(r, "case"));
  db_bind_int64(s, 3, store_jint(r, "from_workflow_id"));
  store_bind_text(s, 4, store_jstr(r, "from_state"));
  db_bind_int(s, 5, json_is_true(json_object_get(r, "from_final")));
  int rc = store_bind_json(st, s, 6, json_object_get(r, "from_data"), err);
  if (!rc) rc = store_bind_json(st, s, 7, json_object_get(r, "from_timers"), err);
  if (rc) {
    db_reset(s);
    return rc;
  }
  store_bind_text(s, 8, store_jstr(r, "from_entered_at"));
  store_bind_text(s, 9, store_jstr(r, "from_overdue_since"));
  store_bind_text(s, 10, store_jstr(r, "to_state"));
  db_bind_int64(s, 11, store_jint(r, "revision"));
  db_bind_int64(s, 12, store_jint(r, "seq"));
  if (json_is_integer(json_object_get(r, "to_workflow_id")))
    db_bind_int64(s, 13, store_jint(r, "to_workflow_id"));
  return store_step_done(st, s, "recording a migrated case", err);
}

json_t *kf_store_migrated_cases(kf_store *st, int64_t migration, kf_err *err) {
  static const char *q =
      "SELECT migration, case_id AS \"case\", from_workflow_id, from_state, from_final,"
      " from_data, from_timers, from_entered_at, from_overdue_since, to_state, revision, seq,"
      " undone, to_workflow_id FROM migrated_cases WHERE migration=?1 ORDER BY case_id";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return NULL;
  db_bind_int64(s, 1, migration);
  json_t *a = store_rows_json(st, s, "reading migrated cases", err);
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    parse_col(v, "from_data");
    parse_col(v, "from_timers");
    json_object_set(v, "from_final", json_boolean(store_jint(v, "from_final")));
    json_object_set(v, "undone", json_boolean(store_jint(v, "undone")));
  }
  return a;
}

int kf_store_migrated_undone(kf_store *st, int64_t migration, int64_t case_id, kf_err *err) {
  static const char *q = "UPDATE migrated_cases SET undone=1 WHERE migration=?1 AND case_id=?2";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  db_bind_int64(s, 1, migration);
  db_bind_int64(s, 2, case_id);
  return store_step_done(st, s, "marking a migrated case undone", err);
}
