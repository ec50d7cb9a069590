-- Review. Seeds: "Working in partnership" ("We actively seek feedback from the child and
-- their family/whānau"); "Co-parenthood" (parents and carers working together).
return form {
  name = "review",
  title = "Review",
  description = "A review of progress, held with the family, and the decision it reached.",
  fields = {
    { "review_date", label = "Review date", type = "date", required = true },
    { "progress", label = "Progress since the last review", type = "text", required = true },
    { "goals_met", label = "The goals of the plan have been met", type = "boolean" },
    { "parent_views", label = "The parents' views", type = "text" },
    { "carer_views", label = "The carers' views", type = "text" },
    { "child_views", label = "The child's views", type = "text" },
    { "family_feedback", label = "Feedback from the child and family on our work",
      type = "text" },
    { "decision", label = "Decision", type = "choice",
      choices = { "continue", "move_forward", "step_back", "close" } },
    { "next_review", label = "Next review", type = "date", future = true },
  },
}
