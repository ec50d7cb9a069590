-- Scenario tests for Co-parenthood for young Aboriginal parents. All people are invented.

local workers = {
  { member = "child", name = "Jarrah Examplewood", data = { dob = "2024-02-01" } },
  { member = "carer", name = "Merv Sandpiper" },
  { member = "family_link", name = "Ash Quillby" },
}
local young_parent = {
  { member = "parent", name = "Tahlia Examplewood", data = { dob = "2004-05-01" } },
  { consent = "share_with_partners", by = "Tahlia Examplewood" },
}
local acco = { { member = "acco_worker", name = "Dana Riverbend-Test" } }
local paperwork = {
  { submit = "child_information",
    data = { child_name = "Jarrah Examplewood", dob = "2024-02-01",
             living_arrangement = "foster_care",
             aboriginal_or_torres_strait_islander = "aboriginal", parent_contributed = true } },
  { submit = "cultural_support_plan",
    data = { plan_date = "2026-01-05", community_connections = { "Nan and Pop on Country" },
             cultural_information_from_parents = "Language words for bedtime.",
             parent_contributed = true } },
}
local matched = join(young_parent, workers, acco, paperwork,
                     { { fire = "match", as = "acco_worker" } })
local to_stage3 = {
  { advance = "7d" },    -- 2026-01-12
  { submit = "partnering_activities",
    data = { agreed_on = "2026-01-06",
             activities = { "communication_book", "cultural_information", "carer_meets_family" } } },
  { submit = "communication_book", data = { entry_date = "2026-01-10", written_by = "carer",
                                            update = "Jarrah is crawling!" } },
  { submit = "safety_network_meeting",
    data = { meeting_date = "2026-01-12", members_present = { 1, 3, 5 } } },  -- Tahlia, Merv, Dana
  { fire = "strengthen", as = "acco_worker" },
  { advance = "34d" },   -- 2026-02-15
  { submit = "case_plan", data = { plan_date = "2026-02-01", permanency_goal = "restoration",
                                   goals = { "Jarrah home with Tahlia" },
                                   contributed_by = { 1 } } },   -- Tahlia
  { submit = "review", data = { review_date = "2026-02-15", progress = "Strong progress.",
                                decision = "move_forward" } },
  { fire = "sign_plan", as = "parent" },
  { decision = "prepare_restoration", decided = "Tahlia, Merv and Dana agree to prepare for "
      .. "Jarrah going home", family_agreed = true,
    members = { "Tahlia Examplewood", "Merv Sandpiper" } },
  { fire = "prepare_restoration", as = "caseworker" },
  { advance = "25d" },   -- 2026-03-12
  { submit = "family_contact", data = { contact_date = "2026-03-01", contact_type = "overnight" } },
  { submit = "family_contact", data = { contact_date = "2026-03-08", contact_type = "overnight" } },
  { submit = "safety_network_meeting",
    data = { meeting_date = "2026-03-10", members_present = { 1, 3 },  -- Tahlia, Merv
             network_agrees_safe = true } },
}

