#!/usr/bin/env bash
# tests/cli/consent.sh: consent as a record, through the real binary: a member of the case
# gives consent for a purpose, staff withdraw it on their behalf with a reason; each refusal
# names what is wrong; a guard and a deployed rule asking case:consent block from the next
# request on; the withdrawal flags the case for its worker (shown, cleared); the outbox
# sends a case's events only under a current consent (another case's still go), skips the
# rest for good and counts them; `case show --json` says what was withheld and why; an
# export is refused without consent and carries no private value with it; scenario steps
# consent and withdraw; the audit chain holds after all of it.
source "$(dirname "$0")/../lib.sh"
# where the outbox has delivered up to (its cursor, kept in the database)
outbox_cursor() { "$K" outbox status | sed -n 's/.*delivered up to event \([0-9]*\),.*/\1/p'; }
cd "$T_DIR" || exit 1
at 2026-01-05T09:00:00Z

cat >share.lua <<'EOF'
return workflow {
  name = "share", roles = { "worker" }, initial = "open",
  sensitive = { data = { "safe_address" }, members = { "address" } },
  states = { { "open" }, { "planned" }, { "shared" }, { "closed", final = true } },
  transitions = {
    { "plan", from = "open", to = "planned", by = { "worker" }, when = { "consent_to_plan" } },
    { "share", from = { "open", "planned" }, to = "shared", by = { "worker" },
      when = { function(case)
        local k = case:consent("share_with_partners")
        if not k then return false, "no current consent to share with partners" end
        return true
      end } },
    { "unshare", from = "shared", to = "open", by = { "worker" } },
    { "close", from = "*", to = "closed", by = { "worker" } },
  },
}
EOF
cat >consent_to_plan.lua <<'EOF'
return rule { name = "consent_to_plan", description = "the family agreed to plan with us",
  check = function(case)
    local k = case:consent("plan_with_family")
    if not k then return false, "no current consent to plan with the family" end
    return true, k.name .. " agreed on " .. k.from
  end }
EOF
quiet $K init
quiet $K deploy share.lua consent_to_plan.lua
quiet $K case new share --data '{"safe_address": "1 Hidden Road", "area": "north"}'
quiet $K case member add 1 --role parent --name "Robin Testwood" --data '{"address": "2 Secret Street", "dob": "1990-05-17"}'
quiet $K case member add 1 --role child --name "Ava Testwood"
quiet $K case new share
quiet $K case member add 2 --role carer --name "Sam Carer"

# ---- give, list ----
expect_out "consent give names who, what and when" \
  "case 1: consent 1 recorded: Robin Testwood (parent) to share_with_partners from 2026-01-05 until 2027-01-05" \
  $K consent give 1 --member 1 --purpose share_with_partners --until 2027-01-05
expect_out "consent give for another purpose, from a date" "consent 2 recorded" \
  $K consent give 1 --member 1 --purpose plan_with_family --from 2026-01-01
expect_out "consent list shows it current" "share_with_partners      from 2026-01-05 until 2027-01-05  current" \
  $K consent list 1
run $K consent list 1 --json
expect_eq "consent list --json: the contract's fields" \
  "1 1 Robin Testwood parent share_with_partners 2026-01-05 2027-01-05 True False None" \
  "$(echo "$OUT" | py '" ".join(str(d[0][k]) for k in ("id","member","name","role","purpose","from","until","current","on_behalf","withdrawn_at"))')"
expect_out "consent list of a case without any says so" "no consents recorded" $K consent list 2

# ---- refusals, each naming what ----
expect_refused "a member not on the case" 1 "kinflow: member 4 is not on case 1 (see \`kinflow case members 1\`)" \
  $K consent give 1 --member 4 --purpose share_with_partners
expect_refused "a member holding no family role (the child) cannot give consent" 1 \
  "kinflow: member 2 (Ava Testwood, child) holds no family role of programme 'share', so cannot give consent (family roles: parent, carer, young_person, care_leaver, family)" \
  $K consent give 1 --member 2 --purpose share_with_partners
expect_refused "a purpose that is no identifier" 1 "kinflow: purpose 'Share Widely' is not an identifier: a lower-case letter, then up to 63 lower-case letters, digits or _ (e.g. share_with_partners)" \
  $K consent give 1 --member 1 --purpose "Share Widely"
expect_refused "from that is no date" 1 "kinflow: from '2026-02-30' is not a date (YYYY-MM-DD)" \
  $K consent give 1 --member 1 --purpose share_with_school --from 2026-02-30
