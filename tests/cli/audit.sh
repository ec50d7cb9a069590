#!/usr/bin/env bash
# tests/cli/audit.sh: the event log is append-only (triggers) and hash-chained; `kinflow
# audit verify` passes on an honest log and names the event when one is altered, removed
# or forged behind the engine's back.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

cat >audited.lua <<'EOF'
return workflow {
  name = "audited",
  roles = { "worker", "boss" },
  initial = "open",
  states = { { "open" }, { "working" }, { "closed", final = true } },
  transitions = {
    { "start", from = "open", to = "working", by = { "worker" } },
    { "close", from = "*", to = "closed", by = { "boss" }, reason = true },
  },
}
EOF

# ---- an empty and an honest log --------------------------------------------------------

expect_refused "verify without a database: exit 1" 1 "cannot be opened" "$K" audit verify
if [ "$T_STORE" = postgresql ]; then  # the database is the cluster's; kinflow's are its tables
  expect_eq "verify does not create the database's tables" "0" \
    "$(t_sql "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")"
elif [ ! -e "$KINFLOW_DB" ]; then t_ok "verify does not create the database"; else t_fail "verify does not create the database" "$KINFLOW_DB exists"; fi
"$K" init >/dev/null
expect_out "verify on a fresh, empty log" "0 events, chain intact" "$K" audit verify

"$K" deploy audited.lua >/dev/null                                           # 1
"$K" case new audited --ref A --data '{"child": "Ava"}' >/dev/null           # 2
"$K" case new audited --ref B >/dev/null                                     # 3
"$K" case member add A --role parent --name Sam >/dev/null                   # 4
"$K" case set A --data '{"school": "Hillside"}' >/dev/null                   # 5
"$K" case fire A start --as worker >/dev/null                                # 6
"$K" case fire B close --as boss --reason "moved away" >/dev/null            # 7
"$K" case set A --data '{"note": "ünïcode ✓ and \"quotes\""}' >/dev/null    # 8
N=$(t_sql "SELECT count(*) FROM events")
expect_eq "eight events recorded" "8" "$N"

run "$K" audit verify
if [ "$RC" -eq 0 ] && [[ "$OUT" == "audit: $N events, chain intact"* ]]; then t_ok "verify passes on an honest log"
else t_fail "verify passes on an honest log" "exit $RC: $OUT $ERR"; fi
run "$K" audit verify --json
expect_eq "verify --json: events and head" "$N $(t_sql "SELECT hash FROM events ORDER BY seq DESC LIMIT 1")" \
  "$(echo "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["events"], d["head"])' 2>&1)"

# ---- the triggers refuse changes -------------------------------------------------------

BEFORE=$(t_sql "SELECT seq, reason, data, hash FROM events ORDER BY seq")
out=$(t_sql "UPDATE events SET reason='x' WHERE seq=3" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ "$out" == *"append-only"* ]]; then t_ok "trigger refuses UPDATE on events"
else t_fail "trigger refuses UPDATE on events" "exit $rc: $out"; fi
out=$(t_sql "DELETE FROM events WHERE seq=3" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ "$out" == *"append-only"* ]]; then t_ok "trigger refuses DELETE on events"
else t_fail "trigger refuses DELETE on events" "exit $rc: $out"; fi
out=$(t_sql "DELETE FROM events" 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [[ "$out" == *"append-only"* ]]; then t_ok "trigger refuses emptying the log"
else t_fail "trigger refuses emptying the log" "exit $rc: $out"; fi
if [ "$T_STORE" = postgresql ]; then
  out=$(t_sql "TRUNCATE events" 2>&1); rc=$?
  if [ "$rc" -ne 0 ] && [[ "$out" == *"append-only"* ]]; then t_ok "trigger refuses TRUNCATE on events"
  else t_fail "trigger refuses TRUNCATE on events" "exit $rc: $out"; fi
fi
expect_eq "the log is as it was" "$BEFORE" "$(t_sql "SELECT seq, reason, data, hash FROM events ORDER BY seq")"
expect_out "still verifies" "chain intact" "$K" audit verify

# ---- tampering behind the engine's back ------------------------------------------------
# tamper NAME SQL: a copy of the database with SQL applied to its events past the
# append-only guard (t_sql_events); sets DB to the copy.
tamper() {
  DB=$(t_copydb "$1") && t_sql_events "$2" "$DB" >/dev/null || t_fail "setup: tamper $1" "the copy or its SQL failed"
}
# expect_verify_fails NAME TEXT...: verify on $DB exits 1 with one line holding every TEXT.
expect_verify_fails() {
  local name=$1; shift
  run "$K" --db "$DB" audit verify
  local t missing=""
  for t in "$@"; do [[ "$ERR" == *"$t"* ]] || missing="$missing '$t'"; done
  if [ "$RC" -ne 1 ]; then t_fail "$name" "expected exit 1, got $RC: $OUT $ERR"
  elif [ -n "$missing" ]; then t_fail "$name" "stderr lacks$missing: $ERR"
  elif [ "$(echo "$ERR" | wc -l)" -ne 1 ]; then t_fail "$name" "more than one line: $ERR"
  else t_ok "$name"; fi
}

tamper altered_reason "UPDATE events SET reason='x' WHERE seq=3"
expect_verify_fails "altered reason: names event 3 as altered" "event 3 " "altered"

tamper altered_data "UPDATE events SET data='{\"child\":\"Bob\"}' WHERE seq=2"
expect_verify_fails "altered data: names event 2" "event 2 " "altered"

tamper altered_actor "UPDATE events SET actor='someone else' WHERE seq=$N"
expect_verify_fails "altered actor of the newest event" "event $N " "altered"

tamper altered_state "UPDATE events SET to_state='closed' WHERE seq=6"
expect_verify_fails "altered to-state: names event 6" "event 6 " "altered"

tamper altered_time "UPDATE events SET at='2001-01-01T00:00:00Z' WHERE seq=4"
expect_verify_fails "altered time: names event 4" "event 4 " "altered"

tamper altered_hash "UPDATE events SET hash='$(printf '0%.0s' $(seq 64))' WHERE seq=5"
expect_verify_fails "overwritten hash: names event 5" "event 5 "

tamper deleted_middle "DELETE FROM events WHERE seq=4"
expect_verify_fails "deleted event: names the missing event 4" "event 4 is missing"

tamper deleted_first "DELETE FROM events WHERE seq=1"
expect_verify_fails "deleted first event: names event 1 missing" "event 1 is missing"

tamper deleted_last "DELETE FROM events WHERE seq=$N"
expect_verify_fails "deleted newest event: found (the log was cut short)" "event $N"

tamper deleted_two_last "DELETE FROM events WHERE seq>=$((N - 1))"
expect_verify_fails "deleted the two newest events: found" "event $((N - 1))"

tamper forged "INSERT INTO events(seq,case_id,at,actor,role,kind,name,from_state,to_state,reason,data,prev_hash,hash)
  SELECT $((N + 1)), 1, '2030-01-01T00:00:00Z', 'intruder', 'boss', 'case.transition', 'close', 'working', 'closed', NULL, '{}',
         'feedface', 'deadbeef'"
expect_verify_fails "forged event appended: names it" "event $((N + 1))"

tamper renumbered "DELETE FROM events WHERE seq=3; UPDATE events SET seq=1-seq WHERE seq>3; UPDATE events SET seq=-seq WHERE seq<0"
expect_verify_fails "deleted and renumbered: found at event 3" "event 3 "

expect_out "the original is still intact" "chain intact" "$K" audit verify
expect_refused "audit without verify: usage" 2 "audit verify" "$K" audit

t_done
