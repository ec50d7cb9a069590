-- Overdue reviews: every open case whose review is overdue, most overdue first, with the
-- stage it is in and how many days the review has been overdue.
--
--   kinflow script run scripts/analysis/overdue_reviews.lua [WORKFLOW]
--
-- CSV columns: case, ref, workflow, state, overdue_since, days_overdue, days_in_stage
local only = arg[1]
local now = kf.now()

local rows = {}
for c in kf.cases{ open = true, overdue = true, workflow = only } do
  rows[#rows + 1] = {
    case = c.id, ref = c.ref, workflow = c.workflow, state = c.state,
    overdue_since = c.overdue_since,
    days_overdue = kf.days_between(c.overdue_since, now),
    days_in_stage = kf.days_between(c.entered_at, now),
  }
end
table.sort(rows, function(a, b)
  if a.overdue_since ~= b.overdue_since then return a.overdue_since < b.overdue_since end
  return a.case < b.case
end)
kf.out.csv(rows, { "case", "ref", "workflow", "state", "overdue_since", "days_overdue", "days_in_stage" })
