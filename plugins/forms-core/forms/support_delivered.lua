-- Programs and supports delivered to the family. Seed "Family Preservation and Reunification
-- response": "programs and strategies that have been proven to make a difference";
-- "Linking families to other services and community supports"; "Using flexible funding".
return form {
  name = "support_delivered",
  title = "Program or support delivered",
  description = "A program, strategy or support the family received, and how far it went.",
  family = "read",
  fields = {
    { "started_on", label = "Started", type = "date", required = true },
    { "name", label = "Program or support", type = "text", required = true },
    { "kind", label = "Kind", type = "choice", required = true,
      choices = { "evidence_based_program", "parenting_skills_at_home", "linked_to_service",
                  "community_support", "flexible_funding", "practical_support", "other" } },
    { "sessions", label = "Sessions attended", type = "number", min = 0, max = 500 },
    { "status", label = "Status", type = "choice", required = true,
      choices = { "started", "completed", "stopped" } },
    { "ended_on", label = "Ended", type = "date" },
    { "family_view", label = "What the family thought of it", type = "text" },
  },
}
