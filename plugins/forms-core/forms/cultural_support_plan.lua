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
    { "acco_endorsed", label = "Endorsed by the Aboriginal community-controlled organisation "
      .. "(ACCO)",
      type = "boolean" },
    { "next_review", label = "Next review of the plan", type = "date", future = true },
  },
}
