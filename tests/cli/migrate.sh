#!/usr/bin/env bash
# tests/cli/migrate.sh: programme versions through the real binary. A two-version programme
# (v2 renames a state, removes one, adds a required form and a transition); the default
# plan and a plan file (a state mapping, a data transform); check writes nothing (audit
# head and event count unchanged); run moves the mappable cases and lists the others; a
# transition only v2 has fires; undo puts a case back exactly and leaves (and lists) one
# that moved on; audit verify after each; a data function's error names case and line;
# each refusal by its message; adaptations of the base re-applied on the new version and
# their cases moved (one that cannot be re-applied is said); kill -9 during a run of 2,000
# cases loses nothing; the heartbeat (a stale run is taken for interrupted though its
# process lives, and stops itself at its next beat).
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
at 2026-01-05T09:00:00Z

cat >v1.lua <<'EOF'
return workflow {
  name = "pathway", title = "Pathway", roles = { "caseworker", "supervisor" }, initial = "intake",
  states = {
    { "intake", title = "Intake" },
    { "trust", title = "Building trust", review = "28d" },
    { "legacy", title = "Legacy stage" },
    { "done", title = "Done", final = true, outcome = "done" },
  },
  transitions = {
    { "start", from = "intake", to = "trust", by = { "caseworker" } },
    { "park", from = "intake", to = "legacy", by = { "caseworker" } },
    { "finish", from = { "trust", "legacy" }, to = "done", by = { "supervisor" } },
  },
}
EOF
cat >v2.lua <<'EOF'
return workflow {
  name = "pathway", title = "Pathway", roles = { "caseworker", "supervisor" }, initial = "intake",
  forms = { form { name = "safety_check", title = "Safety check",
                   fields = { { "checked_on", type = "date", required = true } } } },
  states = {
    { "intake", title = "Intake" },
    { "building_trust", title = "Building trust", review = "7d" },
    { "done", title = "Done", final = true, outcome = "done" },
  },
  transitions = {
    { "start", from = "intake", to = "building_trust", by = { "caseworker" } },
    { "finish", from = "building_trust", to = "done", by = { "supervisor" }, requires = { "safety_check" } },
    { "step_back", from = "building_trust", to = "intake", by = { "caseworker" } },
  },
}
EOF
cat >plan.lua <<'EOF'
return migration {
  workflow = "pathway",
  to = 2,
  states = { trust = "building_trust" },
  data = function(data)
    data.programme_year = 2
    if data.explode then error("cannot convert this case") end
    return data
  end,
}
EOF

quiet "$K" init
quiet "$K" deploy v1.lua
for n in 1 2 3 4 5; do quiet "$K" case new pathway --data "{\"n\": $n}"; done
quiet "$K" case fire 2 start --as caseworker
quiet "$K" case fire 3 park --as caseworker
quiet "$K" case fire 4 start --as caseworker
quiet "$K" case fire 5 start --as caseworker
quiet "$K" case set 5 --data '{"explode": true}'
cp v2.lua pathway.lua
quiet "$K" deploy v2.lua

expect_out "check accepts a plan file" "plan.lua: ok (migration pathway)" "$K" check plan.lua
expect_out "default plan: trust unmapped" "unmapped: v1 trust (3 cases)" "$K" migrate plan pathway --to 2
expect_out "default plan: legacy unmapped" "unmapped: v1 legacy (1 case)" "$K" migrate plan pathway --to 2
expect_out "plan file maps trust" "trust                  -> building_trust         (the plan)" \
  "$K" migrate plan pathway --to 2 --plan plan.lua

