-- Scenario tests for Co-parenthood (restoration). All people are invented.

-- Members are numbered in the order they join: Robin 1, Ava 2, Kit 3, Sam 4 (member fields,
-- e.g. a meeting's members_present, hold these numbers).
local family = {
  { member = "parent", name = "Robin Testwood", data = { dob = "1995-06-14" } },
  { member = "child", name = "Ava Testwood", data = { dob = "2019-03-02" } },
  { member = "carer", name = "Kit Maplefield" },
  { member = "family_link", name = "Sam Fenwick-Example" },
}
local consent = {
  { consent = "share_with_partners", by = "Robin Testwood", from = "2026-01-05" },
}
local child_info = {
  { submit = "child_information",
    data = { child_name = "Ava Testwood", dob = "2019-03-02", living_arrangement = "foster_care",
             important_people = { "Nan Testwood" }, parent_contributed = true } },
}
local matched = join(family, consent, child_info, { { fire = "match", as = "caseworker" } })

-- Stage 1 work (seed "Parents partnering with carers")
local stage1_work = {
  { advance = "20d" },   -- 2026-01-25: what follows happened since matching
  { submit = "partnering_activities",
    data = { agreed_on = "2026-01-08",
             activities = { "speak_positively", "communication_book", "carer_attends_contact",
                            "welcome_home_visits", "your_child" },
             processes = { "case_plan", "child_health_passport" },
             child_calls_carer = "Aunty Kit" } },
  { submit = "communication_book",
    data = { entry_date = "2026-01-12", written_by = "carer",
             update = "Ava lost her first tooth today and wants to show you.",
             photos_shared = true } },
  { submit = "safety_network_meeting",
    data = { meeting_date = "2026-01-20", members_present = { 1, 3 } } },   -- Robin, Kit
}
local in_stage2 = join(matched, stage1_work, { { fire = "strengthen", as = "family_link" } })

local stage2_work = {
  { advance = "26d" },   -- 2026-02-20
  { submit = "case_plan",
    data = { plan_date = "2026-02-01", permanency_goal = "restoration",
             goals = { "Ava returns home before winter", "Robin keeps stable housing" },
             contributed_by = { 1, 3 } } },   -- Robin, Kit
  { submit = "review",
    data = { review_date = "2026-02-20", progress = "Contact has grown to whole weekends.",
             decision = "move_forward" } },
}
-- The parent signs the plan themselves; the move to Stage 3 is a decision shared with them.
local signed_and_decided = {
  { fire = "sign_plan", as = "parent", actor = "robin.testwood" },
  { decision = "prepare_restoration", decided = "Ava's plan moves to preparing for her return home",
    family_agreed = true, members = { "Robin Testwood", "Kit Maplefield" } },
}
local in_stage3 = join(in_stage2, stage2_work, signed_and_decided,
  { { fire = "prepare_restoration", as = "caseworker" } })
local restore_decided = {
  { decision = "restore", decided = "Ava goes home to Robin", family_agreed = true,
    members = { "Robin Testwood" } },
}

local stage3_work = {
  { advance = "28d" },   -- 2026-03-20
  { submit = "family_contact", data = { contact_date = "2026-03-07", contact_type = "overnight",
                                        hours = 24, went_well = "Bedtime story with mum." } },
  { submit = "family_contact", data = { contact_date = "2026-03-14", contact_type = "overnight",
                                        hours = 48 } },
  { submit = "safety_network_meeting",
    data = { meeting_date = "2026-03-20", members_present = { 1, 3 },   -- Robin, Kit
             others_present = { "Nan Testwood" }, network_agrees_safe = true } },
  { submit = "review",
    data = { review_date = "2026-03-20", progress = "Two good weekends at home.",
             decision = "move_forward" } },
}
local restored = join(in_stage3, stage3_work, restore_decided,
  { { fire = "restore", as = "supervisor" } })
local feedback = {
  { submit = "family_feedback",
    data = { feedback_date = "2026-03-20", what_helped = "Kit never gave up on us.",
             listened_to = "yes" } },
}

return scenarios "coparenthood" {
  { "happy path to restoration",
    now = "2026-01-05T09:00:00Z",
    data = { referred_on = "2025-12-20" },
    steps = join(
      family, consent, child_info,
      { { expect = { state = "referral", as = "caseworker", moves = { "match" } } },
        { fire = "match", as = "caseworker" },
        { expect = { state = "building_trust",
                     data = { matched_on = "2026-01-05", days_in_referral = 16 } } } },
      stage1_work,
      { { fire = "strengthen", as = "family_link" },
        { expect = { state = "capability", data = { stage2_started_on = "2026-01-25" } } } },
      stage2_work, signed_and_decided,
      { { fire = "prepare_restoration", as = "caseworker" },
        { expect = { state = "restoration", data = { stage3_started_on = "2026-02-20" } } } },
      stage3_work, restore_decided,
      { { fire = "restore", as = "supervisor" },
        { expect = { state = "restored", final = false,
                     data = { restored_on = "2026-03-20", days_to_restoration = 74,
                              follow_up_until = "2026-09-20",
                              restoration_agreed_at_meeting = "2026-03-20" } } } },
      { { advance = "184d" },  -- 2026-09-20
        { submit = "review", data = { review_date = "2026-09-18",
                                      progress = "Six months home; school every day." } } },
      feedback,
      { { submit = "family_feedback",
          data = { feedback_date = "2026-09-18", what_helped = "Kit is still Ava's aunty." } },
        { fire = "complete_follow_up", as = "supervisor" },
        { expect = { state = "home", final = true, data = { closed_on = "2026-09-20" } } } }) },

  { "match refused until consent to share is recorded",
    now = "2026-01-05T09:00:00Z",
    steps = join(family, child_info, {
      { expect = { as = "caseworker",
                   blocked = { match = "consent to share information has not been recorded" } } },
      { fire = "match", as = "caseworker",
        refused = "consent to share information has not been recorded" },
      { consent = "share_with_partners", by = "Robin Testwood" },
      { fire = "match", as = "caseworker" },
      { expect = { state = "building_trust" } } }) },

  { "match refused when consent was withdrawn",
    now = "2026-01-05T09:00:00Z",
    steps = join(family, child_info, consent, {
      { withdraw = "share_with_partners", by = "Robin Testwood",
        reason = "Robin wants to talk it over with family first" },
      { fire = "match", as = "caseworker",
        refused = "consent to share information was withdrawn on 2026-01-05" },
      { consent = "share_with_partners", by = "Robin Testwood" },
      { fire = "match", as = "caseworker" } }) },

  { "consent to share from someone who is not on the case is refused",
    now = "2026-01-05T09:00:00Z",
    steps = join(family, child_info, {
      { consent = "share_with_partners", by = "Someone Else", refused = "Someone Else" },
      { fire = "match", as = "caseworker",
        refused = "consent to share information has not been recorded" } }) },

  { "match refused when consent has expired",
    now = "2026-01-05T09:00:00Z",
    steps = join(family, child_info, {
      { consent = "share_with_partners", by = "Robin Testwood", from = "2025-06-01",
        ["until"] = "2025-12-31" },
      { fire = "match", as = "caseworker", refused = "consent to share information expired" } }) },

  { "match needs the child information form",
    now = "2026-01-05T09:00:00Z",
    steps = join(family, consent, {
      { fire = "match", as = "caseworker", refused = "child_information" },
      { submit = "child_information", data = { child_name = "Ava Testwood", dob = "bad" },
        refused = "not a date" },
      { submit = "child_information", data = { dob = "2019-03-02" }, refused = "child_name" } }) },

  { "match needs a carer and a Family Link worker",
    now = "2026-01-05T09:00:00Z",
    steps = join({ { member = "parent", name = "Robin Testwood" } }, consent, child_info, {
      { fire = "match", as = "caseworker",
        refused = "no carer has been matched with the family yet" },
      { member = "carer", name = "Kit Maplefield" },
      { fire = "match", as = "caseworker",
        refused = "no Family Link worker has been allocated yet" },
      { member = "family_link", name = "Sam Fenwick-Example" },
      { fire = "match", as = "caseworker" },
      { fire = "match", as = "caseworker", refused = "case is in 'building_trust'" } }) },

  { "match needs a parent on the case",
    now = "2026-01-05T09:00:00Z",
    steps = join(child_info, {
      { member = "carer", name = "Kit Maplefield" },
      { member = "family_link", name = "Sam Fenwick-Example" },
      { consent = "share_with_partners", by = "Kit Maplefield" },
      { fire = "match", as = "caseworker", refused = "co-parenthood starts with the parents" } }) },

  { "only the caseworker matches a family",
    now = "2026-01-05T09:00:00Z",
    steps = join(family, consent, child_info, {
      { fire = "match", as = "parent", refused = "may not fire 'match'" },
      { fire = "match", as = "family_link", refused = "may not fire 'match'" },
      { expect = { state = "referral" } } }) },

  { "an unmatched referral lapses after 90 days: the service could not match, not the family",
    now = "2026-01-05T09:00:00Z",
    steps = join(family, {
      { fire = "lapse", as = "supervisor", refused = "lapse" },
      { advance = "89d" },
      { expect = { state = "referral" } },
      { advance = "1d" },
      { expect = { state = "not_matched", final = true, data = { closed_on = "2026-04-05" } } } }) },

  { "Stage 2 waits for at least three agreed ways to co-parent",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { advance = "15d" },
      { submit = "partnering_activities",
        data = { agreed_on = "2026-01-08", activities = { "communication_book", "clear_roles" } } },
      { submit = "partnering_activities",
        data = { agreed_on = "2026-01-08", activities = { "be_nice" } },
        refused = "activities" },
      { submit = "communication_book", data = { entry_date = "2026-01-12", written_by = "carer",
                                                update = "Settled week." } },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-20", members_present = { 1 } } },
      { fire = "strengthen", as = "caseworker", refused = "agree at least 3 before moving" },
      { submit = "partnering_activities",
        data = { agreed_on = "2026-01-15",
                 activities = { "speak_positively", "clear_roles", "your_child" } } },
      { fire = "strengthen", as = "caseworker",
        refused = "have not agreed to keep a communication book" } }) },

  { "Stage 2 waits for the carer to use the communication book",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { submit = "partnering_activities",
        data = { agreed_on = "2026-01-05",
                 activities = { "speak_positively", "communication_book", "clear_roles" } } },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-05", members_present = { 1, 3 } } },
      { fire = "strengthen", as = "caseworker",
        refused = "the carer has not yet written in the communication book" },
      { submit = "communication_book", data = { entry_date = "2026-01-05", written_by = "parent",
                                                update = "Thank you for the photos." } },
      { fire = "strengthen", as = "caseworker",
        refused = "the carer has not yet written in the communication book" },
      { submit = "communication_book", data = { entry_date = "2026-01-05", written_by = "carer",
                                                update = "Ava started swimming." } },
      { advance = "30d" },
      { fire = "strengthen", as = "caseworker", refused = "has not written in the communication "
                                                          .. "book for 30 days" },
      { submit = "communication_book", data = { entry_date = "2026-02-04", written_by = "carer",
                                                update = "Ava read to the class." } },
      { fire = "strengthen", as = "carer", refused = "may not fire 'strengthen'" },
      { fire = "strengthen", as = "caseworker" },
      { expect = { state = "capability" } } }) },

  -- The move to Stage 2 says parents and carers met together: a meeting attended by nobody,
  -- by someone not on the case, by workers only, or by the parent alone does not count; who
  -- was there is the members of the case present, not ticked boxes.
  { "Stage 2 waits for parents and carers to attend a network meeting together",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { submit = "partnering_activities",
        data = { agreed_on = "2026-01-05",
                 activities = { "speak_positively", "communication_book", "clear_roles" } } },
      { submit = "communication_book", data = { entry_date = "2026-01-05", written_by = "carer",
                                                update = "Ava started swimming." } },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-05", members_present = {},
                 others_present = { "Nobody Really" } },
        refused = "members_present: required" },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-05", members_present = { 9 } },
        refused = "members_present: member 9 is not on the case" },
      { fire = "strengthen", as = "caseworker",
        refused = "no safety and support network meeting has been held yet" },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-05", members_present = { 4 } } },   -- Sam, a worker
      { fire = "strengthen", as = "caseworker",
        refused = "no safety and support network meeting has had a parent and a carer of the "
          .. "case present together" },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-05", members_present = { 1, 4 } } },  -- Robin alone
      { fire = "strengthen", as = "caseworker",
        refused = "no safety and support network meeting has had a parent and a carer" },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-05", members_present = { 3 },
                 others_present = { "Robin's sister" } } },                    -- Kit alone
      { fire = "strengthen", as = "caseworker",
        refused = "no safety and support network meeting has had a parent and a carer" },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-01-05", members_present = { 1, 3 } } },
      { fire = "strengthen", as = "caseworker" },
      { expect = { state = "capability" } } }) },

  { "Stage 1 reviews fall due every 28 days",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { expect = { state = "building_trust", overdue = false } },
      { advance = "27d" },
      { expect = { overdue = false } },
      { advance = "2d" },
      { expect = { overdue = true } },
      { review = true },
      { expect = { overdue = false } },
      { advance = "29d" },
      { expect = { overdue = true } } }) },

  { "Stage 3 waits for a case plan aiming for restoration, written with the parents",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage2, {
      { fire = "prepare_restoration", as = "caseworker", refused = "case_plan" },
      { advance = "28d" },   -- 2026-02-22
      { submit = "case_plan", data = { plan_date = "2026-02-01", permanency_goal = "guardianship",
                                       goals = { "Stability" } } },
      { submit = "review", data = { review_date = "2026-02-20", progress = "Steady." } },
      { fire = "prepare_restoration", as = "caseworker",
        refused = "permanency goal is 'guardianship', not restoration" },
      { submit = "case_plan", data = { plan_date = "2026-02-21", permanency_goal = "restoration",
                                       goals = { "Home by winter" },
                                       contributed_by = { 3 } } },   -- Kit only
      { fire = "prepare_restoration", as = "caseworker",
        refused = "the parents have not yet contributed to the case plan" },
      { submit = "case_plan", data = { plan_date = "2026-02-22", permanency_goal = "restoration",
                                       goals = { "Home by winter" },
                                       contributed_by = { 1 } } },   -- Robin
      { fire = "prepare_restoration", as = "caseworker",
        refused = "the parent has not signed the current case plan (of 2026-02-22)" },
      { fire = "sign_plan", as = "caseworker", refused = "may not fire 'sign_plan'" },
      { fire = "sign_plan", as = "parent" },
      { expect = { state = "capability" } },
      { fire = "prepare_restoration", as = "caseworker",
        refused = "no shared decision has been recorded for 'prepare_restoration'" },
      { decision = "prepare_restoration", decided = "Start preparing for restoration",
        family_agreed = true, members = { "Robin Testwood" } },
      { fire = "prepare_restoration", as = "caseworker" },
      { expect = { state = "restoration" } } }) },

  { "a newer case plan needs the parent's signature again",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage2, stage2_work, {
      { fire = "sign_plan", as = "parent" },
      { advance = "5d" },   -- 2026-02-25
      { submit = "case_plan", data = { plan_date = "2026-02-25", permanency_goal = "restoration",
                                       goals = { "Home by spring" }, contributed_by = { 1 } } },
      { decision = "prepare_restoration", decided = "Start preparing for restoration",
        family_agreed = true, members = { "Robin Testwood" } },
      { fire = "prepare_restoration", as = "caseworker",
        refused = "the parent has not signed the current case plan (of 2026-02-25)" },
      { fire = "sign_plan", as = "parent" },
      { fire = "prepare_restoration", as = "caseworker" },
      { expect = { state = "restoration" } } }) },

  { "a shared decision recorded before the last move does not count for the next",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage3, stage3_work, restore_decided, {
      { fire = "step_back", as = "caseworker", reason = "Robin lost the lease" },
      { fire = "sign_plan", as = "parent" },
      { decision = "prepare_restoration", decided = "Try again", family_agreed = true,
        members = { "Robin Testwood" } },
      { fire = "prepare_restoration", as = "caseworker" },
      { fire = "restore", as = "supervisor",
        refused = "no shared decision has been recorded for 'restore'" } }) },

  { "restoration waits for the network and two overnight stays",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage3, {
      { expect = { as = "supervisor",
                   blocked = { restore = "has not yet agreed the child can be safe at home "
                                         .. "(last meeting 2026-01-20)" } } },
      { advance = "10d" },   -- 2026-03-02
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-03-01", members_present = { 1, 3 },
                 network_agrees_safe = false } },
      { fire = "restore", as = "supervisor",
        refused = "the safety and support network has not yet agreed the child can be safe" },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-03-02", members_present = { 1 }, network_agrees_safe = true } },
      { fire = "restore", as = "supervisor",
        refused = "no carer of the case was present at the last safety and support network "
          .. "meeting (2026-03-02)" },
      { advance = "7d" },    -- 2026-03-09
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-03-09", members_present = { 1, 3 },
                 network_agrees_safe = true } },
      { submit = "family_contact", data = { contact_date = "2026-03-07",
                                            contact_type = "overnight" } },
      { fire = "restore", as = "supervisor", refused = "only 1 overnight stay(s) at home" },
      { submit = "family_contact", data = { contact_date = "2026-03-08",
                                            contact_type = "overnight", hours = 100 },
        refused = "hours" },
      { submit = "family_contact", data = { contact_date = "2026-03-08",
                                            contact_type = "overnight", hours = 40 } },
      { fire = "restore", as = "caseworker", refused = "may not fire 'restore'" },
      { fire = "restore", as = "supervisor",
        refused = "no shared decision has been recorded for 'restore'" },
      { decision = "restore", decided = "Ava goes home", family_agreed = true,
        members = { "Staff Only" }, refused = "Staff Only" },
      { decision = "restore", decided = "Ava goes home", family_agreed = true,
        members = { "Robin Testwood" } },
      { fire = "restore", as = "supervisor" },
      { expect = { state = "restored" } } }) },

  -- Issue: a child "restored" on the day of matching, after consent was withdrawn, against
  -- a review that decided to step back, on overnight stays and a meeting dated 2028.
  { "a faked restoration is refused, naming each missing piece of evidence",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage3, restore_decided, {
      { withdraw = "share_with_partners", by = "Robin Testwood", reason = "Robin changed her mind" },
      { submit = "review", data = { review_date = "2026-02-20", progress = "Worries again.",
                                    decision = "step_back" } },
      -- stays and a meeting that have not happened yet are refused by the forms themselves
      { submit = "family_contact", data = { contact_date = "2028-01-01",
                                            contact_type = "overnight" },
        refused = "contact_date: 2028-01-01 is after today; only a planned date can be (future = true)" },
      { submit = "family_contact", data = { contact_date = "2028-01-08",
                                            contact_type = "overnight" },
        refused = "contact_date: 2028-01-08 is after today" },
      { submit = "family_contact", data = { contact_date = "2025-11-01",
                                            contact_type = "overnight" } },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2028-01-02", members_present = { 1, 3 },
                 network_agrees_safe = true },
        refused = "meeting_date: 2028-01-02 is after today" },
      { fire = "restore", as = "supervisor", refused = "consent to share information was withdrawn" },
      -- every missing piece of evidence is named (the moves list each reason)
      { expect = { as = "supervisor", blocked = { restore = "consent to share information was withdrawn on 2026-02-20" } } },
      { expect = { as = "supervisor", blocked = { restore = "the latest review (of 2026-02-20) decided 'step_back', not to move forward" } } },
      { expect = { as = "supervisor", blocked = { restore = "(1 older one(s) do not count)" } } },
      { expect = { as = "supervisor", blocked = { restore = "the safety and support network has not yet agreed the child can be safe at home (last meeting 2026-01-20)" } } },
      { expect = { as = "supervisor", blocked = { restore = "0 overnight stay(s) at home since Stage 3 began on 2026-02-20" } } },
      { expect = { as = "supervisor", blocked = { restore = "no safety and support network meeting since Stage 3 began on 2026-02-20" } } },
      { expect = { state = "restoration" } } }) },

  { "overnight stays older than 8 weeks are not evidence for restoration",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage3, stage3_work, restore_decided, {
      { advance = "35d" },   -- 2026-04-24: the stays of 7 and 14 March are still recent
      { submit = "review", data = { review_date = "2026-04-24", progress = "Ready.",
                                    decision = "move_forward" } },
      { submit = "safety_network_meeting",
        data = { meeting_date = "2026-04-24", members_present = { 1, 3 },
                 network_agrees_safe = true } },
      { advance = "11d" },   -- 2026-05-05: the stay of 7 March is more than 8 weeks ago
      { fire = "restore", as = "supervisor",
        refused = "only 1 overnight stay(s) at home in the last 8 weeks" },
      { submit = "family_contact", data = { contact_date = "2026-05-04",
                                            contact_type = "overnight" } },
      { fire = "restore", as = "supervisor" } }) },

  -- After the child goes home, practice follows the family.
  { "restored starts a follow-up period with reviews before the case closes",
    now = "2026-01-05T09:00:00Z",
    steps = join(restored, {
      { expect = { state = "restored", final = false,
                   data = { follow_up_months = 6, follow_up_until = "2026-09-20" },
                   as = "supervisor",
                   blocked = { complete_follow_up = "the follow-up period runs until 2026-09-20" } } },
      { advance = "29d" },
      { expect = { overdue = true } },
      { submit = "review", data = { review_date = "2026-04-18", progress = "Settled at home." } },
      { review = true },
      { advance = "160d" },  -- 2026-09-25
      { fire = "complete_follow_up", as = "supervisor",
        refused = "ask the family for their feedback before closing" },
      { submit = "family_feedback", data = { feedback_date = "2026-09-25" } },
      { fire = "complete_follow_up", as = "supervisor", refused = "is empty" },
      { submit = "family_feedback", data = { feedback_date = "2026-09-25",
                                             what_to_change = "Fewer meetings at the office." } },
      { fire = "complete_follow_up", as = "caseworker", refused = "may not fire" },
      { fire = "complete_follow_up", as = "supervisor" },
      { expect = { state = "home", final = true } } }) },

  -- The follow-up period is the agency's setting (follow_up_months, default 6): a changed
  -- setting changes the period for the children who go home after it.
  { "the follow-up period is the agency's setting: 3 months instead of 6",
    now = "2026-01-05T09:00:00Z",
    steps = join({ { setting = "follow_up_months", value = 3 } }, restored, {
      { expect = { state = "restored", data = { follow_up_months = 3,
                                               follow_up_until = "2026-06-20" },
                   as = "supervisor",
                   blocked = { complete_follow_up = "the follow-up period runs until 2026-06-20" } } },
      { advance = "91d" },   -- 2026-06-19
      { submit = "review", data = { review_date = "2026-06-19", progress = "Three months home." } },
      { submit = "family_feedback", data = { feedback_date = "2026-06-19",
                                             what_helped = "Sam came to every review." } },
      { fire = "complete_follow_up", as = "supervisor",
        refused = "the follow-up period runs until 2026-06-20" },
      { advance = "1d" },    -- 2026-06-20
      { fire = "complete_follow_up", as = "supervisor" },
      { expect = { state = "home", final = true, data = { closed_on = "2026-06-20" } } } }) },

  { "a follow-up setting that is not a whole number of months holds restoration, naming it",
    now = "2026-01-05T09:00:00Z",
    steps = join({ { setting = "follow_up_months", value = 0 } }, in_stage3, stage3_work,
      restore_decided, {
      { fire = "restore", as = "supervisor",
        refused = "the agency setting follow_up_months is 0; it must be a whole number of months from 1 to 36" },
      { setting = "follow_up_months", value = 12 },
      { fire = "restore", as = "supervisor" },
      { expect = { state = "restored", data = { follow_up_months = 12,
                                               follow_up_until = "2027-03-20" } } } }) },

  -- Carers change: the old carer leaves with a reason and stays in the history; the rules
  -- (carer_matched) see only the members on the case now.
  { "a carer who leaves before matching is replaced before the family is matched",
    now = "2026-01-05T09:00:00Z",
    steps = join(family, consent, child_info, {
      { member_end = "Kit Maplefield", reason = "Kit's own family needs her this year" },
      { fire = "match", as = "caseworker", refused = "no carer has been matched with the family yet" },
      { member_end = "Kit Maplefield", reason = "again", refused = "Kit Maplefield" },
      { member = "carer", name = "Lee Oakridge-Test" },
      { fire = "match", as = "caseworker" },
      { expect = { state = "building_trust" } } }) },

  { "a carer changes in Stage 1: the move to Stage 2 waits for the new carer",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, stage1_work, {
      { member_end = "Kit Maplefield", reason = "Kit's family is moving interstate",
        on = "2026-01-24" },
      { expect = { as = "family_link",
                   blocked = { strengthen = "no carer has been matched with the family yet" } } },
      { fire = "strengthen", as = "family_link",
        refused = "no carer has been matched with the family yet" },
      { member_end = "Kit Maplefield", reason = "left before she joined", on = "2025-12-01",
        refused = "Kit Maplefield" },
      { member = "carer", name = "Lee Oakridge-Test" },
      { submit = "communication_book",
        data = { entry_date = "2026-01-25", written_by = "carer",
                 update = "Hello from Lee: Ava helped me plant tomatoes." } },
      { fire = "strengthen", as = "family_link" },
      { expect = { state = "capability" } } }) },

  -- A parent leaves: the case keeps them in its history; the child goes home only to a
  -- parent on the case now. The other parent joins in Stage 3 (member 5: the numbers of the
  -- shared pieces stay as they are).
  { "a parent leaves: restoration waits for a parent on the case, naming who left and why",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage3, { { member = "other_parent", name = "Alex Testwood" } },
      stage3_work, restore_decided, {
      { member_end = "Robin Testwood", on = "2026-03-19",
        reason = "Robin moved into residential rehab; Alex will care for Ava" },
      { expect = { as = "supervisor", blocked = { restore = "no parent is on the case now "
          .. "(Robin Testwood left on 2026-03-19: Robin moved into residential rehab; Alex will "
          .. "care for Ava); the child goes home to live with a parent on the case" } } },
      { fire = "restore", as = "supervisor", refused = "no parent is on the case now" },
      -- Alex, the other parent, becomes the parent Ava goes home to
      { member_end = "Alex Testwood", reason = "now the parent Ava goes home to" },
      { member = "parent", name = "Alex Testwood" },
      { consent = "share_with_partners", by = "Alex Testwood" },
      { decision = "restore", decided = "Ava goes home to Alex", family_agreed = true,
        members = { "Alex Testwood" } },
      { fire = "restore", as = "supervisor" },
      { expect = { state = "restored" } } }) },

  -- The people practice needs: the other parent, kin, an Elder, a brother, and a peer worker
  -- (seed "From consumer to partner": peer workers "conduct co-visits with professionals to
  -- family homes") are members of the case, named in the forms by their place on it.
  { "the other parent, kin, an Elder, a sibling and a peer worker take part",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage3, {
      { member = "other_parent", name = "Alex Testwood" },        -- member 5
      { member = "kin", name = "Nan Testwood" },                  -- 6
      { member = "elder", name = "Aunty June Example" },          -- 7
      { member = "sibling", name = "Leo Testwood" },              -- 8
      { member = "peer_worker", name = "Jo Peer-Example" },       -- 9
      { submit = "family_home_visit",
        data = { visit_date = "2026-02-20", place = "family_home",
                 visited_by = { "Sam Fenwick-Example", "Jo Peer-Example" }, peer_worker = 4 },
        refused = "peer_worker: member 4 (Sam Fenwick-Example) is" },
      { submit = "family_home_visit",
        data = { visit_date = "2026-02-20", place = "family_home",
                 visited_by = { "Sam Fenwick-Example", "Jo Peer-Example" }, peer_worker = 9,
                 what_we_did = "Jo shared how she got her kids home." } },
      { submit = "social_capital",
        data = { recorded_on = "2026-02-20", network = { "Bakery friends" },
                 family_on_case = { 5, 6, 7, 8, 3 },
                 keeps_change_going = "Sunday dinners at Nan's; Aunty June's yarning circle." } },
      { submit = "social_capital",
        data = { recorded_on = "2026-02-20", network = { "Bakery friends" },
                 family_on_case = { 6, 4 }, keeps_change_going = "Nan." },
        refused = "family_on_case: member 4 (Sam Fenwick-Example) is" },
      { member_end = "Jo Peer-Example", reason = "Jo moved to the service's other team" },
      { submit = "family_home_visit",
        data = { visit_date = "2026-02-20", place = "family_home",
                 visited_by = { "Sam Fenwick-Example" }, peer_worker = 9 },
        refused = "peer_worker: member 9 (Jo Peer-Example) left the case on 2026-02-20" } }) },

  -- Seed "Co-parenthood": Stage 1 finds "levers for change", Stage 3 expands "social capital".
  { "levers for change and the family's network are recorded and counted",
    now = "2026-01-05T09:00:00Z",
    steps = join(matched, {
      { submit = "levers_for_change",
        data = { recorded_on = "2026-01-05", levers = { "Robin wants to walk Ava to school",
                                                        "A job offer at the bakery" },
                 strengths = { "Never misses contact" } } },
      { submit = "family_home_visit",
        data = { visit_date = "2026-01-05", place = "family_home",
                 visited_by = { "Sam Fenwick-Example", "Jo Peer-Example (peer worker)" },
                 what_we_did = "Talked about what Robin wants to change." } },
      { submit = "service_referral",
        data = { referral_date = "2026-01-05", service = "PSU", kind = "psu",
                 status = "referred", parent_contributed = true } },
      { submit = "case_note",
        data = { note_date = "2026-01-05", kind = "phone_call", note = "Robin called about contact.",
                 staff_only = "The other parent's address is not to be shared." } } },
      stage1_work, { { fire = "strengthen", as = "family_link" },
                     { expect = { data = { levers_for_change = 2 } } } },
      stage2_work, signed_and_decided, { { fire = "prepare_restoration", as = "caseworker" } },
      stage3_work, restore_decided, {
      { submit = "social_capital",
        data = { recorded_on = "2026-03-20",
                 network = { "Nan Testwood", "Kit Maplefield", "Bakery friends" },
                 keeps_change_going = "Sunday dinners at Nan's; Kit stays Ava's aunty." } },
      { fire = "restore", as = "supervisor" },
      { expect = { state = "restored", data = { network_people = 3 } } } }) },

  { "a return to care is an outcome of its own",
    now = "2026-01-05T09:00:00Z",
    steps = join(restored, {
      { advance = "40d" },
      { fire = "return_to_care", as = "caseworker", refused = "needs a reason" },
      { fire = "return_to_care", as = "caseworker",
        reason = "Robin was admitted to hospital; Ava is back with Kit." },
      { expect = { state = "returned_to_care", final = true,
                   data = { returned_to_care_on = "2026-04-29" } } } }) },

  { "the family may stop taking part: their move, with their reason",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage2, {
      { fire = "withdraw", as = "caseworker", refused = "may not fire 'withdraw'" },
      { fire = "withdraw", as = "parent", refused = "needs a reason" },
      { fire = "withdraw", as = "parent", actor = "robin.testwood",
        reason = "I want to work with Child Protection directly for now." },
      { expect = { state = "withdrawn", final = true } } }) },

  { "stepping back from Stage 3 needs a reason",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage3, {
      { fire = "step_back", as = "caseworker", refused = "needs a reason" },
      { fire = "step_back", as = "caseworker",
        reason = "Robin has lost housing; restoration paused while a new lease is found" },
      { expect = { state = "capability", data = { stage3_started_on = "2026-02-20" } } } }) },

  { "closing needs the supervisor and a reason; nothing leaves closed",
    now = "2026-01-05T09:00:00Z",
    steps = join(in_stage2, {
      { fire = "close", as = "caseworker", refused = "may not fire 'close'" },
      { fire = "close", as = "supervisor", refused = "needs a reason" },
      { submit = "family_feedback", data = { feedback_date = "2026-01-25",
                                             not_given = "could_not_be_reached" } },
      { fire = "close", as = "supervisor", reason = "Family moved interstate; referred on." },
      { expect = { state = "closed", final = true, data = { closed_on = "2026-01-25" } } },
      { fire = "close", as = "supervisor", reason = "again", refused = "'closed'" },
      { fire = "strengthen", as = "caseworker", refused = "'closed'" } }) },
}
