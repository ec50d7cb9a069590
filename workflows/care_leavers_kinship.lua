-- Co-parenthood for care leavers seeking kinship care of younger siblings in care. Seed
-- "Co-parenthood", possible adaptations: "Co-parenthood for care leavers seeking kinship
-- care of younger siblings in care."
--
-- The care leaver, a young adult who has left care, co-parents their younger siblings with
-- the siblings' carer, supported by the Family Link, toward becoming the siblings' kinship
-- carer. Parents take part where they can. The case ends with the siblings in the care
-- leaver's kinship care (or closed).

local function care_leaver_recorded(case)
  if #case:members("care_leaver") == 0 then
    return false, "no care leaver is recorded on the case"
  end
  return true
end

local function plan_for_kinship_care(case)
  local plan = case:latest("case_plan")
  if not plan then return false, "no case plan has been recorded" end
  if plan.permanency_goal ~= "kinship_care" then
    return false, "the case plan's permanency goal is '" .. tostring(plan.permanency_goal)
      .. "', not kinship care"
  end
  return true
end

local function assessment_approved(case)
  local a = case:latest("kinship_carer_assessment")
  if not a then return false, "no kinship carer assessment has been recorded" end
  if a.approved ~= true then
    return false, "the care leaver has not been approved as a kinship carer"
  end
  return true
end

return adapt "coparenthood" {
  name = "care_leavers_kinship",
  title = "Co-parenthood for care leavers seeking kinship care",
  description = "Co-parenthood for a care leaver seeking kinship care of their younger "
    .. "siblings: the care leaver and the siblings' carer co-parent, and the Family Link "
    .. "supports the care leaver, toward the siblings living with them.",
  roles = { "care_leaver" },
  family_roles = { "care_leaver", "carer" }, -- the care leaver co-parents with the carer

  states = {
    { "referral",
      description = "The care leaver asks to care for their younger siblings, consents to "
        .. "share information, and is matched with the siblings' carer and a Family Link "
        .. "worker." },
    { "building_trust",
      description = "The care leaver and carer meet, agree how they will co-parent the "
        .. "siblings, start the communication book and attend safety and support network "
        .. "meetings together." },
    { "capability",
      description = "The care leaver takes part in the siblings' case plans, education "
        .. "support plans and health passports, and time with the siblings grows." },
    { "restoration",
      title = "Stage 3: Preparing for kinship care, expanding social capital and maintaining "
        .. "behaviour change",
      description = "Overnight stays with the care leaver, the kinship carer assessment, and "
        .. "supports around the care leaver's household.",
      forms = { "kinship_carer_assessment", "family_contact", "safety_network_meeting",
                "social_capital", "case_plan", "family_home_visit", "case_note", "service_referral",
                "review", "family_feedback" } },
    { "kinship_care", title = "Siblings in the care leaver's kinship care", final = true, ended_by = "goals_met",
      outcome = "kinship_care", before = "closed",
      description = "The younger siblings live with the care leaver as their kinship carer." },
  },

  transitions = {
    { "match",
      when = { "consent_recorded", "carer_matched", care_leaver_recorded },
      description = "The care leaver has consented to share information and is matched with "
        .. "the siblings' carer and a Family Link worker." },
    { "prepare_restoration", title = "Move to Stage 3: Preparing for kinship care",
      when = { plan_for_kinship_care },
      description = "The siblings' case plan aims for kinship care with the care leaver." },
    { "withdraw", by = { "care_leaver" },
      description = "Taking part is the care leaver's choice: they may stop at any time, "
        .. "saying why in their own words." },
    { "sign_plan", by = { "care_leaver" },
      description = "The care leaver reads the siblings' case plan and signs it." },
    { "place_with_care_leaver", title = "Siblings move to the care leaver's kinship care",
      from = "restoration", to = "kinship_care", by = { "supervisor" }, decision = true,
      requires = { "kinship_carer_assessment", "safety_network_meeting", "review" },
      when = { "care_leaver_adult", assessment_approved, "family_feedback_sought",
               "network_agrees_child_safe_at_home",
               "overnight_stays_at_home" },
      description = "The supervisor approves the kinship care arrangement once the care "
        .. "leaver is assessed and approved and the network agrees the siblings can be safe "
        .. "at home with them." },
  },

  -- no restoration here, so no follow-up after it
  remove = { transitions = { "restore", "complete_follow_up", "return_to_care" },
             states = { "restored", "home", "returned_to_care" } },

  on_enter = {
    kinship_care = function(case) case.data.kinship_care_from = kf.today() end,
  },

  forms = {
    form {
      name = "kinship_carer_assessment",
      title = "Kinship carer assessment",
      description = "The assessment of the care leaver as kinship carer of their siblings.",
      fields = {
        { "assessment_date", label = "Date of assessment", type = "date", required = true },
        { "assessor", label = "Assessor", type = "text", required = true },
        { "approved", label = "Approved as kinship carer", type = "boolean", required = true },
        -- the younger brothers and sisters, members of the case (the children it is about)
        { "siblings", label = "Siblings to be cared for", type = "list", of = "member",
          roles = { "child", "sibling" }, required = true },
        { "household_supports", label = "Supports around the household", type = "list",
          of = "text" },
        { "conditions", label = "Conditions of approval", type = "text" },
      },
    },
  },

  rules = {
    rule {
      name = "care_leaver_adult",
      description = "The care leaver is 18 or older (from the care_leaver member's data.dob).",
      check = function(case)
        local leavers = case:members("care_leaver")
        if #leavers == 0 then return false, "no care leaver is recorded on the case" end
        for _, l in ipairs(leavers) do
          local dob = l.data and l.data.dob
          local age = dob and kf.age(dob)
          if age and age >= 18 then return true end
          if not age then
            return false, "date of birth not recorded for " .. l.name
          end
        end
        return false, "the care leaver is not yet 18 and cannot be a kinship carer"
      end,
    },
  },
}
