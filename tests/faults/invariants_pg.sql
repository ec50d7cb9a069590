-- tests/faults/invariants_pg.sql: tests/faults/invariants.sql in PostgreSQL's SQL, for a
-- database of the crashy workflow on the PostgreSQL store (psql -At). The same checks and
-- lines ("SEQ n", "BAD ...", "CASE id state has-valid-visit"), but no "ok": PostgreSQL has no
-- integrity_check of a database's files; the server keeps them.
SELECT 'SEQ ' || coalesce(max(seq), 0) FROM events;
SELECT 'BAD case ' || c.id || ' is in ' || c.state || ' but its last transition went to ' || coalesce(e.to_state, '(none)')
  FROM cases c LEFT JOIN events e ON e.seq = (SELECT max(seq) FROM events
       WHERE case_id = c.id AND kind IN ('case.transition', 'case.opened'))
 WHERE e.to_state IS DISTINCT FROM c.state;
SELECT 'BAD event ' || e.seq || ' moves case ' || e.case_id || ' from ' || e.from_state || ' but it was in ' || coalesce(p.to_state, '(none)')
  FROM events e LEFT JOIN events p ON p.seq = (SELECT max(seq) FROM events
       WHERE case_id = e.case_id AND kind IN ('case.transition', 'case.opened') AND seq < e.seq)
 WHERE e.kind = 'case.transition' AND e.from_state IS DISTINCT FROM p.to_state;
SELECT 'BAD case ' || id || ' final=' || final || ' in state ' || state FROM cases
 WHERE final != (state IN ('lapsed', 'done'))::int;
SELECT 'BAD timer ' || t.id || ' (' || t.name || ' of ' || t.state || ') is pending but case ' || c.id || ' is in ' || c.state
  FROM timers t JOIN cases c ON c.id = t.case_id
 WHERE t.status = 'pending' AND (c.final != 0 OR (t.state IS NOT NULL AND t.state != c.state));
SELECT 'BAD case ' || c.id || ' in intake has ' || (SELECT count(*) FROM timers WHERE case_id = c.id
       AND status = 'pending' AND name = 'lapse') || ' pending lapse timers, not 1'
  FROM cases c WHERE c.state = 'intake'
   AND (SELECT count(*) FROM timers WHERE case_id = c.id AND status = 'pending' AND name = 'lapse') != 1;
SELECT 'BAD case ' || c.id || ' in active (overdue since ' || coalesce(c.overdue_since, 'never') || ') has '
       || (SELECT count(*) FROM timers WHERE case_id = c.id AND status = 'pending' AND name = 'review') || ' pending reviews'
  FROM cases c WHERE c.state = 'active'
   AND (SELECT count(*) FROM timers WHERE case_id = c.id AND status = 'pending' AND name = 'review')
       != (c.overdue_since IS NULL)::int;
SELECT 'BAD case ' || c.id || ': data.starts=' || coalesce((c.data::jsonb ->> 'starts')::numeric, 0) || ' but '
       || (SELECT count(*) FROM events WHERE case_id = c.id AND kind = 'case.transition' AND name = 'start') || ' start events'
  FROM cases c WHERE coalesce((c.data::jsonb ->> 'starts')::numeric, 0)
       != (SELECT count(*) FROM events WHERE case_id = c.id AND kind = 'case.transition' AND name = 'start');
SELECT 'BAD case ' || c.id || ': data.left_active=' || coalesce((c.data::jsonb ->> 'left_active')::numeric, 0) || ' but '
       || (SELECT count(*) FROM events WHERE case_id = c.id AND kind = 'case.transition' AND from_state = 'active') || ' moves out of active'
  FROM cases c WHERE coalesce((c.data::jsonb ->> 'left_active')::numeric, 0)
       != (SELECT count(*) FROM events WHERE case_id = c.id AND kind = 'case.transition' AND from_state = 'active');
SELECT 'BAD case ' || c.id || ': entered_active=' || coalesce(c.data::jsonb ->> 'entered_active', '(none)')
       || ' but it last entered active at ' || coalesce(e.at, '(never)')
  FROM cases c LEFT JOIN events e ON e.seq = (SELECT max(seq) FROM events
       WHERE case_id = c.id AND kind = 'case.transition' AND to_state = 'active')
 WHERE (c.data::jsonb ->> 'entered_active') IS DISTINCT FROM e.at;
SELECT 'BAD case ' || c.id || ': ' || (SELECT count(*) FROM entries WHERE case_id = c.id) || ' entries but '
       || (SELECT count(*) FROM events WHERE case_id = c.id AND kind = 'form.submitted') || ' form.submitted events'
  FROM cases c WHERE (SELECT count(*) FROM entries WHERE case_id = c.id)
       != (SELECT count(*) FROM events WHERE case_id = c.id AND kind = 'form.submitted');
SELECT 'BAD event ' || e.seq || ' records entry ' || (e.data::jsonb ->> 'entry') || ' which is not there'
  FROM events e WHERE e.kind = 'form.submitted'
   AND NOT EXISTS (SELECT 1 FROM entries WHERE id = (e.data::jsonb ->> 'entry')::bigint AND case_id = e.case_id);
SELECT 'BAD case ' || c.id || ' has no case.opened event' FROM cases c
 WHERE NOT EXISTS (SELECT 1 FROM events WHERE case_id = c.id AND kind = 'case.opened');
-- The log's head: each transaction records its last event in meta ('seq:hash') or in the
-- row of the case it changed (cases.last_seq); the greatest is the last event.
SELECT 'BAD recorded head ' || greatest(coalesce(split_part(m.value, ':', 1)::bigint, 0),
       coalesce((SELECT max(last_seq) FROM cases), 0)) || ' is not the last event ' || e.seq
  FROM events e LEFT JOIN meta m ON m.key = 'head'
 WHERE e.seq = (SELECT max(seq) FROM events)
   AND greatest(coalesce(split_part(m.value, ':', 1)::bigint, 0),
                coalesce((SELECT max(last_seq) FROM cases), 0)) != e.seq;
SELECT 'BAD meta head ' || m.value || ' does not match event ' || e.seq || ':' || e.hash
  FROM meta m JOIN events e ON e.seq = split_part(m.value, ':', 1)::bigint
 WHERE m.key = 'head' AND m.value != e.seq || ':' || e.hash;
SELECT 'BAD case ' || c.id || ' records event ' || c.last_seq || ' as its last, which is not its event'
  FROM cases c WHERE c.last_seq IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM events WHERE seq = c.last_seq AND case_id = c.id);
SELECT 'CASE ' || c.id || ' ' || c.state || ' ' || CASE WHEN EXISTS (SELECT 1 FROM entries WHERE case_id = c.id AND valid != 0) THEN 1 ELSE 0 END
  FROM cases c WHERE c.final = 0 AND c.ref IS DISTINCT FROM 'calib';
