-- Safety plan for a victim-survivor and their children. Seed "Co-parenthood" (possible
-- adaptations): "victim survivors needing a safe place to stay and recover with children".
-- The safe address and safe contacts are sensitive: shown only to roles allowed to see them.
return form {
  name = "safety_plan",
  title = "Safety plan",
  description = "How the parent and children stay safe, where they are staying and who to "
    .. "call, made with a family violence specialist.",
  fields = {
    { "plan_date", label = "Date made or last reviewed", type = "date", required = true },
    { "safe_address", label = "Safe place address", type = "text", sensitive = true },
    { "safe_contacts", label = "Safe people to contact", type = "list", of = "text",
      sensitive = true },
    { "risks", label = "Current risks", type = "text", sensitive = true },
    { "strategies", label = "Safety strategies", type = "list", of = "text", required = true },
    { "children_plan", label = "The children's own safety plan", type = "text" },
    { "protection_order", label = "Protection order", type = "choice",
      choices = { "none", "applied_for", "in_place" } },
    { "made_with_specialist", label = "Made with a family violence specialist",
      type = "boolean" },
    { "new_address_safe", label = "The family's next home has been assessed as safe",
      type = "boolean" },
    { "next_review", label = "Next review", type = "date", future = true },
  },
}