# refusals, each by its one line
expect_refused "unknown workflow" 1 "kinflow: no workflow 'nope' is deployed (see \`kinflow workflows\`)" "$K" migrate check nope --to 2
expect_refused "unknown version" 1 "kinflow: workflow 'pathway' has no version 9 (versions: 1, 2)" "$K" migrate check pathway --to 9
expect_refused "no --to" 2 "kinflow: migrate: say which version to move to (--to VERSION)" "$K" migrate check pathway
expect_refused "bad --to" 2 "kinflow: migrate: --to takes a version number (e.g. --to 2)" "$K" migrate run pathway --to two
sed 's/to = 2/to = 1/' plan.lua >wrong_to.lua
expect_refused "plan for another version" 1 "kinflow: wrong_to.lua:3: the plan moves cases to version 1, not 2 (--to)" "$K" migrate run pathway --to 2 --plan wrong_to.lua
sed 's/building_trust/nowhere/' plan.lua >wrong_state.lua
expect_refused "plan maps to an unknown state" 1 "kinflow: wrong_state.lua:4: states: trust = 'nowhere': pathway v2 has no state 'nowhere'" "$K" migrate run pathway --to 2 --plan wrong_state.lua
sed 's/workflow = "pathway"/workflow = "other"/' plan.lua >wrong_wf.lua
expect_refused "plan for another workflow" 1 "kinflow: wrong_wf.lua:1: the plan is for workflow 'other', not 'pathway'" "$K" migrate run pathway --to 2 --plan wrong_wf.lua
echo 'return migration { workflow = "pathway", to = 2, stats = {} }' >typo.lua
expect_refused "check refuses an unknown field" 1 "typo.lua:1: migration: unknown field stats" "$K" check typo.lua
expect_refused "undo of no migration" 1 "kinflow: no migration 7 (see \`kinflow migrate list\`)" "$K" migrate undo 7
expect_refused "undo needs an id" 2 "kinflow: migrate undo ID (a migration's id: see \`kinflow migrate list\`)" "$K" migrate undo
expect_out "no migrations yet" "no migrations yet" "$K" migrate list

# the dry run writes nothing
head_of() { "$K" audit verify --json | py 'str(d["events"]) + " " + d["head"]'; }
before=$(head_of)
at 2026-02-20T09:00:00Z   # later than a 7-day review from entry: due at once
expect_out "check: a case that would move" "case 2: v1 trust -> v2 building_trust: would move" "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: review due at once" "timer review moved (due 2026-01-12T09:00:00Z) DUE AT ONCE" "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: a new required form blocks a move" "finish becomes blocked (requires form 'safety_check' (no valid entry))" "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: a new transition becomes available" "step_back becomes available" "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: unmapped state" "case 3: v1 legacy: cannot move: state 'legacy' has no counterpart in pathway v2" "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: the data function's error names case and line" "case 5: v1 trust: cannot move: " "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: ... at plan.lua:7" "case 5: plan.lua:7: cannot convert this case" "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: totals" "totals: 5 cases: 3 would move, 2 cannot; 2 with a timer due at once, 2 with moves that become blocked" "$K" migrate check pathway --to 2 --plan plan.lua
run "$K" migrate check pathway --to 2 --plan plan.lua --json
expect_eq "check --json totals" "3 2 5" "$(echo "$OUT" | py '"%d %d %d" % (d["totals"]["move"], d["totals"]["cannot"], d["totals"]["cases"])')"
expect_eq "check writes nothing" "$before" "$(head_of)"
at 2026-01-06T09:00:00Z

# the run
snapshot() { "$K" case show "$1" --json | py 'json.dumps({k: d[k] for k in ("workflow_id", "version", "state", "data", "entered_at", "overdue_since")}, sort_keys=True) + " " + json.dumps(sorted([(t["name"], t["kind"], t["state"], t["due_at"]) for t in d["timers"] if t["status"] == "pending"]))'; }
snap2=$(snapshot 2)
run "$K" migrate run pathway --to 2 --plan plan.lua
expect_eq "run exits 0 with cases left" 0 "$RC"
[[ "$OUT" == *"migration 1: 3 cases moved to pathway v2, 2 left"* ]] && t_ok "run prints the migration id and counts" || t_fail "run output" "$OUT"
[[ "$OUT" == *"case 3 stays at legacy: state 'legacy' has no counterpart"* ]] && t_ok "run lists an unmapped case" || t_fail "run lists unmapped" "$OUT"
[[ "$OUT" == *"case 5 stays at trust: case 5: plan.lua:7: cannot convert this case"* ]] && t_ok "run lists the data function's failure" || t_fail "run lists data failure" "$OUT"
expect_eq "case 2 on v2 at building_trust" "2 building_trust" "$("$K" case show 2 --json | py '"%d %s" % (d["version"], d["state"])')"
expect_eq "data transformed" "2" "$("$K" case show 2 --json | py 'd["data"]["programme_year"]')"
expect_eq "case 3 untouched on v1" "1 legacy" "$("$K" case show 3 --json | py '"%d %s" % (d["version"], d["state"])')"
expect_eq "case.migrated event" "case.migrated trust building_trust 1 2" "$("$K" case history 2 --json | py '" ".join(str(x) for x in [[e for e in d if e["kind"] == "case.migrated"][0][k] for k in ("kind", "from", "to")] + [[e for e in d if e["kind"] == "case.migrated"][0]["data"][k] for k in ("migration", "to_version")])')"
expect_out "audit verifies after the run" "chain intact" "$K" audit verify
expect_out "a transition only v2 has fires" "case 4: step_back building_trust -> intake" "$K" case fire 4 step_back --as caseworker
expect_out "list shows the migration" "pathway -> v2  done     3 moved, 2 left" "$K" migrate list

