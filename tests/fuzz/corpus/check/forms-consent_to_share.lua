-- Consent to share information. Seed "Working in partnership" (Children's Teams): "The
-- family/whānau agrees to be supported and to have personal information shared to help
-- them achieve the goals set out in their plan." A later entry with consent = false records
-- that consent was withdrawn.
return form {
  name = "consent_to_share",
  title = "Consent to share information",
  description = "The family's consent to personal information being shared with the people "
    .. "and services working with them.",
  fields = {
    { "consent", label = "Consent to share information is given", type = "boolean",
      required = true },
    { "given_by", label = "Given by", type = "text", required = true },
    { "given_on", label = "Date", type = "date" },
    { "shared_with", label = "May be shared with", type = "list", of = "text" },
    { "expires_on", label = "Consent expires on", type = "date" },
    { "explained", label = "What will be shared, and why, was explained in plain words",
      type = "boolean" },
  },
}
