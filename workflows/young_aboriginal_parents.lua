-- Co-parenthood for young Aboriginal and Torres Strait Islander parents. Seed
-- "Co-parenthood", possible adaptations: "Co-parenthood for young Aboriginal parents to keep
-- families together." The practice (a community-controlled organisation alongside, a
-- cultural support plan) applies as much to Torres Strait Islander families, so the
-- programme is for both; its file name stays young_aboriginal_parents.
--
-- Differences from the base programme:
--   * an Aboriginal community-controlled organisation (ACCO) worker works with the family
--     from matching onward and may match the family themselves;
--   * the programme is for young parents: the upper age is the agency's setting, not the
--     seed's (rule young_parent, default under 25);
--   * the child is Aboriginal, Torres Strait Islander or both; a child recorded as neither
--     (or not stated) is matched only with a recorded reason (the programme_fit form);
--   * the cultural support plan is required before Stage 2 and Stage 3, and the ACCO must
--     endorse it before the child returns home: the endorsement is given only by a user
--     acting as the ACCO worker (an attested field) and names the organisation. Seed
--     "Parents partnering with carers": "parents providing cultural information to the
--     carer and showing them how they can support their child's cultural needs"; "case plan
--     and cultural support plan development".

local function acco_worker_allocated(case)
  if #case:members("acco_worker") == 0 then
    return false, "no worker from an Aboriginal community-controlled organisation has been "
      .. "allocated to the family yet"
  end
  return true
end

-- The child is Aboriginal and/or Torres Strait Islander, or the reason this programme is
-- right for the family anyway is recorded.
local ATSI = { aboriginal = true, torres_strait_islander = true, both = true }
local function identity_or_reason(case)
  local child = case:latest("child_information")
  local identity = child and child.aboriginal_or_torres_strait_islander
  if ATSI[identity] then return true end
  local fit = case:latest("programme_fit")
  if fit and fit.reason and fit.reason ~= "" then return true end
  return false, "the child is recorded as " .. (identity == "neither"
      and "neither Aboriginal nor Torres Strait Islander" or "not stating whether they are "
      .. "Aboriginal or Torres Strait Islander")
    .. ": record why this programme is right for the family (the programme_fit form) "
    .. "before matching"
end

-- The current plan (the newest entry) is endorsed by the ACCO itself: the entry was given by
-- a user acting as its worker (the form takes acco_endorsed and acco_name from no one else),
-- and the endorsement names the organisation.
local function cultural_plan_endorsed(case)
  local plans = case:entries("cultural_support_plan")
  local entry = plans[#plans]
  if not entry then return false, "no cultural support plan has been recorded" end
  local plan, problems = entry.data, {}
  if plan.parent_contributed ~= true then
    problems[#problems + 1] = "the parents have not yet contributed to the cultural support plan"
  end
  if plan.acco_endorsed ~= true then
    problems[#problems + 1] = "the community-controlled organisation has not yet endorsed the "
      .. "cultural support plan"
  elseif entry.role ~= "acco_worker" then
    problems[#problems + 1] = "the cultural support plan's endorsement was not given by an ACCO "
      .. "worker (recorded as " .. tostring(entry.role or "no role") .. ")"
  elseif not plan.acco_name or plan.acco_name == "" then
    problems[#problems + 1] = "the ACCO's endorsement of the cultural support plan does not name "
      .. "the organisation"
  end
  if #problems > 0 then return false, table.concat(problems, "; ") end
  return true
end

return adapt "coparenthood" {
  name = "young_aboriginal_parents",
  title = "Co-parenthood for young Aboriginal and Torres Strait Islander parents",
  description = "Co-parenthood with young Aboriginal and Torres Strait Islander parents, "
    .. "alongside an Aboriginal community-controlled organisation (ACCO), to keep families "
    .. "together and children connected to family, community, culture, Country and "
    .. "island home.",
  roles = { "acco_worker" },
  settings = { young_parent_age = { default = 25,
    label = "Upper age for a young parent (agency setting; not from the seed)" } },

  states = {
    { "referral",
      description = "The family is referred, consents to share information, and is matched "
        .. "with a carer, a Family Link worker and an ACCO worker.",
      forms = { "child_information", "cultural_support_plan", "programme_fit" } },
    { "building_trust",
      forms = { "partnering_activities", "levers_for_change", "cultural_support_plan",
                "communication_book", "safety_network_meeting", "family_contact", "family_home_visit",
                "case_note", "service_referral", "review", "family_feedback" } },
    { "capability",
      description = "Parents lead the cultural support plan with the ACCO and take part in "
        .. "the case plan, education support plan and child health passport." },
  },

  transitions = {
    { "match", by = { "caseworker", "acco_worker" },
      requires = { "child_information", "cultural_support_plan" },
      when = { "consent_recorded", "carer_matched", "young_parent", acco_worker_allocated,
               identity_or_reason },
      description = "The young parents have consented to share information and are matched "
        .. "with a carer, a Family Link worker and an ACCO worker; a cultural support plan "
        .. "is started." },
    { "strengthen", by = { "caseworker", "family_link", "acco_worker" },
      requires = { "partnering_activities", "safety_network_meeting",
                   "cultural_support_plan" } },
    { "prepare_restoration",
      requires = { "case_plan", "cultural_support_plan", "review" } },
    { "restore",
      when = { "network_agrees_child_safe_at_home", "overnight_stays_at_home",
               cultural_plan_endorsed },
      description = "The supervisor approves the child's return home once the safety and "
        .. "support network agrees the child can be safe at home and the ACCO has endorsed "
        .. "the cultural support plan." },
  },

  forms = {
    form {
      name = "programme_fit",
      title = "Why this programme fits the family",
      description = "For a child recorded as neither Aboriginal nor Torres Strait Islander "
        .. "(or not stated): why this programme, rather than Co-parenthood itself, is right "
        .. "for the family, e.g. a parent's own identity and community.",
      fields = {
        { "recorded_on", label = "Date", type = "date", required = true },
        { "reason", label = "Reason", type = "text", required = true },
        { "family_agrees", label = "The family agrees", type = "boolean" },
      },
    },
  },
}