# the undo
run "$K" migrate undo 1
expect_eq "undo exits 0" 0 "$RC"
[[ "$OUT" == *"case 2 back at trust"* ]] && t_ok "undo puts case 2 back" || t_fail "undo case 2" "$OUT"
[[ "$OUT" == *"case 4 left at intake: it moved on after the migration (case.transition at"* ]] && t_ok "undo leaves and lists a case that moved on" || t_fail "undo lists case 4" "$OUT"
expect_eq "case 2 restored exactly (version, state, data, entry, timers)" "$snap2" "$(snapshot 2)"
expect_eq "case 4 stays on v2" "2 intake" "$("$K" case show 4 --json | py '"%d %s" % (d["version"], d["state"])')"
expect_eq "undo is an event" "case.migration_undone" "$("$K" case history 2 --json | py 'd[-1]["kind"]')"
expect_out "audit verifies after the undo" "chain intact" "$K" audit verify
expect_refused "undo twice" 1 "kinflow: migration 1 was undone already" "$K" migrate undo 1
expect_out "list shows it undone" "pathway -> v2  undone" "$K" migrate list

# roles gone and a mapping into a final state (a database of their own)
KINFLOW_DB=$(t_newdb gone) && export KINFLOW_DB
cat >visits1.lua <<'EOF2'
return workflow {
  name = "visits", title = "Visits", roles = { "caseworker", "volunteer", "mentor" }, initial = "intake",
  states = {
    { "intake", title = "Intake" },
    { "visiting", title = "Visiting" },
    { "paused", title = "Paused" },
    { "closed", title = "Closed", final = true, outcome = "ended" },
  },
  transitions = {
    { "visit", from = "intake", to = "visiting", by = { "volunteer", "caseworker" } },
    { "pause", from = "intake", to = "paused", by = { "caseworker" } },
    { "resume", from = "paused", to = "intake", by = { "mentor" } },
    { "withdraw", from = "intake", to = "closed", by = { "mentor" } },
    { "close", from = "visiting", to = "closed", by = { "caseworker" } },
  },
}
EOF2
cat >visits2.lua <<'EOF2'
return workflow {
  name = "visits", title = "Visits", roles = { "caseworker" }, initial = "intake",
  states = {
    { "intake", title = "Intake" },
    { "closed", title = "Closed", final = true, outcome = "ended" },
  },
  transitions = { { "close", from = "intake", to = "closed", by = { "caseworker" } } },
}
EOF2
echo 'return migration { workflow = "visits", to = 2, states = { visiting = "closed" } }' >visits_plan.lua
quiet "$K" init
quiet "$K" deploy visits1.lua
quiet "$K" case new visits
quiet "$K" case new visits
quiet "$K" case new visits
quiet "$K" case fire 2 visit --as volunteer
quiet "$K" case fire 3 pause --as caseworker
quiet "$K" deploy visits2.lua
expect_out "check: roles gone in the new version" "case 1: v1 intake -> v2 intake: would move; roles gone in v2: mentor, volunteer" \
  "$K" migrate check visits --to 2 --plan visits_plan.lua
