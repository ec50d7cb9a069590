-- Scenario tests for the Family Preservation and Reunification response. All people are
-- invented. The clock starts on 2026-01-05 in every scenario, so ages are fixed.

local lead = { { member = "lead_practitioner", name = "Rae Example-Lead" } }
-- Consent is given by a member of the case: the parent, recorded first.
local consent = {
  { consent = "share_with_partners", by = "Casey Northgate-Test", from = "2026-01-05" },
}
local parent = { { member = "parent", name = "Casey Northgate-Test" } }
local toddler_family = join({
  { member = "parent", name = "Casey Northgate-Test" },
  { member = "child", name = "Ollie Northgate-Test", data = { dob = "2023-05-05" } },
}, lead, consent)
local cot_goal = {
  { submit = "goals",
    data = { goal = "A safe sleep routine for Ollie", steps = { "Buy a cot", "Bedtime chart" },
             status = "in_progress", funding_amount = 350, funding_purpose = "A cot",
             set_with_family = true } },
  { submit = "funding_approval",
    data = { prepared_on = "2026-01-05", goal = "A safe sleep routine for Ollie",
             amount_approved = 350 } },
  { fire = "approve_funding", as = "supervisor" },
}
local feedback = {
  { submit = "family_feedback", data = { feedback_date = "2026-01-05",
                                         what_helped = "Rae came to us, not the other way round." } },
}

