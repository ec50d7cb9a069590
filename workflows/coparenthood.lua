-- Co-parenthood: foster care as shared parenting, working toward the child's safe return home.
--
-- Seed "Co-parenthood": "a shared-parenting model of foster care which helps parents and
-- carers work together towards returning children home." "Rather than caring for only the
-- child, Carers support a whole family with support from a professional parent advocate
-- called the Family Link." "The model has three key stages."
--
-- Seed "Parents partnering with carers" gives the ways parents and carers co-parent (the
-- partnering_activities form) and the processes parents contribute to (child information,
-- case plan, cultural support plan, education support plan, child health passport).
--
-- The adaptations (preservation, young_aboriginal_parents, care_leavers_kinship, safe_place)
-- derive from this file: keep state and transition names stable.

-- Stage 1 -> 2: trust is built on agreed, everyday co-parenting. At least three of the
-- seed's ways of partnering must be agreed, including the communication book.
local function partnering_agreed(case)
  local agreed = case:latest("partnering_activities")
  local activities = agreed and agreed.activities or {}
  local has_book = false
  for _, a in ipairs(activities) do
    if a == "communication_book" then has_book = true end
  end
  if #activities < 3 then
    return false, "the parents and carers have agreed " .. #activities
      .. " ways to co-parent; agree at least 3 before moving to Stage 2"
  end
  if not has_book then
    return false, "the parents and carers have not agreed to keep a communication book"
  end
  return true
end