expect_out "check: roles gone on a case that cannot move" "case 3: v1 paused: cannot move: state 'paused' has no counterpart in visits v2 (map it in a plan: states = { paused = \"...\" }); roles gone in v2: mentor" \
  "$K" migrate check visits --to 2 --plan visits_plan.lua
expect_out "check: totals count roles gone" "totals: 3 cases: 2 would move, 1 cannot; 0 with a timer due at once, 0 with moves that become blocked, 2 with roles gone, 1 that will close" \
  "$K" migrate check visits --to 2 --plan visits_plan.lua
run "$K" migrate check visits --to 2 --plan visits_plan.lua --json
expect_eq "check --json: roles_gone" '["mentor", "volunteer"] 2' "$(echo "$OUT" | py 'json.dumps(d["cases"][0]["roles_gone"]) + " " + str(d["totals"]["roles_gone"])')"
expect_out "check: a mapping into a final state is said" "case 2: v1 visiting -> v2 closed: would move; moves into final state 'closed': the case will close" \
  "$K" migrate check visits --to 2 --plan visits_plan.lua
expect_eq "check --json: closes" '{"outcome": "ended", "state": "closed"} 1' "$("$K" migrate check visits --to 2 --plan visits_plan.lua --json | py 'json.dumps(d["cases"][1]["closes"], sort_keys=True) + " " + str(d["totals"]["closing"])')"
run "$K" migrate run visits --to 2 --plan visits_plan.lua
expect_eq "run: the case mapped into a final state is closed" "closed True 2" "$("$K" case show 2 --json | py '"%s %s %d" % (d["state"], d["final"], d["version"])')"
expect_eq "run: case.migrated records the outcome" "ended" "$("$K" case history 2 --json | py '[e for e in d if e["kind"] == "case.migrated"][0]["data"]["outcome"]')"
[[ "$OUT" == *"case 3 stays at paused: state 'paused' has no counterpart in visits v2 (map it in a plan: states = { paused = \"...\" }); roles gone in v2: mentor"* ]] && t_ok "run lists roles gone on a case left" || t_fail "run lists roles gone" "$OUT"

# adaptations: moving the base re-applies each adaptation on the new version and moves its
# cases there (states by name, or as the plan maps them); one that cannot be re-applied
# (it names a state v2 removed) is said, and its cases stay
KINFLOW_DB=$(t_newdb adapt) && export KINFLOW_DB
cat >north.lua <<'EOF2'
return adapt "pathway" {
  name = "north", title = "Pathway, north", roles = { "elder" },
  states = { { "yarning", title = "Yarning circle", before = "done" } },
  transitions = {
    { "yarn", from = "intake", to = "yarning", by = { "elder" } },
    { "close_yarn", from = "yarning", to = "done", by = { "elder" } },
  },
}
EOF2
cat >south.lua <<'EOF2'
return adapt "pathway" {
  name = "south", title = "Pathway, south",
  transitions = { { "linger", from = "legacy", to = "intake", by = { "caseworker" } } },
}
EOF2
quiet "$K" init
quiet "$K" deploy v1.lua north.lua south.lua
for w in pathway north north north south; do quiet "$K" case new "$w"; done
quiet "$K" case fire 3 yarn --as elder
quiet "$K" case fire 4 start --as caseworker
quiet "$K" deploy v2.lua
expect_out "plan: an adaptation's cases, where they go" "from north v1 (adapts pathway; to north v2, re-applied on v2) (3 open cases):" \
  "$K" migrate plan pathway --to 2 --plan plan.lua
expect_out "plan: an adaptation that cannot be re-applied, and why" "adaptation south v1 -> south v2, re-applied on pathway v2: cannot: adaptation south cannot be re-applied on pathway v2: south.lua:3: transition 'linger' names unknown state 'legacy' in from" \
  "$K" migrate plan pathway --to 2 --plan plan.lua