return scenarios "fpr" {
  { "happy path: a family with a toddler stays together",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(toddler_family, {
      { fire = "accept", as = "navigator" },
      { expect = { state = "engagement",
                   data = { accepted_on = "2026-01-05", priority_groups = "birth_to_5",
                            priority_group = "birth_to_5", priority = 2 } } } },
      cot_goal, {
      { fire = "start_support", as = "lead_practitioner" },
      { expect = { state = "support", data = { funding_at_start = 350 } } },
      { advance = "20d" },
      { submit = "funding_spend", data = { spent_on = "2026-01-12", amount = 289,
                                           goal = "A safe sleep routine for Ollie",
                                           what_for = "A cot and mattress" } },
      { submit = "goals", data = { goal = "A safe sleep routine for Ollie", status = "achieved",
                                   funding_amount = 350, set_with_family = true } },
      { submit = "support_delivered", data = { started_on = "2026-01-08", name = "Safe sleep "
                                               .. "coaching at home", kind = "parenting_skills_at_home",
                                               sessions = 3, status = "completed" } },
      { submit = "review", data = { review_date = "2026-01-25", progress = "Ollie sleeps in "
                                    .. "his own cot.", goals_met = true } },
      { fire = "preserve", as = "supervisor", refused = "ask the family for their feedback" } },
      feedback, {
      { fire = "preserve", as = "supervisor" },
      { expect = { state = "preserved", final = true,
                   data = { ended_on = "2026-01-25", funding_total = 289 } } } }) },

  { "happy path: a 12-year-old returns home from care",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "reunification" },
    steps = join(lead, parent, consent, {
      { member = "child", name = "Tia Northgate-Test", data = { dob = "2013-03-01" } },
      { fire = "accept", as = "navigator" },
      { expect = { data = { priority_groups = "10_to_15" } } },
      { submit = "goals", data = { goal = "Tia back at her old school", status = "not_started",
                                   set_with_family = true } },
      { fire = "start_support", as = "lead_practitioner" },
      { submit = "goals", data = { goal = "TIA BACK AT HER OLD SCHOOL", status = "achieved",
                                   set_with_family = true } },
      { advance = "28d" },   -- 2026-02-02
      { submit = "review", data = { review_date = "2026-02-01", progress = "Weekends at home." } },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-02-02", members_present = { 2, 1 },  -- Casey, Rae
                 network_agrees_safe = true } },
      { fire = "preserve", as = "supervisor", refused = "not preservation" },
      { fire = "reunify", as = "lead_practitioner", refused = "may not fire 'reunify'" },
      { submit = "family_feedback", data = { feedback_date = "2026-02-02",
                                             what_helped = "Tia's school helped too." } },
      { fire = "reunify", as = "caseworker" },
      { expect = { state = "reunified", final = true, data = { ended_on = "2026-02-02" } } } }) },

  { "pregnant women and unborn children are a priority group",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(lead, {
      { member = "parent", name = "Casey Northgate-Test", data = { pregnant = true } } }, consent, {
      { fire = "accept", as = "navigator" },
      { expect = { state = "engagement", data = { priority_groups = "pregnant_or_unborn" } } } }) },

  { "an unborn child recorded as a member is a priority group",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(lead, parent, consent, {
      { member = "unborn", name = "Baby Northgate-Test", data = { due_date = "2026-04-01" } },
      { fire = "accept", as = "navigator" },
      { expect = { state = "engagement" } } }) },

  { "priority groups: birth to 5 years and 10 to 15 years, by age today",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(lead, parent, consent, {
      { member = "child", name = "Sol Example-Six", data = { dob = "2020-01-05" } },      -- 6 today
      { member = "child", name = "Ren Example-Sixteen", data = { dob = "2009-12-01" } },  -- 16
      { member = "child", name = "Ivy Example-NoDob" },
      { expect = { as = "navigator",
                   blocked = { accept = "no child or young person in a priority group" } } },
      { fire = "accept", as = "navigator",
        refused = "children recorded: Sol Example-Six (6), Ren Example-Sixteen (16)" },
      { fire = "accept", as = "navigator", refused = "date of birth not recorded for Ivy" },
      { member = "child", name = "Max Example-Ten", data = { dob = "2015-06-01" } },      -- 10
      { fire = "accept", as = "navigator" },
      { expect = { data = { priority_groups = "10_to_15" } } } }) },

  { "a child turning 6 tomorrow is still in the birth to 5 group",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(lead, parent, consent, {
      { member = "child", name = "Bo Example-Five", data = { dob = "2020-01-06" } },
      { fire = "accept", as = "navigator" },
      { expect = { data = { priority_groups = "birth_to_5" } } } }) },

  -- Seed: the response "is prioritised for 3 groups": priorities, not eligibility.
  { "a family outside the priority groups is taken on with a recorded reason",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(lead, parent, consent, {
      { member = "child", name = "Zed Example-Seven", data = { dob = "2018-06-01" } },
      { fire = "not_eligible", as = "navigator", reason = "Outside the groups",
        refused = "not_eligible" },
      { fire = "accept", as = "navigator", refused = "Zed Example-Seven (7)" },
      { fire = "accept_outside_groups", as = "lead_practitioner",
        refused = "may not fire 'accept_outside_groups'" },
      { fire = "accept_outside_groups", as = "navigator", refused = "needs a reason" },
      { fire = "accept_outside_groups", as = "navigator",
        reason = "Zed's school reports he is not safe at home; no other service can start soon." },
      { expect = { state = "engagement",
                   data = { priority_group = "outside_priority_groups", priority = 4 } } } }) },

  { "a family in a priority group is connected by accept, not as an exception",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(toddler_family, {
      { fire = "accept_outside_groups", as = "navigator", reason = "no reason",
        refused = "the family is in a priority group: connect them with accept" } }) },

  { "the navigator records the priority group that orders the identification queue",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(lead, parent, consent, {
      { member = "child", name = "Zed Example-Seven", data = { dob = "2018-06-01" } },
      { fire = "record_priority_group", as = "navigator" },
      { expect = { state = "identification",
                   data = { priority_group = "outside_priority_groups", priority = 4 } } },
      { member = "child", name = "Mae Example-Twelve", data = { dob = "2013-06-01" } },
      { member = "unborn", name = "Baby Example", data = { due_date = "2026-05-01" } },
      { fire = "record_priority_group", as = "navigator" },
      { expect = { data = { priority_group = "pregnant_or_unborn", priority = 1,
                            priority_groups = "pregnant_or_unborn,10_to_15" } } } }) },

  { "accepting needs consent, a pathway and a lead practitioner",
    now = "2026-01-05T09:00:00Z",
    steps = {
      { member = "child", name = "Ollie Northgate-Test", data = { dob = "2023-05-05" } },
      { fire = "start_support", as = "lead_practitioner", refused = "case is in 'identification'" },
      { fire = "accept", as = "navigator",
        refused = "consent to share information has not been recorded" },
      { consent = "share_with_partners", by = "Casey Northgate-Test",
        refused = "no member named 'Casey Northgate-Test' on the case" },
      { member = "parent", name = "Casey Northgate-Test" },
      { consent = "share_with_partners", by = "Casey Northgate-Test" },
      { fire = "accept", as = "navigator",
        refused = "record whether the family needs preservation or reunification support" },
      { set = { pathway = "reunification" } },
      { fire = "accept", as = "navigator",
        refused = "no lead practitioner has been allocated to the family" },
      { member = "lead_practitioner", name = "Rae Example-Lead" },
      { fire = "accept", as = "caseworker", refused = "may not fire 'accept'" },
      { fire = "accept", as = "navigator" },
      { expect = { state = "engagement" } } } },

  { "a family not connected within 30 days lapses as the service's shortfall",
    now = "2026-01-05T09:00:00Z",
    steps = join(toddler_family, {
      { advance = "29d" },
      { expect = { state = "identification" } },
      { advance = "1d" },
      { expect = { state = "not_connected", final = true, data = { ended_on = "2026-02-04" } } } }) },

  { "flexible funding needs a supervisor's approval, within the family's allocation",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(toddler_family, {
      { fire = "accept", as = "navigator" },
      { fire = "start_support", as = "lead_practitioner", refused = "goals" },
      { submit = "goals", data = { goal = "Bond for a rental", status = "not_started",
                                   funding_amount = 3000, set_with_family = true } },
      { submit = "goals", data = { goal = "Driving lessons", status = "not_started",
                                   funding_amount = 2500, set_with_family = true } },
      { submit = "goals", data = { goal = "Too much", status = "not_started",
                                   funding_amount = 50000 }, refused = "funding_amount" },
      { fire = "start_support", as = "lead_practitioner",
        refused = "the flexible funding for 'Bond for a rental' ($3000) has not been approved" },
      { fire = "approve_funding", as = "supervisor", refused = "no funding approval" },
      { submit = "funding_approval", data = { prepared_on = "2026-01-05",
                                              goal = "Bond for a rental", amount_approved = 3000 } },
      { fire = "approve_funding", as = "lead_practitioner", refused = "may not fire" },
      { fire = "approve_funding", as = "supervisor" },
      { submit = "funding_approval", data = { prepared_on = "2026-01-05",
                                              goal = "Driving lessons", amount_approved = 2500 } },
      { fire = "approve_funding", as = "supervisor" },
      { fire = "start_support", as = "lead_practitioner",
        refused = "flexible funding requested ($5500) is more than the family's allocation ($5000)" },
      -- the cap cannot be raised by hand around the supervisor's approval
      { set = { funding_allocation = 100000 },
        refused = "'funding_allocation' is the programme's to set" },
      { set = { priority = 1 }, refused = "'priority' is the programme's to set" },
      { submit = "funding_approval", data = { prepared_on = "2026-01-05",
                                              goal = "Driving lessons", amount_approved = 2500,
                                              raise_allocation_to = 6000,
                                              why = "Work offer depends on a licence." } },
      { fire = "approve_funding", as = "supervisor" },
      { fire = "start_support", as = "lead_practitioner" },
      { expect = { state = "support", data = { funding_at_start = 5500,
                                               funding_allocation = 6000 } } } }) },

  { "flexible funding spent is tracked against each goal's approval",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(toddler_family, { { fire = "accept", as = "navigator" } }, cot_goal, feedback, {
      { fire = "start_support", as = "lead_practitioner" },
      { submit = "funding_spend", data = { spent_on = "2026-01-05", amount = 300,
                                           goal = "A safe sleep routine for Ollie",
                                           what_for = "A cot" } },
      { submit = "funding_spend", data = { spent_on = "2026-01-05", amount = 120,
                                           goal = "a safe sleep routine for ollie",
                                           what_for = "Bedding" } },
      { submit = "goals", data = { goal = "A safe sleep routine for Ollie", status = "achieved",
                                   funding_amount = 350, set_with_family = true } },
      { submit = "review", data = { review_date = "2026-01-05", progress = "Done.",
                                    goals_met = true } },
      { fire = "preserve", as = "supervisor",
        refused = "flexible funding overspent: 'a safe sleep routine for ollie' spent $420 of "
                  .. "$350 approved" } }) },

  { "goals are set with the family, not for them",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(toddler_family, {
      { fire = "accept", as = "navigator" },
      { submit = "goals", data = { goal = "Attend parenting group", status = "not_started" } },
      { fire = "start_support", as = "lead_practitioner",
        refused = "the goal 'Attend parenting group' was not set with the family" },
      { submit = "goals", data = { goal = "Attend parenting group", status = "not_started",
                                   set_with_family = true } },
      { fire = "start_support", as = "lead_practitioner" } }) },

  { "closing as preserved waits for every goal; support is reviewed every 28 days",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(toddler_family, { { fire = "accept", as = "navigator" } }, cot_goal, {
      { fire = "start_support", as = "lead_practitioner" },
      { advance = "15d" },   -- 2026-01-20
      { submit = "review", data = { review_date = "2026-01-20", progress = "Cot bought." } },
      { fire = "preserve", as = "lead_practitioner", refused = "may not fire 'preserve'" },
      { fire = "preserve", as = "supervisor",
        refused = "goals still being worked on: A safe sleep routine for Ollie" },
      { fire = "reunify", as = "caseworker", refused = "not reunification" },
      { advance = "29d" },   -- 2026-02-18
      { expect = { state = "support", overdue = true } },
      { review = true },
      { expect = { overdue = false } },
      { fire = "close", as = "supervisor", refused = "needs a reason" },
      { submit = "family_feedback", data = { feedback_date = "2026-02-18", not_given = "declined" } },
      { fire = "close", as = "supervisor", reason = "Family moved out of the area." },
      { expect = { state = "closed", final = true } } }) },

  { "the family may stop taking part, or a child may enter care",
    now = "2026-01-05T09:00:00Z",
    data = { pathway = "preservation" },
    steps = join(toddler_family, { { fire = "accept", as = "navigator" } }, {
      { fire = "withdraw", as = "lead_practitioner", refused = "may not fire 'withdraw'" },
      { fire = "enter_care", as = "caseworker", refused = "needs a reason" },
      { fire = "withdraw", as = "parent", reason = "We have the support we need from family." },
      { expect = { state = "withdrawn", final = true } } }) },
}