expect_refused "until that is no date" 1 "kinflow: until 'next week' is not a date (YYYY-MM-DD)" \
  $K consent give 1 --member 1 --purpose share_with_school --until "next week"
expect_refused "until before from" 1 "kinflow: until 2026-01-31 is before from 2026-02-01: a consent cannot end before it starts" \
  $K consent give 1 --member 1 --purpose share_with_school --from 2026-02-01 --until 2026-01-31
expect_refused "an unknown case" 1 "kinflow: no case '9' (give a case number or its ref)" \
  $K consent give 9 --member 1 --purpose share_with_partners
expect_refused "give without --member is usage" 2 "consent give CASE --member ID --purpose P" \
  $K consent give 1 --purpose share_with_partners
expect_refused "a member that is no number is usage" 2 "--member needs the member's id" \
  $K consent give 1 --member Robin --purpose share_with_partners
expect_refused "withdraw without a reason" 1 "kinflow: withdrawing consent 1 on the member's behalf needs a reason (--reason TEXT)" \
  $K consent withdraw 1 1
expect_refused "withdraw an unknown consent" 1 "kinflow: case 1 has no consent 7 (see \`kinflow consent list 1\`)" \
  $K consent withdraw 1 7 --reason "asked"
expect_refused "withdraw another case's consent" 1 "kinflow: case 2 has no consent 1 (see \`kinflow consent list 2\`)" \
  $K consent withdraw 2 1 --reason "asked"
expect_eq "refusals record nothing" 2 "$(t_sql "SELECT count(*) FROM consents")"

# ---- a guard and a rule on case:consent; the outbox under consent ----
quiet $K consent give 2 --member 3 --purpose share_with_partners
expect_out "a deployed rule sees the consent" "available  plan" $K case moves 1 --as worker
expect_ok "the guard lets the case under consent move" $K case fire 1 share --as worker
quiet $K case fire 1 unshare --as worker
quiet $K case set 2 --data '{"note": "before"}'
grep -q '"kind":"case.transition","name":"share"' "$T_OUTBOX" 2>/dev/null \
  && t_ok "the outbox carries the events of a case under consent" \
  || t_fail "outbox before" "$(tail -3 "$T_OUTBOX" 2>/dev/null)"

# analysts' scripts and rule previews see consents too
cat >who.lua <<'EOF'
local k = kf.case(1):consent("plan_with_family")
print(k and (k.name .. " " .. k.role .. " " .. k.from) or "none")
print(kf.case(1):consent("share_with_school") == nil)
EOF
run $K script run who.lua
expect_eq "a script reads a case's current consent" "Robin Testwood parent 2026-01-01
true" "$OUT"
sed 's/plan_with_family/share_with_school/' consent_to_plan.lua > school.lua
expect_out "a rule preview evaluates case:consent on every open case" \
  "rule consent_to_plan: 2 open cases evaluated, 1 would change" $K rule impact school.lua

# ---- withdrawal: on behalf, with a reason; from the next request on ----
at 2026-05-01T10:00:00Z
expect_out "staff withdraw on the member's behalf" \
  "case 1: consent 1 withdrawn (Robin Testwood, share_with_partners); the case is flagged for its worker" \
  $K consent withdraw 1 1 --reason "she asked by phone" --actor alice
expect_refused "withdrawn twice" 1 "kinflow: consent 1 was already withdrawn on 2026-05-01" \
  $K consent withdraw 1 1 --reason "again"
run $K consent list 1 --json
expect_eq "the withdrawal is recorded: when, by whom, why, on their behalf" \
  "2026-05-01T10:00:00Z alice she asked by phone True False" \
  "$(echo "$OUT" | py '" ".join(str(d[0][k]) for k in ("withdrawn_at","withdrawn_by","withdrawn_reason","on_behalf","current"))')"
expect_refused "the guard blocks from the next request on" 1 "no current consent to share with partners" \
  $K case fire 1 share --as worker
quiet $K consent withdraw 1 2 --reason "family asked to pause planning"
expect_refused "the rule blocks too" 1 "no current consent to plan with the family" $K case fire 1 plan --as worker
run $K case history 1 --json
expect_eq "events: consent.given, consent.withdrawn with its data, case.flagged" \
  "1 True she asked by phone share_with_partners" \
  "$(echo "$OUT" | py '(lambda w: "%d %s %s %s" % (w[0]["data"]["consent"], w[0]["data"]["on_behalf"], w[0]["data"]["reason"], w[0]["data"]["purpose"]))([e for e in d if e["kind"]=="consent.withdrawn"])')"
