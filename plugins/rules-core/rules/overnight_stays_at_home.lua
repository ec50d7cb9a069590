-- Preparing for restoration (seed "Co-parenthood", Stage 3): the child has had at least two
-- overnight stays at home in the last 8 weeks, recorded as family contact of kind
-- "overnight". A stay dated after today has not happened and does not count; nor does one
-- older than 8 weeks.
local NEEDED, WEEKS = 2, 8
return rule {
  name = "overnight_stays_at_home",
  description = "At least two overnight stays at home in the last 8 weeks are recorded in "
    .. "family contact.",
  check = function(case)
    local today, n, future, old = kf.today(), 0, {}, 0
    for _, e in ipairs(case:entries("family_contact")) do
      local d = e.data.contact_date
      if e.data.contact_type == "overnight" and d then
        if d > today then future[#future + 1] = d
        elseif kf.days_between(d, today) <= WEEKS * 7 then n = n + 1
        else old = old + 1 end
      end
    end
    if n >= NEEDED then return true end
    local why = "only " .. n .. " overnight stay(s) at home in the last " .. WEEKS
      .. " weeks; at least " .. NEEDED .. " are needed first"
    if old > 0 then why = why .. " (" .. old .. " older one(s) do not count)" end
    if #future > 0 then
      why = why .. "; overnight stays dated after today have not happened: "
        .. table.concat(future, ", ")
    end
    return false, why
  end,
}
