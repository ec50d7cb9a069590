-- Cultural support plan. Seed "Parents partnering with carers": "parents providing cultural
-- information to the carer and showing them how they can support their child's cultural
-- needs"; "case plan and cultural support plan development".
return form {
  name = "cultural_support_plan",
  title = "Cultural support plan",
  description = "How the child stays connected to family, community, culture and Country "
    .. "(or island home), developed with the parents, family and community: for Aboriginal "
    .. "and Torres Strait Islander children.",
  fields = {
    { "plan_date", label = "Date of plan", type = "date", required = true },
    { "mob", label = "Mob, nation, language group or island community", type = "text" },
    { "country", label = "Country or island home", type = "text" },
    { "community_connections", label = "Family and community connections to maintain",
      type = "list", of = "text", required = true },
    { "cultural_activities", label = "Cultural activities and events", type = "list",
      of = "text" },
    { "elders_involved", label = "Elders and community members involved", type = "list",
      of = "text" },
    { "cultural_information_from_parents", label = "Cultural information the parents shared "
      .. "with the carer", type = "text" },
    { "parent_contributed", label = "The parents contributed to developing this plan",
      type = "boolean" },
    -- The endorsement is the ACCO's own: only a user acting as its worker can give it, and
    -- it names the organisation (rule cultural_plan_endorsed in young_aboriginal_parents).
    { "acco_endorsed", label = "Endorsed by the Aboriginal community-controlled organisation "
      .. "(ACCO)",
      type = "boolean", by = { "acco_worker" } },
    { "acco_name", label = "The organisation endorsing the plan (ACCO)", type = "text",
      by = { "acco_worker" },
      help = "Given by the ACCO worker with the endorsement, e.g. the organisation's name." },
    { "next_review", label = "Next review of the plan", type = "date", future = true },
  },
}
