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
-- Case data the navigator records when opening the case:
--   pathway            "preservation" (stay together) or "reunification" (children in care)
--   funding_allocation flexible funding available to the family in dollars (default below)
-- People (case members) that decide the priority group (rule fpr_priority_group):
--   role "child" with data.dob; role "unborn" with data.due_date; or role "parent" with
--   data.pregnant = true.
-- Goals are entries of the goals form, one per goal; a later entry with the same goal
-- updates its status and funding.

local DEFAULT_FUNDING_ALLOCATION = 5000

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

local function funding_requested(case)
  local total = 0
  for _, g in ipairs(current_goals(case)) do total = total + (g.funding_amount or 0) end
  return total
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
  roles = { "navigator", "lead_practitioner", "caseworker", "parent", "supervisor" },
  family_roles = { "parent" }, -- parents see their goals, plan and consents on their family page
  initial = "identification",

  states = {
    { "identification", title = "Identification",
      description = "The Child Protection Navigator identifies the family as early as "
        .. "possible, checks the priority groups and asks the family's consent to share "
        .. "information with the response team (a parent's consent record)." },
    { "engagement", title = "Getting to know the family",
      description = "The lead practitioner seeks to understand the family's unique "
        .. "experience and perspectives, and sets goals with them: the goals are the "
        .. "family's, and they see them on their family page.",
      forms = { "goals" } },
    { "support", title = "Support at home",
      description = "Working with the family regularly at home or in a place where they feel "
        .. "comfortable to build parenting skills and confidence; linking the family to "
        .. "other services and community supports; using flexible funding to help the "
        .. "family meet its goals.",
      forms = { "goals", "review", "safety_network_meeting" },
      review = "28d" },
    { "preserved", title = "Family stays together", final = true, outcome = "preserved",
      description = "The children remain safely at home." },
    { "reunified", title = "Reunified", final = true, outcome = "reunified",
      description = "The children have returned home from care." },
    { "closed", title = "Closed", final = true, outcome = "closed" },
  },

  transitions = {
    { "accept", title = "Connect the family into the response",
      from = "identification", to = "engagement", by = { "navigator" },
      when = { "fpr_priority_group", "consent_recorded",
               function(case)
                 local p = case.data.pathway
                 if p ~= "preservation" and p ~= "reunification" then
                   return false, "record whether the family needs preservation or "
                     .. "reunification support (case data 'pathway')"
                 end
                 if #case:members("lead_practitioner") == 0 then
                   return false, "no lead practitioner has been allocated to the family"
                 end
                 return true
               end },
      description = "The family is in a priority group, has consented to share information "
        .. "and has a lead practitioner." },

    { "not_eligible", title = "Not eligible", from = "identification", to = "closed",
      by = { "navigator" }, reason = true,
      description = "The family is not eligible for the response; say why and where they "
        .. "were referred." },

    { "lapse", title = "Identification lapsed", from = "identification", to = "closed",
      after = "30d",
      description = "A family not connected within 30 days closes; the navigator may "
        .. "re-identify them." },

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
        function(case)
          local allocation = case.data.funding_allocation or DEFAULT_FUNDING_ALLOCATION
          local total = funding_requested(case)
          if total > allocation then
            return false, string.format("flexible funding requested ($%.0f) is more than "
              .. "the family's allocation ($%.0f); revise the goals or ask the supervisor "
              .. "to raise the allocation", total, allocation)
          end
          return true
        end },
      description = "The family's goals are set with them, within their flexible funding." },

    { "preserve", title = "Family stays together",
      from = "support", to = "preserved", by = { "supervisor" },
      requires = { "review" },
      when = { pathway_is("preservation"), goals_resolved },
      description = "Close with the family together and the children safe at home." },

    { "reunify", title = "Children reunified",
      from = "support", to = "reunified", by = { "caseworker" },
      requires = { "review", "safety_network_meeting" },
      when = { pathway_is("reunification"), goals_resolved,
               "network_agrees_child_safe_at_home" },
      description = "Child Protection confirms the children's return home." },

    { "close", title = "Close", from = "*", to = "closed", by = { "supervisor" },
      reason = true, description = "Close the response, giving the reason." },
  },

  on_enter = {
    engagement = function(case)
      case.data.accepted_on = kf.today()
      case.data.priority_groups = priority_groups(case)
    end,
    support = function(case)
      case.data.support_started_on = kf.today()
      case.data.funding_at_start = funding_requested(case)
    end,
    preserved = function(case)
      case.data.ended_on = kf.today()
      case.data.funding_total = funding_requested(case)
    end,
    reunified = function(case)
      case.data.ended_on = kf.today()
      case.data.funding_total = funding_requested(case)
    end,
    closed = function(case) case.data.ended_on = kf.today() end,
  },
}
