-- Co-parenthood for young Aboriginal parents. Seed "Co-parenthood", possible adaptations:
-- "Co-parenthood for young Aboriginal parents to keep families together."
--
-- Differences from the base programme:
--   * an Aboriginal community-controlled organisation (ACCO) worker works with the family
--     from matching onward and may match the family themselves;
--   * the programme is for young parents (under 25: rule young_parent);
--   * the cultural support plan is required before Stage 2 and Stage 3, and the ACCO must
--     endorse it before the child returns home. Seed "Parents partnering with carers":
--     "parents providing cultural information to the carer and showing them how they can
--     support their child's cultural needs"; "case plan and cultural support plan
--     development".

local function acco_worker_allocated(case)
  if #case:members("acco_worker") == 0 then
    return false, "no worker from an Aboriginal community-controlled organisation has been "
      .. "allocated to the family yet"
  end
  return true
end

local function cultural_plan_endorsed(case)
  local plan = case:latest("cultural_support_plan")
  if not plan then return false, "no cultural support plan has been recorded" end
  if plan.parent_contributed ~= true then
    return false, "the parents have not yet contributed to the cultural support plan"
  end
  if plan.acco_endorsed ~= true then
    return false, "the Aboriginal community-controlled organisation has not yet endorsed "
      .. "the cultural support plan"
  end
  return true
end

return adapt "coparenthood" {
  name = "young_aboriginal_parents",
  title = "Co-parenthood for young Aboriginal parents",
  description = "Co-parenthood with young Aboriginal parents, alongside an Aboriginal "
    .. "community-controlled organisation, to keep families together and children "
    .. "connected to family, community, culture and Country.",
  roles = { "acco_worker" },

  states = {
    { "referral",
      description = "The family is referred, consents to share information, and is matched "
        .. "with a carer, a Family Link worker and an ACCO worker.",
      forms = { "child_information", "cultural_support_plan" } },
    { "building_trust",
      forms = { "partnering_activities", "levers_for_change", "cultural_support_plan",
                "communication_book", "safety_network_meeting", "family_contact", "home_visit",
                "case_note", "service_referral", "review", "family_feedback" } },
    { "capability",
      description = "Parents lead the cultural support plan with the ACCO and take part in "
        .. "the case plan, education support plan and child health passport." },
  },

  transitions = {
    { "match", by = { "caseworker", "acco_worker" },
      requires = { "child_information", "cultural_support_plan" },
      when = { "consent_recorded", "carer_matched", "young_parent", acco_worker_allocated },
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
}
