#!/usr/bin/env bash
# Plugins through the real binary: Lua and C plugins listed with what they add, the ABI
# checked, a failed init undone, duplicates refused naming both, C rules and actions
# called from a workflow, event hooks after commit, plugin subcommands, the outbox, forms
# validated and versioned, and the analysts' rule commands.
source "$(dirname "$0")/../lib.sh"
# where the outbox has delivered up to (its cursor, kept in the database)
outbox_cursor() { "$K" outbox status | sed -n 's/.*delivered up to event \([0-9]*\),.*/\1/p'; }
cd "$T_DIR"
ln -s "$ROOT/plugins" plugins
export KINFLOW_PLUGIN_PATH=$ROOT/tests/plugins
export ABI_TEST_LOG=$T_DIR/abi.log
$K init >/dev/null

run $K plugins --json
expect_eq "plugins exits 1 when some plugin failed to load" 1 "$RC"
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); p={x["name"]: x for x in d["plugins"]}; assert "rule abi_even_case" in p["abi-test"]["adds"] and "action abi_stamp" in p["abi-test"]["adds"] and "command abi-test" in p["abi-test"]["adds"] and p["abi-test"]["version"]=="1.2.3" and "form child_information" in p["forms-core"]["adds"]' \
  && t_ok "plugins --json lists each plugin, its version and what it adds" || t_fail "plugins --json" "$OUT"
[[ "$ERR" == *"abi-future.so: built for plugin ABI 99"*"rebuild the plugin"* ]] && t_ok "a plugin for a newer ABI is refused before it runs" || t_fail "abi check" "$ERR"
[[ "$ERR" == *"plugin 'abi-bad-init' refused: its init failed; nothing it registered remains"* ]] && t_ok "a failed init is named" || t_fail "failed init" "$ERR"
[[ "$ERR" == *"rule 'consent_recorded' is already added"*"abi-dup"* ]] && t_ok "a duplicate rule is refused naming both" || t_fail "duplicate" "$ERR"

cat > wf.lua <<'W'
return workflow {
  name = "plug", roles = { "worker" }, initial = "start",
  states = { { "start" }, { "stamped" }, { "done", final = true } },
  transitions = {
    { "stamp", from = "start", to = "stamped", by = { "worker" }, when = { "abi_even_case" },
      action = function(case) kf.actions.abi_stamp(case, { label = "checked" }) end },
    { "broken", from = "start", to = "done", by = { "worker" }, when = { "abi_failing" } },
    { "finish", from = "stamped", to = "done", by = { "worker" } },
  },
}
W
cat > bad.lua <<'W'
return workflow {
  name = "bad", roles = { "worker" }, initial = "start",
  states = { { "start" }, { "done", final = true } },
  transitions = { { "go", from = "start", to = "done", by = { "worker" }, when = { "abi_bad_rule" } } },
}
W
expect_refused "a rule from a failed init does not exist" 1 "bad.lua:4: transition 'go': guard 'abi_bad_rule' is neither" $K check bad.lua
expect_ok "a workflow using C rules checks" $K deploy wf.lua
$K case new plug >/dev/null 2>&1; $K case new plug >/dev/null 2>&1
expect_refused "a C rule refuses with its own reason" 1 "case 1 is odd (the abi-test rule wants an even case)" $K case fire 1 stamp --as worker
expect_refused "a C rule that fails is reported, not a crash" 1 "the abi-test rule broke on purpose" $K case fire 1 broken --as worker
expect_ok "a C rule passes" $K case fire 2 stamp --as worker
run $K case show 2 --json
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["data"]=={"stamped_by":"abi-test","stamp":"checked","stamped_case":2}, d["data"]' \
  && t_ok "a C action's changes are stored with the move" || t_fail "C action" "$OUT"
