-- Family Preservation and Reunification response.
--
-- Seed "Family Preservation and Reunification response": "an innovative new way to support
-- families to stay together or reunify them when children have been in care services." "It
-- is prioritised for 3 groups of children and young people (and their families) ...:
-- pregnant women and their unborn children, children from birth to 5 years and children 10
-- to 15 years." "A new Child Protection Navigator role has been created to help families be
-- identified as early as possible for the response"; "Each family connected into the
-- response is supported by a lead practitioner."
--
-- The seed's three groups are priorities, not eligibility: the Child Protection Navigator
-- records the family's priority group (record_priority_group: data priority_group and
-- priority, 1 highest, which orders the identification queue), and a family outside the
-- groups may still be taken on, with the reason recorded (accept_outside_groups).
--
-- Case data the navigator records when opening the case:
--   pathway            "preservation" (stay together) or "reunification" (children in care)
-- Set by the programme's own moves only:
--   priority_group, priority   (record_priority_group, accept, accept_outside_groups)
--   funding_allocation         flexible funding available (default below; a supervisor's
--                              funding approval may raise it)
--   funding_approved           { [goal] = dollars } approved by a supervisor (approve_funding)
-- People (case members) that decide the priority group (rule fpr_priority_group):
--   role "child" with data.dob; role "unborn" with data.due_date; or role "parent" with
--   data.pregnant = true.
-- Goals are entries of the goals form, one per goal; a later entry with the same goal
-- updates its status and funding.

local DEFAULT_FUNDING_ALLOCATION = 5000
-- Priority order of the seed's groups (1 first); a family outside them comes after.
local PRIORITY = { pregnant_or_unborn = 1, birth_to_5 = 2, ["10_to_15"] = 3,
                   outside_priority_groups = 4 }

