-- Seed "Parents partnering with carers": children in care need "a current and meaningful
-- case plan", and parents "may be able to play a part in these processes, which may increase
-- their capacity to parent". Passes when the newest case plan's permanency goal is
-- restoration and a parent (the other parent, or the care leaver in the parent's place) is
-- among the members who helped write it (contributed_by).
local PARENT_SIDE = { parent = true, other_parent = true, care_leaver = true }
return rule {
  name = "case_plan_aims_for_restoration",
  description = "The current case plan aims for restoration and the parents helped write it.",
  check = function(case)
    local plan = case:latest("case_plan")
    if not plan then return false, "no case plan has been recorded" end
    if plan.permanency_goal ~= "restoration" then
      return false, "the case plan's permanency goal is '" .. tostring(plan.permanency_goal)
        .. "', not restoration"
    end
    local parent = false
    for _, id in ipairs(plan.contributed_by or {}) do
      local m = math.type(id) == "integer" and case:member(id) or nil
      if m and PARENT_SIDE[m.role] then parent = true end
    end
    if not parent then
      return false, "the parents have not yet contributed to the case plan (no parent among "
        .. "the members who helped write it)"
    end
    return true
  end,
}
