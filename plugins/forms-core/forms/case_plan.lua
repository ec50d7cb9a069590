-- Case plan. Seed "Parents partnering with carers": "having a current and meaningful case
-- plan"; parents contributing to "case plan and cultural support plan development".
return form {
  name = "case_plan",
  title = "Case plan",
  description = "The child's current and meaningful case plan, developed with the parents "
    .. "and carers.",
  family = "read", -- the family sees it on their family page; staff record it
  fields = {
    { "plan_date", label = "Date of plan", type = "date", required = true },
    { "permanency_goal", label = "Permanency goal", type = "choice", required = true,
      choices = { "restoration", "remain_at_home", "kinship_care", "guardianship",
                  "long_term_care", "other" } },
    { "goals", label = "Goals", type = "list", of = "text", required = true },
    { "parent_responsibilities", label = "What the parents will do", type = "text" },
    { "carer_responsibilities", label = "What the carers will do", type = "text" },
    { "child_views", label = "The child's views", type = "text" },
    -- Who helped write it, as the people of the case (not a ticked box): rule
    -- case_plan_aims_for_restoration and preservation's plan look for a parent among them.
    { "contributed_by", label = "Who helped write the plan (members of the case)", type = "list",
      of = "member", help = "The parents, carers, the child and others on the case who took part." },
    { "next_review", label = "Next review of the plan", type = "date", future = true },
  },
}
