#!/usr/bin/env bash
# tests/cli/lifecycle.sh: a programme written from DESIGN.md's coparenthood example, taken
# through init, deploy, cases, members, forms, moves, firing (and every kind of refusal),
# data, history, versions, atomicity of a failing action and optimistic revisions.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

nevents() { "$K" case history "$1" --json | py 'len(d)'; }
is_json() { "$PY" -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null; }

# The example of DESIGN.md, with transitions added so that every state is reachable and
# every non-final state has a way out.
cat >coparenthood.lua <<'EOF'
-- workflows/coparenthood.lua
return workflow {
  name = "coparenthood",
  title = "Co-parenthood",
  roles = { "caseworker", "family_link", "parent", "carer", "supervisor" },
  initial = "referral",
  states = {                                   -- ordered: the display order
    { "referral",       title = "Referral and matching" },
    { "building_trust", title = "Stage 1: Building trust", forms = { "communication_book" },
                        review = "28d" },    -- a review is due every 28 days in this state
    { "capability",     title = "Stage 2: Strengthening parenting capability" },
    { "restoration",    title = "Stage 3: Preparing for restoration" },
    { "restored",       title = "Restored home", final = true, outcome = "restored" },
    { "closed",         title = "Closed", final = true, outcome = "closed" },
  },
  transitions = {
    { "match", from = "referral", to = "building_trust", by = { "caseworker" },
      requires = { "child_information" },      -- forms that need a valid entry
      when = { "consent_recorded" } },         -- rule names, or functions
    { "lapse", from = "referral", to = "closed", after = "90d" },  -- fired by time
    { "strengthen", from = "building_trust", to = "capability", by = { "caseworker", "family_link" },
      requires = { "home_visit" } },
    { "prepare", from = "capability", to = "restoration", by = { "caseworker" },
      when = { function(case)
        if case.data.overnight_stays then return true end
        return false, "overnight stays at home have not started yet"
      end } },
    { "restore", from = "restoration", to = "restored", by = { "supervisor" } },
    { "close", from = "*", to = "closed", by = { "supervisor" }, reason = true },
  },
  on_enter = {
    building_trust = function(case) case.data.matched_on = kf.today() end,
    restoration = function(case)
      if case.data.refuse_entry then error("restoration cannot start: " .. case.data.refuse_entry) end
      case.data.restoration_started = true
    end,
  },
}
EOF
cat >home_visit.lua <<'EOF'
return form { name = "home_visit", title = "Home visit",
  fields = { { "visit_date", type = "date", required = true },
             { "mood", type = "choice", choices = { "settled", "unsettled" } },
             { "present", type = "list", of = "text" },
             { "address", type = "text", sensitive = true } } }
EOF

# ---- init and deploy ------------------------------------------------------------------

expect_refused "case list before init: exit 1, says to init" 1 "kinflow init" "$K" case list
expect_out "init creates the database" "ready" "$K" init
expect_out "init again is harmless" "ready" "$K" init
run "$K" deploy coparenthood.lua home_visit.lua
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"workflow coparenthood v1 deployed"* ]] && [[ "$OUT" == *"form home_visit v1 deployed"* ]]
then t_ok "deploy prints each version"; else t_fail "deploy prints each version" "exit $RC: $OUT $ERR"; fi
run "$K" deploy coparenthood.lua
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"coparenthood v1 unchanged"* ]]; then t_ok "deploying again unchanged says unchanged"
else t_fail "deploying again unchanged says unchanged" "exit $RC: $OUT $ERR"; fi
expect_out "workflows lists v1" "coparenthood" "$K" workflows
run "$K" workflows --json
expect_eq "workflows --json: one version of coparenthood" "1" "$(echo "$OUT" | py 'len([w for w in d if w["name"] == "coparenthood"])')"

# ---- opening cases ------------------------------------------------------------------

run "$K" case new coparenthood --data '{"child": "Ava", "region": "north"}' --ref CP-1
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"opened: coparenthood v1 at referral"* ]]; then t_ok "case new with --data and --ref"
else t_fail "case new with --data and --ref" "exit $RC: $OUT $ERR"; fi
C1=$(field CP-1 id)
expect_eq "case show by ref: state" "referral" "$(field CP-1 state)"
expect_eq "case show by id: ref" "CP-1" "$(field "$C1" ref)"
expect_eq "case show: data stored" "Ava north" "$("$K" case show "$C1" --json | py 'd["data"]["child"], d["data"]["region"]' | tr -d "(),'")"
expect_out "case show (text) by id names the state" "state:    referral" "$K" case show "$C1"
expect_out "case show (text) by ref names the workflow and version" "coparenthood v1" "$K" case show CP-1

