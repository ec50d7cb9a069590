/* store_log.c: the event log and its hash chain: an event appended with its SHA-256 link
 * (its canonical text and hash are store_json.c's), the log read back, and `audit verify`
 * (the chain from event 1, and the recorded head), and where each destination's delivery
 * of the log has come to (its cursor, and a lease on delivering). The head's bookkeeping
 * in a transaction is store.c's (record_head at commit); nothing here begins or ends a
 * transaction. */
#define _GNU_SOURCE
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_int.h"


static const char GENESIS[] = "0000000000000000000000000000000000000000000000000000000000000000";

int kf_store_event_append(kf_store *st, json_t *ev, kf_err *err) {
  return kf_store_event_append_text(st, ev, NULL, err);
}

int kf_store_event_append_text(kf_store *st, json_t *ev, const char *data_text, kf_err *err) {
  static const char *q_head = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1";
  static const char *q_ins =
      "INSERT INTO events(seq,case_id,at,actor,role,kind,name,from_state,to_state,reason,"
      "data,prev_hash,hash) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)";
  if (!kf_store_in_tx(st))
    return kf_fail(err, KF_ESTORE, "internal: event appended outside a transaction");
  char prev[65];
  int64_t seq = 1;
  int rc;
  db_stmt *s;
  if (store_log_end(st, &seq, prev)) {
    seq++;
  } else {
    if (!(s = store_stmt(st, q_head, err))) return err ? err->code : KF_ESTORE;
    rc = db_step(s);
    if (rc == DB_ROW) {
      seq = db_column_int64(s, 0) + 1;
      snprintf(prev, sizeof prev, "%s", db_column_text(s, 1));
    } else if (rc == DB_DONE) {
      memcpy(prev, GENESIS, sizeof prev);
    } else {
      db_reset(s);
      return store_db_fail(st, err, rc, "reading the event log");
    }
    db_reset(s);
  }
  json_t *data = json_object_get(ev, "data");
  char *owned = data_text ? NULL
                : data    ? store_json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS)
                          : strdup("{}");
  const char *dtext = data_text ? data_text : owned;
  json_t *cid = json_object_get(ev, "case");
  const char *text[9] = {store_jstr(ev, "at"), store_jstr(ev, "actor"), store_jstr(ev, "role"),
                         store_jstr(ev, "kind"), store_jstr(ev, "name"), store_jstr(ev, "from"),
                         store_jstr(ev, "to"), store_jstr(ev, "reason"), dtext ? dtext : "{}"};
  char hash[65];
  if (!dtext || !text[0] || !text[1] || !text[3] ||
      store_event_hash(prev, seq, json_is_integer(cid) ? json_integer_value(cid) : 0, text, hash)) {
    free(owned);
    return kf_fail(err, KF_EINVAL, "event '%s' has missing or malformed fields",
                   store_jstr(ev, "kind") ? store_jstr(ev, "kind") : "?");
  }
  if (!(s = store_stmt(st, q_ins, err))) {
    free(owned);
    return err ? err->code : KF_ESTORE;
  }
  db_bind_int64(s, 1, seq);
  if (json_is_integer(cid)) db_bind_int64(s, 2, json_integer_value(cid));
  for (int i = 0; i < 9; i++) store_bind_borrowed(s, 3 + i, text[i]); /* at .. data */
  store_bind_borrowed(s, 12, prev);
  store_bind_borrowed(s, 13, hash);
  rc = store_step_done(st, s, "appending an event", err);
  free(owned);
  if (rc) return rc;
  /* The head, kept beside the log (at commit: meta, or the row of the case it is about):
   * cutting events off its end shows up in verify. */
  st->head.seq = seq;
  st->head.case_id = json_is_integer(cid) ? json_integer_value(cid) : 0;
  memcpy(st->head.hash, hash, sizeof hash);
  json_object_set_new(ev, "seq", json_integer(seq));
  json_object_set_new(ev, "hash", json_string(hash));
  return 0;
}

#define EVENT_COLS                                                                      \
  "seq, case_id AS \"case\", at, actor, role, kind, name, from_state AS \"from\", "     \
  "to_state AS \"to\", reason, data, hash"

/* Filter keys: case, kind, since (at >=), until (at <), actor, after (seq >), before (seq <),
 * limit; "newest": true lists the latest first. A case's events are read through
 * events_by_case (case_id, seq), in a statement of its own: the one for any case ("?1 IS
 * NULL OR case_id=?1") walks the log in seq order, on either store, whatever ?1 holds. */
