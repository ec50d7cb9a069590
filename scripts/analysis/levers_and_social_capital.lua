-- Levers for change (seed "Co-parenthood", Stage 1) and social capital (Stage 3), counted per
-- programme: how many cases recorded them, how many levers, how many people in the families'
-- own networks, and how many say what will keep the change going.
--
--   kinflow script run scripts/analysis/levers_and_social_capital.lua
--
-- CSV columns: workflow, cases, cases_with_levers, levers, cases_with_network,
-- network_people, cases_saying_what_keeps_change_going
local rows, by = {}, {}
for c in kf.cases() do
  local r = by[c.workflow]
  if not r then
    r = { workflow = c.workflow, cases = 0, cases_with_levers = 0, levers = 0,
          cases_with_network = 0, network_people = 0, cases_saying_what_keeps_change_going = 0 }
    by[c.workflow] = r
    rows[#rows + 1] = r
  end
  r.cases = r.cases + 1
  local lv = c:latest("levers_for_change")
  lv = lv and lv.data -- a script's latest() is the entry; its data holds the fields
  if lv then
    r.cases_with_levers = r.cases_with_levers + 1
    r.levers = r.levers + #(lv.levers or {})
  end
  local sc = c:latest("social_capital")
  sc = sc and sc.data
  if sc then
    r.cases_with_network = r.cases_with_network + 1
    r.network_people = r.network_people + #(sc.network or {})
    if sc.keeps_change_going and sc.keeps_change_going ~= "" then
      r.cases_saying_what_keeps_change_going = r.cases_saying_what_keeps_change_going + 1
    end
  end
end
table.sort(rows, function(a, b) return a.workflow < b.workflow end)
kf.out.csv(rows, { "workflow", "cases", "cases_with_levers", "levers", "cases_with_network",
                   "network_people", "cases_saying_what_keeps_change_going" })
