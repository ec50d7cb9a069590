-- Scenario tests for the Children's Team partnership plan. All people are invented.

-- Members are numbered in the order they join: Aroha 1, Nikau 2, Quinn 3.
local people = {
  { member = "family", name = "Aroha Testhaven" },
  { member = "child", name = "Nikau Testhaven", data = { dob = "2017-02-02" } },
  { member = "lead_professional", name = "Quinn Example-Lead" },
}
local allocated = join(people, { { fire = "allocate", as = "team_member" } })
local agreement = {
  { advance = "7d" },    -- 2026-01-12
  { submit = "voluntary_agreement",
    data = { agreed_on = "2026-01-12", agreed_by = { 1 },
             agrees_to_support = true, understands_voluntary = true } },
  { consent = "share_with_partners", by = "Aroha Testhaven", from = "2026-01-05" },
}
local plan = {
  { advance = "7d" },    -- 2026-01-19
  { submit = "childrens_team_plan",
    data = { plan_date = "2026-01-19", children_needs = "Nikau to get to school every day.",
             strengths = "A close, loving whānau.",
             goals = { "Nikau at school every day", "Aroha connected to a parenting group" },
             child_views = "Nikau wants to play rugby with his cousins.",
             decided_with_family = true } },
}
-- The family agrees the plan themselves; starting it is a decision shared with them.
local agreed = {
  { fire = "agree_plan", as = "family" },
  { decision = "start_plan", decided = "Start working the plan together", family_agreed = true,
    members = { "Aroha Testhaven" } },
}
local working = join(allocated, agreement, { { fire = "agree", as = "lead_professional" } }, plan,
                     agreed, { { fire = "start_plan", as = "lead_professional" } })

