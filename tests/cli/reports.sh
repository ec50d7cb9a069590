#!/usr/bin/env bash
# tests/cli/reports.sh: history as data. An unseen workflow with a review and an `after`
# transition, and an adaptation of it, moved through time with KINFLOW_NOW; then `kinflow
# report stages|outcomes|case` must give the right numbers in text, CSV and JSON.
source "$(dirname "$0")/../lib.sh"
cd "$T_DIR" || exit 1

cat >mentoring.lua <<'EOF'
return workflow {
  name = "mentoring",
  title = "Mentoring",
  roles = { "worker", "lead" },
  initial = "intake",
  states = {
    { "intake", title = "Intake" },
    { "active", title = "Active mentoring", review = "14d" },
    { "graduated", title = "Graduated", final = true, outcome = "graduated" },
    { "lapsed", title = "Lapsed", final = true, outcome = "lapsed" },
  },
  transitions = {
    { "start", from = "intake", to = "active", by = { "worker" } },
    { "lapse", from = "intake", to = "lapsed", after = "30d" },
    { "checkin", from = "active", to = "active", by = { "worker" } },
    { "graduate", from = "active", to = "graduated", by = { "lead" } },
  },
}
EOF
cat >youth.lua <<'EOF'
return adapt "mentoring" { name = "mentoring_youth", title = "Mentoring for young people" }
EOF


# Timeline (all at 09:00 UTC):
#   Jan 1  open A, B, C (mentoring) and D (mentoring_youth)
#   Jan 6  D starts          (intake 5 days)
#   Jan 11 A starts          (intake 10 days)
#   Jan 21 B starts          (intake 20 days)
#   Jan 25 A checks in       (active -> active: the same stay goes on)
#   Jan 31 timers: C lapses  (intake 30 days, by time), A's review falls overdue
#   Feb 5  D graduates       (active 30 days; 35 days from opening)
#   Feb 10 A graduates       (active 30 days; 40 days from opening)
#   Mar 2  now: B has been active 40 days and is still there
at 2026-01-01T09:00:00Z
quiet "$K" init
quiet "$K" deploy mentoring.lua youth.lua
for r in A B C; do quiet "$K" case new mentoring --ref $r; done
quiet "$K" case new mentoring_youth --ref D
at 2026-01-06T09:00:00Z; quiet "$K" case fire D start --as worker
at 2026-01-11T09:00:00Z; quiet "$K" case fire A start --as worker
at 2026-01-21T09:00:00Z; quiet "$K" case fire B start --as worker
at 2026-01-25T09:00:00Z; quiet "$K" case fire A checkin --as worker
at 2026-01-31T09:00:00Z; quiet "$K" timers run
at 2026-02-05T09:00:00Z; quiet "$K" case fire D graduate --as lead
at 2026-02-10T09:00:00Z; quiet "$K" case fire A graduate --as lead
at 2026-03-02T09:00:00Z; quiet "$K" timers run

expect_out "the after transition lapsed C" "lapsed" "$K" case show C

# ---- report stages ----
run "$K" report stages --csv
expect_eq "stages CSV header" "workflow,state,title,cases_now,stays,median_days,p90_days" \
  "$(echo "$OUT" | head -1)"
# intake stays 10, 20, 30 days: median 20, p90 28 (interpolated between ranks)
expect_eq "stages: intake" "mentoring,intake,Intake,0,3,20.0,28.0" "$(echo "$OUT" | grep '^mentoring,intake,')"
# active: A 30 days (its check-in does not split the stay), B 40 days and still open
expect_eq "stages: active (open stay counts up to now)" "mentoring,active,Active mentoring,1,2,35.0,39.0" \
  "$(echo "$OUT" | grep '^mentoring,active,')"
expect_eq "stages: final state counts cases, no days" "mentoring,graduated,Graduated,1,1,," \
  "$(echo "$OUT" | grep '^mentoring,graduated,')"
expect_eq "stages: lapsed" "mentoring,lapsed,Lapsed,1,1,," "$(echo "$OUT" | grep '^mentoring,lapsed,')"
expect_eq "stages: adaptation listed apart" "mentoring_youth,intake,Intake,0,1,5.0,5.0" \
  "$(echo "$OUT" | grep '^mentoring_youth,intake,')"
expect_eq "stages: a state nobody entered" "mentoring_youth,lapsed,Lapsed,0,0,," \
  "$(echo "$OUT" | grep '^mentoring_youth,lapsed,')"
expect_eq "stages: rows in the workflow's state order" "intake active graduated lapsed" \
  "$(echo "$OUT" | grep '^mentoring,' | cut -d, -f2 | tr '\n' ' ' | sed 's/ $//')"