run "$K" case new coparenthood --json
C2=$(echo "$OUT" | py 'd["id"]')
expect_eq "case new --json carries id and state" "referral" "$(echo "$OUT" | py 'd["state"] if "id" in d else "no id"')"

expect_refused "duplicate ref refused" 1 "CP-1" "$K" case new coparenthood --ref CP-1
expect_refused "case new for an undeployed workflow" 1 "no workflow 'fostering' is deployed" "$K" case new fostering
expect_refused "malformed --data JSON names the problem" 1 "--data is not valid JSON" "$K" case new coparenthood --data '{"child": "Ava"'
expect_refused "--data that is not an object" 1 "must be a JSON object" "$K" case new coparenthood --data '["Ava"]'
run "$K" case new coparenthood --data '{"child": '
expect_eq "malformed --data: one line on stderr" 1 "$(echo "$ERR" | wc -l)"
expect_refused "case new without a workflow: usage" 2 "case new WORKFLOW" "$K" case new

# a ref that looks like a number is accepted at opening, and finds its case
run "$K" case new coparenthood --ref 4711
if [ "$RC" -ne 0 ]; then t_fail "numeric ref: case show finds the case by its ref" "--ref 4711 refused at opening: exit $RC: $ERR"
else
  run "$K" case show 4711 --json
  if [ "$RC" -eq 0 ] && [ "$(echo "$OUT" | py 'd["ref"]')" = 4711 ]; then t_ok "numeric ref: case show finds the case by its ref"
  else t_fail "numeric ref: case show finds the case by its ref" "opened with --ref 4711, then exit $RC: $ERR"; fi
fi

# ---- listing ------------------------------------------------------------------------

cat >other.lua <<'EOF'
return workflow {
  name = "other",
  roles = { "worker" },
  initial = "start",
  states = { { "start" }, { "end", final = true } },
  transitions = { { "finish", from = "start", to = "end", by = { "worker" } } },
}
EOF
"$K" deploy other.lua >/dev/null
O1=$("$K" case new other --ref OT-1 --json | py 'd["id"]')
"$K" case fire OT-1 finish --as worker >/dev/null
O2=$("$K" case new other --json | py 'd["id"]')
run "$K" case list --json
if echo "$OUT" | is_json && [ "$(echo "$OUT" | py 'all("id" in c and "state" in c for c in d)')" = True ]
then t_ok "case list --json parses; each carries id and state"; else t_fail "case list --json parses; each carries id and state" "$OUT"; fi
expect_eq "case list --workflow other" "$O1 $O2" "$("$K" case list --workflow other --json | py '" ".join(str(c["id"]) for c in d)')"
expect_eq "case list --workflow other --state start" "$O2" "$("$K" case list --workflow other --state start --json | py '" ".join(str(c["id"]) for c in d)')"
expect_eq "case list --state end" "$O1" "$("$K" case list --state end --json | py '" ".join(str(c["id"]) for c in d)')"
expect_eq "case list --workflow with no cases: empty list" "[]" "$("$K" case list --workflow nothing --json | py 'd')"
run "$K" case list --workflow coparenthood
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"CP-1"* ]] && [[ "$OUT" != *"OT-1"* ]]; then t_ok "case list (text) filters by workflow"
else t_fail "case list (text) filters by workflow" "exit $RC: $OUT"; fi

# ---- members ------------------------------------------------------------------------

expect_out "member add: the child, with dob, says the member's number" "case CP-1: member 1 added: child Ava" "$K" case member add CP-1 --role child --name Ava --data '{"dob": "2019-03-02"}'
expect_ok "member add: a parent" "$K" case member add "$C1" --role parent --name Sam
expect_ok "member add: a carer" "$K" case member add CP-1 --role carer --name "Jo Carer"
run "$K" case members CP-1
if [ "$RC" -eq 0 ] && [[ "$OUT" == "1 "*"child"*"Ava"*"2019-03-02"* ]] && [[ "$OUT" == *"3 "*"carer"*"Jo Carer"* ]]; then t_ok "case members lists people, their numbers and roles"
else t_fail "case members lists people and roles" "exit $RC: $OUT"; fi
expect_eq "case members --json in order" "child:Ava parent:Sam carer:Jo Carer" "$("$K" case members CP-1 --json | py '" ".join(m["role"] + ":" + m["name"] for m in d)')"
expect_refused "member add without --name" 2 "--name" "$K" case member add CP-1 --role parent
expect_refused "member add to an unknown case" 1 "no case 'CP-404'" "$K" case member add CP-404 --role parent --name X

