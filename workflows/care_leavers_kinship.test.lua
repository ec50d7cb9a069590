-- Scenario tests for Co-parenthood for care leavers seeking kinship care of younger
-- siblings. All people are invented.

local siblings_and_workers = {
  { member = "child", name = "Poppy Sampleton", data = { dob = "2016-09-01" } },
  { member = "child", name = "Finn Sampleton", data = { dob = "2018-11-30" } },
  { member = "carer", name = "Ros Elmwood-Test" },
  { member = "family_link", name = "Pat Kestrel" },
  { submit = "child_information",
    data = { child_name = "Poppy Sampleton", dob = "2016-09-01",
             living_arrangement = "foster_care", important_people = { "Jamie Sampleton" } } },
}
local adult_leaver = {
  { member = "care_leaver", name = "Jamie Sampleton", data = { dob = "2005-04-20" } },
  { consent = "share_with_partners", by = "Jamie Sampleton" },
}
-- A move decided with the care leaver and the siblings' carer.
local function decided(transition, leaver)
  return { { decision = transition, decided = "Agreed at the family meeting", family_agreed = true,
             members = { leaver, "Ros Elmwood-Test" } } }
end
local function to_stage3(leaver)
  return join({
  { fire = "match", as = "caseworker" },
  { advance = "10d" },   -- 2026-01-15
  { submit = "partnering_activities",
    data = { agreed_on = "2026-01-06",
             activities = { "communication_book", "clear_roles", "names_decided_together",
                            "parent_attends_school_events" } } },
  { submit = "communication_book", data = { entry_date = "2026-01-09", written_by = "carer",
                                            update = "Poppy asked when Jamie visits next." } },
  { submit = "safety_network_meeting",
    data = { meeting_date = "2026-01-15", members_present = { 1, 4 } } },  -- the leaver, Ros
  { fire = "strengthen", as = "caseworker" },
  { advance = "26d" },   -- 2026-02-10
  { submit = "case_plan", data = { plan_date = "2026-02-01", permanency_goal = "kinship_care",
                                   goals = { "Poppy and Finn live with Jamie" } } },
  { submit = "review", data = { review_date = "2026-02-10", progress = "Weekend visits going well." } },
  { fire = "prepare_restoration", as = "caseworker",
    refused = "no shared decision has been recorded for 'prepare_restoration'" } },
  decided("prepare_restoration", leaver), {
  { fire = "prepare_restoration", as = "caseworker" },
  { advance = "16d" },   -- 2026-02-26
  { submit = "family_contact", data = { contact_date = "2026-02-14", contact_type = "overnight" } },
  { submit = "family_contact", data = { contact_date = "2026-02-21", contact_type = "overnight" } },
  { submit = "safety_network_meeting",
    data = { meeting_date = "2026-02-25", members_present = { 1, 4 },  -- the leaver, Ros
             network_agrees_safe = true } },
  })
end
local approved = {
  { submit = "kinship_carer_assessment",
    data = { assessment_date = "2026-02-26", assessor = "Kinship Team Example", approved = true,
             siblings = { 2, 3 } } },   -- Poppy and Finn (the care leaver is member 1)
  { submit = "family_feedback",
    data = { feedback_date = "2026-02-26", what_helped = "Ros let me be their big sister again." } },
}

