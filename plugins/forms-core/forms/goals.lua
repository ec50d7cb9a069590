-- A family goal, with any flexible funding it needs. Seed "Family Preservation and
-- Reunification response": "Using flexible funding to help families meet their goals."
-- One entry per goal; a later entry with the same goal text updates its status.
return form {
  name = "goals",
  title = "Family goal",
  description = "A goal the family has set, the steps toward it, and any flexible funding "
    .. "to help meet it.",
  family = "read", -- the family sees it on their family page; staff record it
  fields = {
    { "goal", label = "Goal (in the family's words)", type = "text", required = true },
    { "steps", label = "Steps toward it", type = "list", of = "text" },
    { "target_date", label = "Target date", type = "date", future = true },
    { "status", label = "Status", type = "choice", required = true,
      choices = { "not_started", "in_progress", "achieved", "no_longer_needed" } },
    { "funding_amount", label = "Flexible funding requested ($)", type = "number", min = 0,
      max = 20000 },
    { "funding_purpose", label = "What the funding is for", type = "text",
      help = "For example, a bond, a cot, driving lessons, a school uniform." },
    { "set_with_family", label = "Set with the family, not for them", type = "boolean" },
  },
}
