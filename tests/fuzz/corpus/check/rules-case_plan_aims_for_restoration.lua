-- Seed "Parents partnering with carers": children in care need "a current and meaningful
-- case plan", and parents "may be able to play a part in these processes, which may increase
-- their capacity to parent". Passes when the newest case plan's permanency goal is
-- restoration and the parents contributed to it.
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
    if plan.parent_contributed ~= true then
      return false, "the parents have not yet contributed to the case plan"
    end
    return true
  end,
}