return scenarios "partnership_plan" {
  { "happy path: the family achieves the goals in their plan",
    now = "2026-01-05T09:00:00Z",
    steps = join(allocated, {
      { expect = { state = "relationship", as = "lead_professional",
                   blocked = { agree = "voluntary_agreement" } } } },
      agreement, {
      { fire = "agree", as = "lead_professional" },
      { expect = { state = "planning", data = { agreed_on = "2026-01-12" } } } },
      plan, {
      { fire = "start_plan", as = "lead_professional",
        refused = "the family has not agreed the current plan (of 2026-01-19)" },
      { fire = "agree_plan", as = "lead_professional", refused = "may not fire 'agree_plan'" },
      { fire = "agree_plan", as = "family" },
      { expect = { state = "planning" } },
      { fire = "start_plan", as = "lead_professional",
        refused = "no shared decision has been recorded for 'start_plan'" },
      { decision = "start_plan", decided = "Start working the plan together",
        family_agreed = true, members = { "Aroha Testhaven" } },
      { fire = "start_plan", as = "lead_professional" },
      { expect = { state = "working", data = { plan_goals = 2 } } },
      { advance = "41d" },   -- 2026-03-01
      { submit = "review",
        data = { review_date = "2026-03-01", progress = "Nikau has missed no school this term.",
                 goals_met = true } },
      { fire = "achieve", as = "lead_professional",
        refused = "seek feedback from the child and their family/whānau before closing" },
      { advance = "1d" },
      { submit = "family_feedback",
        data = { feedback_date = "2026-03-02", what_helped = "Quinn listened and came to us.",
                 listened_to = "yes" } },
      { fire = "achieve", as = "lead_professional" },
      { expect = { state = "goals_achieved", final = true, data = { ended_on = "2026-03-02" } } } }) },

  { "a Lead Professional is named before the relationship starts",
    now = "2026-01-05T09:00:00Z",
    steps = {
      { member = "family", name = "Aroha Testhaven" },
      { fire = "allocate", as = "team_member",
        refused = "no Lead Professional has been named for the family" },
      { fire = "allocate", as = "family", refused = "may not fire 'allocate'" } } },

  { "planning waits for a voluntary agreement and consent to share",
    now = "2026-01-05T09:00:00Z",
    steps = join(allocated, {
      { fire = "agree", as = "lead_professional", refused = "voluntary_agreement" },
      { advance = "7d" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-12", agreed_by = { 1 },
                 agrees_to_support = false, understands_voluntary = true } },
      { consent = "share_with_partners", by = "Aroha Testhaven" },
      { fire = "agree", as = "lead_professional",
        refused = "the family/whānau has not agreed to be supported" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-12", agreed_by = { 1 },
                 agrees_to_support = true, understands_voluntary = false } },
      { fire = "agree", as = "lead_professional",
        refused = "has not been told that taking part is voluntary" },
      { submit = "voluntary_agreement", data = { agreed_on = "2026-01-12" },
        refused = "agrees_to_support" } }) },

  -- The agreement is the family's own: the team cannot agree on their behalf.
  { "the voluntary agreement is given by family members of the case",
    now = "2026-01-05T09:00:00Z",
    steps = join(allocated, {
      { consent = "share_with_partners", by = "Aroha Testhaven" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-05", agreed_by = { "Lead Professional" },
                 agrees_to_support = true, understands_voluntary = true },
        refused = "agreed_by: item 1: not a member number of the case" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-05", agreed_by = { 3 },
                 agrees_to_support = true, understands_voluntary = true },
        refused = "agreed_by: member 3 (Quinn Example-Lead) is a lead_professional, not one "
          .. "of: family" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-05", agreed_by = { 1, 2 },
                 agrees_to_support = true, understands_voluntary = true },
        refused = "agreed_by: member 2 (Nikau Testhaven) is a child, not one of: family" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-05", agreed_by = { 9 },
                 agrees_to_support = true, understands_voluntary = true },
        refused = "agreed_by: member 9 is not on the case" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-05", agreed_by = {},
                 agrees_to_support = true, understands_voluntary = true },
        refused = "agreed_by: required" },
      { fire = "agree", as = "lead_professional", refused = "voluntary_agreement" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-05", agreed_by = { 1 },
                 agrees_to_support = true, understands_voluntary = true } },
      { fire = "agree", as = "lead_professional" } }) },

  -- Those who agreed are on the case when planning starts: one who left agrees no longer.
  { "an agreement given only by a family member who has left is not the family's agreement",
    now = "2026-01-05T09:00:00Z",
    steps = join(allocated, agreement, {
      { member_end = "Aroha Testhaven", reason = "moved to her sister's in another region" },
      { fire = "agree", as = "lead_professional",
        refused = "the voluntary agreement was not given by a family member on the case "
          .. "(Aroha Testhaven)" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-12", agreed_by = { 1 },
                 agrees_to_support = true, understands_voluntary = true },
        refused = "agreed_by: member 1 (Aroha Testhaven) left the case on 2026-01-12" } }) },

  { "planning waits for consent to share information",
    now = "2026-01-05T09:00:00Z",
    steps = join(allocated, {
      { advance = "7d" },
      { submit = "voluntary_agreement",
        data = { agreed_on = "2026-01-12", agreed_by = { 1 },
                 agrees_to_support = true, understands_voluntary = true } },
      { fire = "agree", as = "lead_professional",
        refused = "consent to share information has not been recorded" },
      { consent = "share_with_partners", by = "Quinn Example-Lead", refused = "Quinn Example-Lead" },
      { consent = "share_with_partners", by = "Aroha Testhaven" },
      { fire = "agree", as = "lead_professional" } }) },

  { "the plan is made with the family and records the child's views",
    now = "2026-01-05T09:00:00Z",
    steps = join(allocated, agreement, { { fire = "agree", as = "lead_professional" } }, {
      { fire = "start_plan", as = "lead_professional", refused = "childrens_team_plan" },
      { advance = "8d" },    -- 2026-01-20
      { submit = "childrens_team_plan",
        data = { plan_date = "2026-01-19", children_needs = "School attendance.",
                 goals = { "Nikau at school every day" }, decided_with_family = false } },
      { fire = "start_plan", as = "lead_professional",
        refused = "the plan must be made with the family/whānau, not for them" },
      { submit = "childrens_team_plan",
        data = { plan_date = "2026-01-20", children_needs = "School attendance.",
                 goals = { "Nikau at school every day" }, decided_with_family = true } },
      { fire = "agree_plan", as = "family" },
      { fire = "start_plan", as = "lead_professional",
        refused = "the child's views are not recorded in the plan" } }) },

  { "the family can ask to revisit the plan",
    now = "2026-01-05T09:00:00Z",
    steps = join(working, {
      { fire = "revise_plan", as = "family" },
      { expect = { state = "planning" } },
      { fire = "start_plan", as = "lead_professional",
        refused = "no shared decision has been recorded for 'start_plan'" },
      { decision = "start_plan", decided = "Keep the plan as it is", family_agreed = true,
        members = { "Aroha Testhaven" } },
      { fire = "start_plan", as = "lead_professional" },
      { expect = { state = "working" } } }) },

  { "closing as achieved needs goals met and the family's feedback",
    now = "2026-01-05T09:00:00Z",
    steps = join(working, {
      { fire = "achieve", as = "lead_professional", refused = "review" },
      { advance = "41d" },   -- 2026-03-01
      { submit = "review", data = { review_date = "2026-03-01", progress = "Good term.",
                                    goals_met = true } },
      { fire = "achieve", as = "lead_professional",
        refused = "seek feedback from the child and their family/whānau" },
      { fire = "achieve", as = "family", refused = "may not fire 'achieve'" } }) },

  { "taking part is voluntary: the family may withdraw at any time",
    now = "2026-01-05T09:00:00Z",
    steps = join(working, {
      { fire = "withdraw", as = "lead_professional", refused = "may not fire 'withdraw'" },
      { fire = "withdraw", as = "family", refused = "needs a reason" },
      { fire = "withdraw", as = "family", reason = "We are managing now, thank you." },
      { expect = { state = "withdrawn", final = true, data = { ended_on = "2026-01-19" } } },
      { fire = "withdraw", as = "family", reason = "again", refused = "'withdrawn'" } }) },

  { "an unallocated referral lapses after 28 days: the service's shortfall",
    now = "2026-01-05T09:00:00Z",
    steps = join(people, {
      { advance = "27d" },
      { expect = { state = "referral" } },
      { advance = "1d" },
      { expect = { state = "not_allocated", final = true, data = { ended_on = "2026-02-02" } } } }) },

  { "the supervisor may close at any stage, with a reason",
    now = "2026-01-05T09:00:00Z",
    steps = join(working, {
      { fire = "close", as = "lead_professional", refused = "may not fire 'close'" },
      { fire = "close", as = "supervisor", refused = "needs a reason" },
      { submit = "family_feedback", data = { feedback_date = "2026-01-19",
                                             not_given = "could_not_be_reached" } },
      { fire = "close", as = "supervisor", reason = "Family moved to another region." },
      { expect = { state = "closed", final = true } } }) },

  { "the relationship is reviewed every 4 weeks",
    now = "2026-01-05T09:00:00Z",
    steps = join(allocated, {
      { advance = "27d" },
      { expect = { overdue = false } },
      { advance = "2d" },
      { expect = { state = "relationship", overdue = true } } }) },
}
