-- Seed "Parents partnering with carers": "parents and carers attending safety and support
-- network meetings together". Passes when a safety and support network meeting (dated not
-- after today) had among its members present a parent (the other parent, or the care leaver
-- in the parent's place) and a carer of the case: the people, not ticked boxes. A case that
-- never had a carer (a programme without one) needs the parent only.
local PARENT_SIDE = { parent = true, other_parent = true, care_leaver = true }

-- Whether the parents' side and a carer were among a meeting's members present.
local function present(case, meeting)
  local parent, carer = false, false
  for _, id in ipairs(meeting.members_present or {}) do
    local m = math.type(id) == "integer" and case:member(id) or nil
    if m and PARENT_SIDE[m.role] then parent = true end
    if m and m.role == "carer" then carer = true end
  end
  return parent, carer
end

return rule {
  name = "network_met_together",
  description = "Parents and carers of the case were present together at a safety and "
    .. "support network meeting.",
  check = function(case)
    local today, seen = kf.today(), false
    local need_carer = #case:members("carer", true) > 0
    for _, e in ipairs(case:entries("safety_network_meeting")) do
      local m = e.data
      if m.meeting_date and m.meeting_date <= today then
        seen = true
        local parent, carer = present(case, m)
        if parent and (carer or not need_carer) then return true end
      end
    end
    if not seen then return false, "no safety and support network meeting has been held yet" end
    return false, "no safety and support network meeting has had a parent"
      .. (need_carer and " and a carer" or "") .. " of the case present"
      .. (need_carer and " together" or "") .. " (each meeting records the members present)"
  end,
}