expect_eq "each withdrawal raises a case.flagged event" 2 \
  "$(echo "$OUT" | py 'len([e for e in d if e["kind"]=="case.flagged"])')"

# ---- flags ----
expect_out "case flags shows the withdrawal for the worker" \
  "consent_withdrawn  Robin Testwood withdrew consent to share_with_partners on 2026-05-01 (recorded on their behalf by alice): she asked by phone" \
  $K case flags 1
expect_eq "case show --json carries the open flags" 2 "$($K case show 1 --json | py 'len(d["flags"])')"
expect_eq "case list --json: flagged counts open flags" "2 0" "$($K case list --json | py '"%d %d" % (d[0]["flagged"], d[1]["flagged"])')"
expect_out "case flags --clear clears one" "case 1: flag 1 cleared" $K case flags 1 --clear 1
expect_refused "clearing it again" 1 "kinflow: case 1 has no open flag 1 (see \`kinflow case flags 1\`)" $K case flags 1 --clear 1
quiet $K case flags 1 --clear 2
expect_out "no open flags left" "case 1: no open flags" $K case flags 1
run $K case history 1 --json
expect_eq "clearing is an event" 2 "$(echo "$OUT" | py 'len([e for e in d if e["kind"]=="case.flag_cleared"])')"

# ---- the outbox after withdrawal ----
quiet $K case set 1 --data '{"note": "after withdrawal"}'
quiet $K case set 2 --data '{"note": "still shared"}'
grep -q '"after withdrawal"' "$T_OUTBOX" && t_fail "outbox after" "case 1's event after withdrawal went out" \
  || t_ok "after withdrawal the case's next events are not in the outbox"
grep -q '"still shared"' "$T_OUTBOX" && t_ok "another case's events under consent still go" \
  || t_fail "outbox other" "$(tail -2 "$T_OUTBOX")"
grep -q '"case":1,.*"kind":"case.flagged"' "$T_OUTBOX" && t_fail "outbox flag" "the flag went out" \
  || t_ok "the withdrawal's own flag does not go out"
withheld=$(t_sql "SELECT sum(events) FROM withheld WHERE destination='outbox'")
w1=$(t_sql "SELECT events FROM withheld WHERE destination='outbox' AND case_id=1")
expect_eq "case 1's events from the withdrawal on were withheld (and its first two, before consent)" \
  "$(t_sql "SELECT count(*) FROM events WHERE case_id=1 AND (seq < (SELECT min(seq) FROM events WHERE kind='consent.given') OR seq >= (SELECT min(seq) FROM events WHERE kind='consent.withdrawn'))")" "$w1"
expect_out "outbox status counts what was withheld" "0 pending; $withheld withheld for want of consent to share_with_partners (2 cases)" \
  $K outbox status
run $K case show 1 --json
expect_eq "case show --json: sharing says what was withheld from the outbox, and why" \
  "outbox share_with_partners no current consent to share_with_partners (withdrawn 2026-05-01)" \
  "$(echo "$OUT" | py '" ".join([s for s in d["sharing"] if s["destination"]=="outbox"][0][k] for k in ("destination","purpose","reason"))')"
expect_out "case show says it in words too" "withheld: $w1 events from outbox (share_with_partners)" $K case show 1
cursor=$(outbox_cursor)
expect_eq "skipped events are skipped for good: the cursor is past them" \
  "$(t_sql "SELECT max(seq) FROM events")" "$cursor"
lines=$(wc -l < "$T_OUTBOX")
quiet $K outbox flush
expect_eq "a flush sends nothing again" "$lines" "$(wc -l < "$T_OUTBOX")"
grep -q "Hidden Road\|Secret Street" "$T_OUTBOX" && t_fail "outbox private" "a private value went out" \
  || t_ok "no private value in the outbox"
# A purpose of the outbox's own: no consent to it, nothing about a case goes.
quiet env KINFLOW_OUTBOX_PURPOSE=share_with_school $K case set 2 --data '{"note": "school"}'
grep -q '"school"' "$T_OUTBOX" && t_fail "outbox purpose" "sent without consent to share_with_school" \
  || t_ok "KINFLOW_OUTBOX_PURPOSE names the consent the outbox needs"

