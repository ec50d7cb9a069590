-- Family contact. Seed "Parents partnering with carers": "carers attending family contact";
-- "nurturing the child during family contact to prepare them for the grief and loss at the
-- end of family contact"; "carers welcoming parents into their home for visits".
return form {
  name = "family_contact",
  title = "Family contact",
  description = "A record of time the child spent with their parents or family.",
  family = "read", -- the family sees it on their family page; staff record it
  fields = {
    { "contact_date", label = "Date", type = "date", required = true },
    { "contact_type", label = "Kind of contact", type = "choice", required = true,
      choices = { "supervised", "unsupervised", "overnight", "visit_at_carers_home",
                  "child_activity", "phone_or_video" } },
    { "hours", label = "Length (hours)", type = "number", min = 0, max = 72 },
    { "carer_attended", label = "The carer attended", type = "boolean" },
    { "child_nurtured_at_end", label = "The child was nurtured to prepare for the end of contact",
      type = "boolean" },
    { "went_well", label = "What went well", type = "text" },
    { "worries", label = "Worries", type = "text" },
  },
}
