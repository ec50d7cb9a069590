-- Eligibility for the Family Preservation and Reunification response: which open cases,
-- of any programme, have someone in one of its three priority groups (seed "Family
-- Preservation and Reunification response"): pregnant women and unborn children
-- (a member with role "unborn", or a "parent" whose data.pregnant is true), children from
-- birth to 5 years, and children 10 to 15 years (role "child" with data.dob).
--
--   kinflow script run scripts/analysis/fpr_eligibility.lua [AS-OF-DATE] [--all]
--
-- Ages are whole years on AS-OF-DATE (default today). With --all, cases in no priority
-- group are listed too (groups empty), e.g. to find children with no date of birth.
-- CSV columns: case, ref, workflow, state, groups, children_ages, missing_dob
local on, all = nil, false
for _, a in ipairs(arg) do
  if a == "--all" then all = true
  elseif a:match("^%d%d%d%d%-%d%d%-%d%d$") then on = a
  else error("usage: fpr_eligibility.lua [YYYY-MM-DD] [--all] (not '" .. a .. "')") end
end
on = on or kf.today()

local rows = {}
for c in kf.cases{ open = true } do
  local groups, seen, ages, missing = {}, {}, {}, 0
  local function add(g) if not seen[g] then seen[g] = true; groups[#groups + 1] = g end end
  if #c:members("unborn") > 0 then add("pregnant_or_unborn") end
  for _, p in ipairs(c:members("parent")) do
    if p.data and p.data.pregnant == true then add("pregnant_or_unborn") end
  end
  for _, child in ipairs(c:members("child")) do
    local age = child.data and child.data.dob and kf.age(child.data.dob, on)
    if age == nil then
      missing = missing + 1
    else
      ages[#ages + 1] = age
      if age >= 0 and age <= 5 then add("birth_to_5") end
      if age >= 10 and age <= 15 then add("10_to_15") end
    end
  end
  if #groups > 0 or all then
    table.sort(ages)
    rows[#rows + 1] = { case = c.id, ref = c.ref, workflow = c.workflow, state = c.state,
                        groups = table.concat(groups, " "), children_ages = table.concat(ages, " "),
                        missing_dob = missing }
  end
end
kf.out.csv(rows, { "case", "ref", "workflow", "state", "groups", "children_ages", "missing_dob" })
