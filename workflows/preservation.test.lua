-- Scenario tests for Co-parenthood for preservation. All people are invented.

local family = {
  { member = "parent", name = "Jo Pemberley-Sample", data = { dob = "1998-02-11" } },
  { member = "child", name = "Milo Pemberley-Sample", data = { dob = "2021-08-10" } },
  { member = "carer", name = "Dee Oakhollow" },          -- support carer
  { member = "family_link", name = "Lee Brightwater" },
  { consent = "share_with_partners", by = "Jo Pemberley-Sample" },
}
local at_home = {
  { submit = "child_information",
    data = { child_name = "Milo Pemberley-Sample", dob = "2021-08-10",
             living_arrangement = "with_parents", parent_contributed = true } },
}
local matched = join(family, at_home, { { fire = "match", as = "caseworker" } })
local stage1 = {
  { advance = "9d" },    -- 2026-01-14
  { submit = "partnering_activities",
    data = { agreed_on = "2026-01-06",
             activities = { "speak_positively", "communication_book", "parent_has_carer_contacts",
                            "celebration_calls" } } },
  { submit = "communication_book", data = { entry_date = "2026-01-10", written_by = "carer",
                                            update = "Milo loved the park on Saturday." } },
  { submit = "safety_network_meeting",
    data = { meeting_date = "2026-01-14", members_present = { 1, 3 } } },
  { fire = "strengthen", as = "caseworker" },
  { advance = "32d" },   -- 2026-02-15
}
local stage2 = {
  { submit = "case_plan", data = { plan_date = "2026-02-01", permanency_goal = "remain_at_home",
                                   goals = { "Milo stays home safely" },
                                   contributed_by = { 1 } } },   -- Jo
  { submit = "review", data = { review_date = "2026-02-15", progress = "Routines settled.",
                                decision = "move_forward" } },
  { fire = "sign_plan", as = "parent" },
  { decision = "sustain_change", decided = "Jo and the team agree to plan for Milo staying "
      .. "home for good", family_agreed = true, members = { "Jo Pemberley-Sample" } },
  { fire = "sustain_change", as = "caseworker" },
}

return scenarios "preservation" {
  { "happy path: the child remains safely at home",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, stage1, stage2, {
      { expect = { state = "sustaining_change", data = { stage3_started_on = "2026-02-15" } } },
      { advance = "15d" },   -- 2026-03-02
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-03-01", members_present = { 1, 3 },   -- Jo, Dee
                 network_agrees_safe = true } },
      { submit = "review", data = { review_date = "2026-03-02", progress = "Goals met.",
                                    goals_met = true, decision = "close" } },
      { fire = "preserve", as = "supervisor",
        refused = "no shared decision has been recorded for 'preserve'" },
      { decision = "preserve", decided = "Milo stays home; the service closes",
        family_agreed = true, members = { "Jo Pemberley-Sample", "Dee Oakhollow" } },
      { fire = "preserve", as = "supervisor", refused = "ask the family for their feedback" },
      { submit = "family_feedback", data = { feedback_date = "2026-03-02",
                                             what_helped = "Dee is like a sister to me now.",
                                             listened_to = "yes" } },
      { fire = "preserve", as = "supervisor" },
      { expect = { state = "preserved", final = true, data = { preserved_on = "2026-03-02" } } } }) },

  { "preservation is for children still at home",
    now = "2026-01-05T09:00:00Z",
    steps = join(family, {
      { submit = "child_information",
        data = { child_name = "Milo Pemberley-Sample", dob = "2021-08-10",
                 living_arrangement = "foster_care" } },
      { fire = "match", as = "caseworker", refused = "the child is not living at home" } }) },

  { "Stage 3 needs a plan for the child to remain at home",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, stage1, {
      { submit = "case_plan", data = { plan_date = "2026-02-01", permanency_goal = "restoration",
                                       goals = { "Return home" }, contributed_by = { 1 } } },
      { submit = "review", data = { review_date = "2026-02-15", progress = "Steady." } },
      { fire = "sustain_change", as = "caseworker",
        refused = "not for the child to remain at home" } }) },

  -- These children were never removed: no stage, move or title speaks of restoration.
  { "Stage 3 is sustaining change at home, not restoration",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, stage1, {
      { expect = { as = "caseworker", blocked = { sustain_change = "case_plan" } } },
      { fire = "prepare_restoration", as = "caseworker", refused = "prepare_restoration" } },
      { { submit = "case_plan", data = { plan_date = "2026-02-01",
                                         permanency_goal = "remain_at_home",
                                         goals = { "Milo stays home safely" },
                                         contributed_by = { 1 } } },
        { submit = "review", data = { review_date = "2026-02-15", progress = "Settled." } },
        { fire = "sustain_change", as = "caseworker",
          refused = "the parent has not signed the current case plan" } },
      stage2, {
      { expect = { state = "sustaining_change" } },
      { fire = "step_back_to_stage2", as = "caseworker", refused = "needs a reason" },
      { fire = "step_back_to_stage2", as = "caseworker", reason = "Jo lost her job" },
      { expect = { state = "capability" } } }) },

  { "closing as preserved waits for goals met; there is no restoration",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, stage1, stage2, {
      { advance = "14d" },   -- 2026-03-01
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-03-01", members_present = { 1, 3 },   -- Jo, Dee
                 network_agrees_safe = true } },
      { expect = { as = "supervisor",
                   blocked = { preserve = "the last review did not find the plan's goals met" } } },
      { fire = "preserve", as = "caseworker", refused = "may not fire 'preserve'" },
      { fire = "restore", as = "supervisor", refused = "restore" } }) },

  { "the child entering care ends the case, with a reason",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { fire = "enter_care", as = "caseworker", refused = "may not fire 'enter_care'" },
      { fire = "enter_care", as = "supervisor", refused = "needs a reason" },
      { fire = "enter_care", as = "supervisor",
        reason = "Emergency removal after a hospital admission; refer to Co-parenthood." },
      { expect = { state = "entered_care", final = true, data = { entered_care_on = "2026-01-05" } } } }) },

  { "the family may stop taking part, with their reason; a lapsed referral is the service's",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { fire = "withdraw", as = "parent", reason = "We are doing fine on our own now." },
      { expect = { state = "withdrawn", final = true } } }) },
}
