-- The family's feedback. Seed "Working in partnership": "We actively seek feedback from the
-- child and their family/whānau to improve what we do." Every programme asks for it before
-- a case closes (rule family_feedback_sought): the family gives it from their family page,
-- or staff record it, or record that the family was asked and chose not to (or could not be
-- reached).
return form {
  name = "family_feedback",
  title = "Your feedback",
  description = "What the child and family think of the support and the plan, in their own "
    .. "words.",
  family = true, -- the family writes it themselves, from their family page
  fields = {
    { "feedback_date", label = "Date", type = "date", required = true },
    { "what_helped", label = "What has helped", type = "text" },
    { "what_to_change", label = "What could be better", type = "text" },
    { "child_views", label = "What the children think", type = "text" },
    { "listened_to", label = "Did you feel listened to?", type = "choice",
      choices = { "yes", "partly", "no" } },
    { "not_given", label = "Asked, but no feedback was given", type = "choice",
      choices = { "declined", "could_not_be_reached" },
      help = "Staff only: the family was asked and chose not to give feedback, or could not "
        .. "be reached." },
  },
}