run "$K" report stages
expect_eq "stages text: active row" "mentoring active 1 2 35.0 39.0" \
  "$(echo "$OUT" | awk '$1=="mentoring" && $2=="active"' | tr -s ' ')"
expect_eq "stages text: final state shows dashes" "mentoring graduated 1 1 - -" \
  "$(echo "$OUT" | awk '$1=="mentoring" && $2=="graduated"' | tr -s ' ')"

run "$K" report stages --workflow mentoring_youth --json
expect_eq "stages --json --workflow" "4 30 None" "$(echo "$OUT" | jq -r \
  '"\(length) \(.[] | select(.state=="active") | .median_days | tostring) \(.[] | select(.state=="graduated") | .median_days // "None")"')"
expect_refused "stages of an unknown workflow" 1 "no workflow named 'nosuch'" \
  "$K" report stages --workflow nosuch

# Time moves on: B's open stay grows, nothing else changes.
at 2026-03-12T09:00:00Z
run "$K" report stages --csv --workflow mentoring
expect_eq "stages later: B's open stay is 50 days" "mentoring,active,Active mentoring,1,2,40.0,48.0" \
  "$(echo "$OUT" | grep '^mentoring,active,')"
at 2026-03-02T09:00:00Z

# ---- report outcomes ----
run "$K" report outcomes --csv
expect_eq "outcomes CSV" "programme,workflow,outcome,cases,median_days
mentoring,mentoring,graduated,1,40.0
mentoring,mentoring,lapsed,1,30.0
mentoring,mentoring_youth,graduated,1,35.0
mentoring,(all),graduated,2,37.5
mentoring,(all),lapsed,1,30.0" "$OUT"
run "$K" report outcomes --json
expect_eq "outcomes --json: the programme total has workflow null" "2 37.5" "$(echo "$OUT" | jq -r \
  '.[] | select(.workflow == null and .outcome == "graduated") | "\(.cases) \(.median_days)"')"
run "$K" report outcomes --workflow mentoring_youth --csv
expect_eq "outcomes of one adaptation" "programme,workflow,outcome,cases,median_days
mentoring,mentoring_youth,graduated,1,35.0" "$OUT"
expect_out "outcomes text" "mentoring  (all)" "$K" report outcomes

# ---- report case ----
run "$K" report case A --at 2026-01-20T09:00:00Z --json
expect_eq "case A on Jan 20: state and since" "active 2026-01-11T09:00:00Z" \
  "$(echo "$OUT" | jq -r '"\(.state) \(.since)"')"
expect_eq "case A on Jan 20: days per state" "10 9" "$(echo "$OUT" | jq -r '"\(.days.intake) \(.days.active)"')"
expect_out "case A on Jan 5 (a date: its end) in intake" "in intake since 2026-01-01T09:00:00Z" \
  "$K" report case A --at 2026-01-05
run "$K" report case A --csv
expect_eq "case A now (CSV)" "state,entered,left,days
intake,2026-01-01T09:00:00Z,2026-01-11T09:00:00Z,10.0
active,2026-01-11T09:00:00Z,2026-02-10T09:00:00Z,30.0
graduated,2026-02-10T09:00:00Z,," "$OUT"
expect_out "case C text: lapsed by time after 30 days" "days in each state: intake 30.0" \
  "$K" report case C
expect_refused "case before it was opened" 1 "had no state then" "$K" report case A --at 2025-12-31
expect_refused "no such case" 1 "no case 'ZZ'" "$K" report case ZZ
expect_refused "bad --at" 1 "--at 2026-02-30x: not a date" "$K" report case A --at 2026-02-30x
expect_refused "report without a name" 2 "usage" "$K" report
expect_refused "unknown report" 2 "unknown report 'nosuch'" "$K" report nosuch
expect_refused "report on a missing database" 1 "cannot be opened" \
  "$K" --db "$T_DIR/none.db" report stages

# No case has finished, no case opened at all: empty reports, not a crash (sanitizers ran
# qsort on the empty, NULL list of groups).
quiet "$K" --db "$T_DIR/empty.db" init
quiet "$K" --db "$T_DIR/empty.db" deploy mentoring.lua
expect_out "outcomes with no case: an empty list" "[]" "$K" --db "$T_DIR/empty.db" report outcomes --json
expect_out "stages with no case: every state, none entered" '"stays": 0' "$K" --db "$T_DIR/empty.db" report stages --json

# Reports read only: the database is the same afterwards.
before=$(t_dump)
"$K" report stages >/dev/null; "$K" report outcomes >/dev/null; "$K" report case B >/dev/null
expect_eq "reports change nothing" "$before" "$(t_dump)"

t_done
