-- A referral to another service, and where it stands. Seed "Family Preservation and
-- Reunification response": "Linking families to other services and community supports as
-- needed"; seed "Parents partnering with carers": parents contribute to the "PSU referral".
-- A later entry for the same service (same service name) updates its status.
return form {
  name = "service_referral",
  title = "Service referral",
  description = "A referral to a service or community support, made with the family, and "
    .. "its status.",
  family = "read",
  fields = {
    { "referral_date", label = "Date referred", type = "date", required = true },
    { "service", label = "Service", type = "text", required = true },
    { "kind", label = "Kind of service", type = "choice", required = true,
      choices = { "psu", "parenting_program", "family_violence", "housing",
                  "alcohol_and_other_drugs", "mental_health", "health", "education",
                  "legal", "financial", "cultural", "peer_support", "community", "other" },
      help = "psu: the PSU referral, which parents in care can contribute to (seed \"Parents "
        .. "partnering with carers\")." },
    { "status", label = "Status", type = "choice", required = true,
      choices = { "planned", "referred", "accepted", "waitlisted", "attending", "completed",
                  "declined_by_family", "declined_by_service", "closed" } },
    { "status_date", label = "Status as of", type = "date" },
    { "parent_contributed", label = "The parents contributed to the referral",
      type = "boolean" },
    { "reason", label = "Why the family is referred", type = "text" },
  },
}
