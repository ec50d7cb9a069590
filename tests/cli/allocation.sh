#!/usr/bin/env bash
# tests/cli/allocation.sh: the database owner's tools for responsibility, through the real
# binary: teams, allocating a case (each allocation an event: from, to, by, why), the cases
# of one worker, and private values that `case show` leaves out unless asked with
# --reveal --reason (a read recorded under the OS user's name).
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

cat >refuge.lua <<'EOF'
return workflow {
  name = "refuge",
  roles = { "worker" },
  initial = "open",
  sensitive = { data = { "safe_address" }, members = { "phone" } },
  states = { { "open" }, { "closed", final = true } },
  transitions = { { "close", from = "open", to = "closed", by = { "worker" } } },
}
EOF
cat >intake.lua <<'EOF'
return form { name = "intake", title = "Intake",
  fields = { { "notes", type = "text" },
             { "refuge_address", type = "text", sensitive = true } } }
EOF

quiet "$K" init
quiet "$K" deploy refuge.lua intake.lua
for u in alice bob; do
  echo "a long enough password 1" | "$K" user add "$u" --role caseworker --password-stdin >/dev/null 2>&1 ||
    t_fail "setup: user $u" "user add failed"
done

# ---- teams ------------------------------------------------------------------------------

expect_out "team add" "team north added" "$K" team add north
quiet "$K" team add south
expect_refused "a team twice: exit 1" 1 "kinflow: a team 'north' already exists" "$K" team add north
expect_refused "a team name in capitals: exit 1" 1 \
  "team name 'North': use 1 to 64 lower-case letters, digits, _ or -" "$K" team add North
expect_refused "team add without a name: usage" 2 "team add NAME | team list" "$K" team add
expect_eq "team list --json: by name, no members yet" "north [] south []" \
  "$("$K" team list --json | py '" ".join(t["name"] + " " + json.dumps(t["members"]) for t in d)')"
expect_out "team list (text)" "south                (no members)" "$K" team list
expect_eq "team.added recorded by the actor" "tester north" \
  "$(t_sql "SELECT actor, name FROM events WHERE kind='team.added' ORDER BY seq LIMIT 1" | tr '|' ' ')"

# ---- allocation -------------------------------------------------------------------------

quiet "$K" case new refuge --ref R-1 --data '{"child": "Ava", "safe_address": "4 Quiet Road"}'
quiet "$K" case member add R-1 --role parent --name Sam --data '{"phone": "0400 111 222", "dob": "1990-01-01"}'
quiet "$K" case new refuge --ref R-2
expect_eq "a new case is nobody's: allocated_to and team null" "None None" \
  "$("$K" case show R-1 --json | py 'd["allocated_to"], d["team"]' | tr -d "(),'")"
expect_out "case show (text): allocated to nobody" "allocated: nobody" "$K" case show R-1

expect_out "allocate R-1 to alice" "case 1: allocated to alice" \
  "$K" case allocate R-1 --to alice --reason "new referral"
expect_eq "case show --json: allocated_to alice, no team (she has none)" "alice None" \
  "$("$K" case show R-1 --json | py 'd["allocated_to"], d["team"]' | tr -d "(),'")"
expect_out "case show (text): allocated to alice" "allocated: alice (no team)" "$K" case show R-1
expect_ok "reallocate R-1 to bob" "$K" case allocate 1 --to bob --reason "alice on leave" --actor sam

run "$K" case history R-1 --json
expect_eq "history: two allocations, each from, to, team, from_team, by and why" \
  "None>alice None/None by tester: new referral | alice>bob None/None by sam: alice on leave" \
  "$(echo "$OUT" | py '" | ".join("%s>%s %s/%s by %s: %s" % (e["data"]["from"], e["data"]["to"], e["data"]["team"], e["data"]["from_team"], e["actor"], e["reason"]) for e in d if e["kind"] == "case.allocated")')"
run "$K" case history R-1
if [[ "$OUT" == *"case.allocated"*"by sam  reason: alice on leave"*'"from":"alice"'*'"to":"bob"'* ]]
then t_ok "history (text): the allocation, by whom, why, from and to"
else t_fail "history (text): the allocation, by whom, why, from and to" "$OUT"; fi

# refusals: each one message, nothing changed
EVENTS=$(t_sql "SELECT count(*) FROM events")
expect_refused "allocate to an unknown user" 1 "kinflow: no user 'zoe'" \
  "$K" case allocate R-2 --to zoe --reason "cover"
expect_refused "allocate without a reason" 1 "kinflow: case R-2: say why it is allocated (a reason is required)" \
  "$K" case allocate R-2 --to alice
expect_refused "allocate with an empty reason" 1 "kinflow: case R-2: say why it is allocated (a reason is required)" \
  "$K" case allocate R-2 --to alice --reason ""
expect_refused "allocate to an unknown team" 1 "kinflow: no team 'nowhere' (see \`kinflow team list\`)" \
  "$K" case allocate R-2 --to alice --reason "cover" --team nowhere
expect_refused "allocate into a team the worker is not in" 1 "kinflow: case 2: 'alice' is not a member of team 'north'" \
  "$K" case allocate R-2 --to alice --reason "cover" --team north
expect_refused "allocate to the same worker again" 1 "kinflow: case 1 is already allocated to bob (no team)" \
  "$K" case allocate R-1 --to bob --reason "again"
expect_refused "allocate an unknown case" 1 "kinflow: no case 'R-9'" \
  "$K" case allocate R-9 --to bob --reason "cover"
expect_refused "allocate without --to: usage" 2 "case allocate CASE --to LOGIN --reason TEXT [--team T]" \
  "$K" case allocate R-2 --reason "cover"