return scenarios "care_leavers_kinship" {
  { "happy path: the siblings move into the care leaver's kinship care",
    now = "2026-01-05T09:00:00Z",
    steps = join(adult_leaver, siblings_and_workers, to_stage3("Jamie Sampleton"), approved, {
      { expect = { state = "restoration" } },
      { fire = "sign_plan", as = "parent", refused = "may not fire 'sign_plan'" },
      { fire = "sign_plan", as = "care_leaver" },
      { fire = "place_with_care_leaver", as = "supervisor",
        refused = "no shared decision has been recorded for 'place_with_care_leaver'" } },
      decided("place_with_care_leaver", "Jamie Sampleton"), {
      { fire = "place_with_care_leaver", as = "supervisor" },
      { expect = { state = "kinship_care", final = true, data = { kinship_care_from = "2026-02-26" } } } }) },

  { "the care leaver may stop taking part, with their reason",
    now = "2026-01-05T09:00:00Z",
    steps = join(adult_leaver, siblings_and_workers, {
      { fire = "match", as = "caseworker" },
      { fire = "withdraw", as = "parent", refused = "may not fire 'withdraw'" },
      { fire = "withdraw", as = "care_leaver", reason = "I have to move for work." },
      { expect = { state = "withdrawn", final = true } } }) },

  { "matching needs the care leaver on the case",
    now = "2026-01-05T09:00:00Z",
    steps = join(siblings_and_workers, {
      { fire = "match", as = "caseworker", refused = "no care leaver is recorded on the case" } }) },

  { "Stage 3 needs a case plan aiming for kinship care",
    now = "2026-01-05T09:00:00Z",
    steps = join(adult_leaver, siblings_and_workers, {
      { fire = "match", as = "caseworker" },
      { advance = "36d" },  -- 2026-02-10
      { submit = "partnering_activities",
        data = { agreed_on = "2026-01-06",
                 activities = { "communication_book", "clear_roles", "your_child" } } },
      { submit = "communication_book", data = { entry_date = "2026-01-19", written_by = "carer",
                                                update = "Finn's first swim." } },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-15", members_present = { 1, 4 } } },   -- Jamie, Ros
      { fire = "strengthen", as = "family_link" },
      { submit = "case_plan", data = { plan_date = "2026-02-01", permanency_goal = "restoration",
                                       goals = { "Return to mum" } } },
      { submit = "review", data = { review_date = "2026-02-10", progress = "Ok." } },
      { fire = "prepare_restoration", as = "caseworker", refused = "not kinship care" } }) },

  { "the care leaver must be approved as kinship carer",
    now = "2026-01-05T09:00:00Z",
    steps = join(adult_leaver, siblings_and_workers, to_stage3("Jamie Sampleton"), {
      { fire = "place_with_care_leaver", as = "supervisor", refused = "kinship_carer_assessment" },
      { submit = "kinship_carer_assessment",
        data = { assessment_date = "2026-02-26", assessor = "Kinship Team Example" },
        refused = "approved" },
      { submit = "kinship_carer_assessment",
        data = { assessment_date = "2026-02-26", assessor = "Kinship Team Example",
                 approved = false, siblings = { 1 } },
        refused = "siblings: member 1 (Jamie Sampleton) is a care_leaver, not one of: child, sibling" },
      { submit = "kinship_carer_assessment",
        data = { assessment_date = "2026-02-26", assessor = "Kinship Team Example",
                 approved = false, siblings = { 2, 3 },
                 conditions = "Needs a bigger home first." } },
      { fire = "place_with_care_leaver", as = "supervisor",
        refused = "has not been approved as a kinship carer" },
      { fire = "restore", as = "supervisor", refused = "restore" } }) },

  { "a care leaver under 18 can start but must be 18 to become the kinship carer",
    now = "2026-01-05T09:00:00Z",
    steps = join({ { member = "care_leaver", name = "Jess Sampleton",
                     data = { dob = "2008-03-20" } },
                   { consent = "share_with_partners", by = "Jess Sampleton" } },
                 siblings_and_workers, to_stage3("Jess Sampleton"), approved,
                 decided("place_with_care_leaver", "Jess Sampleton"), {
      { fire = "place_with_care_leaver", as = "supervisor",
        refused = "the care leaver is not yet 18" },
      { advance = "30d" },       -- 2026-03-28: Jess turned 18 on 20 March
      { fire = "place_with_care_leaver", as = "supervisor" },
      { expect = { state = "kinship_care", final = true } } }) },
}
