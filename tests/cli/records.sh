#!/usr/bin/env bash
# tests/cli/records.sh: practice's records through the real binary. Controlled data keys:
# `case set` and `case new --data` refuse them by name, an action sets them. Members
# end-dated: gone from case:members, kept in `case members` and the history, their family
# account disabled; each refusal by its message. Case links both ways with their events.
# Agency settings: the default, a set value, read by kf.setting in a guard, listed with
# their label. ended_by on final states and `report outcomes --by ended_by`. `case list
# --sort KEY`: numbers by value, descending, missing last. `kinflow check` refuses each
# malformed declaration at its line.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
at 2026-03-02T09:00:00Z

cat >fund.lua <<'EOF'
return workflow {
  name = "fund", title = "Flexible funding", roles = { "worker", "supervisor" }, initial = "open",
  controlled = { "funding_allocation" },
  settings = {
    young_parent_age = { default = 25, label = "Upper age for a young parent (agency setting; not from the seed)" },
  },
  states = {
    { "open" }, { "approved" },
    { "withdrawn", final = true, outcome = "withdrew", ended_by = "family" },
    { "lapsed", final = true, outcome = "not matched", ended_by = "service" },
    { "done", final = true, ended_by = "goals_met" },
    { "closed", final = true },
  },
  transitions = {
    { "approve", from = "open", to = "approved", by = { "supervisor" },
      action = function(case) case.data.funding_allocation = 500 end },
    { "young", from = "open", to = "approved", by = { "worker" },
      when = { function(case)
        local limit = kf.setting("young_parent_age")
        if type(limit) ~= "number" then return false, "the setting is not a number" end
        if (case.data.age or 99) > limit then return false, "the parent is older than " .. limit end
        return true
      end } },
    { "count", from = "open", by = { "worker" }, stay = true,
      action = function(case)
        case.data.current = #case:members()
        case.data.everyone = #case:members(nil, true)
        case.data.parents = #case:members("parent")
        case.data.siblings = #case:links("sibling")
        case.data.links = #case:links()
      end },
    { "withdraw", from = "*", to = "withdrawn", by = { "worker" } },
    { "lapse", from = "*", to = "lapsed", by = { "worker" } },
    { "finish", from = "approved", to = "done", by = { "worker" } },
    { "close", from = "*", to = "closed", by = { "worker" } },
  },
}
EOF
quiet $K init
quiet $K deploy fund.lua

# ---- controlled data keys ----
quiet $K case new fund --data '{"age": 24}'
expect_refused "case set refuses a controlled key, naming it" 1 \
  "kinflow: case 1: 'funding_allocation' is the programme's to set (its forms and actions), not by hand" \
  $K case set 1 --data '{"funding_allocation": 100000}'
expect_refused "case set refuses removing a controlled key too" 1 \
  "'funding_allocation' is the programme's to set" $K case set 1 --data '{"funding_allocation": null}'
expect_refused "case new --data refuses a controlled key" 1 \
  "kinflow: case new (fund): 'funding_allocation' is the programme's to set (its forms and actions), not by hand" \
  $K case new fund --data '{"funding_allocation": 1}'
expect_eq "a refused case new opens nothing" "1" "$($K case list --json | py 'len(d)')"
expect_ok "case set of another key still works" $K case set 1 --data '{"note": "ok"}'
quiet $K case fire 1 approve --as supervisor
expect_eq "an action sets a controlled key" "500" "$($K case show 1 --json | py 'd["data"]["funding_allocation"]')"

# ---- members end-dated ----
quiet $K case new fund --data '{"age": 30}'
quiet $K case member add 2 --role parent --name "Ann Smith"
quiet $K case member add 2 --role carer --name "Bo Carer"
quiet $K case member add 2 --role parent --name "Cy Smith"
echo "river-lantern-43" | $K user add ann --family 2 --member 1 --password-stdin >/dev/null 2>&1 ||
  t_fail "setup: family account" "user add failed"
expect_refused "ending a member needs a reason" 2 "case member end needs --reason TEXT" \
  $K case member end 2 2
