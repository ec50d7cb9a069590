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
--
-- Who is on a case (member roles): the parent(s) who co-parent with the carer (`parent`);
-- the child's other parent, where they take part (`other_parent`); the `child`; the `carer`
-- and the `family_link`; extended family and kin (`kin`: seed "Parents partnering with
-- carers": "carers meeting the parents and extended family members important to the
-- child"; children "return home to parents or extended family"); Elders (`elder`);
-- brothers and sisters (`sibling`; a sibling's own case in care is linked: `kinflow case
-- link CASE OTHER --as sibling`); and a `peer_worker` (seed "From consumer to partner").
-- Carers change and parents leave: a member is end-dated with a reason (`kinflow case
-- member end`) and kept in the history; the rules see only those on the case now.

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

-- A parent is on the case now. Parents leave (end-dated, with a reason): the refusal names
-- who left, when and why, so the team knows who to look for.
local function parent_on_case(case, why)
  if #case:members("parent") > 0 then return true end
  local left = {}
  for _, p in ipairs(case:members("parent", true)) do
    left[#left + 1] = p.name .. " left on " .. tostring(p.ended_at):sub(1, 10) .. ": "
      .. tostring(p.ended_reason)
  end
  if #left == 0 then return false, "no parent is recorded on the case; " .. why end
  return false, "no parent is on the case now (" .. table.concat(left, "; ") .. "); " .. why
end

-- A referral that continues another case (`kinflow case link CASE OTHER --as continues`):
-- a restoration referral continues a preservation case once the child has entered care
-- there, so the family's history goes with them rather than starting again.
local function continued_case_ended(case)
  for _, l in ipairs(case:links("continues")) do
    if l.direction == "to" and l.workflow == "preservation" and l.state ~= "entered_care" then
      return false, "this referral continues case " .. (l.ref or tostring(l.id))
        .. " (preservation), which is in '" .. tostring(l.state) .. "': the child has not "
        .. "entered care there (record it with enter_care on that case first)"
    end
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

-- Follow-up after the child goes home: months of reviews before the case closes. How many
-- months is the agency's setting (follow_up_months, declared below): the seed says families
-- were "doing well long after children have returned home" but names no period.
local function follow_up_months()
  local months = kf.setting("follow_up_months")
  if type(months) ~= "number" or months ~= math.floor(months) or months < 1 or months > 36 then
    return nil, "the agency setting follow_up_months is " .. tostring(months) .. "; it must "
      .. "be a whole number of months from 1 to 36 (kinflow setting set follow_up_months 6)"
  end
  return math.tointeger(months)
end

local function follow_up_period_set(case)
  local months, why = follow_up_months()
  if not months then return false, why end
  return true
end

-- date + n months (YYYY-MM-DD), the day kept within the month.
local function add_months(date, n)
  local y, m, d = date:match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
  y, m, d = tonumber(y), tonumber(m) + n, tonumber(d)
  y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
  local last = ({ 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 })[m]
  if m == 2 and (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) then last = 29 end
  return string.format("%04d-%02d-%02d", y, m, math.min(d, last))
end

-- The evidence for Stage 3's moves happened in Stage 3: overnight stays and the network
-- meeting dated since the case entered it (a stay recorded before matching, or dated ahead,
-- is not evidence of the child going home now).
local function stage3_evidence(case)
  local since, problems = case.data.stage3_started_on, {}
  if not since then return true end
  local stays = 0
  for _, e in ipairs(case:entries("family_contact")) do
    local d = e.data.contact_date
    if e.data.contact_type == "overnight" and d and d >= since and d <= kf.today() then
      stays = stays + 1
    end
  end
  if stays < 2 then
    problems[#problems + 1] = stays .. " overnight stay(s) at home since Stage 3 began on "
      .. since .. "; at least 2 are needed"
  end
  local met = false
  for _, e in ipairs(case:entries("safety_network_meeting")) do
    local d = e.data.meeting_date
    if d and d >= since and d <= kf.today() then met = true end
  end
  if not met then
    problems[#problems + 1] = "no safety and support network meeting since Stage 3 began on "
      .. since
  end
  if #problems > 0 then return false, table.concat(problems, "; ") end
  return true
end

-- The follow-up period has run its course and was reviewed.
local function follow_up_done(case)
  local problems = {}
  local untill = case.data.follow_up_until
  if untill and kf.today() < untill then
    problems[#problems + 1] = "the follow-up period runs until " .. untill
  end
  local reviewed = false
  for _, e in ipairs(case:entries("review")) do
    local d = e.data.review_date
    if d and d >= (case.data.restored_on or "") and d <= kf.today() then reviewed = true end
  end
  if not reviewed then
    problems[#problems + 1] = "no review has been held since the child went home on "
      .. tostring(case.data.restored_on)
  end
  if #problems > 0 then return false, table.concat(problems, "; ") end
  return true
end

return workflow {
  name = "coparenthood",
  title = "Co-parenthood",
  description = "A shared-parenting model of foster care: parents and carers co-parent, and "
    .. "the Family Link supports the parents, toward returning children home.",
  -- peer_worker: seed "From consumer to partner": parents with lived experience, trained
  -- and employed to support others, e.g. co-visits with professionals to family homes.
  roles = { "parent", "carer", "family_link", "caseworker", "supervisor", "peer_worker" },
  -- Seed "Co-parenthood": parents and carers co-parent. They sign in to their family page,
  -- write in the communication book, and the parent signs the case plan.
  family_roles = { "parent", "carer" },
  initial = "referral",
  settings = {
    follow_up_months = { default = 6,
      label = "Months the family is followed, with reviews, after the child goes home "
        .. "(agency setting; the seed names no period)" },
  },

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
      forms = { "partnering_activities", "levers_for_change", "communication_book",
                "safety_network_meeting", "family_contact", "family_home_visit", "case_note",
                "service_referral", "review", "family_feedback" },
      review = "28d" },

    -- Seed "Co-parenthood", Stage 2: "Strengthening parenting capability and resilience."
    { "capability", title = "Stage 2: Strengthening parenting capability and resilience",
      description = "Parents take part in the child's processes (case plan, cultural support "
        .. "plan, education support plan, child health passport), attend appointments and "
        .. "activities with the carer, and family contact grows.",
      forms = { "case_plan", "cultural_support_plan", "education_support_plan",
                "child_health_passport", "communication_book", "family_contact",
                "safety_network_meeting", "family_home_visit", "case_note", "service_referral",
                "review", "family_feedback" },
      review = "28d" },

    -- Seed "Co-parenthood", Stage 3: "Preparing for restoration, expanding social capital
    -- and maintaining behaviour change."
    { "restoration",
      title = "Stage 3: Preparing for restoration, expanding social capital and maintaining "
        .. "behaviour change",
      description = "Overnight stays at home, the safety and support network agrees the "
        .. "child can be safe at home, and the family's own supports grow beyond the service.",
      forms = { "family_contact", "safety_network_meeting", "social_capital", "case_plan",
                "communication_book", "family_home_visit", "case_note", "service_referral", "review",
                "family_feedback" },
      review = "14d" },

    -- After a child goes home, practice follows the family: a follow-up period with reviews.
    { "restored", title = "Restored home: following the family",
      description = "The child has returned home to live with their parents. The Family Link "
        .. "and the network stay alongside the family, with reviews, for the follow-up "
        .. "period (the agency's setting follow_up_months: 6 months unless it says "
        .. "otherwise) before the case closes.",
      forms = { "review", "family_home_visit", "case_note", "safety_network_meeting",
                "social_capital", "service_referral", "family_feedback" },
      review = "28d" },

    { "home", title = "Home for good: follow-up complete", final = true, ended_by = "goals_met", outcome = "restored",
      description = "The child lives at home and the follow-up period ended well: the goals "
        .. "were met." },
    { "returned_to_care", title = "Returned to care", final = true, ended_by = "returned_to_care",
      outcome = "returned_to_care",
      description = "After going home, the child returned to care." },
    { "withdrawn", title = "The family chose to stop", final = true, ended_by = "family", outcome = "withdrawn",
      description = "Taking part is the family's choice: the parents withdrew, with their "
        .. "reason." },
    { "not_matched", title = "Not matched in time", final = true, ended_by = "service", outcome = "not_matched",
      description = "The service could not match the family with a carer and a Family Link "
        .. "worker in time: the service's shortfall, not the family's." },
    { "closed", title = "Closed", final = true, ended_by = "other", outcome = "closed",
      description = "The case closed for another reason, recorded when it closed." },
  },

  transitions = {
    { "match", title = "Match family with carer and Family Link",
      from = "referral", to = "building_trust", by = { "caseworker" },
      requires = { "child_information" },
      when = { "consent_recorded", "carer_matched",
               function(case)
                 return parent_on_case(case, "co-parenthood starts with the parents")
               end,
               continued_case_ended },
      description = "The family has consented to share information and is matched with a "
        .. "carer and a Family Link worker (a referral continuing a preservation case, once "
        .. "the child entered care there)." },

    { "lapse", title = "Referral lapsed: not matched in time", from = "referral",
      to = "not_matched", after = "90d",
      description = "A referral the service could not match within 90 days closes as the "
        .. "service's shortfall (not matched), not the family's." },

    { "strengthen", title = "Move to Stage 2: Strengthening parenting capability",
      from = "building_trust", to = "capability", by = { "caseworker", "family_link" },
      requires = { "partnering_activities", "safety_network_meeting" },
      when = { partnering_agreed, "communication_book_in_use", "network_met_together",
               "carer_matched" }, -- a carer who left is replaced before Stage 2
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
      when = { "consent_recorded", "latest_review_supports_move",
               "network_agrees_child_safe_at_home", "overnight_stays_at_home",
               stage3_evidence, follow_up_period_set,
               function(case)
                 return parent_on_case(case, "the child goes home to live with a parent on "
                   .. "the case")
               end },
      -- Recorded here rather than in on_enter.restored, so that adaptations which remove
      -- the restored state (remove = { states = { "restored" } }) carry no handler for it.
      action = function(case)
        local meeting = case:latest("safety_network_meeting")
        case.data.restoration_agreed_at_meeting = meeting.meeting_date
        case.data.restored_on = kf.today()
        local months = assert(follow_up_months())
        case.data.follow_up_months = months
        case.data.follow_up_until = add_months(kf.today(), months)
        if case.data.matched_on then
          case.data.days_to_restoration = kf.days_between(case.data.matched_on, kf.today())
        end
      end,
      description = "The supervisor approves the child's return home, as a decision shared "
        .. "with the family, once the evidence is current: consent to share, the latest "
        .. "review moving forward, two overnight stays at home in Stage 3 and the last 8 "
        .. "weeks, and a recent network meeting, parents and carers together, agreeing the "
        .. "child can be safe at home. The follow-up period starts (the agency's "
        .. "follow_up_months)." },

    { "complete_follow_up", title = "Close: home for good",
      from = "restored", to = "home", by = { "supervisor" },
      requires = { "review" },
      when = { follow_up_done, "family_feedback_sought" },
      description = "The follow-up period is over, reviewed with the family, and the family "
        .. "gave their feedback: the case closes with the child home." },

    { "return_to_care", title = "Child returned to care",
      from = "restored", to = "returned_to_care", by = { "caseworker", "supervisor" },
      reason = true,
      description = "The child returned to care after going home; say why. A new "
        .. "co-parenthood referral can continue from this case." },

    { "withdraw", title = "Stop taking part", from = "*", to = "withdrawn",
      by = { "parent" }, reason = true,
      description = "Taking part is the family's choice: the parent may stop at any time, "
        .. "saying why in their own words (and giving feedback if they wish)." },

    { "close", title = "Close the case", from = "*", to = "closed", by = { "supervisor" },
      reason = true,
      description = "Close for another reason, giving it (the family's feedback is asked for "
        .. "on the family page; the moves that close with the goals met require it)." },
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
    closed = function(case) case.data.closed_on = kf.today() end,
    not_matched = function(case) case.data.closed_on = kf.today() end,
    withdrawn = function(case) case.data.closed_on = kf.today() end,
    home = function(case) case.data.closed_on = kf.today() end,
    returned_to_care = function(case)
      case.data.closed_on = kf.today()
      case.data.returned_to_care_on = kf.today()
    end,
  },

  on_exit = {
    -- Stage 1's levers for change and Stage 3's social capital, counted for reports.
    building_trust = function(case)
      local lv = case:latest("levers_for_change")
      case.data.levers_for_change = lv and #lv.levers or 0
    end,
    restoration = function(case)
      local sc = case:latest("social_capital")
      case.data.network_people = sc and #sc.network or 0
    end,
    referral = function(case)
      -- the history this referral carries: the case it continues, siblings' cases
      for _, l in ipairs(case:links("continues")) do
        if l.direction == "to" then
          case.data.continues_case = l.ref or tostring(l.id)
          case.data.continues_outcome = l.state
        end
      end
      local sibs = {}
      for _, l in ipairs(case:links("sibling")) do sibs[#sibs + 1] = l.ref or tostring(l.id) end
      if #sibs > 0 then case.data.sibling_cases = table.concat(sibs, ", ") end
      if case.data.referred_on then
        case.data.days_in_referral = kf.days_between(case.data.referred_on, kf.today())
      end
    end,
  },
}
