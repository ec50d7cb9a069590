#!/usr/bin/env bash
# tests/cli/clock.sh: one clock for everything. Every time the engine writes (a case's
# updated_at when a review falls overdue or is recorded) comes from KINFLOW_NOW when it is
# set, never from the database's own clock; KINFLOW_NOW is read with its UTC offset, and an
# unreadable one is refused before anything runs.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1
export KINFLOW_OUTBOX=off

cat >reviewed.lua <<'EOF'
return workflow {
  name = "reviewed",
  roles = { "worker" },
  initial = "waiting",
  states = {
    { "waiting", review = "7d" },
    { "done", final = true, outcome = "done" },
  },
  transitions = {
    { "finish", from = "waiting", to = "done", by = { "worker" } },
  },
}
EOF

export KINFLOW_NOW=2030-12-01T09:00:00Z
"$K" init >/dev/null
"$K" deploy reviewed.lua >/dev/null
"$K" case new reviewed --ref A >/dev/null
expect_eq "a new case: updated at KINFLOW_NOW" "2030-12-01T09:00:00Z" "$(field A updated_at)"

# The review falls due on 12-08; the timer runner marks the case overdue on 2031-01-01.
KINFLOW_NOW=2031-01-01T00:00:00Z expect_ok "timers run in 2031" "$K" timers run
expect_eq "overdue since its review fell due" "2030-12-08T09:00:00Z" "$(field A overdue_since)"
expect_eq "marked overdue: updated_at is KINFLOW_NOW, not the database's clock" \
  "2031-01-01T00:00:00Z" "$(field A updated_at)"

# Recording the review clears overdue; KINFLOW_NOW given with an offset from UTC.
KINFLOW_NOW=2031-01-02T19:30:00+10:00 expect_ok "review recorded" "$K" case review A --note seen
expect_eq "no longer overdue" "None" "$(field A overdue_since)"
expect_eq "review recorded: updated_at is KINFLOW_NOW (its offset applied)" \
  "2031-01-02T09:30:00Z" "$(field A updated_at)"

KINFLOW_NOW="next tuesday" expect_refused "an unreadable KINFLOW_NOW is refused before running" 1 \
  "kinflow: KINFLOW_NOW 'next tuesday' is not a date and time (ISO 8601, e.g. 2026-03-01T09:00:00Z" \
  "$K" case review A
expect_eq "the refused command changed nothing" "2031-01-02T09:30:00Z" "$(field A updated_at)"

# Workflow code's os.time() and os.date() read the same clock as kf.now().
cat > clk.lua <<'W'
return workflow { name = "clk", roles = { "w" }, initial = "a",
  states = { { "a" }, { "b", final = true } },
  transitions = { { "go", from = "a", to = "b", by = { "w" } } },
  on_enter = { b = function(case)
    case.data.year = os.date("!%Y"); case.data.t = os.time(); case.data.now = kf.now() end } }
W
"$K" deploy clk.lua >/dev/null
KINFLOW_NOW=2032-05-01T00:00:00Z "$K" case new clk --ref CLK >/dev/null
KINFLOW_NOW=2032-05-01T00:00:00Z run "$K" case fire CLK go --as w --json
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin)["data"]; assert d["year"]=="2032" and d["t"]==1966982400 and d["now"]=="2032-05-01T00:00:00Z", d' \
  && t_ok "os.time and os.date follow KINFLOW_NOW" || t_fail "os clock" "$OUT $ERR"

t_done