-- The parent signs the case plan as it stands: a newer plan needs signing again.
local function current_plan(case)
  local plans = case:entries("case_plan")
  return plans[#plans]
end

local function plan_signed(case)
  local plan = current_plan(case)
  local signed = case.data.plan_signed
  if not plan then return false, "no case plan has been recorded" end
  if not (signed and signed.plan == plan.id) then
    return false, "the parent has not signed the current case plan (of " .. plan.data.plan_date
      .. "); they sign it from their family page"
  end
  return true
end

return workflow {
  name = "coparenthood",
  title = "Co-parenthood",
  description = "A shared-parenting model of foster care: parents and carers co-parent, and "
    .. "the Family Link supports the parents, toward returning children home.",
  roles = { "parent", "carer", "family_link", "caseworker", "supervisor" },
  -- Seed "Co-parenthood": parents and carers co-parent. They sign in to their family page,
  -- write in the communication book, and the parent signs the case plan.
  family_roles = { "parent", "carer" },
  initial = "referral",

  states = {
    { "referral", title = "Referral and matching",
      description = "The family is referred, a parent consents to share information (a "
        .. "consent record, given on the case page or their family page), and is matched "
        .. "with a carer and a Family Link worker. The child information form is completed "
        .. "with the parents.",
      forms = { "child_information" } },

    -- Seed "Co-parenthood", Stage 1: "Building trust, building collaborative relationships
    -- and finding levers for change."
    { "building_trust",
      title = "Stage 1: Building trust, collaborative relationships and levers for change",
      description = "Parents and carers meet, agree how they will co-parent, start the "
        .. "communication book and attend safety and support network meetings together. "
        .. "Set the expectation from day one: parents don't stop being parents when their "
        .. "children enter care.",
      forms = { "partnering_activities", "communication_book", "safety_network_meeting",
                "family_contact", "review" },
      review = "28d" },

    -- Seed "Co-parenthood", Stage 2: "Strengthening parenting capability and resilience."
    { "capability", title = "Stage 2: Strengthening parenting capability and resilience",
      description = "Parents take part in the child's processes (case plan, cultural support "
        .. "plan, education support plan, child health passport), attend appointments and "
        .. "activities with the carer, and family contact grows.",
      forms = { "case_plan", "cultural_support_plan", "education_support_plan",
                "child_health_passport", "communication_book", "family_contact",
                "safety_network_meeting", "review" },
      review = "28d" },

    -- Seed "Co-parenthood", Stage 3: "Preparing for restoration, expanding social capital
    -- and maintaining behaviour change."
    { "restoration",
      title = "Stage 3: Preparing for restoration, expanding social capital and maintaining "
        .. "behaviour change",
      description = "Overnight stays at home, the safety and support network agrees the "
        .. "child can be safe at home, and the family's own supports grow beyond the service.",
      forms = { "family_contact", "safety_network_meeting", "case_plan", "communication_book",
                "review" },
      review = "14d" },

    { "restored", title = "Restored home", final = true, outcome = "restored",
      description = "The child has returned home to live with their parents." },
    { "closed", title = "Closed", final = true, outcome = "closed",
      description = "The case closed without restoration through this programme." },
  },

  transitions = {
    { "match", title = "Match family with carer and Family Link",
      from = "referral", to = "building_trust", by = { "caseworker" },
      requires = { "child_information" },
      when = { "consent_recorded", "carer_matched",
               function(case)
                 if #case:members("parent") == 0 then
                   return false, "no parent is recorded on the case; co-parenthood starts "
                     .. "with the parents"
                 end
                 return true
               end },
      description = "The family has consented to share information and is matched with a "
        .. "carer and a Family Link worker." },

    { "lapse", title = "Referral lapsed", from = "referral", to = "closed", after = "90d",
      description = "A referral not matched within 90 days closes." },

    { "strengthen", title = "Move to Stage 2: Strengthening parenting capability",
      from = "building_trust", to = "capability", by = { "caseworker", "family_link" },
      requires = { "partnering_activities", "safety_network_meeting" },
      when = { partnering_agreed, "communication_book_in_use" },
      description = "Parents and carers have agreed how they co-parent, the communication "
        .. "book is in use and they have met with the safety and support network together." },

    -- Seed "Parents partnering with carers": parents contribute to the case plan. The parent
    -- signs it as themselves; signing does not move the case.
    { "sign_plan", title = "Sign the case plan",
      from = { "capability", "restoration" }, stay = true, by = { "parent" },
      when = { function(case)
        if not current_plan(case) then return false, "no case plan has been recorded yet" end
        return true
      end },
      action = function(case)
        local plan = current_plan(case)
        case.data.plan_signed = { plan = plan.id, on = kf.today() }
      end,
      description = "The parent reads the case plan and signs it: it is their plan too." },

    { "prepare_restoration", title = "Move to Stage 3: Preparing for restoration",
      from = "capability", to = "restoration", by = { "caseworker" },
      requires = { "case_plan", "review" },
      when = { "case_plan_aims_for_restoration", plan_signed },
      decision = true,
      description = "The case plan, developed with the parents and signed by them, aims for "
        .. "restoration, and the move is a shared decision: who took part, their views, and "
        .. "whether the family agreed." },

    { "step_back", title = "Step back to Stage 2",
      from = "restoration", to = "capability", by = { "caseworker", "supervisor" },
      reason = true,
      description = "Restoration is paused; say why, so the family and network know what "
        .. "needs to change." },

    { "restore", title = "Restore the child home",
      from = "restoration", to = "restored", by = { "supervisor" },
      requires = { "safety_network_meeting", "review" },
      decision = true,
      when = { "network_agrees_child_safe_at_home", "overnight_stays_at_home" },
      -- Recorded here rather than in on_enter.restored, so that adaptations which remove
      -- the restored state (remove = { states = { "restored" } }) carry no handler for it.
      action = function(case)
        local meeting = case:latest("safety_network_meeting")
        case.data.restoration_agreed_at_meeting = meeting.meeting_date
        case.data.restored_on = kf.today()
        if case.data.matched_on then
          case.data.days_to_restoration = kf.days_between(case.data.matched_on, kf.today())
        end
      end,
      description = "The supervisor approves the child's return home once the safety and "
        .. "support network agrees the child can be safe at home, as a decision shared with "
        .. "the family." },

    { "close", title = "Close the case", from = "*", to = "closed", by = { "supervisor" },
      reason = true,
      description = "Close without restoration, giving the reason." },
  },

  on_enter = {
    building_trust = function(case)
      case.data.matched_on = case.data.matched_on or kf.today()
    end,
    capability = function(case)
      case.data.stage2_started_on = case.data.stage2_started_on or kf.today()
    end,
    restoration = function(case)
      case.data.stage3_started_on = case.data.stage3_started_on or kf.today()
    end,
    closed = function(case)
      case.data.closed_on = kf.today()
    end,
  },

  on_exit = {
    referral = function(case)
      if case.data.referred_on then
        case.data.days_in_referral = kf.days_between(case.data.referred_on, kf.today())
      end
    end,
  },
}