# ---- moves and refusals at referral ---------------------------------------------------

run "$K" case moves CP-1 --as caseworker
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"blocked"*"match"* ]] && [[ "$OUT" == *"requires form 'child_information' (no valid entry)"* ]] &&
   [[ "$OUT" == *"consent to share information has not been recorded"* ]] && [[ "$OUT" == *"role 'caseworker' may not fire 'close'"* ]]
then t_ok "moves --as caseworker: blocked, with every reason"; else t_fail "moves --as caseworker: blocked, with every reason" "exit $RC: $OUT $ERR"; fi
run "$K" case moves CP-1 --as caseworker --json
expect_eq "moves --json: match, lapse and close, all blocked" "match:False lapse:False close:False" \
  "$(echo "$OUT" | py '" ".join(m["name"] + ":" + str(m["available"]) for m in d)')"
expect_eq "moves --json: the rule's own reason" "True" \
  "$(echo "$OUT" | py '"consent to share information has not been recorded" in [m for m in d if m["name"] == "match"][0]["reasons"]')"
run "$K" case moves CP-1 --as supervisor --json
expect_eq "moves --as supervisor: close available" "True" "$(echo "$OUT" | py '[m for m in d if m["name"] == "close"][0]["available"]')"
run "$K" case moves CP-1 --as supervisor
if [ "$RC" -eq 0 ] && echo "$OUT" | grep -q '^available *close' && echo "$OUT" | grep -q '^blocked *match'
then t_ok "moves (text): available and blocked"; else t_fail "moves (text): available and blocked" "exit $RC: $OUT"; fi
expect_refused "moves with an unknown role" 1 "unknown role 'wizard'" "$K" case moves CP-1 --as wizard
# Refusals as data ({code, params, text}): the console reads codes, never the sentences.
run "$K" case moves CP-1 --as caseworker --json
expect_eq "moves --json: refusals carry code and params" \
  "match form_missing {'form': 'child_information'} | match guard {'transition': 'match', 'rule': 'consent_recorded', 'reason': 'consent to share information has not been recorded'} | lapse by_time {'transition': 'lapse', 'after': '90d'} | close role {'role': 'caseworker', 'transition': 'close', 'by': ['supervisor']}" \
  "$(echo "$OUT" | py '" | ".join(m["name"] + " " + r["code"] + " " + str(dict(sorted(r["params"].items(), key=lambda kv: ["role", "transition", "form", "rule", "where", "reason", "after", "by"].index(kv[0])))) for m in d for r in m["refusals"])')"
expect_eq "moves --json: each refusal's text is the reason shown" "True" \
  "$(echo "$OUT" | py 'all([r["text"] for r in m["refusals"]] == m["reasons"] for m in d)')"

expect_refused "fire refused: quotes the guard's own reason" 1 "consent to share information has not been recorded" "$K" case fire CP-1 match --as caseworker
expect_refused "fire refused: names the missing form" 1 "requires form 'child_information'" "$K" case fire CP-1 match --as caseworker
expect_refused "fire refused: role not in by" 1 "role 'parent' may not fire 'match'" "$K" case fire CP-1 match --as parent
expect_refused "fire refused: role unknown to the workflow" 1 "unknown role 'wizard'" "$K" case fire CP-1 match --as wizard
expect_refused "fire refused: reason needed" 1 "needs a reason (--reason)" "$K" case fire CP-1 close --as supervisor
expect_refused "fire refused: blank reason" 1 "needs a reason" "$K" case fire CP-1 close --as supervisor --reason "   "
expect_refused "fire refused: wrong state" 1 "case is in 'referral'; 'restore' fires from restoration" "$K" case fire CP-1 restore --as supervisor
expect_refused "fire refused: a timed transition by hand" 1 "fired by time only" "$K" case fire CP-1 lapse --as caseworker
expect_refused "fire: unknown transition" 1 "has no transition 'teleport'" "$K" case fire CP-1 teleport --as caseworker
expect_refused "fire: unknown case" 1 "no case '999'" "$K" case fire 999 match --as caseworker
expect_eq "unknown case: one line" 1 "$(echo "$ERR" | wc -l)"
expect_refused "show: unknown case" 1 "no case 'NOPE'" "$K" case show NOPE
expect_eq "show unknown case: one line" 1 "$(echo "$ERR" | wc -l)"
expect_refused "fire without --as: usage" 2 "--as ROLE" "$K" case fire CP-1 match
expect_eq "refusals changed nothing" "referral" "$(field CP-1 state)"