json_t *kf_store_events(kf_store *st, json_t *f, kf_err *err) {
#define EVENTS_WHERE(c)                                                                        \
  "SELECT " EVENT_COLS " FROM events WHERE " c " AND (?2 IS NULL OR kind=?2)"                  \
  " AND (?3 IS NULL OR at>=?3) AND seq>?5 AND (?6 IS NULL OR seq<?6)"                          \
  " AND (?7 IS NULL OR actor=?7) AND (?8 IS NULL OR at<?8)"
  static const char *q[2][2] = {
      {EVENTS_WHERE("(?1 IS NULL OR case_id=?1)") " ORDER BY seq LIMIT ?4",
       EVENTS_WHERE("(?1 IS NULL OR case_id=?1)") " ORDER BY seq DESC LIMIT ?4"},
      {EVENTS_WHERE("case_id=?1") " ORDER BY seq LIMIT ?4",
       EVENTS_WHERE("case_id=?1") " ORDER BY seq DESC LIMIT ?4"}};
#undef EVENTS_WHERE
  int one = json_is_integer(json_object_get(f, "case"));
  db_stmt *s = store_stmt(st, q[one][json_is_true(json_object_get(f, "newest"))], err);
  if (!s) return NULL;
  if (one) db_bind_int64(s, 1, store_jint(f, "case"));
  store_bind_text(s, 2, store_jstr(f, "kind"));
  store_bind_text(s, 3, store_jstr(f, "since"));
  json_t *lim = json_object_get(f, "limit");
  db_bind_int64(s, 4, json_is_integer(lim) ? json_integer_value(lim) : -1);
  db_bind_int64(s, 5, store_jint(f, "after"));
  if (json_is_integer(json_object_get(f, "before"))) db_bind_int64(s, 6, store_jint(f, "before"));
  store_bind_text(s, 7, store_jstr(f, "actor"));
  store_bind_text(s, 8, store_jstr(f, "until"));
  return store_rows_json(st, s, "reading events", err);
}

json_t *kf_store_events_after(kf_store *st, json_t *f, int64_t after, int limit, kf_err *err) {
#define AFTER_WHERE(c)                                                                         \
  "SELECT " EVENT_COLS " FROM events WHERE seq > ?4 AND " c                                    \
  " AND (?2 IS NULL OR kind=?2) AND (?3 IS NULL OR at>=?3) ORDER BY seq LIMIT ?5"
  static const char *q[2] = {AFTER_WHERE("(?1 IS NULL OR case_id=?1)"), AFTER_WHERE("case_id=?1")};
#undef AFTER_WHERE
  int one = json_is_integer(json_object_get(f, "case"));
  db_stmt *s = store_stmt(st, q[one], err);
  if (!s) return NULL;
  if (one) db_bind_int64(s, 1, store_jint(f, "case"));
  store_bind_text(s, 2, store_jstr(f, "kind"));
  store_bind_text(s, 3, store_jstr(f, "since"));
  db_bind_int64(s, 4, after);
  db_bind_int(s, 5, limit);
  return store_rows_json(st, s, "reading events", err);
}

/* The recorded head must be the last event: otherwise events were cut off the end. A
 * transaction records its last event either in meta ("seq:hash") or in the row of the case
 * it changed (cases.last_seq, which must name an event of that case): the greatest of
 * these is the head. n: the log's last seq; last: its hash. */
