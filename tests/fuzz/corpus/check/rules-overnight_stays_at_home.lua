-- Preparing for restoration (seed "Co-parenthood", Stage 3): the child has had at least two
-- overnight stays at home, recorded as family contact of kind "overnight".
return rule {
  name = "overnight_stays_at_home",
  description = "At least two overnight stays at home are recorded in family contact.",
  check = function(case)
    local n = 0
    for _, e in ipairs(case:entries("family_contact")) do
      if e.data.contact_type == "overnight" then n = n + 1 end
    end
    if n < 2 then
      return false, "only " .. n .. " overnight stay(s) at home recorded; at least 2 are "
        .. "needed first"
    end
    return true
  end,
}