# ---- forms ----------------------------------------------------------------------------

run "$K" form submit CP-1 home_visit --data '{"visit_date": "2024-13-01", "mood": "happy", "present": "Sam", "extra": 1}'
if [ "$RC" -eq 1 ] && [[ "$ERR" == *"visit_date: not a date (YYYY-MM-DD)"* ]] && [[ "$ERR" == *"mood: 'happy' is not one of: settled, unsettled"* ]] &&
   [[ "$ERR" == *"present: not a list"* ]] && [[ "$ERR" == *"extra: not a field of form 'home_visit'"* ]] && [ "$(echo "$ERR" | wc -l)" -eq 1 ]
then t_ok "refused entry names every bad field, on one line"; else t_fail "refused entry names every bad field, on one line" "exit $RC: $ERR"; fi
expect_refused "refused entry: required field" 1 "visit_date: required" "$K" form submit CP-1 home_visit --data '{"mood": "settled"}'
expect_refused "refused entry: impossible date" 1 "visit_date: not a date (YYYY-MM-DD)" "$K" form submit CP-1 home_visit --data '{"visit_date": "2024-02-30"}'
expect_refused "form submit: malformed JSON" 1 "not valid JSON" "$K" form submit CP-1 home_visit --data '{visit_date: 1}'
expect_refused "form submit: unknown form" 1 "no form 'home_vist'" "$K" form submit CP-1 home_vist --data '{}'
expect_eq "refused entries are not stored" "0" "$("$K" case show CP-1 --json | py 'len(d["entries"])')"
run "$K" form submit CP-1 home_visit --data '{"visit_date": "2024-05-01", "mood": "settled", "present": ["Sam", "Jo"]}'
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"home_visit entry"*"recorded"* ]]; then t_ok "valid entry recorded"
else t_fail "valid entry recorded" "exit $RC: $OUT $ERR"; fi
run "$K" form submit CP-1 home_visit --data '{"visit_date": "2024-05-08"}' --json
expect_eq "form submit --json" "home_visit True" "$(echo "$OUT" | py 'd["form"], d["checked"]' | tr -d "(),'")"

# the plugin's forms and rule, as the example uses them
expect_refused "plugin form refuses a bad entry" 1 "dob: not a date (YYYY-MM-DD)" "$K" form submit CP-1 child_information --data '{"child_name": "Ava", "dob": "02/03/2019"}'
expect_ok "child_information entry" "$K" form submit CP-1 child_information --data '{"child_name": "Ava", "dob": "2019-03-02"}'
expect_refused "still blocked by the rule alone" 1 "cannot fire 'match': consent to share information has not been recorded" "$K" case fire CP-1 match --as caseworker
expect_out "consent record from Sam, the parent (member 2)" "case CP-1: consent 1 recorded: Sam (parent) to share_with_partners" \
  "$K" consent give CP-1 --member 2 --purpose share_with_partners

# ---- firing ----------------------------------------------------------------------------

run "$K" case fire CP-1 match --as caseworker
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"match referral -> building_trust"* ]]; then t_ok "fire match"
else t_fail "fire match" "exit $RC: $OUT $ERR"; fi
expect_eq "on_enter set data" "$(date -u +%Y-%m-%d)" "$("$K" case show CP-1 --json | py 'd["data"].get("matched_on")')"
expect_eq "data kept across the move" "Ava" "$("$K" case show CP-1 --json | py 'd["data"].get("child")')"
expect_ok "strengthen by family_link (home_visit entry present)" "$K" case fire CP-1 strengthen --as family_link
expect_refused "function guard: its own reason" 1 "overnight stays at home have not started yet" "$K" case fire CP-1 prepare --as caseworker
run "$K" case moves CP-1 --as caseworker --json
expect_eq "moves --json: a function guard's refusal names its file and line" \
  "guard prepare coparenthood.lua:24 overnight stays at home have not started yet" \
  "$(echo "$OUT" | py '[" ".join([r["code"], r["params"]["transition"], r["params"]["where"].rsplit("/", 1)[-1], r["params"]["reason"]]) for m in d if m["name"] == "prepare" for r in m["refusals"]][0]')"