run $K case member end 2 9 --reason "moved"
expect_eq "a member not on the case is refused" \
  "1|kinflow: case 2: member 9 is not on the case (see \`kinflow case members 2\`)" "$RC|$ERR"
run $K case member end 2 1 --reason "moved" --on 2026-03-03
expect_eq "an end date after today is refused" \
  "1|kinflow: case 2: --on 2026-03-03 is after today; a member leaves on a date that has happened" "$RC|$ERR"
run $K case member end 2 1 --reason "moved" --on 2026-02-30
expect_eq "an end date that is no date is refused" \
  "1|kinflow: case 2: --on '2026-02-30' is not a date (YYYY-MM-DD)" "$RC|$ERR"
run $K case member end 2 1 --reason "moved" --on 2026-03-01
expect_eq "an end before the member was added is refused" \
  "1|kinflow: case 2: member 1 (Ann Smith) was added on 2026-03-02, so cannot have left on 2026-03-01" "$RC|$ERR"
expect_out "a member leaves with a reason" "case 2: member 1 (Ann Smith, parent) left on 2026-03-02: moved interstate" \
  $K case member end 2 1 --reason "moved interstate"
run $K case member end 2 1 --reason "again"
expect_eq "a member who left cannot leave again" \
  "1|kinflow: case 2: member 1 (Ann Smith) left the case on 2026-03-02 already" "$RC|$ERR"
expect_out "case members keeps them, marked with date and reason" "ended 2026-03-02: moved interstate" \
  $K case members 2
expect_eq "case members lists everyone" "3" "$($K case members 2 --json | py 'len(d)')"
expect_out "the history records member.ended" \
  '{"member":1,"name":"Ann Smith","on":"2026-03-02","reason":"moved interstate","role":"parent"}' \
  $K case history 2
expect_eq "the member's family account is disabled" "1" \
  "$(t_sql "SELECT disabled FROM users WHERE login='ann'")"
expect_eq "its disabling is recorded" '{"disabled":true,"member_ended":1}' \
  "$(t_sql "SELECT data FROM events WHERE kind='user.updated' AND name='ann'")"
run sh -c "echo river-lantern-43 | $K user add ann2 --family 2 --member 1 --password-stdin"
expect_eq "a member who left gets no family account" \
  "1|kinflow: user add: member 1 (Ann Smith) left case 2 on 2026-03-02: a family account is for a current member" "$RC|$ERR"
quiet $K case fire 2 count --as worker
expect_eq "case:members sees current members only; (role, true) everyone" "2 3 1" \
  "$($K case show 2 --json | py '"%d %d %d" % (d["data"]["current"], d["data"]["everyone"], d["data"]["parents"])')"

# ---- case links ----
quiet $K case new fund --ref SIB-1
expect_out "a sibling link" "case 2 linked to case SIB-1 as sibling" $K case link 2 SIB-1 --as sibling
expect_out "a continuation" "case 3 continues case 1" \
  $K case link 3 1 --as continues --reason "the child entered care"
run $K case link 3 2 --as sibling
expect_eq "a sibling link is one link both ways" "1|kinflow: case 3 is already linked to case 2 as sibling" "$RC|$ERR"
run $K case link 1 3 --as continues
expect_eq "a continuation cannot run both ways" \
  "1|kinflow: case 3 continues case 1 already; case 1 cannot also continue it" "$RC|$ERR"
run $K case link 2 2 --as sibling
expect_eq "a case is not linked to itself" "1|kinflow: case 2 cannot be linked to itself" "$RC|$ERR"
run $K case link 2 1 --as cousin
expect_eq "an unknown kind of link is refused" "1|kinflow: case link: --as is sibling or continues, not 'cousin'" "$RC|$ERR"
run $K case link 2 99 --as sibling
expect_eq "an unknown case is refused" "1|kinflow: no case '99' (give a case number or its ref)" "$RC|$ERR"
expect_eq "links list both ways" "sibling:2:from continues:1:to" \
  "$($K case links 3 --json | py '" ".join("%s:%d:%s" % (l["as"], l["case"], l["direction"]) for l in d)')"
