#!/usr/bin/env bash
# tests/cli/plugin_forms.sh: a plugin written from DESIGN.md's contract alone, its form and
# rule declared in plugin.lua, tried as a new user would: entries in a row, a refused entry,
# a move the rule blocks then allows, and the analyst's rule impact, deploy and rollback
# of that rule from a changed copy of the plugin.lua.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
mkdir -p plugs
cp -r "$ROOT/tests/plugins/home-visits" plugs/
export KINFLOW_PLUGIN_PATH=$T_DIR/plugs
$K init >/dev/null

expect_out "the plugin adds its form and its rule" "rule visit_settled" $K plugins
[[ "$OUT" == *"form home_visit"* ]] && t_ok "the plugin's form is listed" || t_fail "plugin form listed" "$OUT"

cat > visiting.lua <<'W'
return workflow {
  name = "visiting", roles = { "worker", "supervisor" }, initial = "open",
  states = { { "open" }, { "visited" }, { "closed", final = true } },
  transitions = {
    { "visit", from = "open", to = "visited", by = { "worker" },
      requires = { "home_visit" }, when = { "visit_settled" } },
    { "sign_off", from = "visited", to = "closed", by = { "supervisor" }, when = { "visit_settled" } },
  },
}
W
expect_ok "a workflow using the plugin's form and rule deploys" $K deploy visiting.lua
$K case new visiting >/dev/null
$K case new visiting >/dev/null

# Three entries in a row: each one is checked against the form, not against the plugin.
expect_ok "first entry accepted" $K form submit 1 home_visit --data '{"visit_date":"2026-03-01","mood":"unsettled"}'
expect_ok "second entry accepted" $K form submit 1 home_visit --data '{"visit_date":"2026-03-08","mood":"unsettled","present":["Robin"]}'
expect_ok "third entry accepted" $K form submit 1 home_visit --data '{"visit_date":"2026-03-15","mood":"unsettled","address":"1 Example St"}'
run $K form submit 1 home_visit --json --data '{"visit_date":"2026-03-16","mood":"unsettled"}'
[[ "$OUT" == *'"form_version": 1'* ]] && t_ok "the entries share the form's first version" || t_fail "form version" "$OUT $ERR"
expect_refused "a bad entry is refused naming the field" 1 "form 'home_visit' refused: mood: 'happy' is not one of: settled, unsettled" \
  $K form submit 1 home_visit --data '{"visit_date":"2026-03-22","mood":"happy"}'
expect_refused "an unknown field is named against the form" 1 "colour: not a field of form 'home_visit'" \
  $K form submit 1 home_visit --data '{"visit_date":"2026-03-22","colour":"red"}'

# The plugin's rule blocks the move, then allows it.
expect_refused "the rule blocks the move" 1 "cannot fire 'visit': the latest home visit found the child unsettled" \
  $K case fire 1 visit --as worker
expect_ok "a settled visit is accepted" $K form submit 1 home_visit --data '{"visit_date":"2026-03-29","mood":"settled"}'
expect_ok "then the move is allowed" $K case fire 1 visit --as worker
expect_refused "the other case has no visit yet" 1 "no home visit is recorded" $K case fire 2 visit --as worker

# The analyst changes the rule in a copy of plugin.lua: someone must have been present.
mkdir -p changed
sed 's/if visit.mood ~= "settled" then return false, "the latest home visit found the child unsettled" end/&\n        if not visit.present or #visit.present == 0 then return false, "no one was present at the latest home visit" end/' \
  plugs/home-visits/plugin.lua > changed/plugin.lua