static int verify_head(kf_store *st, int64_t n, const char *last, kf_err *err) {
  db_stmt *s = NULL;
  int64_t hseq = 0, cseq = 0, bad_case = 0, bad_seq = 0;
  char hhash[65] = "";
  int rc = st->be->prepare(st, "SELECT value FROM meta WHERE key='head'", &s);
  if (rc == DB_OK) rc = db_step(s);
  if (rc != DB_ROW && rc != DB_DONE) {
    db_finalize(s);
    return store_db_fail(st, err, rc, "reading the log's recorded head");
  }
  if (rc == DB_ROW) {
    const char *head = db_column_text(s, 0);
    const char *colon = head ? strchr(head, ':') : NULL;
    char hnum[32] = "";
    if (colon && colon - head < (ptrdiff_t)sizeof hnum) memcpy(hnum, head, (size_t)(colon - head));
    if (!colon || !store_parse_digits(hnum, &hseq) || strlen(colon + 1) != 64) {
      int code = kf_fail(err, KF_EINVAL, "audit: the log's recorded head is unreadable "
                         "('%.80s'): it was altered", head ? head : "");
      db_finalize(s);
      return code;
    }
    memcpy(hhash, colon + 1, sizeof hhash);
  }
  db_finalize(s);
  s = NULL;
  rc = st->be->prepare(st, "SELECT (SELECT max(last_seq) FROM cases), c.id, c.last_seq FROM"
                          " (SELECT 1) AS one LEFT JOIN cases c ON c.last_seq IS NOT NULL AND NOT EXISTS"
                          " (SELECT 1 FROM events e WHERE e.seq = c.last_seq AND e.case_id = c.id)"
                          " LIMIT 1", &s);
  if (rc == DB_OK) rc = db_step(s);
  if (rc != DB_ROW) {
    db_finalize(s);
    return store_db_fail(st, err, rc, "reading the cases' recorded heads");
  }
  cseq = db_column_int64(s, 0);
  bad_case = db_column_int64(s, 1);
  bad_seq = db_column_int64(s, 2);
  db_finalize(s);
  int64_t head = hseq > cseq ? hseq : cseq;
  if (bad_case && bad_seq <= n)
    return kf_fail(err, KF_EINVAL, "audit: case %lld records event %lld as its last, which is "
                   "not an event of that case: the log was altered", (long long)bad_case,
                   (long long)bad_seq);
  if (head == 0) /* an empty log has no head; a log with events must have one */
    return n > 0 ? kf_fail(err, KF_EINVAL, "audit: the log's recorded head is missing") : 0;
  if (head < n)
    return kf_fail(err, KF_EINVAL, "audit: the log ends at event %lld but its recorded head is "
                   "event %lld: events %lld to %lld were added outside kinflow", (long long)n,
                   (long long)head, (long long)head + 1, (long long)n);
  if (head > n)
    return kf_fail(err, KF_EINVAL, "audit: the log ends at event %lld but its recorded head is "
                   "event %lld: event %lld and after were removed from the end", (long long)n,
                   (long long)head, (long long)n + 1);
  if (head == hseq && strcmp(hhash, last) != 0)
    return kf_fail(err, KF_EINVAL, "audit: event %lld does not match the recorded head "
                   "(the last event was replaced)", (long long)n);
  return 0;
}

/* The chain from event 1, a page at a time (PostgreSQL hands a statement's rows over whole),
 * in one snapshot so that the log's end and its recorded head agree. */
static int verify_chain(kf_store *st, json_t **summary, kf_err *err) {
  static const char *q = "SELECT seq, case_id, at, actor, role, kind, name, from_state,"
                         " to_state, reason, data, prev_hash, hash FROM events WHERE seq > ?1"
                         " ORDER BY seq LIMIT 5000";
  char prev[65];
  memcpy(prev, GENESIS, sizeof prev);
  int64_t expect = 1, n = 0;
  int bad = 0, rows = 5000, rc = DB_DONE;
  for (int64_t after = 0; !bad && rows == 5000;) {
    db_stmt *s = store_stmt(st, q, err);
    if (!s) return err ? err->code : KF_ESTORE;
    db_bind_int64(s, 1, after);
    rows = 0;
#define T(i) (db_column_text(s, (i)))
    while (!bad && (rc = db_step(s)) == DB_ROW) {
      int64_t seq = db_column_int64(s, 0);
      char what[160];
      snprintf(what, sizeof what, "event %lld (%s%s%s at %s)", (long long)seq, T(5) ? T(5) : "?",
               db_column_type(s, 1) == DB_NULL ? "" : " on case ",
               db_column_type(s, 1) == DB_NULL ? "" : T(1), T(2) ? T(2) : "?");
      if (seq != expect) {
        bad = kf_fail(err, KF_EINVAL, "audit: event %lld is missing: the log jumps from %lld to "
                      "%lld (removed events)", (long long)expect, (long long)expect - 1,
                      (long long)seq);
      } else if (!T(11) || strcmp(T(11), prev) != 0) {
        bad = kf_fail(err, KF_EINVAL, "audit: %s does not follow event %lld: its link to the "
                      "previous hash is wrong (inserted, removed or reordered events)", what,
                      (long long)seq - 1);
      } else {
        const char *text[9] = {T(2), T(3), T(4), T(5), T(6), T(7), T(8), T(9), T(10)};
        char h[65];
        if (!T(2) || !T(3) || !T(5) || !T(10) ||
            store_event_hash(prev, seq, db_column_int64(s, 1), text, h) || !T(12) ||
            strcmp(h, T(12)) != 0)
          bad = kf_fail(err, KF_EINVAL, "audit: %s was altered: its contents do not match its "
                        "hash", what);
        if (!bad) memcpy(prev, h, sizeof prev);
      }
      after = seq;
      expect++;
      n++;
      rows++;
    }
#undef T
    db_reset(s);
    if (!bad && rc != DB_DONE && rc != DB_ROW) bad = store_db_fail(st, err, rc, "reading the event log");
  }
  if (bad) return bad;
  if ((bad = verify_head(st, n, prev, err))) return bad;
  if (summary && !(*summary = json_pack("{s:I,s:s}", "events", (json_int_t)n, "head", prev)))
    return kf_fail(err, KF_ENOMEM, "audit: out of memory");
  return 0;
}

