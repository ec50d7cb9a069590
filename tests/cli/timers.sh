#!/usr/bin/env bash
# tests/cli/timers.sh: durable timers. `after` transitions and `review` deadlines, driven by
# KINFLOW_NOW and `kinflow timers run`: firing once, overdue reviews and clearing them,
# cancellation on leaving a state, refusals recorded, other cases untouched.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

cat >timed.lua <<'EOF'
return workflow {
  name = "timed",
  roles = { "worker" },
  initial = "waiting",
  states = {
    { "waiting", review = "7d" },
    { "active", review = "7d" },
    { "expired", final = true, outcome = "lapsed" },
    { "done", final = true, outcome = "done" },
  },
  transitions = {
    { "expire", from = "waiting", to = "expired", after = "30d",
      when = { function(case)
        if case.data.hold then return false, "the family asked for more time" end
        return true
      end } },
    { "start", from = "waiting", to = "active", by = { "worker" } },
    { "finish", from = "active", to = "done", by = { "worker" } },
  },
}
EOF

hist() { "$K" case history "$1" --json; }
timers_run() {  # timers_run: runs them, checks exit 0, leaves the report in $OUT
  run "$K" timers run --json
  [ "$RC" -eq 0 ] || t_fail "timers run at $KINFLOW_NOW" "exit $RC: $ERR"
}

at 2024-01-01T09:00:00Z
"$K" init >/dev/null
"$K" deploy timed.lua >/dev/null
A=$("$K" case new timed --ref A --json | py 'd["id"]')
B=$("$K" case new timed --ref B --json | py 'd["id"]')
C=$("$K" case new timed --ref C --data '{"hold": true}' --json | py 'd["id"]')

run "$K" case show A --json
expect_eq "opening schedules the after-transition and the review" "expire:after:2024-01-31T09:00:00Z review:review:2024-01-08T09:00:00Z" \
  "$(echo "$OUT" | py '" ".join(sorted("%s:%s:%s" % (t["name"], t["kind"], t["due_at"]) for t in d["timers"] if t["status"] == "pending"))')"

# ---- nothing is due yet -----------------------------------------------------------------

at 2024-01-05T09:00:00Z
timers_run
expect_eq "before any deadline: nothing fires" "0" "$(echo "$OUT" | py 'len(d["timers"])')"
expect_eq "before any deadline: no case overdue" "[]" "$("$K" case list --overdue --json | py '[c["id"] for c in d]')"

# ---- the review deadline passes -----------------------------------------------------------

at 2024-01-08T09:00:01Z
timers_run
expect_eq "review deadline: one review timer per case" "review review review" \
  "$(echo "$OUT" | py '" ".join(t["name"] for t in d["timers"])')"
run "$K" case show A
if [[ "$OUT" == *"overdue"* ]]; then t_ok "case show shows the review overdue"; else t_fail "case show shows the review overdue" "$OUT"; fi
expect_eq "case show --json: overdue_since is the due time" "2024-01-08T09:00:00Z" "$(field A overdue_since)"
expect_eq "case list --overdue lists them" "$A $B $C" "$("$K" case list --overdue --json | py '" ".join(str(c["id"]) for c in d)')"
run "$K" case list
if [[ "$OUT" == *"overdue"* ]]; then t_ok "case list (text) marks overdue cases"; else t_fail "case list (text) marks overdue cases" "$OUT"; fi
expect_eq "overdue event recorded, by timer" "review.overdue timer" \
  "$(hist A | py 'd[-1]["kind"] + " " + d[-1]["actor"]')"
expect_eq "still in its state" "waiting" "$(field A state)"

at 2024-01-09T09:00:00Z
run "$K" case review A --note "met the family"
expect_eq "case review: exit 0" "0" "$RC"
run "$K" case show A
if [[ "$OUT" != *"overdue"* ]]; then t_ok "case review clears overdue (show)"; else t_fail "case review clears overdue (show)" "$OUT"; fi
expect_eq "case review clears overdue (json)" "None" "$(field A overdue_since)"
expect_eq "case list --overdue no longer lists it" "$B $C" "$("$K" case list --overdue --json | py '" ".join(str(c["id"]) for c in d)')"
expect_eq "case review schedules the next review from now" "2024-01-16T09:00:00Z" \
  "$("$K" case show A --json | py '[t["due_at"] for t in d["timers"] if t["name"] == "review" and t["status"] == "pending"][0]')"