-- The priority groups present, for reporting (the guard itself is rule fpr_priority_group).
local function priority_groups(case)
  local groups, seen = {}, {}
  local function add(g) if not seen[g] then seen[g] = true; groups[#groups + 1] = g end end
  if #case:members("unborn") > 0 then add("pregnant_or_unborn") end
  for _, p in ipairs(case:members("parent")) do
    if p.data and p.data.pregnant == true then add("pregnant_or_unborn") end
  end
  for _, c in ipairs(case:members("child")) do
    local age = c.data and c.data.dob and kf.age(c.data.dob)
    if age and age <= 5 then add("birth_to_5") end
    if age and age >= 10 and age <= 15 then add("10_to_15") end
  end
  return table.concat(groups, ",")
end

-- The newest entry for each goal (goals are matched on their text, ignoring case).
local function current_goals(case)
  local by_goal, order = {}, {}
  for _, e in ipairs(case:entries("goals")) do
    local key = string.lower(e.data.goal)
    if not by_goal[key] then order[#order + 1] = key end
    by_goal[key] = e.data
  end
  local goals = {}
  for _, key in ipairs(order) do goals[#goals + 1] = by_goal[key] end
  return goals
end

-- Record the family's priority group (the first of its groups in priority order).
local function record_priority(case, fallback)
  local groups = priority_groups(case)
  local best
  for g in groups:gmatch("[^,]+") do
    if not best or PRIORITY[g] < PRIORITY[best] then best = g end
  end
  best = best or fallback
  case.data.priority_groups = groups
  case.data.priority_group = best
  case.data.priority = best and PRIORITY[best] or nil
end

local function funding_requested(case)
  local total = 0
  for _, g in ipairs(current_goals(case)) do total = total + (g.funding_amount or 0) end
  return total
end

-- Flexible funding spent, per goal (lower-cased) and in total.
local function funding_spent(case)
  local per, total = {}, 0
  for _, e in ipairs(case:entries("funding_spend")) do
    local key = string.lower(e.data.goal)
    per[key] = (per[key] or 0) + e.data.amount
    total = total + e.data.amount
  end
  return per, total
end

-- Every goal's request is approved by a supervisor, and the approvals fit the allocation.
local function funding_approved(case)
  local approved = case.data.funding_approved or {}
  local problems, total = {}, 0
  for _, g in ipairs(current_goals(case)) do
    local want = g.funding_amount or 0
    local ok = approved[string.lower(g.goal)] or 0
    if want > ok then
      problems[#problems + 1] = string.format("the flexible funding for '%s' ($%.0f) has "
        .. "not been approved by a supervisor%s", g.goal, want,
        ok > 0 and string.format(" (approved: $%.0f)", ok) or "")
    end
    total = total + math.min(want, ok)
  end
  local allocation = case.data.funding_allocation or DEFAULT_FUNDING_ALLOCATION
  if total > allocation then
    problems[#problems + 1] = string.format("flexible funding requested ($%.0f) is more than "
      .. "the family's allocation ($%.0f); revise the goals or ask the supervisor to raise "
      .. "the allocation", total, allocation)
  end
  if #problems > 0 then return false, table.concat(problems, "; ") end
  return true
end

-- No goal has spent more than was approved for it.
local function within_approved_spend(case)
  local approved, over = case.data.funding_approved or {}, {}
  local per = funding_spent(case)
  for key, spent in pairs(per) do
    if spent > (approved[key] or 0) then
      over[#over + 1] = string.format("'%s' spent $%.0f of $%.0f approved", key, spent,
        approved[key] or 0)
    end
  end
  table.sort(over)
  if #over > 0 then return false, "flexible funding overspent: " .. table.concat(over, "; ") end
  return true
end

local function not_in_priority_group(case)
  if kf.rules.fpr_priority_group(case) then
    return false, "the family is in a priority group: connect them with accept"
  end
  return true
end

local function ready_to_connect(case)
  local p = case.data.pathway
  if p ~= "preservation" and p ~= "reunification" then
    return false, "record whether the family needs preservation or reunification support "
      .. "(case data 'pathway')"
  end
  if #case:members("lead_practitioner") == 0 then
    return false, "no lead practitioner has been allocated to the family"
  end
  return true
end

local function pathway_is(want)
  return function(case)
    if case.data.pathway ~= want then
      return false, "this family's pathway is '" .. tostring(case.data.pathway)
        .. "', not " .. want
    end
    return true
  end
end

-- Every goal is achieved or no longer needed.
local function goals_resolved(case)
  local open = {}
  for _, g in ipairs(current_goals(case)) do
    if g.status ~= "achieved" and g.status ~= "no_longer_needed" then
      open[#open + 1] = g.goal
    end
  end
  if #open > 0 then
    return false, "goals still being worked on: " .. table.concat(open, "; ")
  end
  return true
end

return workflow {
  name = "fpr",
  title = "Family Preservation and Reunification response",
  description = "Evidence-based, coordinated support at the right time, so families stay "
    .. "together or reunify when children have been in care services.",
  -- navigator: the Child Protection Navigator; caseworker: the Child Protection practitioner
  -- (the seed's titles; the role names stay as the console's users hold them).
  roles = { "navigator", "lead_practitioner", "caseworker", "parent", "supervisor" },
  -- Set only by the programme's own moves: `case set` and the API refuse them.
  controlled = { "funding_allocation", "funding_approved", "priority", "priority_group",
                 "priority_groups" },
  family_roles = { "parent" }, -- parents see their goals, plan and consents on their family page
  initial = "identification",

  states = {
    { "identification", title = "Identification",
      description = "The Child Protection Navigator identifies the family as early as "
        .. "possible, records its priority group (the queue is worked in priority order) and "
        .. "asks the family's consent to share information with the response team (a "
        .. "parent's consent record)." },
    { "engagement", title = "Getting to know the family",
      description = "The lead practitioner seeks to understand the family's unique "
        .. "experience and perspectives, and sets goals with them: the goals are the "
        .. "family's, and they see them on their family page.",
      forms = { "goals", "funding_approval", "family_home_visit", "case_note", "service_referral",
                "family_feedback" } },
    { "support", title = "Support at home",
      description = "Working with the family regularly at home or in a place where they feel "
        .. "comfortable to build parenting skills and confidence; linking the family to "
        .. "other services and community supports; using flexible funding to help the "
        .. "family meet its goals.",
      forms = { "goals", "funding_approval", "funding_spend", "family_home_visit", "case_note",
                "service_referral", "support_delivered", "review", "safety_network_meeting",
                "family_feedback" },
      review = "28d" },
    { "preserved", title = "Family stays together", final = true, ended_by = "goals_met", outcome = "preserved",
      description = "The goals were met: the children remain safely at home." },
    { "reunified", title = "Reunified", final = true, ended_by = "goals_met", outcome = "reunified",
      description = "The goals were met: the children have returned home from care." },
    { "entered_care", title = "Child entered care", final = true, ended_by = "entered_care", outcome = "entered_care",
      description = "Despite support, a child entered care." },
    { "withdrawn", title = "The family chose to stop", final = true, ended_by = "family", outcome = "withdrawn",
      description = "Taking part is the family's choice: they stopped, with their reason." },
    { "not_connected", title = "Not connected in time", final = true, ended_by = "service",
      outcome = "not_connected",
      description = "The response did not connect with the family in time: the service's "
        .. "shortfall, not the family's." },
    { "closed", title = "Closed", final = true, ended_by = "other", outcome = "closed",
      description = "Closed for another reason, recorded when it closed." },
  },

  transitions = {
    { "record_priority_group", title = "Record the priority group",
      from = "identification", stay = true, by = { "navigator" },
      action = function(case) record_priority(case, "outside_priority_groups") end,
      description = "The Child Protection Navigator records the family's priority group "
        .. "from the people on the case: the identification queue is worked in this order." },

    { "accept", title = "Connect the family into the response",
      from = "identification", to = "engagement", by = { "navigator" },
      when = { "fpr_priority_group", "consent_recorded", ready_to_connect },
      action = function(case) record_priority(case) end,
      description = "The family is in a priority group, has consented to share information "
        .. "and has a lead practitioner." },

    -- The groups are priorities, not eligibility: a family outside them may be taken on.
    { "accept_outside_groups", title = "Connect a family outside the priority groups",
      from = "identification", to = "engagement", by = { "navigator" }, reason = true,
      when = { not_in_priority_group, "consent_recorded", ready_to_connect },
      action = function(case) record_priority(case, "outside_priority_groups") end,
      description = "The response is prioritised for three groups, not limited to them: "
        .. "connect a family outside them, recording why." },

    { "lapse", title = "Not connected in time", from = "identification",
      to = "not_connected", after = "30d",
      description = "A family the response did not connect with within 30 days closes as the "
        .. "service's shortfall; the navigator may identify them again." },

    { "start_support", title = "Start support at home",
      from = "engagement", to = "support", by = { "lead_practitioner" },
      requires = { "goals" },
      when = {
        function(case)
          for _, g in ipairs(current_goals(case)) do
            if g.set_with_family ~= true then
              return false, "the goal '" .. g.goal .. "' was not set with the family"
            end
          end
          return true
        end,
        funding_approved },
      description = "The family's goals are set with them, and any flexible funding for them "
        .. "is approved by a supervisor within the family's allocation." },

    -- Seed: "Using flexible funding to help families meet their goals." A supervisor approves
    -- the newest funding approval entry; spend is recorded against each goal.
    { "approve_funding", title = "Approve flexible funding",
      from = { "engagement", "support" }, stay = true, by = { "supervisor" },
      when = { function(case)
        local a = case:latest("funding_approval")
        if not a then return false, "no funding approval has been prepared" end
        return true
      end },
      action = function(case)
        local a = case:latest("funding_approval")
        local approved = case.data.funding_approved or {}
        approved[string.lower(a.goal)] = a.amount_approved
        case.data.funding_approved = approved
        if a.raise_allocation_to then case.data.funding_allocation = a.raise_allocation_to end
      end,
      description = "The supervisor approves the flexible funding for a goal (the newest "
        .. "funding approval entry), raising the family's allocation if it says so." },

    { "preserve", title = "Family stays together",
      from = "support", to = "preserved", by = { "supervisor" },
      requires = { "review" },
      when = { pathway_is("preservation"), goals_resolved, within_approved_spend,
               "family_feedback_sought" },
      description = "Close with the family together and the children safe at home, once the "
        .. "family gave their feedback." },

    { "reunify", title = "Children reunified",
      from = "support", to = "reunified", by = { "caseworker" },
      requires = { "review", "safety_network_meeting" },
      when = { pathway_is("reunification"), goals_resolved, within_approved_spend,
               "network_agrees_child_safe_at_home", "family_feedback_sought" },
      description = "The Child Protection practitioner (role caseworker) confirms the "
        .. "children's return home, once the family gave their feedback." },

    { "enter_care", title = "Child entered care", from = "*", to = "entered_care",
      by = { "caseworker", "supervisor" }, reason = true,
      description = "The Child Protection practitioner records that a child entered care, "
        .. "with the reason." },

    { "withdraw", title = "Stop taking part", from = "*", to = "withdrawn",
      by = { "parent" }, reason = true,
      description = "The response is voluntary: the family may stop at any time, saying why." },

    { "close", title = "Close", from = "*", to = "closed", by = { "supervisor" },
      reason = true,
      description = "Close the response for another reason, giving it." },
  },

  on_enter = {
    engagement = function(case)
      case.data.accepted_on = case.data.accepted_on or kf.today()
    end,
    support = function(case)
      case.data.support_started_on = kf.today()
      case.data.funding_at_start = funding_requested(case)
    end,
    preserved = function(case)
      case.data.ended_on = kf.today()
      case.data.funding_total = select(2, funding_spent(case))
    end,
    reunified = function(case)
      case.data.ended_on = kf.today()
      case.data.funding_total = select(2, funding_spent(case))
    end,
    entered_care = function(case) case.data.ended_on = kf.today() end,
    withdrawn = function(case) case.data.ended_on = kf.today() end,
    not_connected = function(case) case.data.ended_on = kf.today() end,
    closed = function(case) case.data.ended_on = kf.today() end,
  },

  forms = {
    form {
      name = "funding_approval",
      title = "Flexible funding approval",
      description = "A request for flexible funding toward one of the family's goals, for a "
        .. "supervisor to approve (the supervisor's move approve_funding applies it).",
      fields = {
        { "prepared_on", label = "Date", type = "date", required = true },
        { "goal", label = "Goal (as written in the goals)", type = "text", required = true },
        { "amount_approved", label = "Amount to approve ($)", type = "number", min = 0,
          max = 20000, required = true },
        { "raise_allocation_to", label = "Raise the family's allocation to ($)",
          type = "number", min = 0, max = 50000,
          help = "Only when the goals need more than the family's allocation." },
        { "why", label = "Why", type = "text" },
      },
    },
    form {
      name = "funding_spend",
      title = "Flexible funding spent",
      description = "Money spent toward a goal, tracked against what was approved for it.",
      family = "read",
      fields = {
        { "spent_on", label = "Date", type = "date", required = true },
        { "goal", label = "Goal (as written in the goals)", type = "text", required = true },
        { "amount", label = "Amount ($)", type = "number", min = 0, max = 20000,
          required = true },
        { "what_for", label = "What it paid for", type = "text", required = true },
      },
    },
  },
}
