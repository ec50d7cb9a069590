-- Restorations per programme: for each programme and each of its adaptations, how many
-- cases were opened, how many are still open, how many ended restored (children home),
-- the share of finished cases that ended so, and the median days from opening to it.
--
--   kinflow script run scripts/analysis/restorations_per_programme.lua [OUTCOME]
--
-- OUTCOME defaults to "restored"; give another final outcome (e.g. "reunified") to count
-- that instead. CSV columns: programme, workflow, cases, open, finished, OUTCOME,
-- share_of_finished, median_days
local outcome = arg[1] or "restored"

-- The outcome of every finished case: its last transition into a final state. (Through
-- kf.events, not kf.sql: a script's SQL reads events.data as NULL unless it is run with
-- --reveal; the events' outcomes are not sensitive and kf.events keeps them.)
local finished = {}
for e in kf.events{ kind = "case.transition" } do
  finished[e.case] = { outcome = e.data.outcome, at = e.at } -- later transitions overwrite earlier ones
end

local rows, by_key = {}, {}
local function row(programme, workflow)
  local key = programme .. "\0" .. workflow
  if not by_key[key] then
    by_key[key] = { programme = programme, workflow = workflow, cases = 0, open = 0, finished = 0,
                    [outcome] = 0, days = {} }
    rows[#rows + 1] = by_key[key]
  end
  return by_key[key]
end

for c in kf.cases() do
  for _, r in ipairs({ row(c.programme, c.workflow), row(c.programme, "(all)") }) do
    r.cases = r.cases + 1
    if not c.final then
      r.open = r.open + 1
    else
      r.finished = r.finished + 1
      local f = finished[c.id]
      if f and f.outcome == outcome then
        r[outcome] = r[outcome] + 1
        r.days[#r.days + 1] = kf.days_between(c.created_at, f.at)
      end
    end
  end
end

table.sort(rows, function(a, b)
  if a.programme ~= b.programme then return a.programme < b.programme end
  local ka = a.workflow == "(all)" and 2 or a.workflow == a.programme and 0 or 1
  local kb = b.workflow == "(all)" and 2 or b.workflow == b.programme and 0 or 1
  if ka ~= kb then return ka < kb end
  return a.workflow < b.workflow
end)
for _, r in ipairs(rows) do
  if r.finished > 0 then r.share_of_finished = math.floor(r[outcome] / r.finished * 1000 + 0.5) / 1000 end
  table.sort(r.days)
  local n = #r.days
  if n > 0 then
    r.median_days = n % 2 == 1 and r.days[(n + 1) // 2] or (r.days[n // 2] + r.days[n // 2 + 1]) / 2
  end
end
kf.out.csv(rows, { "programme", "workflow", "cases", "open", "finished", outcome, "share_of_finished", "median_days" })