return scenarios "young_aboriginal_parents" {
  { "happy path: restored with the ACCO's endorsement of the cultural support plan",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { expect = { state = "building_trust", data = { matched_on = "2026-01-05" } } } },
      to_stage3, {
      { expect = { state = "restoration", as = "supervisor",
                   blocked = { restore = "has not yet endorsed the cultural support plan" } } },
      { submit = "cultural_support_plan", as = "acco_worker",
        data = { plan_date = "2026-03-11", community_connections = { "Nan and Pop on Country" },
                 acco_endorsed = true, acco_name = "Examplewood Aboriginal Corporation" } },
      { fire = "restore", as = "supervisor",
        refused = "the parents have not yet contributed to the cultural support plan" },
      { submit = "cultural_support_plan", as = "acco_worker",
        data = { plan_date = "2026-03-12", community_connections = { "Nan and Pop on Country" },
                 elders_involved = { "Aunty Example" }, parent_contributed = true,
                 acco_endorsed = true, acco_name = "Examplewood Aboriginal Corporation" } },
      { decision = "restore", decided = "Jarrah goes home to Tahlia", family_agreed = true,
        members = { "Tahlia Examplewood" } },
      { fire = "restore", as = "supervisor" },
      { expect = { state = "restored", final = false } } }) },

  -- The endorsement is the ACCO's: a caseworker cannot give it, and it names the organisation.
  { "only an ACCO worker endorses the cultural support plan, naming the organisation",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, to_stage3, {
      { submit = "cultural_support_plan", as = "caseworker",
        data = { plan_date = "2026-03-12", community_connections = { "Nan and Pop on Country" },
                 parent_contributed = true, acco_endorsed = true },
        refused = "acco_endorsed: only acco_worker can give this (submit as one of: acco_worker)" },
      { submit = "cultural_support_plan",
        data = { plan_date = "2026-03-12", community_connections = { "Nan and Pop on Country" },
                 parent_contributed = true, acco_endorsed = true },
        refused = "acco_endorsed: only acco_worker can give this" },
      { submit = "cultural_support_plan", as = "caseworker",
        data = { plan_date = "2026-03-12", community_connections = { "Nan and Pop on Country" },
                 parent_contributed = true, acco_name = "Examplewood Aboriginal Corporation" },
        refused = "acco_name: only acco_worker can give this" },
      { submit = "cultural_support_plan", as = "acco_worker",
        data = { plan_date = "2026-03-12", community_connections = { "Nan and Pop on Country" },
                 parent_contributed = true, acco_endorsed = true } },
      { decision = "restore", decided = "Jarrah goes home to Tahlia", family_agreed = true,
        members = { "Tahlia Examplewood" } },
      { fire = "restore", as = "supervisor",
        refused = "the ACCO's endorsement of the cultural support plan does not name the "
          .. "organisation" },
      -- A plan revised after the endorsement is a new plan: the ACCO endorses it again.
      { submit = "cultural_support_plan", as = "caseworker",
        data = { plan_date = "2026-03-12", community_connections = { "Nan and Pop on Country" },
                 parent_contributed = true, acco_endorsed = false } },
      { fire = "restore", as = "supervisor",
        refused = "has not yet endorsed the cultural support plan" },
      { submit = "cultural_support_plan", as = "acco_worker",
        data = { plan_date = "2026-03-12", community_connections = { "Nan and Pop on Country" },
                 parent_contributed = true, acco_endorsed = true,
                 acco_name = "Examplewood Aboriginal Corporation" } },
      { fire = "restore", as = "supervisor" },
      { expect = { state = "restored" } } }) },

  { "matching needs an ACCO worker allocated",
    now = "2026-01-05T09:00:00Z",
    steps = join(young_parent, workers, paperwork, {
      { fire = "match", as = "caseworker",
        refused = "no worker from an Aboriginal community-controlled organisation" },
      { fire = "match", as = "carer", refused = "may not fire 'match'" } }) },

  { "the programme is for parents under 25",
    now = "2026-01-05T09:00:00Z",
    steps = join(workers, acco, {
      { member = "parent", name = "Corey Examplewood", data = { dob = "1990-01-01" } },
      { consent = "share_with_partners", by = "Corey Examplewood" } }, paperwork, {
      { fire = "match", as = "caseworker", refused = "no parent is under 25" } }) },

  -- The seed gives no age: the cut-off is the agency's setting.
  { "the young parent age is the agency's setting",
    now = "2026-01-05T09:00:00Z",
    steps = join(workers, acco, {
      { member = "parent", name = "Corey Examplewood", data = { dob = "1999-01-01" } },
      { consent = "share_with_partners", by = "Corey Examplewood" } }, paperwork, {
      { fire = "match", as = "caseworker", refused = "no parent is under 25" },
      { setting = "young_parent_age", value = 28 },
      { fire = "match", as = "caseworker" },
      { expect = { state = "building_trust" } } }) },

  { "a parent's date of birth is needed to check age",
    now = "2026-01-05T09:00:00Z",
    steps = join(workers, acco, {
      { member = "parent", name = "Corey Examplewood" },
      { consent = "share_with_partners", by = "Corey Examplewood" } }, paperwork, {
      { fire = "match", as = "caseworker",
        refused = "date of birth not recorded for Corey Examplewood" } }) },

  { "matching needs a cultural support plan started",
    now = "2026-01-05T09:00:00Z",
    steps = join(young_parent, workers, acco, {
      { submit = "child_information",
        data = { child_name = "Jarrah Examplewood", dob = "2024-02-01" } },
      { fire = "match", as = "caseworker", refused = "cultural_support_plan" },
      { submit = "cultural_support_plan", data = { plan_date = "2026-01-05" },
        refused = "community_connections" } }) },

  -- The practice applies to Torres Strait Islander families as much as Aboriginal ones.
  { "a Torres Strait Islander child is matched as an Aboriginal child is",
    now = "2026-01-05T09:00:00Z",
    steps = join(young_parent, workers, acco, {
      { submit = "child_information",
        data = { child_name = "Jarrah Examplewood", dob = "2024-02-01",
                 aboriginal_or_torres_strait_islander = "torres_strait_islander" } },
      { submit = "cultural_support_plan",
        data = { plan_date = "2026-01-05", community_connections = { "Family on Erub" },
                 mob = "Meriam", country = "Erub, Torres Strait" } },
      { fire = "match", as = "acco_worker" },
      { expect = { state = "building_trust" } } }) },

  { "a child recorded as neither is matched only with a recorded reason",
    now = "2026-01-05T09:00:00Z",
    steps = join(young_parent, workers, acco, {
      { submit = "child_information",
        data = { child_name = "Jarrah Examplewood", dob = "2024-02-01",
                 aboriginal_or_torres_strait_islander = "neither" } },
      { submit = "cultural_support_plan",
        data = { plan_date = "2026-01-05", community_connections = { "Playgroup" } } },
      { fire = "match", as = "acco_worker",
        refused = "recorded as neither Aboriginal nor Torres Strait Islander: record why" },
      { submit = "programme_fit", data = { recorded_on = "2026-01-05" }, refused = "reason" },
      { submit = "programme_fit",
        data = { recorded_on = "2026-01-05", family_agrees = true,
                 reason = "Tahlia is Aboriginal and wants Jarrah raised in her community." } },
      { fire = "match", as = "acco_worker" },
      { expect = { state = "building_trust" } } }) },

  { "closing needs the supervisor and a reason",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { fire = "close", as = "acco_worker", refused = "may not fire 'close'" },
      { submit = "family_feedback", data = { feedback_date = "2026-01-05",
                                             what_helped = "Dana came to every meeting." } },
      { fire = "close", as = "supervisor", reason = "Family chose another ACCO program." },
      { expect = { state = "closed", final = true } } }) },
}