# case set merges
R0=$(field CP-1 revision)
run "$K" case set CP-1 --data '{"overnight_stays": true, "refuse_entry": "no safety plan"}'
expect_eq "case set: exit 0" 0 "$RC"
run "$K" case set CP-1 --data '{"region": "south", "notes": {"a": 1}}' --json
expect_eq "case set --json carries id and state" "$C1 capability" "$(echo "$OUT" | py 'd["id"], d["state"]' | tr -d "(),'")"
expect_eq "case set merges (old keys kept, new added, changed replaced)" "Ava south True no safety plan" \
  "$("$K" case show CP-1 --json | py 'd["data"]["child"], d["data"]["region"], d["data"]["overnight_stays"], d["data"]["refuse_entry"]' | tr -d "(),'")"
expect_eq "case set bumps the revision once per call" "$((R0 + 2))" "$(field CP-1 revision)"
expect_refused "case set: malformed JSON" 1 "not valid JSON" "$K" case set CP-1 --data '{"a":}'
expect_refused "case set without --data: usage" 2 "--data" "$K" case set CP-1

# an action that raises leaves the case exactly as it was
S_BEFORE=$(field CP-1 state); R_BEFORE=$(field CP-1 revision); D_BEFORE=$("$K" case show CP-1 --json | py 'json.dumps(d["data"], sort_keys=True)')
E_BEFORE=$(nevents CP-1)
run "$K" case fire CP-1 prepare --as caseworker
if [ "$RC" -eq 1 ] && [[ "$ERR" == *"restoration cannot start: no safety plan"* ]] && [[ "$ERR" == *"coparenthood.lua:"* ]]
then t_ok "on_enter raising: refused, naming file and message"; else t_fail "on_enter raising: refused, naming file and message" "exit $RC: $ERR"; fi
expect_eq "on_enter raising: state unchanged" "$S_BEFORE" "$(field CP-1 state)"
expect_eq "on_enter raising: revision unchanged" "$R_BEFORE" "$(field CP-1 revision)"
expect_eq "on_enter raising: data unchanged" "$D_BEFORE" "$("$K" case show CP-1 --json | py 'json.dumps(d["data"], sort_keys=True)')"
expect_eq "on_enter raising: no new event" "$E_BEFORE" "$(nevents CP-1)"

# optimistic revisions
"$K" case set CP-1 --data '{"refuse_entry": null}' >/dev/null
expect_eq "case set: null removes a key" "False" "$("$K" case show CP-1 --json | py '"refuse_entry" in d["data"]')"
REV=$(field CP-1 revision)
run "$K" case fire CP-1 prepare --as caseworker --revision $((REV - 1))
if [ "$RC" -eq 1 ] && [[ "$ERR" == *"changed"* ]]; then t_ok "fire --revision stale: conflict"
else t_fail "fire --revision stale: conflict" "exit $RC: $ERR"; fi
expect_eq "stale fire changed nothing" "capability $REV" "$(field CP-1 state) $(field CP-1 revision)"
expect_refused "case set --revision stale: conflict" 1 "changed" "$K" case set CP-1 --data '{"x": 1}' --revision $((REV - 1))
run "$K" case fire CP-1 prepare --as caseworker --revision "$REV" --json
expect_eq "fire --revision current: done; --json carries id and state" "$C1 restoration" "$(echo "$OUT" | py 'd["id"], d["state"]' | tr -d "(),'")"
expect_eq "on_enter of restoration ran" "True" "$("$K" case show CP-1 --json | py 'd["data"].get("restoration_started")')"

run "$K" case fire CP-1 restore --as supervisor
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"(final)"* ]]; then t_ok "restore: final"; else t_fail "restore: final" "exit $RC: $OUT $ERR"; fi
expect_eq "final case is final" "restored True" "$("$K" case show CP-1 --json | py 'd["state"], d["final"]' | tr -d "(),'")"
expect_refused "final state: nothing leaves" 1 "final state 'restored'" "$K" case fire CP-1 close --as supervisor --reason "done"
expect_out "moves on a final case: none" "final state" "$K" case moves CP-1 --as supervisor

