/* tests/unit/t_events.h: a case's events as kf_store_events reads them (through the index
 * by case) against the whole log read without a case and filtered here, for every filter
 * combination, on whichever store the test opened. */
#ifndef T_EVENTS_H
#define T_EVENTS_H
#include <jansson.h>
#include <string.h>

#include "store.h"
#include "t.h"

/* Does event ev pass filter f (as the store's SQL reads it)? */
static int t_event_passes(json_t *ev, json_t *f) {
  json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
  json_t *v;
  if ((v = json_object_get(f, "case")) &&
      json_integer_value(json_object_get(ev, "case")) != json_integer_value(v))
    return 0;
  if ((v = json_object_get(f, "kind")) &&
      strcmp(json_string_value(json_object_get(ev, "kind")), json_string_value(v)))
    return 0;
  if ((v = json_object_get(f, "after")) && seq <= json_integer_value(v)) return 0;
  if ((v = json_object_get(f, "before")) && seq >= json_integer_value(v)) return 0;
  return 1;
}

/* Append events for cases a and b (already open, in no transaction) interleaved, then
 * compare each filter's answer with the whole log filtered here. */
static void t_events_by_case(kf_store *st, int64_t a, int64_t b) {
  kf_err err = {0};
  static const char *const kinds[] = {"case.data", "case.transition", "member.added"};
  CHECK(kf_store_begin(st, &err) == 0, "begin: %s", err.msg);
  for (int i = 0; i < 18; i++) {
    json_t *ev = json_pack("{s:I,s:s,s:s,s:s,s:{}}", "case", (json_int_t)(i % 3 ? a : b), "at",
                           "2026-01-01T00:00:00Z", "actor", "t", "kind", kinds[i % 3 == 1 ? 1 : i % 2 * 2],
                           "data");
    CHECK(kf_store_event_append(st, ev, &err) == 0, "event %d: %s", i, err.msg);
    json_decref(ev);
  }
  CHECK(kf_store_commit(st, &err) == 0, "commit: %s", err.msg);
  json_t *all = kf_store_events(st, NULL, &err);
  CHECK(json_array_size(all) >= 18, "the whole log: %s", all ? "" : err.msg);
  json_int_t mid = json_integer_value(json_object_get(json_array_get(all, json_array_size(all) - 9), "seq"));
  int bad = 0, runs = 0;
  for (int c = 0; c < 2; c++)
    for (int newest = 0; newest < 2; newest++)
      for (int limit = 0; limit < 2; limit++)
        for (int after = 0; after < 2; after++)
          for (int before = 0; before < 2; before++)
            for (int kind = 0; kind < 2; kind++) {
              json_t *f = json_pack("{s:I}", "case", (json_int_t)(c ? b : a));
              if (newest) json_object_set_new(f, "newest", json_true());
              if (limit) json_object_set_new(f, "limit", json_integer(3));
              if (after) json_object_set_new(f, "after", json_integer(mid - 6));
              if (before) json_object_set_new(f, "before", json_integer(mid + 4));
              if (kind) json_object_set_new(f, "kind", json_string("case.transition"));
              json_t *want = json_array();
              size_t n = json_array_size(all);
              for (size_t k = 0; k < n; k++) {
                json_t *ev = json_array_get(all, newest ? n - 1 - k : k);
                if (limit && json_array_size(want) == 3) break;
                if (t_event_passes(ev, f)) json_array_append(want, ev);
              }
              json_t *got = kf_store_events(st, f, &err);
              runs++;
              if (!got || !json_equal(got, want)) {
                char *ft = json_dumps(f, JSON_COMPACT);
                CHECK(0, "events %s: %zu events, %zu expected (%s)", ft, json_array_size(got),
                      json_array_size(want), got ? "" : err.msg);
                free(ft);
                bad++;
              }
              json_decref(got);
              json_decref(want);
              json_decref(f);
            }
  CHECK(!bad, "a case's events, %d filters, as the whole log filtered", runs);
  json_decref(all);
}
#endif