grep -q "no one was present" changed/plugin.lua || t_fail "changed copy" "sed did not change the rule"
before=$(t_sql "SELECT count(*) FROM events; SELECT count(*) FROM definitions")
run $K rule impact changed/plugin.lua --json
echo "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["rule"] == "visit_settled" and d["evaluated"] == 2, d
c = d["changed"]
assert len(c) == 1 and c[0]["case"] == 1 and c[0]["before"]["ok"] and not c[0]["after"]["ok"], c
assert c[0]["after"]["reason"] == "no one was present at the latest home visit" and c[0]["transitions"] == ["sign_off"], c
' && t_ok "rule impact of the changed plugin.lua lists the changed case" || t_fail "impact" "$OUT $ERR"
expect_eq "rule impact writes nothing" "$before" "$(t_sql "SELECT count(*) FROM events; SELECT count(*) FROM definitions")"
expect_out "rule impact in words" "case 1 (visiting, visited): met -> not met: no one was present at the latest home visit" \
  $K rule impact changed/plugin.lua

expect_out "rule deploy of the plugin.lua's rule" "rule visit_settled v1 deployed" $K rule deploy changed/plugin.lua --actor analyst1
expect_refused "the deployed rule applies at once" 1 "cannot fire 'sign_off': no one was present at the latest home visit" \
  $K case fire 1 sign_off --as supervisor
expect_refused "and again (the stored version reads back as the rule)" 1 "no one was present at the latest home visit" \
  $K case fire 1 sign_off --as supervisor
expect_out "rule history shows the version in force" "in force: v1" $K rule history visit_settled
expect_out "rule rollback restores the plugin's rule" "in force now: plugin home-visits" $K rule rollback visit_settled --actor analyst2
expect_ok "after rollback the plugin's rule applies again" $K case fire 1 sign_off --as supervisor
expect_ok "and the form still takes entries" $K form submit 2 home_visit --data '{"visit_date":"2026-04-01","mood":"settled"}'
# A plugin.lua that declares two rules: impact reports each rule, deploy stores each.
sed 's/^  rules = {$/&\n    rule { name = "visit_in_april", check = function(case) local v = case:latest("home_visit"); return v ~= nil and v.visit_date >= "2026-04-01", "no visit since April" end },/' \
  plugs/home-visits/plugin.lua > changed/two.lua
run $K rule impact changed/two.lua
[[ "$OUT" == *"rule visit_in_april: 1 open cases evaluated, 1 would change"*"rule visit_settled: 1 open cases evaluated, 0 would change"* ]] \
  && t_ok "rule impact of a plugin.lua with two rules reports each" || t_fail "impact of two rules" "$OUT $ERR"
run $K rule deploy changed/two.lua
[[ "$OUT" == *"rule visit_in_april v1 deployed"*"rule visit_settled v2 deployed"* ]] && t_ok "rule deploy stores each rule it declares" \
  || t_fail "deploy of two rules" "$OUT $ERR"
expect_out "each rule reads back from the stored plugin.lua (nothing would change now)" "rule visit_in_april: 1 open cases evaluated, 0 would change" \
  $K rule impact changed/two.lua

# A rule declared inside a workflow file reads back from that file's stored source too.
cat > inline.lua <<'W'
return workflow {
  name = "inline", roles = { "worker" }, initial = "open",
  states = { { "open" }, { "done", final = true } },
  transitions = { { "finish", from = "open", to = "done", by = { "worker" }, when = { "inline_ready" } } },
  rules = { rule { name = "inline_ready", check = function(case) return case.data.ready == true, "the case is not ready" end } },
}
W
expect_out "rule deploy takes the rule a workflow file declares" "rule inline_ready v1 deployed" $K rule deploy inline.lua
cat > uses.lua <<'W'
return workflow {
  name = "uses", roles = { "worker" }, initial = "open",
  states = { { "open" }, { "done", final = true } },
  transitions = { { "finish", from = "open", to = "done", by = { "worker" }, when = { "inline_ready" } } },
}
W
expect_ok "another workflow names that deployed rule" $K deploy uses.lua
$K case new uses --data '{"ready":false}' >/dev/null
expect_refused "the deployed rule reads back as the rule, not the workflow" 1 "cannot fire 'finish': the case is not ready" \
  $K case fire 3 finish --as worker
expect_refused "rule deploy refuses a workflow that declares no rule" 1 "is not a rule file" $K rule deploy visiting.lua
expect_ok "audit verify after all of it" $K audit verify
t_done
