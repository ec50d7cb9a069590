-- The move forward follows the latest review: a restoration (or any final step home) is not
-- made against a review that decided to step back, continue or close. Passes when the newest
-- review (by its date, not after today) decided "move_forward".
return rule {
  name = "latest_review_supports_move",
  description = "The latest review decided to move forward.",
  check = function(case)
    local today, last = kf.today(), nil
    for _, e in ipairs(case:entries("review")) do
      local d = e.data.review_date
      if d and d <= today and (not last or d >= last.review_date) then last = e.data end
    end
    if not last then return false, "no review has been recorded" end
    if last.decision ~= "move_forward" then
      return false, "the latest review (of " .. last.review_date .. ") decided '"
        .. tostring(last.decision or "nothing") .. "', not to move forward"
    end
    return true
  end,
}