expect_eq "review recorded as an event with its note" "review.recorded met the family" \
  "$(hist A | py '" ".join((d[-1]["kind"], d[-1]["data"].get("note", "")))')"
expect_refused "case review of an unknown case" 1 "no case" "$K" case review NOPE

# ---- leaving a state cancels its timers -----------------------------------------------------

at 2024-01-10T09:00:00Z
expect_ok "B moves on by hand" "$K" case fire B start --as worker
expect_eq "entering a new state clears the old overdue review" "None" "$(field B overdue_since)"
expect_eq "B's expire timer is cancelled" "cancelled" \
  "$("$K" case show B --json | py '[t["status"] for t in d["timers"] if t["name"] == "expire"][0]')"

# a case opened later, untouched by what is due for the others
at 2024-01-28T09:00:00Z
E=$("$K" case new timed --ref E --json | py 'd["id"]')
E_REV=$(field E revision)

# ---- the after-transition is due ----------------------------------------------------------

at 2024-02-01T09:00:00Z
timers_run
REPORT=$OUT
expect_eq "after-transition fired for A" "expire fired expired" \
  "$(echo "$REPORT" | py '" ".join([(t["name"], t["result"], t.get("to", "")) for t in d["timers"] if t["case"] == '"$A"' and t["kind"] == "after"][0])')"
expect_eq "A is expired (final)" "expired True" "$("$K" case show A --json | py 'd["state"], d["final"]' | tr -d "(),'")"
expect_eq "the transition event's actor is timer" "expire timer waiting expired" \
  "$(hist A | py '" ".join([(e["name"], e["actor"], e["from"], e["to"]) for e in d if e["kind"] == "case.transition"][0])')"
expect_eq "outcome recorded" "lapsed" "$(hist A | py '[e for e in d if e["kind"] == "case.transition"][0]["data"].get("outcome")')"
expect_eq "B (left the state) did not expire" "active" "$(field B state)"
expect_eq "B: no timer transition in its history" "0" "$(hist B | py 'len([e for e in d if e["actor"] == "timer" and e["kind"] in ("case.transition", "timer.refused")])')"

# a guard that fails: recorded, the case stays
expect_eq "C stays where it was" "waiting" "$(field C state)"
expect_eq "C: timer.refused event with the guard's reason" "True" \
  "$(hist C | py 'any(e["kind"] == "timer.refused" and e["name"] == "expire" and "the family asked for more time" in (e.get("reason") or "") for e in d)')"
expect_eq "C: refused in the report" "refused" \
  "$(echo "$REPORT" | py '[t["result"] for t in d["timers"] if t["case"] == '"$C"' and t["kind"] == "after"][0]')"

# other cases untouched
expect_eq "E untouched: state" "waiting" "$(field E state)"
expect_eq "E untouched: revision" "$E_REV" "$(field E revision)"
expect_eq "E untouched: not overdue" "None" "$(field E overdue_since)"
expect_eq "E untouched: history is just its opening" "case.opened" "$(hist E | py '" ".join(e["kind"] for e in d)')"
expect_eq "report names no timer of E" "0" "$(echo "$REPORT" | py 'len([t for t in d["timers"] if t["case"] == '"$E"'])')"

# ---- running again fires nothing more ----------------------------------------------------------

A_EVENTS=$(hist A | py 'len(d)')
C_EVENTS=$(hist C | py 'len(d)')
timers_run
expect_eq "second run at the same time: nothing due" "0" "$(echo "$OUT" | py 'len(d["timers"])')"
at 2024-02-02T09:00:00Z
timers_run
expect_eq "a day later: still nothing for A or C" "0" \
  "$(echo "$OUT" | py 'len([t for t in d["timers"] if t["case"] in ('"$A"', '"$C"')])')"