expect_out "links read as words" "continued by case 3" $K case links 1
expect_out "case show lists the links in words" "linked:   continued by case 3" $K case show 1
expect_eq "case show --json carries the links" "continues:3:from" \
  "$($K case show 1 --json | py '" ".join("%s:%d:%s" % (l["as"], l["case"], l["direction"]) for l in d["links"])')"
expect_eq "case.linked on both cases" "to from" \
  "$(t_sql "SELECT $(t_agg "$(t_jtext data direction)" ' ' seq) FROM events WHERE kind='case.linked' AND $(t_jtext data as)='continues'$([ "$T_STORE" = sqlite ] && echo ' ORDER BY seq')")"
expect_eq "the continued case's event names the other and the reason" "3|the child entered care" \
  "$(t_sql "SELECT $(t_jtext data other), reason FROM events WHERE kind='case.linked' AND case_id=1")"
quiet $K case fire 2 count --as worker
expect_eq "case:links(as) from a workflow" "1 1" \
  "$($K case show 2 --json | py '"%d %d" % (d["data"]["siblings"], d["data"]["links"])')"

# ---- agency settings ----
expect_out "a setting lists its label and default" \
  "young_parent_age         25 (the default)  Upper age for a young parent (agency setting; not from the seed)  [fund]" \
  $K setting list
quiet $K case new fund --data '{"age": 24}'
expect_ok "kf.setting reads the default in a guard" $K case fire 4 young --as worker
run $K setting set young_parent_age 2x
expect_eq "a numeric setting takes a number" \
  "1|kinflow: setting young_parent_age: '2x' is not a number (its default is 25)" "$RC|$ERR"
run $K setting set nobody_declares 1
expect_eq "an undeclared setting is refused" \
  "1|kinflow: no programme declares a setting 'nobody_declares' (see \`kinflow setting list\`)" "$RC|$ERR"
expect_ok "an admin sets the agency's value" $K setting set young_parent_age 23
expect_eq "the list shows it and who set it" "23 25 tester" \
  "$($K setting list --json | py '"%s %s %s" % (d[0]["value"], d[0]["default"], d[0]["set_by"])')"
quiet $K case new fund --data '{"age": 24}'
expect_refused "the guard reads the agency's value" 1 "the parent is older than 23" $K case fire 5 young --as worker
expect_eq "setting.changed is recorded" '{"from":null,"setting":"young_parent_age","to":"23"}' \
  "$(t_sql "SELECT data FROM events WHERE kind='setting.changed'")"

# ---- who ended the work ----
quiet $K case fire 1 finish --as worker
quiet $K case fire 2 withdraw --as worker
quiet $K case fire 3 lapse --as worker
quiet $K case fire 5 withdraw --as worker
quiet $K case fire 4 close --as worker
expect_eq "report outcomes --by ended_by groups by who ended the work" \
  "None:1 family:2 goals_met:1 service:1" \
  "$($K report outcomes --by ended_by --workflow fund --json | py '" ".join("%s:%d" % (r["ended_by"], r["cases"]) for r in d)')"
expect_eq "the final move's event carries ended_by" "family" \
  "$(t_sql "SELECT $(t_jtext data ended_by) FROM events WHERE case_id=2 AND to_state='withdrawn'")"
expect_out "report outcomes still groups by outcome" "withdrew" $K report outcomes
expect_refused "--by takes outcome or ended_by" 2 "--by needs outcome or ended_by" $K report outcomes --by team

# ---- case list --sort ----
quiet $K case new fund --data '{"priority": 2}'
quiet $K case new fund --data '{"priority": "10"}'
quiet $K case new fund --data '{"priority": 1}'
quiet $K case new fund --data '{"priority": 2}'
ids() { $K case list --open "$@" --json | py '" ".join(str(c["id"]) for c in d)'; }
expect_eq "sort: numbers by value (text written as a number too), missing last, then by id" \
  "8 6 9 7 1 2 3 4 5" "$($K case list "--sort" priority --json | py '" ".join(str(c["id"]) for c in d)')"