grep -q "^hook case.transition " abi.log && t_ok "event hooks run after commit" || t_fail "hooks" "$(cat abi.log)"
grep -q "^hook workflow.deployed" abi.log && t_fail "hook kinds" "a case. hook got a workflow event" || t_ok "a hook gets only the kinds it asked for"
grep -q "^unloaded" abi.log && t_ok "plugins are unloaded at exit" || t_fail "unload" "$(cat abi.log)"
expect_out "a plugin adds a subcommand" "json {\"a\":1,\"b\":\"two\"} 1 two" $K abi-test
run $K abi-test
host_events=$(echo "$OUT" | sed -n 's/^events \([0-9]*\)$/\1/p')
[[ -n "$host_events" && "$OUT" == *"reader events $host_events, may 1"* ]] \
  && t_ok "a plugin's reader reads the log as the host does and decides sharing (ABI 4)" \
  || t_fail "reader" "$OUT"
[[ "$OUT" == *"dir $ROOT/tests/plugins/abi-test"* && "$OUT" == *"events "* ]] && t_ok "the subcommand reaches the API" || t_fail "subcommand" "$OUT"
[[ "$OUT" == *"delivery claim 1, other 0, advance 0, other's advance -1, cursor +5, other after release 1 at +5;"* ]] \
  && t_ok "a destination's lease: one holder at a time, its cursor forward only by the holder, taken over after release (ABI 6)" \
  || t_fail "delivery lease" "$OUT"
started=$(echo "$OUT" | sed -n 's/^delivery .*; started at \([0-9]*\)$/\1/p')
run $K abi-test
expect_eq "a destination's cursor stays in the database between processes" "$((started + 5))" \
  "$(echo "$OUT" | sed -n 's/^delivery .*; started at \([0-9]*\)$/\1/p')"
run $K abi-test fail
expect_eq "a subcommand's exit status is kept" 1 "$RC"
expect_refused "an unknown command is a usage error" 2 "unknown command 'nope'" $K nope

# The verbs a plugin calls check their arguments: a bad id is a 400 naming it, not a crash.
run $K abi-test
[[ "$OUT" == *"call {\"id\": [1]}: 400 case.get: 'id' must be a case number or reference"* ]] && t_ok "a list as case id is refused, not a crash" || t_fail "id list" "$OUT $ERR"
[[ "$OUT" == *"call {\"id\": {\"a\": 1}}: 400 case.get: 'id' must be a case number or reference"* ]] && t_ok "an object as case id is refused" || t_fail "id object" "$OUT"
[[ "$OUT" == *"call {\"id\": 2.5}: 400 case.get: 'id' must be a case number or reference"* ]] && t_ok "a fraction as case id is refused" || t_fail "id real" "$OUT"
[[ "$OUT" == *"call {}: 400 case.get: 'id' is missing"* ]] && t_ok "a missing id is named" || t_fail "id missing" "$OUT"
[[ "$OUT" == *"400 case.fire: 'transition' must be text"* ]] && t_ok "a wrong type is named with its verb and key" || t_fail "type" "$OUT"
[[ "$OUT" == *"call no.such.verb: 404 no verb 'no.such.verb'"* ]] && t_ok "an unknown verb is a 404" || t_fail "verb" "$OUT"
run $K abi-test fire 1 stamp worker
[[ "$OUT" == *'fire: 409 case 1: cannot fire '"'"'stamp'"'"': case 1 is odd'*'detail {"refusals":[{"code":"guard"'* ]] && t_ok "a refused move leaves its refusals as data for the plugin" || t_fail "refusal detail" "$OUT"
grep -q "^init session: a plugin may not open a session in its init" abi.log && t_ok "init cannot open a session, and says why (no hang)" || t_fail "init session" "$(cat abi.log)"

