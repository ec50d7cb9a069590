-- Scenario tests for Co-parenthood for a safe place (victim-survivors and their children).
-- All people and addresses are invented.

local people = {
  { member = "parent", name = "Morgan Testbury" },
  { member = "child", name = "Lily Testbury", data = { dob = "2020-07-07" } },
  { member = "carer", name = "Hazel Dunmore-Example" },
  { member = "family_link", name = "Ari Westcombe" },
  { member = "fv_specialist", name = "Noor Example-Safe" },
  { consent = "share_with_partners", by = "Morgan Testbury" },
  { submit = "child_information",
    data = { child_name = "Lily Testbury", dob = "2020-07-07", living_arrangement = "with_parents" } },
}
local safety_plan = {
  { submit = "safety_plan",
    data = { plan_date = "2026-01-05", safe_address = "12 Example Lane, Testville",
             safe_contacts = { "Hazel Dunmore-Example" }, strategies = { "Code word with school" },
             protection_order = "applied_for", made_with_specialist = true } },
}
local matched = join(people, safety_plan, { { fire = "match", as = "fv_specialist" } })
local to_stage3 = {
  { submit = "partnering_activities",
    data = { agreed_on = "2026-01-05",
             activities = { "shared_daily_log", "safety_planning_together",
                            "daily_decisions_together" } } },
  { submit = "daily_log", data = { log_date = "2026-01-05", written_by = "carer",
                                   children_today = "Lily slept through the night." } },
  { submit = "safety_network_meeting",
    data = { meeting_date = "2026-01-05", members_present = { 1, 3, 5 } } },  -- Morgan, Hazel, Noor
  { fire = "strengthen", as = "caseworker" },
  { advance = "15d" },   -- 2026-01-20
  { submit = "review", data = { review_date = "2026-01-20", progress = "Recovering well." } },
  { decision = "prepare_restoration", decided = "Morgan starts planning a home of her own",
    family_agreed = true, members = { "Morgan Testbury" } },
  { fire = "prepare_restoration", as = "caseworker" },
}

return scenarios "safe_place" {
  { "happy path: the family moves on safely to a home of its own",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { expect = { state = "building_trust",
                   data = { safe_place_from = "2026-01-05", matched_on = "2026-01-05" } } } },
      to_stage3, {
      { expect = { state = "restoration", as = "supervisor",
                   blocked = { move_on = "next home has not been assessed as safe" } } },
      { advance = "10d" },
      { submit = "safety_plan",
        data = { plan_date = "2026-01-30", strategies = { "Code word with school" },
                 made_with_specialist = true, new_address_safe = true } },
      { fire = "move_on", as = "fv_specialist",
        refused = "no shared decision has been recorded for 'move_on'" },
      { decision = "move_on", decided = "Morgan and Lily move to the new flat",
        family_agreed = true, members = { "Morgan Testbury" } },
      { fire = "move_on", as = "fv_specialist", refused = "ask the family for their feedback" },
      { submit = "family_feedback", data = { feedback_date = "2026-01-30",
                                             what_helped = "Hazel made us feel at home." } },
      { fire = "move_on", as = "fv_specialist" },
      { expect = { state = "moved_on", final = true,
                   data = { moved_on = "2026-01-30", days_in_safe_place = 25 } } } }) },

  { "matching needs a safety plan made with a family violence specialist",
    now = "2026-01-05T09:00:00Z",
    steps = join(people, {
      { fire = "match", as = "caseworker", refused = "safety_plan" },
      { submit = "safety_plan", data = { plan_date = "2026-01-05" }, refused = "strategies" },
      { submit = "safety_plan", data = { plan_date = "2026-01-05", strategies = { "Phone on" } } },
      { fire = "match", as = "caseworker",
        refused = "has not been made with a family violence specialist" },
      { fire = "match", as = "parent", refused = "may not fire 'match'" } }) },

  { "an unmatched safe place referral lapses after 14 days",
    now = "2026-01-05T09:00:00Z",
    steps = join(people, {
      { advance = "13d" },
      { expect = { state = "referral" } },
      { advance = "1d" },
      { expect = { state = "not_matched", final = true, data = { closed_on = "2026-01-19" } } } }) },

  { "moving on needs a safety plan reviewed in the last 28 days",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, to_stage3, {
      { advance = "30d" },
      { fire = "move_on", as = "supervisor", refused = "was last reviewed 45 days ago" },
      { fire = "move_on", as = "carer", refused = "may not fire 'move_on'" },
      { fire = "restore", as = "supervisor", refused = "restore" } }) },

  -- Seed "Co-parenthood", adaptations: the family stays in the carer's home, so a
  -- carer-to-parent communication book has no place; a shared daily log does.
  { "Stage 2 needs a shared daily log, not a communication book",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { submit = "partnering_activities",
        data = { agreed_on = "2026-01-05",
                 activities = { "communication_book", "speak_positively", "clear_roles" } } },
      { submit = "communication_book", data = { entry_date = "2026-01-05", written_by = "carer",
                                                update = "Lily slept through the night." } },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-05", members_present = { 1, 3 } } },  -- Morgan, Hazel
      { fire = "strengthen", as = "caseworker", refused = "daily_log" },
      { submit = "daily_log", data = { log_date = "2026-01-05", written_by = "parent",
                                       children_today = "Lily drew a picture of the garden.",
                                       worries = "A car parked outside for an hour." } },
      { fire = "strengthen", as = "caseworker",
        refused = "have not agreed to keep a shared daily log" },
      { submit = "partnering_activities",
        data = { agreed_on = "2026-01-05",
                 activities = { "shared_daily_log", "safety_planning_together", "clear_roles" } } },
      { advance = "8d" },
      { fire = "strengthen", as = "caseworker",
        refused = "nothing has been written in the shared daily log for 8 days" },
      { submit = "daily_log", data = { log_date = "2026-01-13", written_by = "carer",
                                       children_today = "A good day at kinder." } },
      { fire = "strengthen", as = "caseworker" },
      { expect = { state = "capability" } } }) },

  { "the safety plan is reviewed every 14 days in Stage 1",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { advance = "13d" },
      { expect = { overdue = false } },
      { advance = "2d" },
      { expect = { state = "building_trust", overdue = true } },
      { review = true },
      { expect = { overdue = false } } }) },
}