int kf_store_audit_verify(kf_store *st, json_t **summary, kf_err *err) {
  if (kf_store_in_tx(st)) return verify_chain(st, summary, err);
  int rc = kf_store_begin_read(st, err);
  if (rc) return rc;
  rc = verify_chain(st, summary, err);
  kf_store_rollback(st); /* it only read */
  return rc;
}

/* ---- deliveries ---- */

/* Take destination's lease for holder unless another holds it unexpired: 1 and *seq (its
 * cursor), 0 held by another or no row yet, -1 with err. One statement. */
static int delivery_take(kf_store *st, const char *destination, const char *holder,
                         int64_t now, int64_t until, int64_t *seq, kf_err *err) {
  static const char *q = "UPDATE deliveries SET holder=?2, held_until=?4 WHERE destination=?1"
                         " AND (holder IS NULL OR holder=?2 OR held_until<?3) RETURNING seq";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return -1;
  store_bind_text(s, 1, destination);
  store_bind_text(s, 2, holder);
  db_bind_int64(s, 3, now);
  db_bind_int64(s, 4, until);
  int rc = db_step(s);
  if (rc == DB_ROW) *seq = db_column_int64(s, 0);
  db_reset(s);
  if (rc == DB_ROW) return 1;
  if (rc == DB_DONE) return 0;
  store_db_fail(st, err, rc, "taking a destination's deliveries");
  return -1;
}

int kf_store_delivery_claim(kf_store *st, const char *destination, const char *holder,
                            int64_t now, int64_t until, int64_t *seq, kf_err *err) {
  static const char *q_add = "INSERT INTO deliveries(destination, seq) VALUES(?1, 0)"
                             " ON CONFLICT(destination) DO NOTHING";
  int got = delivery_take(st, destination, holder, now, until, seq, err);
  if (got) return got;
  /* the destination's first delivery: its row, then the lease (unless another process
   * made the row first, and holds it) */
  db_stmt *s = store_stmt(st, q_add, err);
  if (!s) return -1;
  store_bind_text(s, 1, destination);
  if (store_step_done(st, s, "starting a destination's deliveries", err)) return -1;
  if (db_changes(st) == 0) return 0;
  return delivery_take(st, destination, holder, now, until, seq, err);
}

int kf_store_delivery_advance(kf_store *st, const char *destination, const char *holder,
                              int64_t seq, const char *now, kf_err *err) {
  static const char *q = "UPDATE deliveries SET seq=?3, updated_at=?4 WHERE destination=?1"
                         " AND holder=?2 AND seq<=?3";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, destination);
  store_bind_text(s, 2, holder);
  db_bind_int64(s, 3, seq);
  store_bind_text(s, 4, now);
  int rc = store_step_done(st, s, "moving a destination's cursor", err);
  if (!rc && db_changes(st) == 0)
    rc = kf_fail(err, KF_ECONFLICT, "delivery to %s: another process took it over (this one "
                 "held it too long); it resends from where this one got to", destination);
  return rc;
}

int kf_store_delivery_release(kf_store *st, const char *destination, const char *holder,
                              kf_err *err) {
  static const char *q = "UPDATE deliveries SET holder=NULL, held_until=NULL WHERE"
                         " destination=?1 AND holder=?2";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return err ? err->code : KF_ESTORE;
  store_bind_text(s, 1, destination);
  store_bind_text(s, 2, holder);
  return store_step_done(st, s, "letting a destination's deliveries go", err);
}

int64_t kf_store_delivery_cursor(kf_store *st, const char *destination, kf_err *err) {
  static const char *q = "SELECT seq FROM deliveries WHERE destination=?1";
  db_stmt *s = store_stmt(st, q, err);
  if (!s) return -1;
  store_bind_text(s, 1, destination);
  int rc = db_step(s);
  int64_t seq = rc == DB_ROW ? db_column_int64(s, 0) : 0;
  db_reset(s);
  if (rc != DB_ROW && rc != DB_DONE) {
    store_db_fail(st, err, rc, "reading a destination's cursor");
    return -1;
  }
  return seq;
}