before=$(head_of)
expect_out "check: a case of an adaptation names it" "case 3: north v1 yarning -> north v2 yarning: would move (north re-applied on pathway v2)" \
  "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: the plan maps an adaptation's state too" "case 4: north v1 trust -> north v2 building_trust: would move (north re-applied on pathway v2)" \
  "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: step_back (v2 only) becomes available on the adapted programme" "step_back becomes available" \
  "$K" migrate check pathway --to 2 --plan plan.lua
expect_out "check: the other adaptation's case cannot move" "case 5: south v1 intake: cannot move: adaptation south cannot be re-applied on pathway v2: south.lua:3:" \
  "$K" migrate check pathway --to 2 --plan plan.lua
run "$K" migrate check pathway --to 2 --plan plan.lua --json
expect_eq "check --json: per case its programme and target" "north 1 2 pathway True 4 1" \
  "$(echo "$OUT" | py '" ".join(str(x) for x in (d["cases"][2]["workflow"], d["cases"][2]["from_version"], d["cases"][2]["to_version"], d["cases"][2]["adapts"]["workflow"], d["cases"][2]["adapts"]["deploys"], d["totals"]["move"], d["totals"]["cannot"]))')"
expect_eq "check writes nothing (no version deployed either)" "$before" "$(head_of)"
run "$K" migrate run pathway --to 2 --plan plan.lua
[[ "$OUT" == *"adaptation north re-applied on pathway v2: deployed as north v2"* ]] && t_ok "run deploys the adaptation re-applied" || t_fail "run deploys north" "$OUT"
[[ "$OUT" == *"case 5 stays at intake: adaptation south cannot be re-applied on pathway v2"* ]] && t_ok "run lists the case it cannot move" || t_fail "run lists case 5" "$OUT"
[[ "$OUT" == *"migration 1: 4 cases moved to pathway v2, 1 left"* ]] && t_ok "run counts the adaptations' cases" || t_fail "run counts" "$OUT"
expect_eq "the adapted case is on north v2, on pathway v2, at yarning" "north 2 2 yarning" "$("$K" case show 3 --json | py '"%s %d %d %s" % (d["workflow"], d["version"], d["base_version"], d["state"])')"
expect_eq "case.migrated names the programme" "north north 1 2 2" "$("$K" case history 3 --json | py '" ".join(str(x) for x in [[e for e in d if e["kind"] == "case.migrated"][0]["name"]] + [[e for e in d if e["kind"] == "case.migrated"][0]["data"][k] for k in ("programme", "from_version", "to_version", "base_version")])')"
expect_out "a transition only v2 has fires on the adapted case" "case 4: step_back building_trust -> intake" "$K" case fire 4 step_back --as caseworker
expect_out "the adaptation's own transition still fires" "case 2: yarn intake -> yarning" "$K" case fire 2 yarn --as elder
expect_out "a new case of the adaptation opens on it" "north v2 at intake" "$K" case new north
expect_eq "south stays on v1" "south 1" "$("$K" case show 5 --json | py '"%s %d" % (d["workflow"], d["version"])')"
expect_out "audit verifies after the adapted run" "chain intact" "$K" audit verify
run "$K" migrate undo 1
[[ "$OUT" == *"case 3 back at yarning"* && "$OUT" == *"case 4 left at intake: it moved on after the migration"* ]] && t_ok "undo puts an adapted case back, leaves one that moved on" || t_fail "undo adapted" "$OUT"
expect_eq "undone: the adapted case is on north v1 again" "north 1 1" "$("$K" case show 3 --json | py '"%s %d %d" % (d["workflow"], d["version"], d["base_version"])')"
expect_out "audit verifies after the adapted undo" "chain intact" "$K" audit verify
# an adaptation deployed on the target already is used as it is; one pinned elsewhere
# is re-applied only on the base's newest version
sed 's/title = "Pathway"/title = "Pathway, third"/' v2.lua >v3b.lua
quiet "$K" deploy v3b.lua
quiet "$K" deploy north.lua
expect_out "plan: an adaptation on the target already" "adaptation north v3 -> north v3, re-applied on pathway v3 (deployed already)" \
  "$K" migrate plan pathway --to 3
expect_out "plan: re-applied only on the newest version" "adaptation north is re-applied on pathway's newest version (v3), not v2: move pathway to v3" \
  "$K" migrate plan pathway --to 2

