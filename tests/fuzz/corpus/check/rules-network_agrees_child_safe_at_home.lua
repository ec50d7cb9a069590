-- Seed "Parents partnering with carers": "parents and carers attending safety and support
-- network meetings together". Passes when the newest safety and support network meeting
-- agreed the child can be safe at home, and both parents and carers were there.
return rule {
  name = "network_agrees_child_safe_at_home",
  description = "The latest safety and support network meeting, attended by parents and "
    .. "carers together, agreed the child can be safe at home.",
  check = function(case)
    local m = case:latest("safety_network_meeting")
    if not m then
      return false, "no safety and support network meeting has been recorded"
    end
    if m.network_agrees_safe ~= true then
      return false, "the safety and support network has not yet agreed the child can be "
        .. "safe at home (last meeting " .. tostring(m.meeting_date) .. ")"
    end
    if m.parent_attended ~= true or m.carer_attended ~= true then
      return false, "the parents and carers did not attend the last safety and support "
        .. "network meeting together"
    end
    return true
  end,
}
