-- Cases per stage: for every workflow and state with open cases, how many cases are there
-- now, how many of them have an overdue review, and how long they have been in that stage
-- (median and longest, in days, from when they entered it).
--
--   kinflow script run scripts/analysis/cases_per_stage.lua [WORKFLOW]
--
-- CSV columns: workflow, state, open_cases, overdue, median_days, longest_days
local only = arg[1]

local groups, order = {}, {}
local now = kf.now()
for c in kf.cases{ open = true, workflow = only } do
  local key = c.workflow .. "\0" .. c.state
  local g = groups[key]
  if not g then
    g = { workflow = c.workflow, state = c.state, open_cases = 0, overdue = 0, days = {} }
    groups[key] = g
    order[#order + 1] = g
  end
  g.open_cases = g.open_cases + 1
  if c.overdue then g.overdue = g.overdue + 1 end
  g.days[#g.days + 1] = kf.days_between(c.entered_at, now) or 0
end

local function median(xs)
  table.sort(xs)
  local n = #xs
  if n == 0 then return nil end
  if n % 2 == 1 then return xs[(n + 1) // 2] end
  return (xs[n // 2] + xs[n // 2 + 1]) / 2
end

table.sort(order, function(a, b)
  if a.workflow ~= b.workflow then return a.workflow < b.workflow end
  return a.state < b.state
end)
for _, g in ipairs(order) do
  g.median_days = median(g.days)
  g.longest_days = g.days[#g.days]
end
kf.out.csv(order, { "workflow", "state", "open_cases", "overdue", "median_days", "longest_days" })