expect_eq "sort -KEY: descending, missing still last" "7 6 9 8 1 2 3 4 5" \
  "$($K case list --sort -priority --json | py '" ".join(str(c["id"]) for c in d)')"
expect_eq "sort with filters and paging" "6 9" "$(ids --sort priority --offset 1 --limit 2)"
expect_refused "a sort key is a data key" 1 "sort 'a.b': give a data key (letters, digits and _), or -KEY for descending" \
  $K case list --sort a.b

# ---- kinflow check ----
cat >bad.lua <<'EOF'
return workflow {
  name = "bad", roles = { "worker" }, initial = "open",
  controlled = "funding_allocation",
  settings = { age = 25, nolabel = { default = 2 } },
  states = { { "open", ended_by = "family" },
    { "done", final = true, ended_by = "nobody" } },
  transitions = { { "finish", from = "open", to = "done", by = { "worker" } } },
}
EOF
run $K check bad.lua
expect_eq "check refuses controlled that is no list, at its line" 1 "$(grep -c '^bad.lua:3: controlled must be a list of data keys (text), not a string' <<<"$ERR")"
expect_eq "check refuses a setting that is no table, at its line" 1 "$(grep -c '^bad.lua:4: settings.age must be { default = ..., label = ... }, not a number' <<<"$ERR")"
expect_eq "check refuses a setting without a label" 1 "$(grep -c '^bad.lua:4: settings.nolabel: label must say what the setting is (text)' <<<"$ERR")"
expect_eq "check refuses ended_by on a state that is not final" 1 "$(grep -c "^bad.lua:5: state 'open': only a final state says who ended the work (ended_by)" <<<"$ERR")"
expect_eq "check refuses an unknown ended_by" 1 "$(grep -c "^bad.lua:6: state 'done': ended_by must be one of family, service, goals_met, entered_care, returned_to_care, other, not 'nobody'" <<<"$ERR")"
cat >adapt.lua <<'EOF'
return adapt "fund" {
  name = "fund_local",
  controlled = { "spend" },
  settings = { review_months = { default = 6, label = "Months of follow-up (agency setting)" } },
}
EOF
quiet $K deploy adapt.lua
quiet $K case new fund_local
expect_refused "an adaptation adds controlled keys; its base's stay" 1 "'funding_allocation' is the programme's to set" \
  $K case set 10 --data '{"funding_allocation": 1}'
expect_refused "an adaptation's own controlled key" 1 "case 10: 'spend' is the programme's to set" \
  $K case set 10 --data '{"spend": 1}'
expect_eq "an adaptation adds settings" "review_months young_parent_age" \
  "$($K setting list --json | py '" ".join(s["name"] for s in d)')"
# ---- scenario steps ----
cat >fund.test.lua <<'EOF2'
return scenarios "fund" {
  { "a member leaves; the agency's setting decides", now = "2026-03-02T09:00:00Z", data = { age = 24 },
    steps = {
      { member = "parent", name = "Ann Smith" },
      { member = "parent", name = "Cy Smith" },
      { member_end = "Ann Smith", reason = "moved interstate" },
      { member_end = "Ann Smith", reason = "again", refused = "already" },
      { fire = "count", as = "worker" },
      { expect = { data = { current = 1, everyone = 2, parents = 1 } } },
      { setting = "young_parent_age", value = 23 },
      { fire = "young", as = "worker", refused = "older than 23" },
      { setting = "young_parent_age", value = 24 },
      { fire = "young", as = "worker" },
    } },
}
EOF2
expect_out "scenario steps member_end and setting" "1 passed, 0 failed" $K test fund.test.lua
cat >badsteps.test.lua <<'EOF2'
return scenarios "fund" {
  { "bad", steps = { { member_end = "Ann Smith" } } },
}
EOF2
expect_refused "a member_end step needs a reason" 1 "member_end 'Ann Smith' needs reason" $K check badsteps.test.lua

expect_out "kinflow help lists the new commands" "case member end CASE MEMBER --reason TEXT" $K help
expect_ok "the audit chain holds" $K audit verify
t_done
