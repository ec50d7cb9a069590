-- Co-parenthood for victim-survivors needing a safe place. Seed "Co-parenthood", possible
-- adaptations: "Co-parenthood for victim survivors needing a safe place to stay and recover
-- with children."
--
-- The parent and children stay together in the carer's home: the carer supports the whole
-- family, the Family Link supports the parent, and a family violence specialist keeps the
-- safety plan current. The case ends when the family moves on safely to a home of its own.
-- Where the family stays is private: the safety_plan form's safe_address (and contacts and
-- risks) are sensitive fields, and so are a safe address kept in the case's data and the
-- address and phone of any member (the parent, the children, the carer whose home it is).

-- The safety plan was made or reviewed in the last 28 days, with a family violence specialist.
local function safety_plan_current(case)
  local plan = case:latest("safety_plan")
  if not plan then return false, "no safety plan has been recorded" end
  if plan.made_with_specialist ~= true then
    return false, "the safety plan has not been made with a family violence specialist"
  end
  local days = kf.days_between(plan.plan_date, kf.today())
  if days and days > 28 then
    return false, "the safety plan was last reviewed " .. days .. " days ago (" ..
      plan.plan_date .. "); review it with the family first"
  end
  return true
end

-- Stage 1 -> 2 where parent and carer share a home: a communication book between them makes
-- no sense. They agree at least three ways to share the children's care, including the
-- shared daily log, and keep it.
local function sharing_care_agreed(case)
  local agreed = case:latest("partnering_activities")
  local activities = agreed and agreed.activities or {}
  local has_log = false
  for _, a in ipairs(activities) do
    if a == "shared_daily_log" then has_log = true end
  end
  if #activities < 3 then
    return false, "the parent and carer have agreed " .. #activities
      .. " ways to share the children's care; agree at least 3 before moving to Stage 2"
  end
  if not has_log then
    return false, "the parent and carer have not agreed to keep a shared daily log"
  end
  return true
end

-- The daily log was written in the last 7 days.
local function daily_log_in_use(case)
  local logs = case:entries("daily_log")
  local last = logs[#logs]
  if not last then
    return false, "the parent and carer have not yet written in the shared daily log"
  end
  local days = kf.days_between(last.data.log_date, kf.today())
  if days and days > 7 then
    return false, "nothing has been written in the shared daily log for " .. days
      .. " days (last on " .. last.data.log_date .. ")"
  end
  return true
end

local function next_home_safe(case)
  local plan = case:latest("safety_plan")
  if not (plan and plan.new_address_safe == true) then
    return false, "the family's next home has not been assessed as safe in the safety plan"
  end
  return true
end

return adapt "coparenthood" {
  name = "safe_place",
  title = "Co-parenthood for a safe place",
  description = "Co-parenthood for victim-survivors of family violence who need a safe place "
    .. "to stay and recover with their children: the family stays with a carer who supports "
    .. "the whole family.",
  roles = { "fv_specialist" },
  sensitive = { data = { "safe_address" }, members = { "address", "phone" } },

  states = {
    { "referral", title = "Referral, safety planning and matching",
      description = "Urgent: the family makes a safety plan with a family violence specialist, "
        .. "consents to share information and is matched with a carer who can offer a safe "
        .. "place to stay.",
      forms = { "safety_plan", "child_information" } },
    { "building_trust",
      title = "Stage 1: A safe place to stay, building trust, collaborative relationships and "
        .. "levers for change",
      description = "The family settles in the carer's home. The parent and carer agree how "
        .. "they will share the children's care, keep a shared daily log (they share a home: "
        .. "there is no communication book between them), and review the safety plan "
        .. "together often.",
      forms = { "safety_plan", "partnering_activities", "levers_for_change", "daily_log",
                "safety_network_meeting", "family_home_visit", "case_note", "service_referral",
                "review", "family_feedback" },
      review = "14d" },
    { "capability",
      title = "Stage 2: Recovering together, strengthening parenting capability and "
        .. "resilience",
      forms = { "safety_plan", "daily_log", "case_plan", "education_support_plan",
                "child_health_passport", "safety_network_meeting", "review" } },
    { "restoration",
      title = "Stage 3: Preparing to move on safely, expanding social capital and "
        .. "maintaining behaviour change",
      description = "Finding a safe home of the family's own and the supports around it.",
      forms = { "safety_plan", "daily_log", "safety_network_meeting", "social_capital",
                "family_home_visit", "case_note", "service_referral", "review", "family_feedback" } },
    { "moved_on", title = "Moved on safely with the children", final = true, ended_by = "goals_met",
      outcome = "safe_housing", before = "closed",
      description = "The parent and children live together in a safe home of their own." },
  },

  transitions = {
    { "match", by = { "caseworker", "fv_specialist" },
      requires = { "safety_plan", "child_information" },
      when = { "consent_recorded", "carer_matched", safety_plan_current },
      description = "With a current safety plan and consent to share information, the family "
        .. "is matched with a carer offering a safe place and a Family Link worker." },
    -- a family needing a safe place cannot wait: an unmatched referral closes after 14 days
    { "lapse", after = "14d",
      description = "A referral not matched within 14 days closes; refer on urgently." },
    { "strengthen", requires = { "partnering_activities", "safety_network_meeting",
                                 "safety_plan", "daily_log" },
      when = { sharing_care_agreed, daily_log_in_use, safety_plan_current,
               "network_met_together" },
      description = "The parent and carer have agreed how they share the children's care, "
        .. "keep the shared daily log, have met with the safety and support network, and "
        .. "the safety plan is current." },
    { "prepare_restoration", title = "Move to Stage 3: Preparing to move on safely",
      requires = { "safety_plan", "review" },
      when = { safety_plan_current },
      description = "The family is ready to plan a move to a home of its own." },
    { "move_on", title = "Family moves on safely",
      from = "restoration", to = "moved_on", by = { "supervisor", "fv_specialist" },
      requires = { "safety_plan", "review" },
      decision = true, -- where the family lives next is decided with them
      when = { safety_plan_current, next_home_safe, "family_feedback_sought" },
      description = "The family moves to a home of its own assessed as safe." },
  },

  -- no restoration here, so no follow-up after it
  remove = { transitions = { "restore", "complete_follow_up", "return_to_care" },
             states = { "restored", "home", "returned_to_care" } },

  on_enter = {
    building_trust = function(case)
      case.data.matched_on = case.data.matched_on or kf.today()
      case.data.safe_place_from = case.data.safe_place_from or kf.today()
    end,
    moved_on = function(case)
      case.data.moved_on = kf.today()
      if case.data.safe_place_from then
        case.data.days_in_safe_place = kf.days_between(case.data.safe_place_from, kf.today())
      end
    end,
  },

  forms = {
    form {
      name = "daily_log",
      title = "Shared daily log",
      description = "The parent and carer share a home: each day either of them notes how "
        .. "the children and the family are, what went well and any worry, so both know.",
      family = true, by = { "parent", "carer" }, -- they write it themselves
      fields = {
        { "log_date", label = "Date", type = "date", required = true },
        { "written_by", label = "Written by", type = "choice", required = true,
          choices = { "parent", "carer", "family_link" } },
        { "children_today", label = "How the children were today", type = "text",
          required = true },
        { "went_well", label = "What went well", type = "text" },
        { "worries", label = "Worries", type = "text", sensitive = true },
        { "safety_plan_followed", label = "The safety plan was followed today",
          type = "boolean" },
      },
    },
  },
}