# close with a reason from elsewhere
expect_ok "close with --reason" "$K" case fire "$C2" close --as supervisor --reason "family moved interstate"
expect_eq "close: reason stored on the event" "family moved interstate" \
  "$("$K" case history "$C2" --json | py '[e for e in d if e["kind"] == "case.transition"][-1]["reason"]')"

# ---- history ----------------------------------------------------------------------------

run "$K" case history CP-1 --json
if echo "$OUT" | is_json; then t_ok "history --json parses"; else t_fail "history --json parses" "$OUT"; fi
expect_eq "history: events in order" \
  "case.opened member.added member.added member.added form.submitted form.submitted form.submitted consent.given case.transition case.transition case.data case.data case.data case.transition case.transition" \
  "$(echo "$OUT" | py '" ".join(e["kind"] for e in d)')"
expect_eq "history: seq strictly increasing" "True" "$(echo "$OUT" | py 'all(a["seq"] < b["seq"] for a, b in zip(d, d[1:]))')"
expect_eq "history: transitions with from/to and role" \
  "match:referral>building_trust:caseworker strengthen:building_trust>capability:family_link prepare:capability>restoration:caseworker restore:restoration>restored:supervisor" \
  "$(echo "$OUT" | py '" ".join("%s:%s>%s:%s" % (e["name"], e["from"], e["to"], e["role"]) for e in d if e["kind"] == "case.transition")')"
expect_eq "history: actor recorded" "tester" "$(echo "$OUT" | py 'd[-1]["actor"]')"
expect_ok "fire --actor" "$K" case fire "$O2" finish --as worker --actor someone
expect_eq "fire --actor recorded on the event" "someone" "$("$K" case history "$O2" --json | py 'd[-1]["actor"]')"
run "$K" case history CP-1
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"match referral -> building_trust"* ]]; then t_ok "history (text)"
else t_fail "history (text)" "exit $RC: $OUT"; fi
expect_refused "history of an unknown case" 1 "no case" "$K" case history 12345

# ---- --json outputs parse --------------------------------------------------------------

for cmd in "case show CP-1" "case list" "case members CP-1" "case moves $C2 --as caseworker" "workflows" "audit verify"; do
  run "$K" $cmd --json
  if [ "$RC" -eq 0 ] && echo "$OUT" | is_json; then t_ok "--json parses: $cmd"; else t_fail "--json parses: $cmd" "exit $RC: $OUT $ERR"; fi
done

# ---- versions --------------------------------------------------------------------------

OLD=$("$K" case new coparenthood --ref CP-OLD --json | py 'd["id"]')
sed -i 's/title = "Co-parenthood",/title = "Co-parenthood (revised)",/' coparenthood.lua
run "$K" deploy coparenthood.lua
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"coparenthood v2 deployed"* ]]; then t_ok "changed file deploys as v2"
else t_fail "changed file deploys as v2" "exit $RC: $OUT $ERR"; fi
expect_eq "existing case stays on v1" "1" "$(field CP-OLD version)"
NEW=$("$K" case new coparenthood --json | py 'd["id"]')
expect_eq "new case opens on v2" "2" "$(field "$NEW" version)"
P_ID=$("$K" case member add CP-OLD --role parent --name P | sed -n 's/.*member \([0-9]*\) added.*/\1/p')
expect_out "v1 case still fires under v1" "building_trust" bash -c "'$K' form submit CP-OLD child_information --data '{\"child_name\":\"B\",\"dob\":\"2020-01-01\"}' >/dev/null && '$K' consent give CP-OLD --member $P_ID --purpose share_with_partners >/dev/null && '$K' case fire CP-OLD match --as caseworker"
expect_eq "workflows --json: both versions" "1 2" "$("$K" workflows --json | py '" ".join(str(w["version"]) for w in d if w["name"] == "coparenthood")')"
run "$K" deploy coparenthood.lua
if [[ "$OUT" == *"v2 unchanged"* ]]; then t_ok "v2 again: unchanged"; else t_fail "v2 again: unchanged" "$OUT $ERR"; fi

expect_out "audit verify after all that" "chain intact" "$K" audit verify

t_done