# ---- exports ----
expect_refused "an export without consent is refused, naming the purpose and why" 1 \
  "kinflow: case 1: not exported to partner_agency: no current consent to share_with_partners (withdrawn 2026-05-01)" \
  $K case export 1 --purpose share_with_partners --destination partner_agency
expect_refused "an export for a purpose never consented to" 1 \
  "kinflow: case 1: not exported to export: no consent to share_with_school has been recorded" \
  $K case export 1 --purpose share_with_school
expect_eq "a refused export is recorded in sharing" "1 no current consent to share_with_partners (withdrawn 2026-05-01)" \
  "$($K case show 1 --json | py '(lambda s: "%d %s" % (s["events"], s["reason"]))([s for s in d["sharing"] if s["destination"]=="partner_agency"][0])')"
expect_refused "export needs --purpose" 2 "case export CASE --purpose P" $K case export 1
quiet $K consent give 1 --member 1 --purpose share_with_partners
expect_out "an export under consent is written" "case 1: exported to out.json for share_with_partners (destination partner_agency," \
  $K case export 1 --purpose share_with_partners --destination partner_agency --to out.json
expect_eq "the export: the case, its members, entries and events; sensitive values (private)" \
  "(private) (private) north True" \
  "$(py '"%s %s %s %s" % (d["case"]["data"]["safe_address"], d["members"][0]["data"]["address"], d["case"]["data"]["area"], len(d["events"]) > 10)' < out.json)"
grep -q "Hidden Road\|Secret Street" out.json && t_fail "export private" "a private value in the export" || t_ok "no private value in the export"
run $K case history 1 --json
expect_eq "a done export is an event" "share_with_partners partner_agency" \
  "$(echo "$OUT" | py '" ".join([e for e in d if e["kind"]=="case.exported"][0]["data"][k] for k in ("purpose","destination"))')"

# ---- scenario steps ----
mkdir -p lib
sed "s/when = { \"consent_to_plan\" }//" share.lua > lib/share.lua   # a scenario deploys its workflow alone
cat >lib/share.test.lua <<'EOF'
return scenarios "share" {
  { "consent lets the case be shared, withdrawal stops it",
    steps = {
      { member = "parent", name = "Robin Testwood" },
      { fire = "share", as = "worker", refused = "no current consent to share with partners" },
      { consent = "share_with_partners", by = "Robin Testwood", from = "2026-01-05", ["until"] = "2027-01-05" },
      { fire = "share", as = "worker" },
      { fire = "unshare", as = "worker" },
      { withdraw = "share_with_partners", by = "Robin Testwood", reason = "changed my mind" },
      { expect = { as = "worker", blocked = { share = "no current consent" } } },
      { withdraw = "share_with_partners", by = "Robin Testwood", refused = "has no consent to share_with_partners in force" },
      { consent = "share_with_partners", by = "Robin Testwood", ends = "2026-12-31" },
      { fire = "share", as = "worker" },
      { consent = "share_with_partners", by = "Nobody Here", refused = "no member named 'Nobody Here'" },
    } },
}
EOF
expect_out "scenario steps consent and withdraw" "1 passed, 0 failed" $K test lib
cat >lib/bad.test.lua <<'EOF'
return scenarios "share" {
  { "a consent step without by", steps = { { consent = "share_with_partners" } } },
}
EOF
run $K test lib/bad.test.lua
[[ $RC -eq 1 && "$OUT" == *"FAIL lib/bad.test.lua: lib/bad.test.lua:2: scenario 'a consent step without by' step 1: consent share_with_partners needs by = \"a member's name\""* ]] \
  && t_ok "a consent step without by is refused at its line" || t_fail "bad step" "$RC $OUT"

# ---- a member who left the case gives no consent ----
LEFT=$($K case member add 2 --role parent --name "Lee Former" | sed -n 's/.*member \([0-9]*\) added.*/\1/p')
quiet $K case member end 2 "$LEFT" --reason "moved away" --on 2026-05-01
expect_refused "a member who left cannot give consent" 1 \
  "kinflow: member $LEFT (Lee Former) left the case on 2026-05-01, so cannot give consent" \
  $K consent give 2 --member "$LEFT" --purpose share_with_partners

# ---- help and the audit chain ----
expect_out "kinflow help lists the consent commands" "consent give CASE --member ID --purpose P" $K help
expect_out "audit verify passes after all of it" "chain intact" $K audit verify
t_done
