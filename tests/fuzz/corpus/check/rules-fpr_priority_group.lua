-- Seed "Family Preservation and Reunification response": "It is prioritised for 3 groups of
-- children and young people (and their families) ...: pregnant women and their unborn
-- children, children from birth to 5 years and children 10 to 15 years."
--
-- How a case shows its groups:
--   pregnant women and unborn children: a member with role "unborn" (data.due_date), or a
--     member with role "parent" whose data.pregnant is true;
--   children from birth to 5 years, and 10 to 15 years: a member with role "child" whose
--     data.dob gives an age (whole years, as of today) of 0-5, or 10-15.
return rule {
  name = "fpr_priority_group",
  description = "The family has a pregnant woman or unborn child, a child from birth to 5 "
    .. "years, or a child 10 to 15 years.",
  check = function(case)
    if #case:members("unborn") > 0 then return true end
    for _, p in ipairs(case:members("parent")) do
      if p.data and p.data.pregnant == true then return true end
    end
    local seen, no_dob = {}, {}
    for _, c in ipairs(case:members("child")) do
      local dob = c.data and c.data.dob
      local age = dob and kf.age(dob)
      if age == nil then
        no_dob[#no_dob + 1] = c.name
      elseif (age >= 0 and age <= 5) or (age >= 10 and age <= 15) then
        return true
      else
        seen[#seen + 1] = c.name .. " (" .. age .. ")"
      end
    end
    local why = "no child or young person in a priority group: the response is for pregnant "
      .. "women and unborn children, children from birth to 5 years and children 10 to 15 years"
    if #seen > 0 then why = why .. "; children recorded: " .. table.concat(seen, ", ") end
    if #no_dob > 0 then
      why = why .. "; date of birth not recorded for " .. table.concat(no_dob, ", ")
    end
    return false, why
  end,
}
