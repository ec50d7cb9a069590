-- Co-parenthood for preservation: families helping families to prevent children going into
-- care. Seed "Co-parenthood", possible adaptations: "Co-parenthood for preservation to
-- prevent kids from going into care"; "The idea of families helping families is relevant
-- across sectors and levels of risk."
--
-- The child lives at home throughout. The carer is a support carer: a family who supports the
-- whole family (offering respite, advice, a phone call) while the Family Link supports the
-- parents. Stage 3 sustains the change at home instead of preparing for restoration, and
-- the case ends with the child remaining safely at home, or entering care.

-- The case plan aims for the child to remain at home, and a parent is among the members
-- who helped write it.
local function plan_to_remain_at_home(case)
  local plan = case:latest("case_plan")
  if not plan then return false, "no case plan has been recorded" end
  if plan.permanency_goal ~= "remain_at_home" then
    return false, "the case plan's permanency goal is '" .. tostring(plan.permanency_goal)
      .. "', not for the child to remain at home"
  end
  local parent = false
  for _, id in ipairs(plan.contributed_by or {}) do
    local m = math.type(id) == "integer" and case:member(id) or nil
    if m and (m.role == "parent" or m.role == "other_parent") then parent = true end
  end
  if not parent then
    return false, "the parents have not yet contributed to the case plan (no parent among the "
      .. "members who helped write it)"
  end
  return true
end

-- The parent signed the case plan as it stands (the base's sign_plan records it).
local function parent_signed_plan(case)
  local plans = case:entries("case_plan")
  local plan, signed = plans[#plans], case.data.plan_signed
  if not plan then return false, "no case plan has been recorded" end
  if not (signed and signed.plan == plan.id) then
    return false, "the parent has not signed the current case plan (of " .. plan.data.plan_date
      .. "); they sign it from their family page"
  end
  return true
end

return adapt "coparenthood" {
  name = "preservation",
  title = "Co-parenthood for preservation",
  description = "Co-parenthood to prevent children from going into care: a support carer and "
    .. "the Family Link work alongside parents while the child stays at home.",

  states = {
    { "referral",
      description = "The family is referred while the child is still at home, consents to "
        .. "share information, and is matched with a support carer and a Family Link "
        .. "worker." },
    { "building_trust",
      description = "Parents and the support carer meet, agree how they will partner, "
        .. "start the communication book and attend safety and support network meetings "
        .. "together.",
      forms = { "partnering_activities", "levers_for_change", "communication_book",
                "safety_network_meeting", "family_home_visit", "case_note", "service_referral",
                "review", "family_feedback" } },
    { "capability",
      forms = { "case_plan", "education_support_plan", "child_health_passport",
                "communication_book", "safety_network_meeting", "family_home_visit", "case_note",
                "service_referral", "review", "family_feedback" } },
    -- The child was never removed: Stage 3 sustains the change at home (the base's
    -- "restoration" stage and moves are removed below and replaced by these).
    { "sustaining_change",
      title = "Stage 3: Sustaining change at home, expanding social capital and maintaining "
        .. "behaviour change",
      description = "The family's own supports grow beyond the service and the safety and "
        .. "support network agrees the child can stay safely at home.",
      forms = { "safety_network_meeting", "social_capital", "case_plan", "communication_book",
                "family_home_visit", "case_note", "service_referral", "review", "family_feedback" },
      review = "14d" },
    { "preserved", title = "Child remains safely at home", final = true, ended_by = "goals_met",
      outcome = "preserved", before = "closed",
      description = "The family stayed together: the child remains safely at home." },
    { "entered_care", title = "Child entered care", final = true, ended_by = "entered_care", outcome = "entered_care",
      before = "closed",
      description = "Despite support, the child had to enter care. Consider a referral to "
        .. "Co-parenthood for restoration." },
  },

  transitions = {
    { "match",
      when = { "consent_recorded", "carer_matched",
               function(case)
                 local child = case:latest("child_information")
                 if child and child.living_arrangement ~= "with_parents" then
                   return false, "the child is not living at home; preservation is for "
                     .. "children still at home (consider Co-parenthood for restoration)"
                 end
                 if #case:members("parent") == 0 then
                   return false, "no parent is recorded on the case"
                 end
                 return true
               end },
      description = "The family, with the child still at home, has consented to share "
        .. "information and is matched with a support carer and a Family Link worker." },
    { "sustain_change", title = "Move to Stage 3: Sustaining change at home",
      from = "capability", to = "sustaining_change", by = { "caseworker" },
      requires = { "case_plan", "review" },
      when = { plan_to_remain_at_home, parent_signed_plan },
      decision = true,
      description = "The case plan, developed with the parents and signed by them, aims for "
        .. "the child to remain at home, and the move is a decision shared with the family." },
    { "sign_plan", from = { "capability", "sustaining_change" } },
    { "step_back_to_stage2", title = "Step back to Stage 2",
      from = "sustaining_change", to = "capability", by = { "caseworker", "supervisor" },
      reason = true,
      description = "New worries mean the family needs more Stage 2 support; say why, so the "
        .. "family and network know what needs to change." },
    { "preserve", title = "Child remains safely at home",
      from = "sustaining_change", to = "preserved", by = { "supervisor" },
      requires = { "safety_network_meeting", "review" },
      decision = true, -- a decision shared with the family
      when = { "network_agrees_child_safe_at_home", "family_feedback_sought",
               function(case)
                 local r = case:latest("review")
                 if not (r and r.goals_met == true) then
                   return false, "the last review did not find the plan's goals met"
                 end
                 return true
               end },
      description = "The supervisor closes the case with the family together and the child "
        .. "safe at home." },
    { "enter_care", title = "Child entered care", from = "*", to = "entered_care",
      by = { "supervisor" }, reason = true,
      description = "Record that the child entered care, with the reason." },
  },

  remove = { transitions = { "prepare_restoration", "step_back", "restore",
                             "complete_follow_up", "return_to_care" },
             states = { "restoration", "restored", "home", "returned_to_care" } },

  on_exit = {
    sustaining_change = function(case)
      local sc = case:latest("social_capital")
      case.data.network_people = sc and #sc.network or 0
    end,
  },

  on_enter = {
    sustaining_change = function(case)
      case.data.stage3_started_on = case.data.stage3_started_on or kf.today()
    end,
    preserved = function(case) case.data.preserved_on = kf.today() end,
    entered_care = function(case) case.data.entered_care_on = kf.today() end,
  },
}
