-- Levers for change. Seed "Co-parenthood", Stage 1: "Building trust, building collaborative
-- relationships and finding levers for change."
return form {
  name = "levers_for_change",
  title = "Levers for change",
  description = "What the family wants to change and what will help them change it, found "
    .. "with them in Stage 1.",
  family = "read",
  fields = {
    { "recorded_on", label = "Date", type = "date", required = true },
    { "levers", label = "Levers for change (in the family's words)", type = "list",
      of = "text", required = true,
      help = "For example: wanting to be there for the first day of school; a job offer." },
    { "strengths", label = "Strengths to build on", type = "list", of = "text" },
    { "what_gets_in_the_way", label = "What gets in the way", type = "text" },
  },
}