# A hook that opens a session and calls the engine (here: on every event) used to hang the
# command holding the plugin lock; events its own calls commit reach the hooks afterwards.
: > abi.log
run env ABI_TEST_HOOK_SESSION=1 timeout 30 $K case new plug
expect_eq "a hook that opens a session does not hang the command" 0 "$RC"
grep -q "^session hook case.opened: case.get with id true: 400 case.get: 'id' must be a case number or reference" abi.log && t_ok "a hook's call is answered" || t_fail "hook call" "$(cat abi.log)"
grep -q "^session hook case.opened: member_add: 200 added" abi.log && t_ok "a hook can write through a session" || t_fail "hook write" "$(cat abi.log)"
grep -q "^session hook member.added" abi.log && t_ok "events committed by a hook reach the hooks after it returns" || t_fail "hook events" "$(cat abi.log)"
sed 's/name = "plug"/name = "plug2"/' wf.lua > wf2.lua
run env ABI_TEST_HOOK_SESSION=1 timeout 60 $K deploy wf2.lua
expect_eq "deploy with a session-opening hook finishes" 0 "$RC"
grep -q "^session hook workflow.deployed: case.get" abi.log && t_ok "the hook saw the deploy" || t_fail "deploy hook" "$(cat abi.log)"
# Every event passes the runtime, so hooks see users added and the console's own events.
echo "a long enough password 1" | env ABI_TEST_HOOK_SESSION=1 timeout 60 $K user add hookuser --role caseworker --password-stdin >/dev/null 2>&1
grep -q "^session hook user.added" abi.log && t_ok "hooks see user.added" || t_fail "user.added hook" "$(cat abi.log)"
run env ABI_TEST_HOOK_SESSION=1 timeout 60 $K abi-test
[[ "$OUT" == *"event.log: 200 logged"* ]] && grep -q "^session hook console.abi_test" abi.log && t_ok "hooks see events the console logs" || t_fail "event.log hook" "$OUT $(cat abi.log)"

# The outbox delivers every committed event once, in order, and catches up after an outage;
# a case's events go only under a current consent to share (tests/cli/consent.sh has more).
unset KINFLOW_PLUGIN_PATH
ob=$($K case new plug --json | py 'd["id"]')
$K case member add "$ob" --role parent --name "Robin Testwood" >/dev/null 2>&1
obm=$($K case members "$ob" --json | py 'd[0]["id"]')
$K consent give "$ob" --member "$obm" --purpose share_with_partners >/dev/null 2>&1
KINFLOW_OUTBOX=off $K case set "$ob" --data '{"n": 1}' >/dev/null 2>&1   # delivery down: events pile up
KINFLOW_OUTBOX=off $K case set "$ob" --data '{"n": 2}' >/dev/null 2>&1
expect_out "outbox status counts what is pending" "2 pending" $K outbox status
expect_out "outbox flush delivers what piled up" "2 events delivered" $K outbox flush
$K case set "$ob" --data '{"n": 3}' >/dev/null 2>&1
# what may go: events of no case, and of a case only from its consent on
first=$(t_sql "SELECT min(seq) FROM events WHERE kind='consent.given'")
want=$(t_sql "SELECT $(t_agg seq , seq) FROM (SELECT seq FROM events WHERE case_id IS NULL OR (case_id=$ob AND seq >= $first) ORDER BY seq) AS s")
python3 - "$T_OUTBOX" "$want" <<'P' && t_ok "every event that may go delivered exactly once, in order" || t_fail "outbox" "see $T_OUTBOX"
import json, sys
seqs = [json.loads(l)["seq"] for l in open(sys.argv[1])]
want = [int(x) for x in sys.argv[2].split(",")]
assert seqs == want, (seqs, want)
P

# A burst: 300 cases opened in one command go out from the plugin's delivery thread in
# batches, the last of them before the command ends; none has consent, so each case's
# opening is recorded as withheld, once.
for i in $(seq 1 300); do echo '{"workflow": "plug"}'; done >burst.jsonl
before=$(t_sql "SELECT coalesce(sum(events), 0) FROM withheld WHERE destination='outbox'")
quiet $K case import burst.jsonl
last=$(t_sql "SELECT max(seq) FROM events")
expect_eq "a burst: delivered up to its last event before the command ended" "$last" "$(outbox_cursor)"
expect_eq "a burst: every case's events withheld once" "$((before + 300))" \
  "$(t_sql "SELECT sum(events) FROM withheld WHERE destination='outbox'")"
expect_out "a burst: nothing pending" " 0 pending" $K outbox status

