-- Seed "Working in partnership": "We actively seek feedback from the child and their
-- family/whānau to improve what we do." Every programme asks for the family's feedback
-- before closing: a family_feedback entry dated in the last 90 days (not after today) that
-- says something, or records that the family was asked and declined or could not be reached.
local WINDOW_DAYS = 90
return rule {
  name = "family_feedback_sought",
  description = "The family was asked for their feedback in the last 90 days (the "
    .. "family_feedback form).",
  check = function(case)
    local today, last = kf.today(), nil
    for _, e in ipairs(case:entries("family_feedback")) do
      local d = e.data.feedback_date
      if d and d <= today and kf.days_between(d, today) <= WINDOW_DAYS then last = e.data end
    end
    if not last then
      return false, "ask the family for their feedback before closing (the family_feedback "
        .. "form, which they can fill in on their family page), or record that they declined"
    end
    local said = false
    for _, k in ipairs { "what_helped", "what_to_change", "child_views", "listened_to",
                         "not_given" } do
      if type(last[k]) == "string" and last[k] ~= "" then said = true end
    end
    if not said then
      return false, "the family's feedback of " .. last.feedback_date .. " is empty: record "
        .. "what they said, or that they declined or could not be reached"
    end
    return true
  end,
}