# kill -9 during a run of 2,000 cases: each case is migrated (with its event) or untouched
KINFLOW_DB=$(t_newdb big) && export KINFLOW_DB
quiet "$K" init
quiet "$K" deploy v1.lua
seq 1 2000 | xargs -P 4 -I{} "$K" case new pathway --data '{"n": {}}' >/dev/null 2>&1
quiet "$K" deploy v2.lua
"$K" migrate run pathway --to 2 >/dev/null 2>&1 &
pid=$!
echo 'print(kf.sql("SELECT count(*) AS n FROM migrated_cases")[1].n)' >moved.lua
for _ in $(seq 1 300); do   # kill it once it has moved some cases
  n=$("$K" script run moved.lua 2>/dev/null || echo 0)
  [[ "${n:-0}" -ge 20 ]] && break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
cat >count.lua <<'EOF'
local rows = kf.sql([[SELECT d.version AS v, (SELECT count(*) FROM events e WHERE e.case_id = c.id AND e.kind = 'case.migrated') AS ev
  FROM cases c JOIN definitions d ON d.id = c.workflow_id]])
local moved, untouched, bad = 0, 0, 0
for _, r in ipairs(rows) do
  if r.v == 2 and r.ev == 1 then moved = moved + 1
  elseif r.v == 1 and r.ev == 0 then untouched = untouched + 1
  else bad = bad + 1 end
end
print(string.format("%d %d", moved + untouched, bad))
EOF
expect_eq "after kill -9: every case migrated with its event, or untouched" "2000 0" "$("$K" script run count.lua)"
expect_out "after kill -9: audit verifies" "chain intact" "$K" audit verify
moved=$("$K" script run moved.lua)
expect_out "after kill -9: list shows the run interrupted" "pathway -> v2  interrupted $moved moved" "$K" migrate list
echo "print(kf.sql(\"SELECT count(*) AS n FROM events WHERE kind = 'migration.interrupted'\")[1].n)" >interrupted.lua
expect_eq "after kill -9: its state is stored, with an event" "interrupted 1" "$("$K" migrate list --json | py 'd[0]["state"]') $("$K" script run interrupted.lua)"
expect_out "after kill -9: undo puts back the moved cases" "migration 1 undone: $moved cases put back, 0 left" "$K" migrate undo 1
echo 'print(kf.sql("SELECT count(*) AS n FROM cases c JOIN definitions d ON d.id = c.workflow_id WHERE d.version = 1")[1].n)' >on_v1.lua
expect_eq "after the undo: every case on v1" "2000" "$("$K" script run on_v1.lua)"
expect_out "after the undo: audit verifies" "chain intact" "$K" audit verify
expect_out "a second run moves them all" "2000 cases moved to pathway v2, 0 left" "$K" migrate run pathway --to 2
expect_eq "every case on v2" "0" "$("$K" script run on_v1.lua)"

# the heartbeat: a run beats every 100 cases with its counts; another process takes it for
# interrupted only when the heartbeat is over 60 s old (its pid alive or not, on any host).
# This run's clock stands still, so its heartbeat ages as the others' clock moves on.
sed 's/title = "Pathway"/title = "Pathway, third edition"/' v2.lua >v3.lua
quiet "$K" deploy v3.lua
# The run is paused (SIGSTOP) while the other processes look at it, at a moment it holds no
# lock (a write transaction can be begun beside it), so that it is alive however fast the
# machine; it goes on (SIGCONT) once it was marked. Its data function takes a few ms a case,
# so that it is still going when it is paused.
cat >slow3.lua <<'EOF3'
return migration { workflow = "pathway", to = 3,
  data = function(data) local x = 0; for i = 1, 300000 do x = x + i end; return data end }
EOF3
at 2026-03-01T10:00:00Z
# (without the outbox, whose delivery thread would hold its own lock while paused)
KINFLOW_OUTBOX=off "$K" migrate run pathway --to 3 --plan slow3.lua >"$T_DIR/run3.out" 2>"$T_DIR/run3.err" &
pid=$!
echo 'print(kf.sql("SELECT count(*) AS n FROM migrated_cases WHERE migration = 3")[1].n)' >moved3.lua
for _ in $(seq 1 300); do
  n=$("$K" script run moved3.lua 2>/dev/null || echo 0)
  [[ "${n:-0}" -ge 150 ]] && break
  sleep 0.05