expect_eq "refusals recorded nothing" "$EVENTS" "$(t_sql "SELECT count(*) FROM events")"
expect_eq "R-2 is still nobody's" "None" "$(field R-2 allocated_to)"

# ---- caseloads --------------------------------------------------------------------------

expect_eq "case list --mine --actor bob: R-1" "R-1" \
  "$("$K" case list --mine --actor bob --json | py '" ".join(c["ref"] for c in d)')"
expect_eq "case list --mine --actor alice: none now" "" \
  "$("$K" case list --mine --actor alice --json | py '" ".join(c["ref"] for c in d)')"
expect_eq "case list --unallocated: R-2" "R-2" \
  "$("$K" case list --unallocated --json | py '" ".join(c["ref"] for c in d)')"
expect_refused "case list --mine without --actor: usage" 2 "case list --mine needs --actor LOGIN" \
  "$K" case list --mine
run "$K" case list
if [[ "$OUT" == *"allocated"* ]] && [[ "$(echo "$OUT" | grep 'R-1')" == *" bob "* ]]
then t_ok "case list (text): the allocated worker's column"; else t_fail "case list (text): the allocated worker's column" "$OUT"; fi

# ---- private values: left out, or revealed with a reason and recorded -------------------

quiet "$K" form submit R-1 intake --data '{"notes": "arrived at night", "refuge_address": "12 Hidden Lane"}'
run "$K" case show R-1
if [ "$RC" -eq 0 ] && [[ "$OUT" != *"Hidden Lane"* ]] && [[ "$OUT" != *"Quiet Road"* ]] && [[ "$OUT" != *"0400"* ]] &&
   [[ "$OUT" == *"left out: data.safe_address, member 1.phone, intake.refuge_address (--reveal"* ]]
then t_ok "case show (text) leaves out the safe address, the phone and the refuge address, and names them"
else t_fail "case show (text) leaves out the safe address, the phone and the refuge address, and names them" "exit $RC: $OUT $ERR"; fi
run "$K" case show R-1 --json
if [ "$RC" -eq 0 ] && [[ "$OUT" != *"Hidden Lane"* ]] && [[ "$OUT" != *"Quiet Road"* ]] && [[ "$OUT" != *"0400"* ]]
then t_ok "case show --json: the values are absent"; else t_fail "case show --json: the values are absent" "$OUT"; fi
expect_eq "case show --json: what stays, and what each part names as left out" \
  "Ava 1990-01-01 arrived at night | data.safe_address,member 1.phone,intake.refuge_address | member 1.phone | refuge_address" \
  "$(echo "$OUT" | py '"%s %s %s | %s | %s | %s" % (d["data"]["child"], d["members"][0]["data"]["dob"], d["entries"][0]["data"]["notes"], ",".join(d["hidden"]), ",".join(d["members"][0]["hidden"]), ",".join(d["entries"][0]["hidden"]))')"
run "$K" case members R-1 --json
if [ "$RC" -eq 0 ] && [[ "$OUT" != *"0400"* ]] && [[ "$OUT" == *"1990-01-01"* ]]
then t_ok "case members leaves the phone out too"; else t_fail "case members leaves the phone out too" "$OUT $ERR"; fi
expect_eq "a hidden read records nothing" "0" \
  "$(t_sql "SELECT count(*) FROM events WHERE kind='sensitive.read'")"
expect_refused "--reveal without a reason: usage" 2 "case show --reveal needs --reason TEXT" \
  "$K" case show R-1 --reveal

run env USER=ann "$K" case show R-1 --reveal --reason "court order 12" --json
expect_eq "--reveal --reason: the values are shown, nothing named hidden" "4 Quiet Road | 0400 111 222 | 12 Hidden Lane | False" \
  "$(echo "$OUT" | py '"%s | %s | %s | %s" % (d["data"]["safe_address"], d["members"][0]["data"]["phone"], d["entries"][0]["data"]["refuge_address"], "hidden" in d)')"
expect_eq "the read is recorded: the OS user (not --actor's), case, fields, basis owner, reason" \
  "ann | 1 | data.safe_address,member 1.phone,intake.refuge_address | owner | court order 12" \
  "$("$K" case history R-1 --json | py '[" | ".join([e["actor"], str(e["case"]), ",".join(e["data"]["fields"]), e["data"]["basis"], e["data"]["reason"]]) for e in d if e["kind"] == "sensitive.read"][0]')"
run env USER=ann "$K" case show R-1 --reveal --reason "second look"
if [ "$RC" -eq 0 ] && [[ "$OUT" == *'data.safe_address'*'"4 Quiet Road"'*'member 1.phone'*'"0400 111 222"'*'intake.refuge_address'*'"12 Hidden Lane"'* ]]
then t_ok "--reveal (text) prints each private value"; else t_fail "--reveal (text) prints each private value" "$OUT $ERR"; fi
expect_eq "each reveal is recorded" "2" \
  "$(t_sql "SELECT count(*) FROM events WHERE kind='sensitive.read'")"
run env -u USER "$K" case show R-1 --reveal --reason "no user set" --json
expect_eq "without \$USER the reader is 'cli'" "cli" \
  "$(t_sql "SELECT actor FROM events WHERE kind='sensitive.read' ORDER BY seq DESC LIMIT 1")"
expect_ok "--reveal on a case without private values" "$K" case show R-2 --reveal --reason "checking"
expect_eq "nothing revealed, nothing recorded" "3" \
  "$(t_sql "SELECT count(*) FROM events WHERE kind='sensitive.read'")"
expect_out "the log still verifies" "chain intact" "$K" audit verify

t_done
