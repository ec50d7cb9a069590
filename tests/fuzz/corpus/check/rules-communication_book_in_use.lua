-- Seed "Parents partnering with carers": "having a communication book where the carer
-- provides updates on the child for the parent". Passes when the carer has written in the
-- communication book in the last 28 days.
return rule {
  name = "communication_book_in_use",
  description = "The carer has written in the communication book in the last 28 days.",
  check = function(case)
    local newest
    for _, e in ipairs(case:entries("communication_book")) do
      if e.data.written_by == "carer" then newest = e.data.entry_date end
    end
    if not newest then
      return false, "the carer has not yet written in the communication book for the parent"
    end
    local days = kf.days_between(newest, kf.today())
    if days and days > 28 then
      return false, "the carer has not written in the communication book for " .. days
        .. " days (last on " .. newest .. ")"
    end
    return true
  end,
}