done
# between_transactions: no transaction of another connection is open on the database
# (SQLite: a write transaction can begin at once; PostgreSQL: no other session is in one)
between_transactions() {
  if [ "$T_STORE" = postgresql ]; then
    [ "$(t_sql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")" = 0 ]
  else
    python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None); c.execute("BEGIN IMMEDIATE"); c.execute("ROLLBACK")' "$KINFLOW_DB" 2>/dev/null
  fi
}
# (a try lands between two transactions about one time in thirty: up to 1,000 tries)
paused=no
for _ in $(seq 1 1000); do
  kill -STOP "$pid" 2>/dev/null || break
  if between_transactions; then
    paused=yes; break
  fi
  kill -CONT "$pid"; sleep 0.01
done
expect_eq "the run is paused, alive, between its transactions" "yes" "$paused"
at 2026-03-01T10:00:30Z
run "$K" migrate list --json
expect_eq "heartbeat 30 s old: still running, its progress in counts" "running 2000 True 2026-03-01T10:00:00Z" \
  "$(echo "$OUT" | py '"%s %d %s %s" % (d[2]["state"], d[2]["counts"]["cases"], d[2]["counts"]["done"] >= 100, d[2]["heartbeat_at"])')"
expect_refused "a second run of the same workflow is refused while one runs" 1 \
  "kinflow: migration 3 of pathway is already running (started 2026-03-01T10:00:00Z by tester; process $pid on" \
  "$K" migrate run pathway --to 3
expect_refused "undo of a running migration is refused" 1 "kinflow: migration 3 is still running (process $pid on" "$K" migrate undo 3
at 2026-03-01T10:01:01Z
expect_out "heartbeat 61 s old, its process alive: interrupted" "pathway -> v3  interrupted" "$K" migrate list
kill -0 "$pid" 2>/dev/null && t_ok "the interrupted run's process was alive when it was marked" || t_fail "run alive" "the run ended before it was marked"
kill -CONT "$pid" 2>/dev/null
echo 'local last; for e in kf.events({ kind = "migration.interrupted" }) do last = e end; print(last.data.reason)' >why.lua
expect_eq "migration.interrupted says why" "no heartbeat since 2026-03-01T10:00:00Z (over 60 s)" "$("$K" script run why.lua)"
wait "$pid"
rc=$?
expect_eq "the run stops at its next heartbeat, exit 1" 1 "$rc"
[[ "$(cat "$T_DIR/run3.err")" == *"migration 3 was marked interrupted by another process (its heartbeat was too old): stopped here"* ]] \
  && t_ok "the run says why it stopped" || t_fail "run stop message" "$(tail -2 "$T_DIR/run3.err")"
cat >count3.lua <<'EOF3'
local rows = kf.sql([[SELECT d.version AS v, (SELECT count(*) FROM events e JOIN migrated_cases x ON x.seq = e.seq
  WHERE e.case_id = c.id AND e.kind = 'case.migrated' AND x.migration = 3) AS ev FROM cases c JOIN definitions d ON d.id = c.workflow_id]])
local moved, untouched, bad = 0, 0, 0
for _, r in ipairs(rows) do
  if r.v == 3 and r.ev == 1 then moved = moved + 1
  elseif r.v == 2 and r.ev == 0 then untouched = untouched + 1
  else bad = bad + 1 end
end
print(string.format("%d %d %d", moved + untouched, bad, moved))
EOF3
res=$("$K" script run count3.lua)
expect_eq "after the stop: every case on v3 with its event, or untouched on v2" "2000 0" "${res% *}"
expect_eq "after the stop: it moved some, not all" "True" "$(echo "${res##* }" | py '0 < d < 2000')"
expect_out "after the stop: audit verifies" "chain intact" "$K" audit verify
expect_out "after the stop: a new run moves the rest" "cases moved to pathway v3, 0 left" "$K" migrate run pathway --to 3

t_done
