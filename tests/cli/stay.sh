#!/usr/bin/env bash
# tests/cli/stay.sh: a transition with stay = true records an act (a parent signing the plan)
# without leaving the state: no exit or entry actions, the state's entry time, review clock
# and timers go on, the event is in the history, time-in-stage reports see one stay; and
# `kinflow check` refuses a stay transition with a to, a timer, or a non-boolean.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

cat >plan.lua <<'EOF'
return workflow {
  name = "plan", title = "Plan", roles = { "caseworker", "parent" }, initial = "working",
  states = {
    { "working", title = "Working the plan", review = "28d" },
    { "done", title = "Done", final = true, outcome = "done" },
  },
  transitions = {
    { "sign", title = "Sign the plan", from = "working", stay = true, by = { "parent" },
      action = function(case) case.data.signed_on = kf.today() end },
    { "finish", from = "working", to = "done", by = { "caseworker" },
      when = { function(case) return case.data.signed_on ~= nil, "the plan is not signed" end } },
    { "lapse", from = "working", to = "done", after = "90d" },
  },
  on_enter = { working = function(case) case.data.entries = (case.data.entries or 0) + 1 end },
  on_exit = { working = function(case) case.data.exits = (case.data.exits or 0) + 1 end },
}
EOF

quiet "$K" init
at 2026-03-01T09:00:00Z
quiet "$K" deploy plan.lua
C=$("$K" case new plan --json | py 'd["id"]')
entered=$(field "$C" entered_at)
timers_before=$("$K" case show "$C" --json | py 'sorted((t["name"], t["due_at"]) for t in d["timers"])')
expect_eq "the case starts with a review and a lapse timer" "lapse review" "$(echo "$timers_before" | tr -d "[]()',0-9:TZ-" | xargs)"

at 2026-03-10T09:00:00Z
expect_refused "finish is blocked before signing" 1 "the plan is not signed" "$K" case fire "$C" finish --as caseworker
expect_out "moves list sign as staying in its state" "sign" "$K" case moves "$C" --as parent
expect_eq "moves give sign's to as the current state" "working True" \
  "$("$K" case moves "$C" --as parent --json | py '[(m["to"], m.get("stay")) for m in d if m["name"] == "sign"][0][0] + " " + str([m.get("stay") for m in d if m["name"] == "sign"][0])')"
expect_ok "the parent signs" "$K" case fire "$C" sign --as parent --actor robin
expect_eq "the case stays in its state" "working" "$(field "$C" state)"
expect_eq "the action ran" "2026-03-10" "$("$K" case show "$C" --json | py 'd["data"]["signed_on"]')"
expect_eq "no exit or entry action ran" "1 None" "$("$K" case show "$C" --json | py 'str(d["data"]["entries"]) + " " + str(d["data"].get("exits"))')"
expect_eq "the entry time is kept" "$entered" "$(field "$C" entered_at)"
expect_eq "the timers go on unchanged" "$timers_before" \
  "$("$K" case show "$C" --json | py 'sorted((t["name"], t["due_at"]) for t in d["timers"])')"
expect_eq "the history records the act as itself" "sign working working robin parent" \
  "$("$K" case history "$C" --json | py '" ".join(str(x) for x in [[e["name"], e["from"], e["to"], e["actor"], e["role"]] for e in d if e["kind"] == "case.transition"][-1])')"
expect_ok "the caseworker finishes" "$K" case fire "$C" finish --as caseworker
expect_eq "the exit action ran once, on leaving" "1" "$("$K" case show "$C" --json | py 'd["data"]["exits"]')"
expect_eq "time in stage sees one stay in working, of 9 days" "1 9.0" \
  "$("$K" report stages --workflow plan --json | py '" ".join(str(s[k]) for s in d if s["state"] == "working" for k in ("stays", "median_days"))')"
expect_ok "the audit chain verifies" "$K" audit verify

bad() {  # bad NAME FIELD-LINE MESSAGE
  cat >bad.lua <<EOF
return workflow {
  name = "bad", roles = { "parent" }, initial = "a",
  states = { { "a" }, { "b", final = true } },
  transitions = {
    { "to_b", from = "a", to = "b", by = { "parent" } },
    $2
  },
}
EOF
  expect_refused "$1" 1 "$3" "$K" check bad.lua
}
bad "check refuses a stay with a to" '{ "sign", from = "a", to = "b", stay = true, by = { "parent" } },' \
  "bad.lua:6: transition 'sign': stay = true records an act without leaving the state; it takes no to"
bad "check refuses a stay fired by time" '{ "sign", from = "a", stay = true, after = "3d" },' \
  "bad.lua:6: transition 'sign': stay = true cannot be fired by time (after)"
bad "check refuses a stay that is not a boolean" '{ "sign", from = "a", stay = "yes", by = { "parent" } },' \
  "bad.lua:6: transition 'sign': stay must be true or false"
bad "check says a transition needs a to or stay" '{ "sign", from = "a", by = { "parent" } },' \
  "bad.lua:6: transition 'sign' has no to (or stay = true: an act that does not leave the state)"
expect_out "a diagram draws a stay as a loop" '"working" -> "working" [label="sign\n(parent)"];' "$K" diagram plan
t_done
