-- Seed "Parents partnering with carers": "parents and carers attending safety and support
-- network meetings together". Passes when the newest safety and support network meeting
-- (by its date; a meeting dated after today has not happened) was in the last 8 weeks,
-- agreed the child can be safe at home, and had among its members present a parent (the
-- other parent, or the care leaver in the parent's place) and a carer of the case: the
-- people, not ticked boxes. A case that never had a carer needs the parent only.
local WEEKS = 8
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
  name = "network_agrees_child_safe_at_home",
  description = "The latest safety and support network meeting, in the last 8 weeks, with "
    .. "parents and carers of the case present together, agreed the child can be safe at home.",
  check = function(case)
    local today, m, future = kf.today(), nil, nil
    for _, e in ipairs(case:entries("safety_network_meeting")) do
      local d = e.data.meeting_date
      if d and d > today then future = d
      elseif d and (not m or d >= m.meeting_date) then m = e.data end
    end
    local problems = {}
    if future then
      problems[#problems + 1] = "a safety and support network meeting is dated " .. future
        .. ", after today: it has not happened"
    end
    if not m then
      problems[#problems + 1] = "no safety and support network meeting has been recorded"
      return false, table.concat(problems, "; ")
    end
    if kf.days_between(m.meeting_date, today) > WEEKS * 7 then
      problems[#problems + 1] = "the last safety and support network meeting was on "
        .. m.meeting_date .. ", more than " .. WEEKS .. " weeks ago"
    end
    if m.network_agrees_safe ~= true then
      problems[#problems + 1] = "the safety and support network has not yet agreed the child "
        .. "can be safe at home (last meeting " .. tostring(m.meeting_date) .. ")"
    end
    local parent, carer = present(case, m)
    if not parent then
      problems[#problems + 1] = "no parent of the case was present at the last safety and "
        .. "support network meeting (" .. m.meeting_date .. ")"
    end
    if not carer and #case:members("carer", true) > 0 then
      problems[#problems + 1] = "no carer of the case was present at the last safety and "
        .. "support network meeting (" .. m.meeting_date .. ")"
    end
    if #problems > 0 then return false, table.concat(problems, "; ") end
    return true
  end,
}