expect_eq "A fired exactly once" "1" "$(hist A | py 'len([e for e in d if e["kind"] == "case.transition"])')"
expect_eq "A: no new events" "$A_EVENTS" "$(hist A | py 'len(d)')"
expect_eq "C: refused once only" "$C_EVENTS 1" "$(hist C | py 'len(d), len([e for e in d if e["kind"] == "timer.refused"])' | tr -d '(),')"
expect_refused "case review in a state without reviews" 1 "no review" "$K" case review A

# ---- E's own deadlines come in their time ------------------------------------------------

at 2024-02-04T09:00:01Z
timers_run
expect_eq "E's review becomes overdue in its turn" "2024-02-04T09:00:00Z" "$(field E overdue_since)"
at 2024-02-27T09:00:00Z
timers_run
expect_eq "E expires on its own 30 days" "expired" "$(field E state)"
expect_eq "overdue cleared when E left the state" "None" "$(field E overdue_since)"

run "$K" timers run
if [ "$RC" -eq 0 ] && [[ "$OUT" == "timers due by 2024-02-27T09:00:00Z: 0"* ]]; then t_ok "timers run (text)"
else t_fail "timers run (text)" "exit $RC: $OUT $ERR"; fi
expect_refused "timers without run: usage" 2 "timers run" "$K" timers
expect_out "the log is intact" "chain intact" "$K" audit verify

# ---- KINFLOW_NOW is ISO 8601: offsets honoured, nonsense refused (never the real clock) -------

at 2024-03-01T09:00:00Z
F=$("$K" case new timed --ref F --json | py 'd["id"]')
at 2024-03-08T18:00:00+10:00      # 08:00Z: an hour before F's review is due
timers_run
expect_eq "KINFLOW_NOW with an offset: an hour early, nothing fires for F" "None 0" \
  "$(field F overdue_since) $(echo "$OUT" | py 'len([t for t in d["timers"] if t["case"] == '"$F"'])')"
at 2024-03-08T19:00:01+10:00      # 09:00:01Z
timers_run
expect_eq "KINFLOW_NOW with an offset: just after, the review is overdue" "2024-03-08T09:00:00Z" "$(field F overdue_since)"
at 2024-03-01T09:00:00Z
G=$("$K" case new timed --ref G --json | py 'd["id"]')
at "next tuesday"
expect_refused "unreadable KINFLOW_NOW: refused (exit 1)" 1 "KINFLOW_NOW 'next tuesday' is not a date and time" "$K" timers run
unset KINFLOW_NOW
expect_eq "unreadable KINFLOW_NOW: G's 30 days did not pass" "waiting" "$(field G state)"

# case:schedule with a zero or negative duration computed at run time: the move is refused
# at the line of the call, and nothing is stored.
cat >nudge.lua <<'EOF'
return workflow {
  name = "nudge", roles = { "worker" }, initial = "open",
  states = { { "open" }, { "done", final = true } },
  transitions = { { "finish", from = "open", to = "done", by = { "worker" },
    action = function(case) case:schedule("chase", case.data.gap) end } },
}
EOF
"$K" deploy nudge.lua >/dev/null
"$K" case new nudge --ref N0 --data '{"gap":"0s"}' >/dev/null
"$K" case new nudge --ref N1 --data '{"gap":"-1d"}' >/dev/null
expect_refused "case:schedule of zero is refused at its line" 1 "'finish' failed, nothing changed: nudge.lua:5: schedule: after 0s is zero: a timer needs a duration longer than zero" \
  "$K" case fire N0 finish --as worker
expect_refused "case:schedule of a negative duration is refused" 1 "nudge.lua:5: schedule: after -1d is negative" \
  "$K" case fire N1 finish --as worker
expect_eq "a refused schedule stores no timer" "0" "$(t_sql "SELECT count(*) FROM timers WHERE name = 'chase'")"

t_done