# Forms: validated, every bad field named; plugin forms versioned on first use.
cat > f.lua <<'W'
return workflow {
  name = "visits", roles = { "worker" }, initial = "open",
  states = { { "open" }, { "done", final = true } },
  transitions = { { "close", from = "open", to = "done", by = { "worker" }, requires = { "home_visit" } } },
  forms = { form { name = "home_visit", title = "Home visit", fields = {
    { "visit_date", type = "date", required = true },
    { "mood", type = "choice", choices = { "settled", "unsettled" } },
    { "present", type = "list", of = "text" },
    { "children", type = "number", min = 0, max = 12 },
    { "address", type = "text", sensitive = true } } } },
}
W
$K deploy f.lua >/dev/null
$K case new visits >/dev/null 2>&1
id=$($K case list --workflow visits --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
expect_refused "a refused entry names every bad field" 1 "visit_date: not a date (YYYY-MM-DD); mood: 'happy' is not one of: settled, unsettled; present: not a list; children: must be at most 12; colour: not a field of form 'home_visit'" \
  $K form submit "$id" home_visit --data '{"visit_date":"2026-13-01","mood":"happy","present":"x","children":40,"colour":"red"}'
expect_refused "a required field is named" 1 "visit_date: required" $K form submit "$id" home_visit --data '{}'
expect_refused "requires sees valid entries only" 1 "requires form 'home_visit' (no valid entry)" $K case fire "$id" close --as worker
expect_ok "a valid entry is stored" $K form submit "$id" home_visit --data '{"visit_date":"2026-03-01","mood":"settled","present":["Robin"]}'
expect_ok "then the move is available" $K case fire "$id" close --as worker
$K case new coparenthood >/dev/null 2>&1 || { $K deploy "$ROOT/workflows/coparenthood.lua" >/dev/null 2>&1; $K case new coparenthood >/dev/null 2>&1; }
cid=$($K case list --workflow coparenthood --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
run $K form submit "$cid" child_information --json --data '{"child_name":"Ava Example","dob":"2019-01-05"}'
pid=$($K case member add "$cid" --role parent --name "Robin Example" | sed -n 's/.*member \([0-9]*\) added.*/\1/p')
quiet $K consent give "$cid" --member "$pid" --purpose share_with_partners
[[ "$OUT" == *'"form_version": 1'* ]] && t_ok "a plugin form's entry carries the form's version" || t_fail "form version" "$OUT $ERR"

# Rules: impact writes nothing; deploy overrides the plugin's at once; rollback restores it.
cat > consent.lua <<'W'
return rule { name = "consent_recorded", description = "consent plus a date on the case",
  check = function(case)
    if case.data.consent_date then return true end
    return false, "the consent date is not on the case"
  end }
W
before=$(t_sql "SELECT count(*) FROM events; SELECT count(*) FROM definitions")
run $K rule impact consent.lua --json
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); c=[x for x in d["changed"] if x["case"]=='"$cid"']; assert c and c[0]["before"]["ok"] and not c[0]["after"]["ok"] and "consent date" in c[0]["after"]["reason"], d' \
  && t_ok "rule impact lists the case whose result changes, before and after" || t_fail "impact" "$OUT $ERR"
expect_eq "rule impact writes nothing" "$before" "$(t_sql "SELECT count(*) FROM events; SELECT count(*) FROM definitions")"
expect_out "rule deploy" "v1 deployed" $K rule deploy consent.lua --actor analyst1
run $K case moves "$cid" --as caseworker
[[ "$OUT" == *"the consent date is not on the case"* ]] && t_ok "a deployed rule takes effect at once" || t_fail "deploy effect" "$OUT"
expect_out "rule history shows the version in force" "in force: v1" $K rule history consent_recorded
expect_out "rule rollback" "in force now: plugin rules-core" $K rule rollback consent_recorded --actor analyst2
run $K case moves "$cid" --as caseworker
[[ "$OUT" != *"the consent date is not on the case"* ]] && t_ok "after rollback the plugin's rule applies again" || t_fail "rollback effect" "$OUT"
run $K case history "$cid"
who=$(t_sql "SELECT $(t_agg "kind || ':' || actor" ' ' seq) FROM events WHERE kind LIKE 'rule.%'")
expect_eq "deploy and rollback are events with their author" "rule.deployed:analyst1 rule.rolled_back:analyst2" "$who"
expect_refused "rollback with nothing deployed is refused" 1 "no deployed version to roll back" $K rule rollback consent_recorded
expect_refused "rule deploy refuses a workflow file" 1 "is not a rule file" $K rule deploy f.lua
expect_ok "audit verify after all of it" $K audit verify
t_done
