-- Child health passport. Seed "Parents partnering with carers": "child health passport";
-- "parents attending doctors' visits and supporting their child (together with the carer)".
return form {
  name = "child_health_passport",
  title = "Child health passport",
  description = "The child's health history and appointments, kept with the parents.",
  fields = {
    { "recorded_on", label = "Date recorded", type = "date", required = true },
    { "gp", label = "Doctor or health service", type = "text" },
    { "health_conditions", label = "Health conditions", type = "text", sensitive = true },
    { "medications", label = "Medications", type = "text", sensitive = true },
    { "immunisations_current", label = "Immunisations up to date", type = "boolean" },
    { "upcoming_appointments", label = "Upcoming appointments", type = "list", of = "date", future = true },
    { "parent_attends_appointments", label = "The parents attend appointments with the carer",
      type = "boolean" },
  },
}
