-- Case note: what happened, in plain words. The family reads the note on their family page;
-- a staff-only part (a sensitive field) never reaches the family page and is shown to staff
-- only as sensitive values are.
return form {
  name = "case_note",
  title = "Case note",
  description = "A note of contact with or about the family.",
  family = "read",
  fields = {
    { "note_date", label = "Date", type = "date", required = true },
    { "kind", label = "Kind of contact", type = "choice", required = true,
      choices = { "phone_call", "visit", "meeting", "message", "contact_with_service", "other" } },
    { "note", label = "Note (the family can read this)", type = "text", required = true },
    { "staff_only", label = "Staff only (never shown to the family)", type = "text",
      sensitive = true,
      help = "For what cannot be shared with the family, such as a third party's information." },
  },
}
