-- Child information form. Seed "Parents partnering with carers": one of the processes
-- "parents can actively contribute to, attend and participate in".
return form {
  name = "child_information",
  title = "Child information form",
  description = "What the carer needs to know to care for the child, completed with the "
    .. "parents wherever possible: they know their child best.",
  fields = {
    { "child_name", label = "Child's name", type = "text", required = true },
    { "dob", label = "Date of birth", type = "date", required = true },
    { "known_as", label = "Name the child likes to be called", type = "text" },
    { "living_arrangement", label = "Where the child is living now", type = "choice",
      choices = { "with_parents", "kinship_care", "foster_care", "residential_care", "other" },
      help = "with_parents for preservation referrals; a care arrangement for restoration." },
    { "aboriginal_or_torres_strait_islander", label = "Aboriginal and/or Torres Strait Islander",
      type = "choice",
      choices = { "aboriginal", "torres_strait_islander", "both", "neither", "not_stated" } },
    { "cultural_identity", label = "Culture, language and faith", type = "text" },
    { "important_people", label = "People important to the child", type = "list", of = "text",
      help = "Extended family members the carer should meet." },
    { "daily_routine", label = "Daily routine (as the parents describe it)", type = "text",
      help = "Parents having input to the child's daily routine and schooling arrangements." },
    { "school", label = "School or early childhood service", type = "text" },
    { "health_needs", label = "Health needs, allergies and medication", type = "text",
      sensitive = true },
    { "comforts", label = "What comforts the child", type = "text" },
    { "parent_contributed", label = "The parents contributed to this form", type = "boolean" },
  },
}
